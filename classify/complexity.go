package classify

import (
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/unit"
)

// Complexity terms: each maps one summary count onto [0, 1] by dividing by
// the count at which it saturates; the weights sum to 1, so Complexity is in
// [0, 1]. The saturation points are where metadata stops looking like a
// simple tag set and starts looking like a document.
const (
	// fieldsWeight, fieldsSaturation: top-level breadth; 16 fields is a
	// wide record.
	fieldsWeight     = 0.30
	fieldsSaturation = 16
	// depthWeight, depthSaturation: nesting below the flat top level
	// (MaxDepth−1); 4 extra levels is deeply structured.
	depthWeight     = 0.30
	depthSaturation = 4
	// leavesWeight, leavesSaturation: total scalar values anywhere; 32
	// is a large payload.
	leavesWeight     = 0.20
	leavesSaturation = 32
	// kindsWeight, kindsSaturation: how many of the six JSON kinds occur;
	// mixed kinds mean structured rather than uniform data.
	kindsWeight     = 0.10
	kindsSaturation = 6
	// bytesWeight, bytesSaturation: canonical size; 1 KiB of metadata is
	// large for an event. Weighted low because size mostly repeats the
	// counts above.
	bytesWeight     = 0.10
	bytesSaturation = 1024
)

// Complexity is the metadata complexity in [0, 1], computed from the
// summary alone: 0 for {}, about 0.1 for a flat object with a few string
// fields, 1 for wide, deep, mixed-kind metadata. Enrichment's risk score
// uses it too. It does not allocate.
func Complexity(s event.MetadataSummary) float64 {
	c := float64(fieldsWeight*saturate(s.FieldCount, fieldsSaturation)) +
		float64(depthWeight*saturate(s.MaxDepth-1, depthSaturation)) +
		float64(leavesWeight*saturate(s.LeafCount, leavesSaturation)) +
		float64(kindsWeight*saturate(distinctKinds(s.Kinds), kindsSaturation)) +
		float64(bytesWeight*saturate(s.ByteSize, bytesSaturation))
	return unit.Clamp(c)
}

// saturate maps n onto [0, 1]: 0 for n <= 0, 1 for n >= limit.
func saturate(n, limit int) float64 {
	switch {
	case n <= 0:
		return 0
	case n >= limit:
		return 1
	}
	return float64(n) / float64(limit)
}

func distinctKinds(k event.KindCounts) int {
	n := 0
	for _, count := range [...]int{k.Strings, k.Numbers, k.Bools, k.Nulls, k.Objects, k.Arrays} {
		if count > 0 {
			n++
		}
	}
	return n
}
