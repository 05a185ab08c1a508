package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/urfave/cli/v2"
)

// syncBuffer is an output stream safe to read while a command writes it
// from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startKfakeForCLI starts an in-process single-broker cluster with topics
// seeded and returns its address.
func startKfakeForCLI(t *testing.T, partitions int32, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// runCLI runs the app in-process and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runApp(ctx, append([]string{"eventproc"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

// walkCommands calls fn for every command and subcommand of the app.
func walkCommands(cmds []*cli.Command, fn func(path string, cmd *cli.Command)) {
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			fn(prefix+c.Name, c)
			walk(prefix+c.Name+" ", c.Subcommands)
		}
	}
	walk("", cmds)
}

// Contract section 6: every flag also reads EVENTPROC_<FLAG> from the
// environment. This covers every command registered in newApp, including
// the ones added later.
func TestEveryFlagHasUsageAndEnvVar(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	seen := map[string]bool{}
	walkCommands(app.Commands, func(path string, cmd *cli.Command) {
		seen[path] = true
		if cmd.Usage == "" {
			t.Errorf("command %s has no Usage", path)
		}
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			if name == "help" {
				continue
			}
			doc, ok := f.(cli.DocGenerationFlag)
			if !ok {
				t.Errorf("%s --%s: %T cannot document itself", path, name, f)
				continue
			}
			if strings.TrimSpace(doc.GetUsage()) == "" {
				t.Errorf("%s --%s has no Usage", path, name)
			}
			want := "EVENTPROC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			if got := doc.GetEnvVars(); len(got) != 1 || got[0] != want {
				t.Errorf("%s --%s: EnvVars %v, want [%s]", path, name, got, want)
			}
		}
	})
	for _, name := range []string{"broker", "produce", "tail"} {
		if !seen[name] {
			t.Errorf("command %s missing", name)
		}
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		t.Run(cmd.Name, func(t *testing.T) {
			out, errOut, code := runCLI(t, t.Context(), cmd.Name, "--help")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, f := range cmd.Flags {
				name := f.Names()[0]
				if !strings.Contains(out, "--"+name) {
					t.Errorf("help does not list --%s:\n%s", name, out)
				}
				if doc, ok := f.(cli.DocGenerationFlag); ok && name != "help" {
					if !strings.Contains(out, "$"+doc.GetEnvVars()[0]) {
						t.Errorf("help does not name $%s", doc.GetEnvVars()[0])
					}
				}
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	addr := startKfakeForCLI(t, 1, "events.in")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"help", nil, []string{"--help"}, exitOK},
		{"no command", nil, nil, exitUsage},
		{"unknown command", nil, []string{"frobnicate"}, exitUsage},
		{"unknown flag", nil, []string{"produce", "--no-such-flag"}, exitUsage},
		{"bad flag value", nil, []string{"produce", "--count", "many"}, exitUsage},
		{"bad env value", map[string]string{"EVENTPROC_COUNT": "many"}, []string{"produce"}, exitUsage},
		{"negative count", nil, []string{"produce", "--count", "-1"}, exitUsage},
		{"malformed ratio above 1", nil, []string{"produce", "--malformed-ratio", "1.5"}, exitUsage},
		{"broker not host:port", nil, []string{"produce", "--brokers", "localhost"}, exitUsage},
		{"sasl without user", nil, []string{"tail", "--sasl-mechanism", "PLAIN"}, exitUsage},
		{"unknown sasl mechanism", nil, []string{"tail", "--sasl-mechanism", "KERBEROS", "--sasl-user", "u"}, exitUsage},
		{"stop-at-end without from-beginning", nil, []string{"tail", "--stop-at-end"}, exitUsage},
		{"bad partition list", nil, []string{"tail", "--partitions", "0,x"}, exitUsage},
		{"bad listen address", nil, []string{"broker", "--listen", "9092"}, exitUsage},
		{"broker sasl without password", nil, []string{"broker", "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "admin"}, exitUsage},
		{"broker zero partitions", nil, []string{"broker", "--partitions", "0"}, exitUsage},
		{"tail of a missing topic", nil, []string{"tail", "--brokers", addr, "--topic", "nope", "--from-beginning", "--stop-at-end"}, exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(saslPasswordEnv, "") // the broker case must not find one
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, errOut, code := runCLI(t, t.Context(), tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, errOut)
			}
			if code != exitOK && !strings.Contains(errOut, "eventproc: ") {
				t.Errorf("failure without an error message on stderr: %q", errOut)
			}
		})
	}
}
