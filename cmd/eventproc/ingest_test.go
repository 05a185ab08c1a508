package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestIngestCommandProducesAndStopsOnSignal(t *testing.T) {
	broker := startKfakeForCLI(t, 3, "events.in")
	listen := freeAddr(t)
	const token = "tok-0123456789abcdef"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() { // ends when ctx is cancelled (SIGTERM)
		_, errOut, code := runCLI(t, ctx, "ingest", "--brokers", broker, "--listen", listen,
			"--auth-token-file", tokenFile, "--log-format", "json")
		done <- result{errOut, code}
	}()
	url := "http://" + listen
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingest not listening: %v", err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/events", strings.NewReader(
		`{"event_id":"e1","source_id":"web","timestamp":1700000000}`+"\n"+`{"event_id":"e2","source_id":"web","timestamp":1700000001}`))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	metrics, err := http.Get(url + "/metrics")
	if err != nil || metrics.StatusCode != 200 {
		t.Fatalf("/metrics: %v", err)
	}
	metrics.Body.Close()
	cancel()
	r := <-done
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, token) {
		t.Errorf("the token is in the log:\n%s", r.stderr)
	}
	recs := readTopic(t, broker, "events.in")
	if len(recs) != 2 || string(recs[0].Key) != "web" || !strings.Contains(string(recs[1].Value), `"e2"`) {
		t.Fatalf("topic holds %d records: %+v", len(recs), recs)
	}
}

func TestIngestCommandRefusesBadFlags(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--listen-tls-cert", "cert.pem"},
		{"--max-request-bytes", "100", "--max-inflight-bytes", "10"},
		{"--auth-token-file", empty},
		{"--listen", "nonsense"},
		{"--produce-timeout", "0s"},
	} {
		_, errOut, code := runCLI(t, t.Context(), append([]string{"ingest", "--check-config"}, args...)...)
		if code != exitUsage {
			t.Errorf("ingest %v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
}

// TestKubernetesIngestMatchesCLI: the ingest Deployment names real flags
// and variables, and its configuration passes `ingest --check-config`.
func TestKubernetesIngestMatchesCLI(t *testing.T) {
	b, err := os.ReadFile("../../deploy/kubernetes/ingest/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
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
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 || len(cs[0].Args) == 0 || cs[0].Args[0] != "ingest" {
		t.Fatalf("want one container running ingest, got %+v", cs)
	}
	var env []string
	clearRunEnv(t)
	for _, e := range cs[0].Env {
		env = append(env, e.Name)
		if e.Value != "" {
			t.Setenv(e.Name, e.Value)
		}
	}
	checkInvocation(t, "deploy/kubernetes/ingest Deployment", cs[0].Args, env)
	t.Setenv(saslPasswordEnv, "stand-in-secret")
	args := append([]string{}, cs[0].Args...)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("stand-in-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range args {
		if args[i] == "--"+flagAuthTokenFile {
			args[i+1] = tokenFile
		}
	}
	if _, errOut, code := runCLI(t, t.Context(), append(args, "--check-config")...); code != exitOK {
		t.Fatalf("ingest --check-config: exit %d: %s", code, errOut)
	}
}
