package main

import (
	"fmt"

	"encoding/json"
	"github.com/urfave/cli/v2"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// A stray word stops flag parsing: the flags after it must not be dropped
// silently. Every command that takes no arguments refuses one.
func TestStrayArgumentIsRejected(t *testing.T) {
	out, errOut, code := runCLI(t, t.Context(), "run", "--check-config", "--create-topics", "false",
		"--metrics-addr", "127.0.0.1:55476", "--log-format", "text")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, exitUsage, out, errOut)
	}
	for _, want := range []string{`"false"`, "--metrics-addr", "--create-topics=false"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not name %s: %s", want, errOut)
		}
	}
	if out != "" {
		t.Errorf("printed settings despite the stray word:\n%s", out)
	}
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		if cmd.ArgsUsage != "" {
			continue
		}
		t.Run(cmd.Name, func(t *testing.T) {
			_, errOut, code := runCLI(t, t.Context(), cmd.Name, "stray", "--help")
			if code != exitUsage || !strings.Contains(errOut, `"stray"`) || !strings.Contains(errOut, "--flag=value") {
				t.Errorf("exit %d, stderr %q; want exit %d naming the word and --flag=value", code, errOut, exitUsage)
			}
		})
	}
}

// The equals form of a boolean flag is read.
func TestBoolFlagWithEquals(t *testing.T) {
	out, errOut, code := runCLI(t, t.Context(), "run", "--check-config", "--create-topics=false",
		"--metrics-addr", "127.0.0.1:55476", "--log-format", "text")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"create-topics: false", "metrics-addr: 127.0.0.1:55476", "log-format: text"} {
		if !strings.Contains(out, want) {
			t.Errorf("effective config lacks %q:\n%s", want, out)
		}
	}
}

func TestVersion(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	franz := regexp.MustCompile(`(?m)^\s+github\.com/twmb/franz-go (v\S+)`).FindSubmatch(mod)
	if franz == nil {
		t.Fatal("go.mod does not require franz-go")
	}
	out, errOut, code := runCLI(t, t.Context(), "--version")
	if code != exitOK || !strings.Contains(out, "franz-go "+string(franz[1])) || !strings.Contains(out, "go1.") {
		t.Errorf("--version: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCLI(t, t.Context(), "version", "--json")
	if code != exitOK {
		t.Fatalf("version --json: exit %d: %s", code, errOut)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version --json: %v: %s", err, out)
	}
	if v.FranzGo != string(franz[1]) || !strings.HasPrefix(v.GoVersion, "go1.") || v.Version == "" {
		t.Errorf("version --json = %+v", v)
	}
}

func TestCompletion(t *testing.T) {
	out, _, code := runCLI(t, t.Context(), "completion", "bash")
	if code != exitOK || !strings.Contains(out, "complete ") || !strings.Contains(out, "--generate-bash-completion") {
		t.Errorf("completion bash: exit %d:\n%s", code, out)
	}
	if _, _, code := runCLI(t, t.Context(), "completion", "fish"); code != exitUsage {
		t.Errorf("completion fish: exit %d, want %d", code, exitUsage)
	}
	// urfave/cli reads the word being completed from os.Args.
	args := []string{"produce", "--bro", "--generate-bash-completion"}
	saved := os.Args
	os.Args = append([]string{"eventproc"}, args...)
	t.Cleanup(func() { os.Args = saved })
	out, _, _ = runCLI(t, t.Context(), args...)
	if !strings.Contains(out, "--brokers") {
		t.Errorf("flag completion of produce --bro: %q", out)
	}
}

// One EVENTPROC_* variable means one thing: every command that reads it
// has a flag of the same kind under the same name (defaults may differ: a
// demo runs at a demo's rate). A topic variable names the same topic for
// every command: produce writes run's input, tail reads run's output.
func TestEnvVarsMeanOneThing(t *testing.T) {
	kindOf := func(f cli.Flag) string {
		switch k := strings.TrimPrefix(strings.TrimPrefix(fmt.Sprintf("%T", f), "*altsrc."), "*cli."); k {
		case "IntFlag", "Int64Flag", "Uint64Flag":
			return "integer"
		default:
			return k
		}
	}
	type meaning struct{ path, kind string }
	seen := map[string]meaning{}
	envOf := map[string]string{} // "command --flag" -> variable
	walkCommands(newApp(io.Discard, io.Discard).Commands, func(path string, cmd *cli.Command) {
		for _, f := range cmd.Flags {
			doc, ok := f.(cli.DocGenerationFlag)
			if !ok {
				continue
			}
			for _, env := range doc.GetEnvVars() {
				for _, n := range f.Names() {
					envOf[path+" --"+n] = env
				}
				m := meaning{path, kindOf(f)}
				if prev, ok := seen[env]; ok && prev.kind != m.kind {
					t.Errorf("$%s is a %s for %s but a %s for %s", env, prev.kind, prev.path, m.kind, m.path)
				}
				seen[env] = m
			}
		}
	})
	for _, same := range [][2]string{
		{"produce --topic", "run --input-topic"},
		{"tail --topic", "run --output-topic"},
		{"tail --dlq-topic", "run --dlq-topic"},
	} {
		if envOf[same[0]] == "" || envOf[same[0]] != envOf[same[1]] {
			t.Errorf("%s reads $%s, %s reads $%s: want one variable", same[0], envOf[same[0]], same[1], envOf[same[1]])
		}
	}
}

// The broker's banner says other topics are created when first used:
// producing to a missing topic works.
func TestProduceCreatesAMissingTopicOnTheEmbeddedBroker(t *testing.T) {
	addrs, _, cancel, wait := startBrokerCommand(t, "--listen", "127.0.0.1:0", "--partitions", "3")
	defer func() { cancel(); wait() }()
	out, errOut, code := runCLI(t, t.Context(), "produce", "--brokers", addrs[0], "--input-topic", "not.seeded", "--count", "20")
	if code != exitOK || !strings.Contains(out, "produced 20 records to not.seeded") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
}

// Every command's --help shows examples.
func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		if !strings.Contains(cmd.UsageText, "eventproc "+cmd.Name) {
			t.Errorf("%s --help has no examples (UsageText %q)", cmd.Name, cmd.UsageText)
		}
	}
}

// The examples parse: each one, run with --help appended, is accepted.
func TestHelpExamplesParse(t *testing.T) {
	for _, cmd := range newApp(io.Discard, io.Discard).Commands {
		for _, line := range strings.Split(cmd.UsageText, "\n") {
			line, _, _ = strings.Cut(line, "#")
			line, _, _ = strings.Cut(line, "|")
			line, _, _ = strings.Cut(line, ">")
			line, _, _ = strings.Cut(line, "||")
			fields := strings.Fields(line)
			for len(fields) > 0 && strings.Contains(fields[0], "=") { // VAR=value prefixes
				fields = fields[1:]
			}
			if len(fields) < 2 || fields[0] != "eventproc" || fields[1] == "--version" || cmd.ArgsUsage != "" {
				continue
			}
			t.Run(line, func(t *testing.T) {
				_, errOut, code := runCLI(t, t.Context(), append(fields[1:], "--help")...)
				if code != exitOK {
					t.Errorf("exit %d: %s", code, errOut)
				}
			})
		}
	}
}
