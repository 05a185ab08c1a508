package kafkaio_test

import (
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/eventproc/eventproc/kafkaio"
)

// A tail reads each partition on from where it stopped: a record budget
// cuts a read short and the next read resumes after the last record; new
// committed writes are read, aborted ones never; a partition whose log
// start moved past the position is reset and read from its new start.
func TestChangelogTailResumesWhereItStopped(t *testing.T) {
	addrs, cl, txn := stateWriter(t, 2)
	tail, err := kafkaio.NewChangelogTail(kafkaio.ClientConfig{Brokers: addrs}, "state")
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Close()
	var got []string
	var resets []int32
	catchUp := func(from map[int32]int64, budget int) kafkaio.TailRead {
		t.Helper()
		read, err := tail.CatchUp(t.Context(), from, budget, func(p int32) { resets = append(resets, p) }, func(_ int32, _, v []byte) { got = append(got, string(v)) })
		if err != nil {
			t.Fatal(err)
		}
		return read
	}

	txn(0, true, "a1", "a2", "a3")
	txn(0, false, "x1")
	txn(0, true, "a4")
	read := catchUp(map[int32]int64{0: kafkaio.FromStart, 1: kafkaio.FromStart}, 2)
	if !slices.Equal(got, []string{"a1", "a2"}) || read.Records[0] != 2 || slices.Contains(read.Done, 0) || !slices.Contains(read.Done, 1) {
		t.Fatalf("budget 2: read %v, %+v; want a1 a2, partition 0 not done, empty partition 1 done", got, read)
	}
	read = catchUp(read.Next, 0)
	if !slices.Equal(got, []string{"a1", "a2", "a3", "a4"}) || !slices.Contains(read.Done, 0) {
		t.Fatalf("resumed: read %v, %+v; want a3 a4 after a1 a2, done", got, read)
	}
	if read = catchUp(read.Next, 0); read.Records[0] != 0 {
		t.Fatalf("nothing new: read %d records", read.Records[0])
	}
	txn(0, true, "a5")
	txn(1, true, "b1")
	got = nil
	read = catchUp(read.Next, 0)
	if !slices.Equal(got, []string{"a5", "b1"}) || len(resets) != 0 {
		t.Fatalf("new writes: read %v (resets %v), want a5 b1 only", got, resets)
	}

	// Records deleted under the position: the partition starts over.
	txn(1, true, "b2", "b3")
	adm := kadm.NewClient(cl)
	end, err := adm.ListEndOffsets(t.Context(), "state")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := end.Lookup("state", 1)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: "state", Partition: 1, At: e.Offset - 2})
	if _, err := adm.DeleteRecords(t.Context(), del); err != nil {
		t.Fatal(err)
	}
	got = nil
	catchUp(map[int32]int64{1: read.Next[1]}, 0)
	if !slices.Equal(resets, []int32{1}) || !slices.Contains(got, "b3") || slices.Contains(got, "b1") {
		t.Fatalf("after delete: resets %v, read %v; want partition 1 reset and read from its new start", resets, got)
	}
}
