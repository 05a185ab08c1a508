package kafkaio

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRecordSlab checks that the slab hands out distinct records across
// chunk boundaries, reuses them after reset(true), and never hands out a
// record again after reset(false), when the client may still hold it.
func TestRecordSlab(t *testing.T) {
	var s recordSlab
	n := 2*recordSlabChunk + 3
	first := make(map[*kgo.Record]bool, n)
	for range n {
		r := s.next()
		if first[r] {
			t.Fatalf("record %p handed out twice", r)
		}
		first[r] = true
	}
	s.reset(true)
	for i := range n {
		if r := s.next(); !first[r] {
			t.Fatalf("after reset(true), record %d is new: want the earlier records reused", i)
		}
	}
	s.reset(false)
	for i := range n {
		if r := s.next(); first[r] {
			t.Fatalf("after reset(false), record %d was handed out before", i)
		}
	}
}

// TestSetKgoClearsStaleFields checks that a reused record keeps nothing of
// the record it was before.
func TestSetKgoClearsStaleFields(t *testing.T) {
	r := &kgo.Record{Topic: "old", Partition: 3, Key: []byte("k"), Value: []byte("v"), Offset: 42, ProducerID: 7}
	setKgo(r, OutRecord{Topic: "new", Partition: 1, Value: []byte("x")})
	if r.Topic != "new" || r.Partition != 1 || r.Key != nil || string(r.Value) != "x" || r.Offset != 0 || r.ProducerID != 0 || r.Headers != nil {
		t.Fatalf("stale fields left: %+v", r)
	}
}
