package enrich

import (
	"testing"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/event"
)

// BenchmarkApply enriches a stream of one source past its warm-up; it must
// report 0 allocs/op. Classification is precomputed: it has its own
// benchmark.
func BenchmarkApply(b *testing.B) {
	events := steadyStream(64)
	classes := make([]classify.Result, len(events))
	for i, ev := range events {
		ev.EventID = []byte("evt-0000000000001234")
		ev.Payload = []byte(`{"custom_field_1":"any value"}`)
		classes[i] = classify.Classify(classify.FeaturesOf(ev))
	}
	cfg := testConfig(20)
	st, _ := run(cfg, SourceState{}, events) // past warm-up
	b.ReportAllocs()
	var d event.Derived
	for i := 0; b.Loop(); i++ {
		k := i & 63
		st.LastTimestamp = events[k].Timestamp - 1 // keep gaps steady
		st, d = Apply(cfg, st, events[k], classes[k])
	}
	_ = d
}

// BenchmarkEncodeSourceState measures the changelog encoding into a reused
// buffer.
func BenchmarkEncodeSourceState(b *testing.B) {
	st := SourceState{LastSequence: 99, Count: 99, LoadMean: 0.5, LoadVar: 0.01, GapCount: 98, GapMean: 1, GapVar: 0.1, LastTimestamp: baseTime}
	buf := make([]byte, 0, EncodedStateSize)
	b.ReportAllocs()
	for b.Loop() {
		buf = st.AppendBinary(buf[:0])
	}
}
