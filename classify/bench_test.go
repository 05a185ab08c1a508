package classify

import (
	"testing"

	"github.com/eventproc/eventproc/event"
)

// BenchmarkClassify classifies a rotating set of typical features; it must
// report 0 allocs/op.
func BenchmarkClassify(b *testing.B) {
	features := []Features{
		{Priority: event.PriorityMedium, Load: 0.3, SourceID: []byte("service-a"), Summary: event.MetadataSummary{FieldCount: 3, MaxDepth: 2, LeafCount: 3, ByteSize: 70}},
		{Priority: event.PriorityCritical, Load: 0.92, SourceID: []byte("alert-manager-eu-west-1"), Summary: event.MetadataSummary{FieldCount: 5, MaxDepth: 1, LeafCount: 5, ByteSize: 120}},
		{Priority: event.PriorityHigh, Load: 0.6, SourceID: []byte("payment-gateway"), Summary: richSummary},
		{Priority: event.PriorityLow, Load: 0.1, SourceID: []byte("UserSessionTracker"), Summary: event.MetadataSummary{}},
	}
	b.ReportAllocs()
	var sink event.Category
	for i := 0; b.Loop(); i++ {
		sink += Classify(features[i&3]).Category
	}
	_ = sink
}
