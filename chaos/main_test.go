package chaos

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// enableEnv must be "1" for the chaos tests to run (`make test-chaos`
// sets it): they take minutes, `make test` must not.
const enableEnv = "EVENTPROC_CHAOS"

// binary is the eventproc executable built by TestMain; empty when the
// suite is disabled.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv(enableEnv) != "1" || testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	dir, err := os.MkdirTemp("", "eventproc-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "eventproc")
	build := exec.Command("go", "build", "-o", binary, "github.com/eventproc/eventproc/cmd/eventproc")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: build eventproc:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireChaos skips t unless the suite is enabled.
func requireChaos(t *testing.T) {
	t.Helper()
	if binary == "" {
		t.Skipf("chaos suite: set %s=1 (make test-chaos) and do not use -short", enableEnv)
	}
}
