package kafkaio_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

func passthroughConfig(addrs []string, in, out string, window int, onCommit func(int)) kafkaio.PassthroughConfig {
	return kafkaio.PassthroughConfig{
		Session: kafkaio.SessionConfig{
			Client:          kafkaio.ClientConfig{Brokers: addrs},
			Group:           "pt",
			TransactionalID: "pt-1",
			InputTopic:      in,
			FetchMaxWait:    100 * time.Millisecond,
		},
		OutputTopic:     out,
		WindowMaxEvents: window,
		WindowMaxWait:   20 * time.Millisecond,
		WindowMaxBytes:  1 << 20,
		OnCommit:        onCommit,
	}
}

// The baseline copies every input record once, to the same partition, byte
// for byte, with the input timestamp header added; windows never exceed
// WindowMaxEvents; the group's offsets are committed in the transactions.
func TestPassthroughCopiesEveryRecordOnce(t *testing.T) {
	const total, window = 500, 64
	addrs := startFakeCluster(t, 3, "in", "out")
	prod := newTestClient(t, addrs, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := range total {
		r := &kgo.Record{Topic: "in", Partition: int32(i % 3), Key: fmt.Appendf(nil, "k%d", i%5), Value: fmt.Appendf(nil, "v%d", i),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: fmt.Appendf(nil, "t%d", i)}}}
		prod.Produce(t.Context(), r, nil)
	}
	if err := prod.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]kafkaio.TailRecord{}
	for _, r := range consumeAll(t, addrs, "in") {
		inputs[string(r.Value)] = r
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var committed atomic.Int64
	var oversized atomic.Bool
	done := make(chan error, 1)
	go func() {
		done <- kafkaio.Passthrough(ctx, passthroughConfig(addrs, "in", "out", window, func(n int) {
			if n > window {
				oversized.Store(true)
			}
			if committed.Add(int64(n)) >= total {
				cancel()
			}
		}))
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("passthrough committed %d of %d records in 30s", committed.Load(), total)
	}
	if oversized.Load() {
		t.Errorf("a window exceeded WindowMaxEvents %d", window)
	}
	if got := committed.Load(); got != total {
		t.Errorf("OnCommit counted %d records, want %d", got, total)
	}

	outs := consumeAll(t, addrs, "out")
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
		if ts, ok := kafkaio.InputTimestamp(o.Headers); !ok || !ts.Equal(in.Timestamp.Truncate(time.Millisecond)) {
			t.Errorf("output %q: input timestamp %v (%v), want %v", v, ts, ok, in.Timestamp)
		}
	}

	// The offsets were committed with the outputs: a second run over the
	// same group finds nothing left to copy.
	adm := newTestClient(t, addrs)
	lag := consumedLag(t, adm, "pt", "in")
	if lag != 0 {
		t.Errorf("group lag after the run = %d, want 0", lag)
	}
}

// consumedLag is how many input records the group has not committed past.
func consumedLag(t *testing.T, cl *kgo.Client, group, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var lag int64
	ends.Each(func(e kadm.ListedOffset) {
		c, ok := committed.Lookup(topic, e.Partition)
		if !ok {
			lag += e.Offset
			return
		}
		lag += e.Offset - c.At
	})
	return lag
}

func TestPassthroughConfigValidate(t *testing.T) {
	good := passthroughConfig([]string{"127.0.0.1:1"}, "in", "out", 10, nil)
	tests := []struct {
		name   string
		change func(*kafkaio.PassthroughConfig)
		want   string
	}{
		{"no output topic", func(c *kafkaio.PassthroughConfig) { c.OutputTopic = "" }, "output topic"},
		{"output is input", func(c *kafkaio.PassthroughConfig) { c.OutputTopic = "in" }, "differ"},
		{"zero window", func(c *kafkaio.PassthroughConfig) { c.WindowMaxEvents = 0 }, "max events"},
		{"zero wait", func(c *kafkaio.PassthroughConfig) { c.WindowMaxWait = 0 }, "max wait"},
		{"zero bytes", func(c *kafkaio.PassthroughConfig) { c.WindowMaxBytes = 0 }, "max bytes"},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestInputTimestamp(t *testing.T) {
	tests := []struct {
		name    string
		headers []kafkaio.Header
		want    time.Time
		ok      bool
	}{
		{"absent", []kafkaio.Header{{Key: "x", Value: []byte("1")}}, time.Time{}, false},
		{"present", []kafkaio.Header{{Key: "x"}, {Key: kafkaio.InputTimestampHeader, Value: []byte("1700000000123")}}, time.UnixMilli(1700000000123), true},
		{"garbled", []kafkaio.Header{{Key: kafkaio.InputTimestampHeader, Value: []byte("soon")}}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := kafkaio.InputTimestamp(tt.headers)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("InputTimestamp = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCreateAndDeleteTopics(t *testing.T) {
	addrs := startFakeCluster(t, 1)
	cl := newTestClient(t, addrs)
	ctx := t.Context()
	if err := kafkaio.CreateTopics(ctx, cl, 4, "a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := kafkaio.CreateTopics(ctx, cl, 4, "a"); err == nil {
		t.Error("creating an existing topic succeeded; a benchmark must not reuse stale data")
	}
	if err := kafkaio.DeleteTopics(ctx, cl, "a", "b", "never-existed"); err != nil {
		t.Errorf("DeleteTopics = %v", err)
	}
	if err := kafkaio.CreateTopics(ctx, cl, 2, "a"); err != nil {
		t.Errorf("recreating a deleted topic: %v", err)
	}
}

func TestFetchStartedSeesTheFirstFetch(t *testing.T) {
	addrs := startFakeCluster(t, 1, "t")
	started := &kafkaio.FetchStarted{}
	cl := newTestClient(t, addrs, kgo.WithHooks(started), kgo.ConsumeTopics("t"), kgo.FetchMaxWait(50*time.Millisecond))
	if started.Started() {
		t.Fatal("started before any fetch")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !started.Started() {
		if time.Now().After(deadline) {
			t.Fatal("no fetch request seen in 10s")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		cl.PollRecords(ctx, 1) // the topic is empty: returns at ctx's end
		cancel()
	}
}
