package testbroker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// roundTripTimeout bounds the whole integration test; it is a hang guard, not a
// speed assertion.
const roundTripTimeout = 3 * time.Minute

// TestTransactionsExactlyOnce checks, on whatever backend Start picks, the broker
// features eventproc's exactly-once design rests on:
//
//   - a transactional producer's committed records are visible read_committed once
//     each, and an aborted transaction's records are not (though they are in the
//     log, as read_uncommitted shows);
//   - a consume-transform-produce loop in a consumer group (GroupTransactSession)
//     whose first transaction is aborted still writes every input record exactly
//     once, on the same partition number, and commits the group's offsets just
//     past the last input record of each partition.
func TestTransactionsExactlyOnce(t *testing.T) {
	b := Start(t)
	t.Logf("broker: %s %v", b.Kind, b.Addrs)
	ctx, cancel := context.WithTimeout(context.Background(), roundTripTimeout)
	defer cancel()

	const partitions = 3
	in, out := UniqueName(t, "in"), UniqueName(t, "out")
	b.CreateTopic(t, in, partitions, nil)
	b.CreateTopic(t, out, partitions, nil)

	// 1. Committed, aborted, committed transactions into `in`, spread round-robin
	// over the partitions so every partition holds aborted records between
	// committed ones.
	producer := b.NewClient(t,
		kgo.TransactionalID(UniqueName(t, "txn-producer")),
		kgo.DefaultProduceTopic(in),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	first := produceTxn(ctx, t, producer, values("c1", 60), partitions, kgo.TryCommit)
	aborted := produceTxn(ctx, t, producer, values("ab", 30), partitions, kgo.TryAbort)
	second := produceTxn(ctx, t, producer, values("c2", 60), partitions, kgo.TryCommit)
	wantCommitted := append(recordValues(first), recordValues(second)...)

	assertValuesOnce(t, "in read_committed", readToEnd(ctx, t, b, in, kgo.ReadCommitted()), wantCommitted)
	assertValuesOnce(t, "in read_uncommitted", readToEnd(ctx, t, b, in, kgo.ReadUncommitted()),
		append(append(recordValues(first), recordValues(aborted)...), recordValues(second)...))

	// 2. Consume-transform-produce in a group, aborting the first transaction.
	group := UniqueName(t, "group")
	abortedCopies := copyInToOut(ctx, t, b, group, in, out, len(wantCommitted))
	if abortedCopies == 0 {
		t.Fatal("the first consume-transform-produce transaction copied nothing, so the abort was not exercised")
	}

	outCommitted := readToEnd(ctx, t, b, out, kgo.ReadCommitted())
	assertValuesOnce(t, "out read_committed", outCommitted, wantCommitted)
	inPartition := make(map[string]int32)
	for _, r := range append(first, second...) {
		inPartition[string(r.Value)] = r.Partition
	}
	for _, r := range outCommitted {
		if want := inPartition[string(r.Value)]; r.Partition != want {
			t.Errorf("out: %q on partition %d, read from input partition %d", r.Value, r.Partition, want)
		}
	}
	// The aborted copies are in the log: proof that read_committed hid them.
	if got := len(readToEnd(ctx, t, b, out, kgo.ReadUncommitted())); got != len(wantCommitted)+abortedCopies {
		t.Errorf("out read_uncommitted: %d records, want %d committed + %d aborted copies", got, len(wantCommitted), abortedCopies)
	}

	// 3. The group's committed offsets are just past each partition's last input record.
	wantOffsets := make(map[int32]int64)
	for _, r := range second {
		wantOffsets[r.Partition] = max(wantOffsets[r.Partition], r.Offset+1)
	}
	fetched, err := kadm.NewClient(b.NewClient(t)).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	for p := int32(0); p < partitions; p++ {
		got, ok := fetched.Lookup(in, p)
		if !ok || got.Err != nil {
			t.Errorf("group offset of %s[%d]: missing (%v)", in, p, got.Err)
			continue
		}
		if got.At != wantOffsets[p] {
			t.Errorf("group offset of %s[%d] = %d, want %d", in, p, got.At, wantOffsets[p])
		}
	}
}

// values returns n distinct record values "<prefix>-000", "<prefix>-001", ...
func values(prefix string, n int) []string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return vs
}

// produceTxn writes vs in one transaction, value i to partition i%partitions, and
// ends it with end. It returns the produced records, offsets filled in.
func produceTxn(ctx context.Context, t *testing.T, cl *kgo.Client, vs []string, partitions int32, end kgo.TransactionEndTry) []*kgo.Record {
	t.Helper()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatalf("begin transaction: %v", err)
	}
	recs := make([]*kgo.Record, len(vs))
	for i, v := range vs {
		recs[i] = &kgo.Record{Key: []byte(v), Value: []byte(v), Partition: int32(i) % partitions}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("transactional produce: %v", err)
	}
	if err := cl.EndTransaction(ctx, end); err != nil {
		t.Fatalf("end transaction (commit=%v): %v", end, err)
	}
	return recs
}

// copyInToOut copies every committed record of in to the same partition of out in
// a group transaction session until want records were copied by committed
// transactions. Its first non-empty transaction is aborted; it returns how many
// records that aborted transaction wrote.
func copyInToOut(ctx context.Context, t *testing.T, b *Broker, group, in, out string, want int) (abortedCopies int) {
	t.Helper()
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(b.Addrs...),
		kgo.TransactionalID(UniqueName(t, "txn-copier")),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RequireStableFetchOffsets(),
		kgo.DefaultProduceTopic(out),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	if err != nil {
		t.Fatalf("group transact session: %v", err)
	}
	defer sess.Close()

	var (
		produceMu  sync.Mutex
		produceErr error
	)
	copied, abortedOnce := 0, false
	for copied < want {
		fetches := sess.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("copy %s -> %s: %d of %d records copied: %v", in, out, copied, want, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			t.Fatalf("fetch %s: %v", in, errs[0].Err)
		}
		if fetches.NumRecords() == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			t.Fatalf("begin: %v", err)
		}
		n := 0
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			sess.Produce(ctx, &kgo.Record{Key: r.Key, Value: r.Value, Partition: r.Partition}, func(_ *kgo.Record, err error) {
				if err != nil {
					produceMu.Lock()
					produceErr = err
					produceMu.Unlock()
				}
			})
		})
		end := kgo.TryCommit
		if !abortedOnce {
			// Flush first: End(TryAbort) drops records still buffered, and the test
			// wants every aborted copy in the log to prove read_committed hides it.
			if err := sess.Client().Flush(ctx); err != nil {
				t.Fatalf("flush before abort: %v", err)
			}
			end, abortedOnce = kgo.TryAbort, true
		}
		committed, err := sess.End(ctx, end)
		if err != nil {
			t.Fatalf("end transaction: %v", err)
		}
		produceMu.Lock()
		perr := produceErr
		produceMu.Unlock()
		if perr != nil && end == kgo.TryCommit {
			t.Fatalf("produce to %s: %v", out, perr)
		}
		switch {
		case end == kgo.TryAbort:
			if committed {
				t.Fatal("End(TryAbort) reported a commit")
			}
			abortedCopies = n
		case committed:
			copied += n
		}
		// Not committed (a rebalance): the session rewound to the committed
		// offsets and the same records come again.
	}
	return abortedCopies
}

// readToEnd reads every partition of topic from its start to its end as of the
// call (the last stable offset for read_committed, the high watermark otherwise)
// and returns the data records. Control records are kept while reading so that a
// partition whose last offset is a transaction marker is known to be finished.
func readToEnd(ctx context.Context, t *testing.T, b *Broker, topic string, isolation kgo.IsolationLevel) []*kgo.Record {
	t.Helper()
	adm := kadm.NewClient(b.NewClient(t))
	var (
		ends kadm.ListedOffsets
		err  error
	)
	if isolation == kgo.ReadCommitted() {
		ends, err = adm.ListCommittedOffsets(ctx, topic)
	} else {
		ends, err = adm.ListEndOffsets(ctx, topic)
	}
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	remaining := make(map[int32]int64)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			remaining[o.Partition] = o.Offset
		}
	})

	cl := b.NewClient(t,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(isolation),
		kgo.KeepControlRecords(),
	)
	var recs []*kgo.Record
	for len(remaining) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %s: partitions not read to their end offsets %v: %v", topic, remaining, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			t.Fatalf("read %s: %v", topic, errs[0].Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := remaining[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			if !r.Attrs.IsControl() {
				recs = append(recs, r)
			}
			if r.Offset >= end-1 {
				delete(remaining, r.Partition)
			}
		})
	}
	return recs
}

func recordValues(recs []*kgo.Record) []string {
	vs := make([]string, len(recs))
	for i, r := range recs {
		vs[i] = string(r.Value)
	}
	return vs
}

// assertValuesOnce checks that recs hold exactly the values want, each once.
func assertValuesOnce(t *testing.T, what string, recs []*kgo.Record, want []string) {
	t.Helper()
	count := make(map[string]int)
	for _, r := range recs {
		count[string(r.Value)]++
	}
	var missing, dup, extra []string
	for _, v := range want {
		switch count[v] {
		case 0:
			missing = append(missing, v)
		case 1:
		default:
			dup = append(dup, fmt.Sprintf("%s x%d", v, count[v]))
		}
		delete(count, v)
	}
	for v := range count {
		extra = append(extra, v)
	}
	sort.Strings(extra)
	if len(missing)+len(dup)+len(extra) > 0 {
		t.Errorf("%s: %d records; missing %d %v; duplicated %v; unexpected %d %v",
			what, len(recs), len(missing), head(missing), dup, len(extra), head(extra))
	}
}

func head(vs []string) string {
	if len(vs) > 5 {
		return strings.Join(vs[:5], ",") + ",..."
	}
	return strings.Join(vs, ",")
}
