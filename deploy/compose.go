package deploy

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadCompose loads repoRoot/docker-compose.yml with the compose-spec
// loader, which validates it against the Compose schema, resolves YAML
// anchors and merges, and normalises ports, volumes and environment. ctx
// bounds the load. Used by the deployment tests here and in cmd/eventproc.
func LoadCompose(ctx context.Context, repoRoot string) (*types.Project, error) {
	dir, err := filepath.Abs(repoRoot)
	if err != nil {
		return nil, err
	}
	p, err := loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "docker-compose.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("eventproc", true) })
	if err != nil {
		return nil, fmt.Errorf("docker-compose.yml: %w", err)
	}
	return p, nil
}
