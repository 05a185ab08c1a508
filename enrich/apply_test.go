package enrich

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/event"
)

func TestApplySequenceAndClassification(t *testing.T) {
	events := steadyStream(5)
	events[2].Priority = event.PriorityCritical
	st, ds := run(testConfig(20), SourceState{LastSequence: 41}, events)
	for i, d := range ds {
		if d.SequenceNumber != uint64(42+i) {
			t.Fatalf("event %d: SequenceNumber = %d, want %d", i, d.SequenceNumber, 42+i)
		}
		cls := classify.Classify(classify.FeaturesOf(events[i]))
		if d.Category != cls.Category || d.CategoryConfidence != cls.Confidence {
			t.Fatalf("event %d: classification not carried over: %v %v vs %+v", i, d.Category, d.CategoryConfidence, cls)
		}
		want := RiskScore(events[i].Priority, events[i].Load, classify.Complexity(events[i].Summary), cls.Category)
		if d.RiskScore != want {
			t.Fatalf("event %d: RiskScore = %v, want %v", i, d.RiskScore, want)
		}
		if d.TotalProcessingTimeMs != 0 || d.GlobalPublishSequence != 0 {
			t.Fatalf("event %d: Apply set fields it does not own: %+v", i, d)
		}
	}
	if st.LastSequence != 46 || st.Count != 5 {
		t.Fatalf("final state %+v", st)
	}
	if ds[2].Category != event.CategoryAlert {
		t.Fatalf("critical event classified %v", ds[2].Category)
	}
}

func TestIntakeLatency(t *testing.T) {
	received12ms := baseTime + 0.012
	tests := []struct {
		name                string
		timestamp, received float64
		want                float64
	}{
		// Computed at run time: epoch-scale float64 keeps ~0.1 µs, so the
		// result is 12.00008…, not the constant-folded 12.
		{"12 ms", baseTime, received12ms, (received12ms - baseTime) * 1000},
		{"same instant", baseTime, baseTime, 0},
		{"producer clock ahead is floored", baseTime + 2, baseTime, 0},
		{"NaN is 0", math.NaN(), baseTime, 0},
		{"overflow is 0", -math.MaxFloat64, math.MaxFloat64, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEvent("e", "s", tt.timestamp, 0.1, event.PriorityLow, `{}`)
			ev.ReceivedAt = tt.received
			_, d := Apply(testConfig(20), SourceState{}, ev, classify.Result{})
			if d.IntakeLatencyMs != tt.want {
				t.Fatalf("IntakeLatencyMs = %v, want %v", d.IntakeLatencyMs, tt.want)
			}
		})
	}
}

// TestSignatureInputs: the signature changes when any content or derived
// input changes, and does not depend on anything else.
func TestSignatureInputs(t *testing.T) {
	cfg := testConfig(20)
	base := func() *event.Event {
		ev := newEvent("evt-1", "svc", baseTime, 0.4, event.PriorityMedium, `{"k":"v"}`)
		ev.Payload = []byte(`{"x":1}`)
		return ev
	}
	st := SourceState{LastSequence: 10, Count: 10, LoadMean: 0.4, LoadVar: 0.001, GapCount: 9, GapMean: 1, GapVar: 0.01, LastTimestamp: baseTime - 1}
	cls := classify.Classify(classify.FeaturesOf(base()))
	_, ref := Apply(cfg, st, base(), cls)
	if _, again := Apply(cfg, st, base(), cls); again.Signature != ref.Signature {
		t.Fatalf("signature not deterministic")
	}

	changes := []struct {
		name   string
		mutate func(*event.Event, *SourceState, *classify.Result)
	}{
		{"event id", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.EventID = []byte("evt-2") }},
		{"id/source boundary", func(e *event.Event, _ *SourceState, _ *classify.Result) {
			e.EventID, e.SourceID = []byte("evt-1s"), []byte("vc")
		}},
		{"source id", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.SourceID = []byte("svd") }},
		{"timestamp", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.Timestamp += 1e-6 }},
		{"received at", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.ReceivedAt += 1e-6 }},
		{"priority", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.Priority = event.PriorityHigh }},
		{"load", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.Load = math.Nextafter(0.4, 1) }},
		{"metadata hash", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.MetadataHash[31] ^= 1 }},
		{"payload", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.Payload = []byte(`{"x":2}`) }},
		{"sequence", func(_ *event.Event, s *SourceState, _ *classify.Result) { s.LastSequence++ }},
		{"category", func(_ *event.Event, _ *SourceState, c *classify.Result) { c.Category = event.CategoryUser }},
		{"confidence", func(_ *event.Event, _ *SourceState, c *classify.Result) { c.Confidence += 0.01 }},
		{"anomaly", func(e *event.Event, _ *SourceState, _ *classify.Result) { e.TimestampCorrected = true }},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			ev, s, c := base(), st, cls
			tt.mutate(ev, &s, &c)
			_, d := Apply(cfg, s, ev, c)
			if d.Signature == ref.Signature {
				t.Fatalf("signature unchanged: %x", d.Signature)
			}
		})
	}

	// Raw metadata bytes are covered by MetadataHash only: intake hashes the
	// canonical form, so white space must not change the signature.
	ev := base()
	ev.Metadata = []byte(`{ "k" : "v" }`)
	if _, d := Apply(cfg, st, ev, cls); d.Signature != ref.Signature {
		t.Fatalf("signature depends on raw metadata bytes")
	}
}

// TestReplayFromRestoredState: stopping after any event, encoding the state
// to the changelog form, decoding it and continuing gives exactly the
// derived values of one uninterrupted run.
func TestReplayFromRestoredState(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	events := make([]*event.Event, 60)
	ts := baseTime
	for i := range events {
		ts += 0.5 + rng.Float64()
		load := 0.3 + rng.Float64()*0.1
		if i%17 == 16 {
			load = 0.99 // spikes
		}
		events[i] = newEvent("e", "payments", ts, load, event.Priority(rng.IntN(4)), `{"a":1}`)
		if i == 40 {
			events[i].Timestamp -= 30 // out of order
		}
		if i == 45 {
			events[i].TimestampCorrected = true
		}
	}
	cfg := Config{Alpha: 0.2, WarmUp: 5, ZThreshold: 2.5}
	wantState, want := run(cfg, SourceState{}, events)
	anomalies := 0
	for _, d := range want {
		if d.IsAnomaly {
			anomalies++
		}
	}
	if anomalies < 3 {
		t.Fatalf("corpus too tame to test the baseline restore: %d anomalies", anomalies)
	}

	for cut := 0; cut <= len(events); cut++ {
		mid, first := run(cfg, SourceState{}, events[:cut])
		restored, err := DecodeSourceState(mid.AppendBinary(nil))
		if err != nil {
			t.Fatal(err)
		}
		gotState, second := run(cfg, restored, events[cut:])
		got := append(first, second...)
		for i := range want {
			requireSameDerived(t, i, got[i], want[i])
		}
		requireSameState(t, gotState, wantState)
	}
}

// TestSignatureChangesWithRules: the same event from the same state signs
// differently under other rules, and the compiled-in rules (no hash) sign
// as before.
func TestSignatureChangesWithRules(t *testing.T) {
	ev := &event.Event{EventID: []byte("e1"), SourceID: []byte("s1"), Timestamp: 1700000000, ReceivedAt: 1700000001, Priority: event.PriorityHigh, Load: 0.4}
	cls := classify.Classify(classify.FeaturesOf(ev))
	cfg := Config{}.WithDefaults()
	_, base := Apply(cfg, SourceState{}, ev, cls)
	h1, h2 := [8]byte{1}, [8]byte{2}
	cfg.RulesHash = &h1
	_, r1 := Apply(cfg, SourceState{}, ev, cls)
	cfg.RulesHash = &h2
	_, r2 := Apply(cfg, SourceState{}, ev, cls)
	if base.Signature == r1.Signature || r1.Signature == r2.Signature || base.Signature == r2.Signature {
		t.Fatalf("signatures do not depend on the rules: %x %x %x", base.Signature, r1.Signature, r2.Signature)
	}
	cfg.RulesHash = &h1
	if _, again := Apply(cfg, SourceState{}, ev, cls); again.Signature != r1.Signature {
		t.Fatal("signature not deterministic under the same rules")
	}
}
