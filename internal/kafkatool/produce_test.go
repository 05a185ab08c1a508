package kafkatool_test

import (
	"context"
	"errors"
	"github.com/eventproc/eventproc/kafkaio"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/kafkatool"
)

// startFakeCluster starts an in-process broker with topics seeded and
// returns its address. It is closed when the test ends.
func startFakeCluster(t *testing.T, partitions int32, topics ...string) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func newTestClient(t *testing.T, addrs []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kafkaio.NewClient(kafkaio.ClientConfig{Brokers: addrs}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// numbered returns a next func producing values "0", "1", … keyed by k<n%7>.
func numbered() func() ([]byte, []byte) {
	var i int
	return func() ([]byte, []byte) {
		k, v := "k"+strconv.Itoa(i%7), strconv.Itoa(i)
		i++
		return []byte(k), []byte(v)
	}
}

// consumeAll reads every committed record of topic, from the start, with Tail.
func consumeAll(t *testing.T, addrs []string, topic string) []kafkatool.TailRecord {
	t.Helper()
	cl := newTestClient(t, addrs, kafkatool.TailClientOpts()...)
	var out []kafkatool.TailRecord
	err := kafkatool.Tail(t.Context(), cl, kafkatool.TailConfig{Topics: []string{topic}, FromStart: true, StopAtEnd: true},
		func(r kafkatool.TailRecord) bool { out = append(out, r); return true })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProduceGeneratedCount(t *testing.T) {
	addrs := startFakeCluster(t, 3, "in")
	cl := newTestClient(t, addrs, kgo.MaxBufferedRecords(64))
	var acked atomic.Int64
	n, err := kafkatool.ProduceGenerated(t.Context(), cl, "in", numbered(), 1000, 0, func(d int64) { acked.Add(d) })
	if err != nil {
		t.Fatal(err)
	}
	if n != 1000 || acked.Load() != 1000 {
		t.Fatalf("returned %d, onAcked summed %d, want 1000", n, acked.Load())
	}
	recs := consumeAll(t, addrs, "in")
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		if seen[string(r.Value)] {
			t.Fatalf("value %s twice", r.Value)
		}
		seen[string(r.Value)] = true
	}
	for i := 0; i < 1000; i++ {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("value %d missing (%d records in topic)", i, len(recs))
		}
	}
	if len(recs) != 1000 {
		t.Fatalf("%d records in topic, want 1000", len(recs))
	}
}

func TestProduceGeneratedPaced(t *testing.T) {
	addrs := startFakeCluster(t, 1, "in")
	cl := newTestClient(t, addrs)
	n, err := kafkatool.ProduceGenerated(t.Context(), cl, "in", numbered(), 50, 2000, nil)
	if err != nil || n != 50 {
		t.Fatalf("ProduceGenerated = %d, %v; want 50, nil", n, err)
	}
	if got := len(consumeAll(t, addrs, "in")); got != 50 {
		t.Fatalf("%d records in topic, want 50", got)
	}
}

// Stopping an endless run through ctx is a normal stop, and the returned
// count is exactly what the topic holds: abandoned records are not written.
func TestProduceGeneratedUntilStopped(t *testing.T) {
	addrs := startFakeCluster(t, 3, "in")
	cl := newTestClient(t, addrs, kgo.MaxBufferedRecords(100))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var acked atomic.Int64
	n, err := kafkatool.ProduceGenerated(ctx, cl, "in", numbered(), 0, 0, func(d int64) {
		if acked.Add(d) >= 500 {
			cancel()
		}
	})
	if err != nil {
		t.Fatalf("stop by ctx returned %v", err)
	}
	if n < 500 || n != acked.Load() {
		t.Fatalf("returned %d, acked %d, want >= 500 and equal", n, acked.Load())
	}
	if got := len(consumeAll(t, addrs, "in")); int64(got) != n {
		t.Fatalf("topic holds %d records, ProduceGenerated reported %d", got, n)
	}
}

func TestProduceGeneratedCountCutShort(t *testing.T) {
	addrs := startFakeCluster(t, 1, "in")
	cl := newTestClient(t, addrs)
	ctx, cancel := context.WithCancel(t.Context())
	var acked atomic.Int64
	n, err := kafkatool.ProduceGenerated(ctx, cl, "in", numbered(), 1<<40, 0, func(d int64) {
		if acked.Add(d) >= 10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n < 10 {
		t.Fatalf("returned %d, want >= 10", n)
	}
}

func TestProduceGeneratedReturnsProduceError(t *testing.T) {
	addrs := startFakeCluster(t, 1, "in")
	cl := newTestClient(t, addrs, kgo.UnknownTopicRetries(1), kgo.RecordDeliveryTimeout(5*time.Second))
	n, err := kafkatool.ProduceGenerated(t.Context(), cl, "no-such-topic", numbered(), 100, 0, nil)
	if err == nil {
		t.Fatal("producing to a missing topic succeeded")
	}
	if n != 0 {
		t.Fatalf("%d records acknowledged on a missing topic", n)
	}
}
