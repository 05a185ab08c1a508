package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/deploy"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// The deployment files (docker-compose.yml, deploy/kubernetes) must only
// name flags and EVENTPROC_* variables the real command line has. The
// structural checks of those files live in package deploy; this one needs
// the CLI, so it lives here.

// cliCommand returns the app's command called name.
func cliCommand(t *testing.T, name string) *cli.Command {
	t.Helper()
	for _, c := range newApp(io.Discard, io.Discard).Commands {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no command %q", name)
	return nil
}

// checkInvocation fails t for every --flag in args and every EVENTPROC_*
// name in env that the command args[0] does not have.
func checkInvocation(t *testing.T, where string, args []string, env []string) *cli.Command {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no command", where)
		return nil
	}
	cmd := cliCommand(t, args[0])
	flags := map[string]bool{}
	vars := map[string]bool{saslPasswordEnv: true} // the one variable that is not a flag
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			flags[n] = true
		}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			for _, v := range d.GetEnvVars() {
				vars[v] = true
			}
		}
	}
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !flags[name] {
			t.Errorf("%s: eventproc %s has no flag --%s", where, args[0], name)
		}
	}
	for _, v := range env {
		if strings.HasPrefix(v, "EVENTPROC_") && !vars[v] {
			t.Errorf("%s: eventproc %s reads no $%s", where, args[0], v)
		}
	}
	return cmd
}

func loadComposeFile(t *testing.T) *types.Project {
	t.Helper()
	p, err := deploy.LoadCompose(t.Context(), "../..")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestComposeMatchesCLI: every service built from the Dockerfile runs an
// eventproc command whose flags and EVENTPROC_* variables exist; and the
// eventproc service's whole configuration (command plus environment) is
// accepted by `run --check-config`.
func TestComposeMatchesCLI(t *testing.T) {
	p := loadComposeFile(t)
	checked := 0
	for name, s := range p.Services {
		if s.Build == nil {
			for k := range s.Environment {
				if strings.HasPrefix(k, "EVENTPROC_") {
					t.Errorf("service %s is not eventproc but sets %s", name, k)
				}
			}
			continue
		}
		checked++
		var env []string
		for k := range s.Environment {
			env = append(env, k)
		}
		checkInvocation(t, "docker-compose.yml service "+name, s.Command, env)
		if s.Command[0] != "run" {
			continue
		}
		t.Run(name+" check-config", func(t *testing.T) {
			clearRunEnv(t)
			for k, v := range s.Environment {
				if v != nil {
					t.Setenv(k, *v)
				}
			}
			out, errOut, code := runCLI(t, t.Context(), append(append([]string{}, s.Command...), "--check-config")...)
			if code != exitOK {
				t.Fatalf("eventproc %v --check-config: exit %d: %s", s.Command, code, errOut)
			}
			var eff map[string]any
			if err := yaml.Unmarshal([]byte(out), &eff); err != nil {
				t.Fatal(err)
			}
			for k, v := range s.Environment {
				flag := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k, "EVENTPROC_"), "_", "-"))
				if got, ok := eff[flag]; ok && v != nil && normalise(got) != normalise(*v) {
					t.Errorf("%s=%s but the effective --%s is %v", k, *v, flag, got)
				}
			}
		})
	}
	if checked < 2 {
		t.Errorf("only %d eventproc services in docker-compose.yml, want eventproc and producer", checked)
	}
}

// normalise makes "10000" and 10000, "50ms" and 50ms comparable.
func normalise(v any) string {
	var b bytes.Buffer
	_ = yaml.NewEncoder(&b).Encode(v)
	return strings.Trim(strings.TrimSpace(b.String()), `"'`)
}

// TestKubernetesStatefulSetMatchesCLI: the StatefulSet's args and env name
// real flags and variables, and the ConfigMap's config file, with the
// StatefulSet's environment, passes `run --check-config`.
func TestKubernetesStatefulSetMatchesCLI(t *testing.T) {
	dir := "../../deploy/kubernetes"
	var deployment struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Args []string
						Env  []struct{ Name, Value string }
					}
				}
			}
		}
	}
	var configMap struct{ Data map[string]string }
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var head struct{ Kind string }
			if err := doc.Decode(&head); err != nil {
				t.Fatal(err)
			}
			switch head.Kind {
			case "StatefulSet":
				err = doc.Decode(&deployment)
			case "ConfigMap":
				err = doc.Decode(&configMap)
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
	}
	cs := deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("StatefulSet has %d containers, want 1", len(cs))
	}
	var env []string
	for _, e := range cs[0].Env {
		env = append(env, e.Name)
	}
	checkInvocation(t, "deploy/kubernetes StatefulSet", cs[0].Args, env)

	// Run the container's command line with the ConfigMap's file in place
	// of the mounted path, and stand-ins for the pod name and the Secret.
	clearRunEnv(t)
	t.Setenv("EVENTPROC_INSTANCE_ID", "eventproc-1")
	t.Setenv(saslPasswordEnv, "stand-in-secret")
	args := append([]string{}, cs[0].Args...)
	tmp := t.TempDir()
	for i := range args {
		if args[i] == "--config" && i+1 < len(args) {
			key := filepath.Base(args[i+1])
			text, ok := configMap.Data[key]
			if !ok {
				t.Fatalf("ConfigMap has no %q for --config %s", key, args[i+1])
			}
			args[i+1] = filepath.Join(tmp, key)
			if err := os.WriteFile(args[i+1], []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg, _, err := runConfigOf(t, args[1:]...)
	if err != nil {
		t.Fatalf("the StatefulSet's configuration is rejected: %v", err)
	}
	if cfg.InstanceID != "eventproc-1" {
		t.Errorf("instance id %q, want the pod name", cfg.InstanceID)
	}
	if cfg.Client.SASL.Mechanism == "" || cfg.Client.SASL.Password != "stand-in-secret" {
		t.Errorf("SASL %s with password from the environment expected", cfg.Client.SASL.Mechanism)
	}
}
