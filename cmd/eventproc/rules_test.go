package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/rules"
)

func TestRulesCommand(t *testing.T) {
	dir := t.TempDir()
	defaults := filepath.Join(dir, "defaults.yaml")
	out, errOut, code := runCLI(t, t.Context(), "rules", "--print-defaults")
	if code != 0 {
		t.Fatalf("--print-defaults: exit %d: %s", code, errOut)
	}
	if err := os.WriteFile(defaults, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"event_id":"e1","source_id":"payment-gw","timestamp":1700000000,"priority":"CRITICAL","load_indicator":0.9}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string // substrings of stdout (code 0) or stderr
	}{
		{"defaults check", []string{"--check", defaults}, 0, []string{"ok, rules_version " + rules.Default().Version()}},
		{"bad file", []string{"--check", "../../rules/testdata/bad/duplicate_key.yaml"}, exitUsage, []string{"duplicate_key.yaml:4:3: load.busy: duplicate key"}},
		{"explain under defaults", []string{"--explain", event}, 0, []string{"category ALERT", `"payment" (TRANSACTION)`, "risk_score"}},
		{"explain under a file", []string{"--check", "../../rules/testdata/good/acme.yaml", "--explain", event}, 0, []string{"acme.yaml: ok", "category TRANSACTION", "category bonus 0.9000  (TRANSACTION)"}},
		{"nothing to do", nil, exitUsage, []string{"--print-defaults"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, t.Context(), append([]string{"rules"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			text := out
			if tt.code != 0 {
				text = errOut
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestRunRulesFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"invalid file", []string{"--rules", "../../rules/testdata/bad/weights_sum.yaml"}, "weights_sum.yaml:2:3: weights: the four weights must sum to 1"},
		{"missing file", []string{"--rules", "no-such-rules.yaml"}, "no-such-rules.yaml"},
		{"anomaly flag beside --rules", []string{"--rules", "../../rules/testdata/good/acme.yaml", "--anomaly-z", "5"}, "--anomaly-z cannot be combined with --rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, t.Context(), append([]string{"run", "--brokers", "127.0.0.1:1", "--check-config"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, exitUsage, tt.want)
			}
		})
	}
	out, errOut, code := runCLI(t, t.Context(), "run", "--brokers", "127.0.0.1:1", "--check-config", "--rules", "../../rules/testdata/good/acme.yaml")
	if code != 0 || !strings.Contains(out, "rules:") {
		t.Fatalf("valid --rules: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
