package processor

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

// The baseline is the loop with the identity transformation: it copies
// every input record once, to the same partition, byte for byte, with the
// input timestamp header added; windows never exceed WindowMaxEvents; the
// group's offsets are committed in the transactions; nothing is written
// to the dead-letter topic or the changelog.
func TestPassthroughCopiesEveryRecordOnce(t *testing.T) {
	const total, window = 500, 64
	h := newHarness(t, 3)
	prod, err := kafkaio.NewClient(h.client, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for i := range total {
		r := &kgo.Record{Topic: h.input, Partition: int32(i % 3), Key: fmt.Appendf(nil, "k%d", i%5), Value: fmt.Appendf(nil, "v%d", i),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: fmt.Appendf(nil, "t%d", i)}}}
		prod.Produce(t.Context(), r, nil)
	}
	if err := prod.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]*kgo.Record{}
	for _, r := range readCommitted(t, h.client, h.input, total) {
		inputs[string(r.Value)] = r
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var committed atomic.Int64
	var oversized atomic.Bool
	cfg := h.config("pt")
	cfg.WindowMaxEvents = window
	cfg.OnCommit = func(s WindowStats) {
		if s.Records > window {
			oversized.Store(true)
		}
		if s.Published != s.Records || s.DeadLettered != 0 {
			t.Errorf("window stats %+v: want every record published, none dead-lettered", s)
		}
		if committed.Add(int64(s.Records)) >= total {
			cancel()
		}
	}
	done := make(chan error, 1)
	go func() { done <- Passthrough(ctx, cfg) }() // returns when ctx is cancelled
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		t.Fatalf("passthrough committed %d of %d records in 60s", committed.Load(), total)
	}
	if oversized.Load() {
		t.Errorf("a window exceeded WindowMaxEvents %d", window)
	}
	if got := committed.Load(); got != total {
		t.Errorf("OnCommit counted %d records, want %d", got, total)
	}

	outs := readCommitted(t, h.client, h.output, total)
	if len(outs) != total {
		t.Fatalf("output has %d records, want %d", len(outs), total)
	}
	seen := map[string]bool{}
	for _, o := range outs {
		v := string(o.Value)
		in, ok := inputs[v]
		switch {
		case !ok:
			t.Fatalf("output %q matches no input", v)
		case seen[v]:
			t.Fatalf("output %q copied twice", v)
		case o.Partition != in.Partition || string(o.Key) != string(in.Key):
			t.Errorf("output %q: partition %d key %q, want %d %q", v, o.Partition, o.Key, in.Partition, in.Key)
		case len(o.Headers) != 2 || o.Headers[0].Key != "trace" || string(o.Headers[0].Value) != string(in.Headers[0].Value):
			t.Errorf("output %q: headers %v, want the input's trace header first", v, o.Headers)
		}
		seen[v] = true
		hs := []kafkaio.Header{{Key: o.Headers[len(o.Headers)-1].Key, Value: o.Headers[len(o.Headers)-1].Value}}
		if ts, ok := InputTimestamp(hs); !ok || !ts.Equal(in.Timestamp.Truncate(time.Millisecond)) {
			t.Errorf("output %q: input timestamp %v (%v), want %v", v, ts, ok, in.Timestamp)
		}
	}

	adm, err := kafkaio.NewClient(h.client)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	actx, acancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer acancel()
	ends, err := kadm.NewClient(adm).ListEndOffsets(actx, h.dlq, cfg.ChangelogTopic())
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(e kadm.ListedOffset) {
		if e.Err == nil && e.Offset != 0 {
			t.Errorf("%s partition %d has %d records, want none", e.Topic, e.Partition, e.Offset)
		}
	})
	// The offsets were committed with the outputs.
	lag, err := kadm.NewClient(adm).Lag(actx, cfg.Group)
	if err != nil {
		t.Fatal(err)
	}
	if l := lag[cfg.Group].Lag.Total(); l != 0 {
		t.Errorf("group lag after the run = %d, want 0", l)
	}
}

// readCommitted reads want records of topic, from the start, as a
// read_committed consumer.
func readCommitted(t *testing.T, client kafkaio.ClientConfig, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kafkaio.NewClient(client, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	// Nothing beyond want: a short extra poll finds no duplicate.
	xctx, xcancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer xcancel()
	cl.PollFetches(xctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	return out
}
