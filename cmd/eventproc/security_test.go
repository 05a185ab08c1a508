package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eventproc/eventproc/kafkaio"
)

// startSCRAMBroker starts an embedded cluster that requires SASL with mech
// and knows one superuser, with the topics seeded.
func startSCRAMBroker(t *testing.T, mech, user, password string, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(mech, user, password),
		kfake.SeedTopics(2, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// TestRunWithSCRAM is the security test: against a broker that
// requires SCRAM, `eventproc run` with the password in
// $EVENTPROC_SASL_PASSWORD processes records; with a wrong password it
// exits non-zero on its own (no endless retry) with an error that names the
// authentication failure; the password never appears in any output.
func TestRunWithSCRAM(t *testing.T) {
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			const user, password = "admin", "s3cret-Pa55word-7f3a"
			addr := startSCRAMBroker(t, mech, user, password, "events.in", "events.out", "events.dlq")
			args := []string{"run", "--brokers", addr, "--sasl-mechanism", mech, "--sasl-user", user,
				"--group", "scram", "--instance-id", "sec-1", "--metrics-addr", "",
				"--log-level", "debug", "--log-format", "json", "--max-retries", "2"}

			t.Run("right password", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
				defer cancel()
				clearRunEnv(t)
				t.Setenv(saslPasswordEnv, password)
				client := kafkaio.ClientConfig{Brokers: []string{addr},
					SASL: kafkaio.SASLConfig{Mechanism: mech, User: user, Password: password}}
				run := startCLI(t, ctx, args...)
				const n = 200
				produceInput(t, ctx, client, "events.in", n, 0.1)
				snap := waitCommitted(t, ctx, client, "events.out", "events.dlq", n, run)
				if got := len(snap["events.out"]) + len(snap["events.dlq"]); got != n {
					t.Errorf("%d records committed, want %d", got, n)
				}
				run.stop()
				if code := run.wait(t, ctx); code != exitOK {
					t.Errorf("exit %d after stop; stderr:\n%s", code, run.stderr)
				}
				if out := run.stdout.String() + run.stderr.String(); strings.Contains(out, password) {
					t.Errorf("the password appears in the output:\n%s", out)
				}
				if !strings.Contains(run.stderr.String(), `"level":"DEBUG"`) {
					t.Errorf("no debug log lines: the password check saw nothing to check:\n%s", run.stderr)
				}
			})

			t.Run("wrong password", func(t *testing.T) {
				// The deadline only stops a run that would retry forever;
				// the assertion is that the run ends before it, by itself.
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
				defer cancel()
				clearRunEnv(t)
				const wrong = "not-the-Pa55word-91c2"
				t.Setenv(saslPasswordEnv, wrong)
				run := startCLI(t, ctx, args...)
				code := run.wait(t, ctx)
				if ctx.Err() != nil {
					t.Fatalf("run only ended because the test's deadline did: %v", ctx.Err())
				}
				if code != exitFailure {
					t.Errorf("exit %d, want %d", code, exitFailure)
				}
				out := run.stdout.String() + run.stderr.String()
				last := lastLine(run.stderr.String())
				if !strings.HasPrefix(last, "eventproc: ") || !strings.Contains(last, "SASL authentication") ||
					!strings.Contains(last, saslPasswordEnv) {
					t.Errorf("final error does not name the SASL authentication failure and what to check: %q", last)
				}
				t.Logf("error: %s", last)
				for _, secret := range []string{wrong, password} {
					if strings.Contains(out, secret) {
						t.Errorf("output reveals a password:\n%s", out)
					}
				}
			})
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestExplainAuthError(t *testing.T) {
	scram := kafkaio.SASLConfig{Mechanism: "SCRAM-SHA-256", User: "svc", Password: "pw-0xBEEF"}
	other := errors.New("topic events.in has 3 partitions")
	tests := []struct {
		name     string
		err      error
		sasl     kafkaio.SASLConfig
		wantHint string // "" means err comes back unchanged
	}{
		{"kafka says authentication failed", fmt.Errorf("describe topics: %w", kerr.SaslAuthenticationFailed), scram, "SASL authentication failed: check --sasl-mechanism SCRAM-SHA-256, --sasl-user \"svc\""},
		{"broker hangs up with SASL on", fmt.Errorf("describe topics: %w", io.EOF), scram, "closed the connection, as it does when SASL authentication fails"},
		{"EOF without SASL is not about credentials", fmt.Errorf("describe topics: %w", io.EOF), kafkaio.SASLConfig{}, ""},
		{"unrelated error", other, scram, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explainAuthError(tt.err, tt.sasl)
			if !errors.Is(got, tt.err) {
				t.Errorf("%v does not wrap %v", got, tt.err)
			}
			if tt.wantHint == "" {
				if got.Error() != tt.err.Error() {
					t.Errorf("changed to %q", got)
				}
				return
			}
			if !strings.Contains(got.Error(), tt.wantHint) || strings.Contains(got.Error(), tt.sasl.Password) {
				t.Errorf("%q: want the hint %q and never the password", got, tt.wantHint)
			}
		})
	}
}
