package processor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/testbroker"
	"github.com/eventproc/eventproc/kafkaio"
)

// harness is an embedded Kafka-protocol broker (kfake, a real server on
// 127.0.0.1) with the topics of one test, and the members run against it.
type harness struct {
	t       *testing.T
	client  kafkaio.ClientConfig
	input   string
	output  string
	dlq     string
	group   string
	gen     *gen.Generator
	inputs  int // records produced
	bad     int // of which deliberately malformed
	members []*member
}

// newHarness gets a broker from testbroker: KAFKA_BROKERS (real Kafka)
// when set, else testcontainers when Docker runs, else the embedded
// broker. Topic and group names are unique per test so that one real
// broker serves every test.
func newHarness(t *testing.T, partitions int32) *harness {
	t.Helper()
	b := testbroker.Start(t)
	h := &harness{
		t:      t,
		client: kafkaio.ClientConfig{Brokers: b.Addrs},
		input:  testbroker.UniqueName(t, "in"),
		output: testbroker.UniqueName(t, "out"),
		dlq:    testbroker.UniqueName(t, "dlq"),
		group:  testbroker.UniqueName(t, "g"),
		gen:    gen.New(gen.Config{Sources: 40, MalformedRatio: 0.05, Seed: 7}),
	}
	b.CreateTopic(t, h.input, partitions, nil)
	return h
}

// produce writes n generated records to the input topic. It calls Fatal:
// only the test's own goroutine may call it (others use tryProduce).
func (h *harness) produce(n int) {
	h.t.Helper()
	if err := h.tryProduce(n); err != nil {
		h.t.Fatal(err)
	}
}

// tryProduce writes n generated records to the input topic.
func (h *harness) tryProduce(n int) error {
	cl, err := kafkaio.NewClient(h.client)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	next := func() ([]byte, []byte) {
		r := h.gen.Next()
		if r.Malformed {
			h.bad++
		}
		return r.Key, r.Value
	}
	got, err := kafkatool.ProduceGenerated(ctx, cl, h.input, next, int64(n), 0, nil)
	h.inputs += int(got)
	if err != nil || got != int64(n) {
		return fmt.Errorf("produce: %d of %d acknowledged: %v", got, n, err)
	}
	return nil
}

// member is one running processor.
type member struct {
	instance string
	reg      *prometheus.Registry
	health   *Health
	cancel   context.CancelFunc
	done     chan error
}

// config is a complete configuration for a member of the harness's group:
// the fields the tests care about, the rest at their defaults.
func (h *harness) config(instance string) Config {
	return Config{
		Client:             h.client,
		InputTopic:         h.input,
		OutputTopic:        h.output,
		DLQTopic:           h.dlq,
		Group:              h.group,
		InstanceID:         instance,
		CreateTopics:       true,
		WindowMaxEvents:    1000, // above parallelMin: large windows take the two-goroutine path
		WindowMaxWait:      20 * time.Millisecond,
		TransactionTimeout: 3 * time.Second,
		SessionTimeout:     6 * time.Second, // a crashed static member's partitions move after this
		ShutdownTimeout:    20 * time.Second,
		RetryBackoff:       50 * time.Millisecond,
		RetryBackoffMax:    500 * time.Millisecond,
		Logger:             testLogger(),
	}.WithDefaults()
}

func testLogger() *slog.Logger {
	if os.Getenv("EVENTPROC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start runs a member until stopped; modify adjusts its configuration.
func (h *harness) start(instance string, modify ...func(*Config)) *member {
	h.t.Helper()
	cfg := h.config(instance)
	for _, f := range modify {
		f(&cfg)
	}
	m := &member{instance: instance, reg: prometheus.NewRegistry(), health: NewHealth(), done: make(chan error, 1)}
	cfg.Registerer, cfg.Health = m.reg, m.health
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() { m.done <- Run(ctx, cfg) }() // exits when ctx is cancelled or on a fatal error
	h.members = append(h.members, m)
	h.t.Cleanup(func() { cancel(); <-m.done })
	return m
}

// stop shuts a member down gracefully and returns Run's error.
func (m *member) stop(t *testing.T) error {
	t.Helper()
	m.cancel()
	select {
	case err := <-m.done:
		m.done <- err // for Cleanup
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("member %s did not stop within 60s", m.instance)
		return nil
	}
}

// wait returns Run's result once it ended on its own.
func (m *member) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-m.done:
		m.done <- err
		return err
	case <-time.After(d):
		t.Fatalf("member %s still running after %s", m.instance, d)
		return nil
	}
}

// snapshot is what a read_committed consumer sees on the three topics.
type snapshot struct {
	in, out, dlq []audit.Record
	rawIn        []kafkaio.InRecord
}

// awaitAll waits until output + DLQ hold as many records as were produced
// (or more: the audit then reports duplicates) and returns the topics.
func (h *harness) awaitAll(timeout time.Duration) snapshot {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, err := h.trySnapshot()
		if err == nil && len(s.out)+len(s.dlq) >= h.inputs {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %s: %d outputs + %d dead letters of %d inputs (last error: %v)", timeout, len(s.out), len(s.dlq), h.inputs, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *harness) trySnapshot() (snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := kafkatool.Snapshot(ctx, h.client, h.input, h.output, h.dlq)
	if err != nil {
		return snapshot{}, err
	}
	return snapshot{in: kafkatool.AuditRecords(got[h.input]), out: kafkatool.AuditRecords(got[h.output]), dlq: kafkatool.AuditRecords(got[h.dlq]), rawIn: got[h.input]}, nil
}

// assertExactlyOnce runs the contract audit over the snapshot.
func (h *harness) assertExactlyOnce(s snapshot) audit.Report {
	h.t.Helper()
	return h.assertAudit(s, audit.OrderingPartition)
}

// assertAudit runs the contract audit under the given ordering.
func (h *harness) assertAudit(s snapshot, ordering audit.Ordering) audit.Report {
	h.t.Helper()
	rep := audit.Check(s.in, s.out, s.dlq, audit.Options{InputTopic: h.input, Ordering: ordering})
	if !rep.OK() {
		var b writerBuf
		_ = rep.WriteText(&b)
		h.t.Fatalf("exactly-once audit failed:\n%s", b.String())
	}
	if len(s.in) != h.inputs {
		h.t.Fatalf("input topic holds %d records, produced %d", len(s.in), h.inputs)
	}
	if len(s.dlq) != h.bad {
		h.t.Fatalf("dead letters: got %d, generator made %d malformed", len(s.dlq), h.bad)
	}
	return rep
}

type writerBuf struct{ b []byte }

func (w *writerBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *writerBuf) String() string              { return string(w.b) }
