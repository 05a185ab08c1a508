package enrich

import (
	"crypto/sha256"
	"math"
	"testing"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/event"
)

// baseTime is 2023-11-14T22:13:20Z: any fixed, realistic epoch works.
const baseTime = 1_700_000_000.0

// newEvent builds an accepted event directly, as intake would hand it over.
func newEvent(id, source string, ts, load float64, p event.Priority, metadata string) *event.Event {
	return &event.Event{
		EventID:      []byte(id),
		SourceID:     []byte(source),
		Timestamp:    ts,
		ReceivedAt:   ts + 0.012,
		Priority:     p,
		Load:         load,
		Metadata:     []byte(metadata),
		MetadataHash: sha256.Sum256([]byte(metadata)),
		Summary:      event.MetadataSummary{FieldCount: 2, MaxDepth: 1, LeafCount: 2, Kinds: event.KindCounts{Strings: 2, Objects: 1}, ByteSize: len(metadata)},
	}
}

// run applies events in order from st, classifying each as the pipeline
// does, and returns the final state and every derived value.
func run(cfg Config, st SourceState, events []*event.Event) (SourceState, []event.Derived) {
	out := make([]event.Derived, 0, len(events))
	for _, ev := range events {
		var d event.Derived
		st, d = Apply(cfg, st, ev, classify.Classify(classify.FeaturesOf(ev)))
		out = append(out, d)
	}
	return st, out
}

func testConfig(warmUp uint64) Config {
	return Config{WarmUp: warmUp}.WithDefaults()
}

// requireSameDerived fails unless a and b are equal bit for bit.
func requireSameDerived(t *testing.T, i int, a, b event.Derived) {
	t.Helper()
	same := a.Category == b.Category &&
		math.Float64bits(a.CategoryConfidence) == math.Float64bits(b.CategoryConfidence) &&
		a.SequenceNumber == b.SequenceNumber &&
		math.Float64bits(a.IntakeLatencyMs) == math.Float64bits(b.IntakeLatencyMs) &&
		math.Float64bits(a.TotalProcessingTimeMs) == math.Float64bits(b.TotalProcessingTimeMs) &&
		math.Float64bits(a.RiskScore) == math.Float64bits(b.RiskScore) &&
		a.IsAnomaly == b.IsAnomaly && a.AnomalyReasons == b.AnomalyReasons &&
		a.Signature == b.Signature && a.GlobalPublishSequence == b.GlobalPublishSequence
	if !same {
		t.Fatalf("event %d: derived values differ:\n%+v\n%+v", i, a, b)
	}
}

// requireSameState fails unless a and b are equal bit for bit.
func requireSameState(t *testing.T, a, b SourceState) {
	t.Helper()
	if string(a.AppendBinary(nil)) != string(b.AppendBinary(nil)) {
		t.Fatalf("states differ:\n%+v\n%+v", a, b)
	}
}
