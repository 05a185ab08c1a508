package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/testbroker"
)

// kcatMessage is one line of `kcat -C -J`.
type kcatMessage struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       *string  `json:"key"`
	Payload   *string  `json:"payload"`
	Headers   []string `json:"headers"`
}

func (m kcatMessage) header(name string) string {
	for i := 0; i+1 < len(m.Headers); i += 2 {
		if m.Headers[i] == name {
			return m.Headers[i+1]
		}
	}
	return ""
}

// TestKcatInteroperability proves eventproc against a real third-party
// client (kcat, librdkafka): kcat produces keyed JSON lines to the input
// topic exactly as README shows, `eventproc run` processes them, and kcat
// reads output and DLQ with isolation.level=read_committed. It runs on the
// broker testbroker picks (real Kafka in CI) and is skipped only where kcat
// is not installed (`apt-get install kcat`; .ci/run installs it).
func TestKcatInteroperability(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat); .ci/run installs it and runs this test")
	}
	b := testbroker.Start(t)
	addr := strings.Join(b.Addrs, ",")
	in, out, dlq := testbroker.UniqueName(t, "in"), testbroker.UniqueName(t, "out"), testbroker.UniqueName(t, "dlq")
	b.CreateTopic(t, in, 3, nil)

	now := float64(time.Now().Unix())
	good := []string{}
	for i := range 30 {
		src := fmt.Sprintf("payment-service-%d", i%4)
		good = append(good, fmt.Sprintf(`%s:{"event_id":"e-%d","source_id":"%s","timestamp":%.1f,"priority":"high","metadata":{"user_id":"u-%d"},"note":"kcat"}`, src, i, src, now, i))
	}
	bad := []string{
		"svc-x:not json at all",
		`svc-x:{"event_id":"e-x","timestamp":1}`,
		`svc-y:[1,2,3]`,
	}
	lines := strings.Join(append(good, bad...), "\n") + "\n"
	produce := exec.Command(kcat, "-b", addr, "-t", in, "-P", "-K:") // as the README shows: the key is everything before the first ':'

	produce.Stdin = strings.NewReader(lines)
	if outp, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, outp)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runOut, runErr bytes.Buffer
	code := -1
	wg.Add(1)
	go func() { // the processor; exits when ctx is cancelled
		defer wg.Done()
		code = runApp(ctx, []string{"eventproc", "run", "--brokers", addr, "--input-topic", in, "--output-topic", out,
			"--dlq-topic", dlq, "--group", testbroker.UniqueName(t, "g"), "--instance-id", "kcat-test", "--metrics-addr", ""}, &runOut, &runErr)
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })

	read := func(topic string, want int) []kcatMessage {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			cmd := exec.Command(kcat, "-b", addr, "-C", "-t", topic, "-X", "isolation.level=read_committed", "-o", "beginning", "-e", "-J", "-q")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var msgs []kcatMessage
			for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
				if l == "" {
					continue
				}
				var m kcatMessage
				if jerr := json.Unmarshal([]byte(l), &m); jerr != nil {
					t.Fatalf("kcat -J line %q: %v", l, jerr)
				}
				msgs = append(msgs, m)
			}
			if err == nil && len(msgs) >= want {
				return msgs
			}
			if time.Now().After(deadline) {
				t.Fatalf("kcat read %d of %d records from %s (err %v): %s\nprocessor log:\n%s", len(msgs), want, topic, err, stderr.String(), runErr.String())
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	outputs := read(out, len(good))
	if len(outputs) != len(good) {
		t.Fatalf("output holds %d records, want %d", len(outputs), len(good))
	}
	for _, m := range outputs {
		o, err := event.ParseOutput([]byte(*m.Payload))
		if err != nil {
			t.Fatalf("output %d@%d: %v", m.Partition, m.Offset, err)
		}
		if m.Key == nil || *m.Key != o.SourceID || o.Priority != "HIGH" || !strings.Contains(string(o.Payload), `"note":"kcat"`) {
			t.Fatalf("output %d@%d: key %v, event %+v", m.Partition, m.Offset, m.Key, o)
		}
		if m.header(event.HeaderSourceTopic) != in || m.header(event.HeaderSourceOffset) == "" {
			t.Fatalf("output %d@%d lacks lineage headers: %v", m.Partition, m.Offset, m.Headers)
		}
	}
	dead := read(dlq, len(bad))
	if len(dead) != len(bad) {
		t.Fatalf("DLQ holds %d records, want %d", len(dead), len(bad))
	}
	wantValue := map[string]bool{}
	for _, l := range bad {
		wantValue[strings.SplitN(l, ":", 2)[1]] = true
	}
	for _, m := range dead {
		if m.Payload == nil || !wantValue[*m.Payload] {
			t.Fatalf("DLQ record %d@%d is not byte-identical to an input: %v", m.Partition, m.Offset, m.Payload)
		}
		if _, ok := event.ParseReason(m.header(event.HeaderErrorReason)); !ok || m.header(event.HeaderErrorMessage) == "" {
			t.Fatalf("DLQ record %d@%d: headers %v", m.Partition, m.Offset, m.Headers)
		}
	}
	cancel()
	wg.Wait()
	if code != exitOK {
		t.Fatalf("eventproc run exited %d after SIGTERM-equivalent cancel:\n%s", code, runErr.String())
	}
}
