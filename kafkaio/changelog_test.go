package kafkaio_test

import (
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

// One restore reads every asked-for partition through one client, only
// committed records, in offset order, and ends although partition 1's
// tail is an aborted transaction (only markers after its last committed
// record); partitions not asked for, or empty, are not read.
func TestRestorePartitionsReadsCommittedRecordsToTheEnd(t *testing.T) {
	addrs, _, txn := stateWriter(t, 4)
	txn(0, true, "a1", "a2")
	txn(1, true, "b1")
	txn(0, false, "x1")
	txn(0, true, "a3")
	txn(1, false, "x2", "x3")
	txn(3, true, "d1") // not asked for

	got := map[int32][]string{}
	n, err := kafkaio.RestorePartitions(t.Context(), kafkaio.ClientConfig{Brokers: addrs}, "state", []int32{0, 1, 2}, func(p int32, k, v []byte) {
		if string(k) != "k"+string(v) {
			t.Errorf("partition %d: key %q for value %q", p, k, v)
		}
		got[p] = append(got[p], string(v))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32][]string{0: {"a1", "a2", "a3"}, 1: {"b1"}}
	for p, vs := range want {
		if !slices.Equal(got[p], vs) || n[p] != len(vs) {
			t.Errorf("partition %d: read %v (%d counted), want %v", p, got[p], n[p], vs)
		}
	}
	if len(got) != 2 || n[2] != 0 || n[3] != 0 {
		t.Errorf("read %v, counts %v: want partitions 0 and 1 only", got, n)
	}
}

// stateWriter starts an embedded broker with a topic "state" of the given
// partitions and returns its addresses, a transactional client and txn,
// which writes values (keyed "k"+value) to partition p in one transaction,
// committed or aborted.
func stateWriter(t *testing.T, partitions int32) ([]string, *kgo.Client, func(p int32, commit bool, values ...string)) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addrs := c.ListenAddrs()
	cl := newTestClient(t, addrs, kgo.TransactionalID("writer"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	txn := func(p int32, commit bool, values ...string) {
		t.Helper()
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: "state", Partition: p, Key: []byte("k" + v), Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.EndTransaction(t.Context(), kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	return addrs, cl, txn
}
