package kafkatool_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/kafkatool"
)

// produceTxn produces values to partition p of topic in one transaction and
// commits or aborts it.
func produceTxn(t *testing.T, cl *kgo.Client, topic string, p int32, commit bool, values ...string) {
	t.Helper()
	ctx := t.Context()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		r := &kgo.Record{Topic: topic, Partition: p, Key: []byte("k-" + v), Value: []byte(v),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("hv-" + v)}}}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

// seedTransactions writes committed and aborted transactions to two
// partitions and returns the committed values per partition, in order. Each
// partition ends with a transaction marker, the case where "read to the end"
// cannot be judged from data records alone.
func seedTransactions(t *testing.T, addrs []string, topic string) map[int32][]string {
	t.Helper()
	cl := newTestClient(t, addrs, kgo.TransactionalID("seed"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTxn(t, cl, topic, 0, true, "a1", "a2", "a3")
	produceTxn(t, cl, topic, 0, false, "x1", "x2")
	produceTxn(t, cl, topic, 1, true, "b1")
	produceTxn(t, cl, topic, 0, true, "a4")
	produceTxn(t, cl, topic, 1, false, "x3")
	return map[int32][]string{0: {"a1", "a2", "a3", "a4"}, 1: {"b1"}}
}

func TestTailReadsOnlyCommittedAndStopsAtEnd(t *testing.T) {
	addrs := startFakeCluster(t, 3, "out")
	want := seedTransactions(t, addrs, "out")

	got := map[int32][]string{}
	for _, r := range consumeAll(t, addrs, "out") {
		v := string(r.Value)
		got[r.Partition] = append(got[r.Partition], v)
		if string(r.Key) != "k-"+v || len(r.Headers) != 1 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != "hv-"+v {
			t.Errorf("record %s: key %q headers %v", v, r.Key, r.Headers)
		}
		if r.Topic != "out" || r.Timestamp.IsZero() {
			t.Errorf("record %s: topic %q timestamp %v", v, r.Topic, r.Timestamp)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tail read %v, want %v", got, want)
	}
}

func TestTailPartitionFilter(t *testing.T) {
	addrs := startFakeCluster(t, 3, "out")
	want := seedTransactions(t, addrs, "out")
	cl := newTestClient(t, addrs, kafkatool.TailClientOpts()...)
	var got []string
	cfg := kafkatool.TailConfig{Topics: []string{"out"}, Partitions: []int32{1}, FromStart: true, StopAtEnd: true}
	if err := kafkatool.Tail(t.Context(), cl, cfg, func(r kafkatool.TailRecord) bool {
		got = append(got, fmt.Sprintf("%d:%s", r.Partition, r.Value))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"1:" + want[1][0]}) {
		t.Fatalf("partition 1 read %v, want %v", got, want[1])
	}

	cfg.Partitions = []int32{7}
	if err := kafkatool.Tail(t.Context(), cl, cfg, func(kafkatool.TailRecord) bool { return true }); err == nil {
		t.Fatal("tail of a missing partition succeeded")
	}
}

func TestTailStopsWhenCallbackSaysSo(t *testing.T) {
	addrs := startFakeCluster(t, 2, "out")
	seedTransactions(t, addrs, "out")
	cl := newTestClient(t, addrs, kafkatool.TailClientOpts()...)
	var got []string
	err := kafkatool.Tail(t.Context(), cl, kafkatool.TailConfig{Topics: []string{"out"}, Partitions: []int32{0}, FromStart: true},
		func(r kafkatool.TailRecord) bool { got = append(got, string(r.Value)); return len(got) < 2 })
	if err != nil || !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("Tail = %v, read %v; want nil, [a1 a2]", err, got)
	}
}

// Without FromStart, only records committed after Tail starts are read.
func TestTailFollowsNewRecordsOnly(t *testing.T) {
	addrs := startFakeCluster(t, 2, "out")
	seedTransactions(t, addrs, "out")
	cl := newTestClient(t, addrs, kafkatool.TailClientOpts()...)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- kafkatool.Tail(ctx, cl, kafkatool.TailConfig{Topics: []string{"out"}},
			func(r kafkatool.TailRecord) bool { first <- string(r.Value); return false })
	}()

	// Keep producing "new" until the tail, whose start offset is resolved
	// asynchronously, sees a record.
	producer := newTestClient(t, addrs)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "out", Value: []byte("new")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			// fn hands its record over before Tail returns.
			select {
			case v := <-first:
				if err != nil || v != "new" {
					t.Fatalf("tail without FromStart: err %v, first record %q; want nil, \"new\"", err, v)
				}
				return
			default:
				t.Fatalf("tail ended without reading a record: %v", err)
			}
		case <-tick.C:
		}
	}
}

func TestTailRejectsClientWithoutTailOpts(t *testing.T) {
	addrs := startFakeCluster(t, 1, "out")
	cl := newTestClient(t, addrs)
	err := kafkatool.Tail(t.Context(), cl, kafkatool.TailConfig{Topics: []string{"out"}}, func(kafkatool.TailRecord) bool { return true })
	if !errors.Is(err, kafkatool.ErrTailClient) {
		t.Fatalf("err = %v, want ErrTailClient", err)
	}
}

func TestTailMissingTopic(t *testing.T) {
	addrs := startFakeCluster(t, 1, "out")
	cl := newTestClient(t, addrs, kafkatool.TailClientOpts()...)
	err := kafkatool.Tail(t.Context(), cl, kafkatool.TailConfig{Topics: []string{"nope"}, FromStart: true, StopAtEnd: true},
		func(kafkatool.TailRecord) bool { return true })
	if err == nil {
		t.Fatal("tail of a missing topic succeeded")
	}
}

func TestPrintTailRawAndLimit(t *testing.T) {
	addrs := startFakeCluster(t, 1, "out")
	cl := newTestClient(t, addrs, kgo.TransactionalID("seed"))
	produceTxn(t, cl, "out", 0, true, "v1", "v2", "v3")
	produceTxn(t, cl, "out", 0, false, "x1")
	cfg := kafkatool.TailConfig{Topics: []string{"out"}, FromStart: true, StopAtEnd: true}
	for _, tt := range []struct {
		limit int64
		want  string
		n     int64
	}{
		{0, "v1\nv2\nv3\n", 3},
		{2, "v1\nv2\n", 2},
	} {
		var out strings.Builder
		n, err := kafkatool.PrintTail(t.Context(), newTestClient(t, addrs, kafkatool.TailClientOpts()...), cfg, &out, true, tt.limit)
		if err != nil || n != tt.n || out.String() != tt.want {
			t.Errorf("limit %d: %d records, err %v, printed %q; want %d, %q", tt.limit, n, err, out.String(), tt.n, tt.want)
		}
	}
	var out strings.Builder
	if _, err := kafkatool.PrintTail(t.Context(), newTestClient(t, addrs, kafkatool.TailClientOpts()...), cfg, &out, false, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "--- out [0] @0  key k-v1") || strings.Contains(out.String(), "v2") {
		t.Errorf("pretty output %q", out.String())
	}
}

func TestParsePartitions(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []int32
		wantErr string
	}{
		{"", nil, ""},
		{"0, 3,,7", []int32{0, 3, 7}, ""},
		{"1,x", nil, `"x" is not a partition number`},
		{"-1", nil, `"-1" is not a partition number`},
		{"2147483648", nil, `"2147483648" is not a partition number`},
	} {
		got, err := kafkatool.ParsePartitions(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParsePartitions(%q) err %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParsePartitions(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
