package enrich

import (
	"math/rand/v2"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// steadyStream is n events of one source, one per second, load 0.5, with
// tiny deterministic noise (±0.002 load, ±2 ms gap) that must not be flagged.
func steadyStream(n int) []*event.Event {
	rng := rand.New(rand.NewPCG(7, 7))
	events := make([]*event.Event, n)
	ts := baseTime
	for i := range events {
		ts += 1 + (rng.Float64()-0.5)*0.004
		events[i] = newEvent("e", "sensor", ts, 0.5+(rng.Float64()-0.5)*0.004, event.PriorityMedium, `{"a":"1","b":"2"}`)
	}
	return events
}

func reasonsOf(ds []event.Derived) []event.AnomalyReasons {
	out := make([]event.AnomalyReasons, len(ds))
	for i, d := range ds {
		out[i] = d.AnomalyReasons
		if d.IsAnomaly != !d.AnomalyReasons.Empty() {
			panic("IsAnomaly disagrees with AnomalyReasons")
		}
	}
	return out
}

func TestConstantStreamNotFlagged(t *testing.T) {
	for _, warmUp := range []uint64{1, 5, 20} {
		_, ds := run(testConfig(warmUp), SourceState{}, steadyStream(200))
		for i, r := range reasonsOf(ds) {
			if !r.Empty() {
				t.Fatalf("warm-up %d: steady event %d flagged %b", warmUp, i, r)
			}
		}
	}
	// Exactly constant too: variance 0 must hit the floor, not divide by 0.
	events := make([]*event.Event, 50)
	for i := range events {
		events[i] = newEvent("e", "sensor", baseTime+float64(i), 0.3, event.PriorityLow, `{}`)
	}
	st, ds := run(testConfig(3), SourceState{}, events)
	for i, r := range reasonsOf(ds) {
		if !r.Empty() {
			t.Fatalf("constant event %d flagged %b", i, r)
		}
	}
	if st.LoadVar != 0 || st.GapVar != 0 {
		t.Fatalf("constant stream has variance: %+v", st)
	}
}

func TestLoadSpike(t *testing.T) {
	const warmUp = 20
	tests := []struct {
		name    string
		at      int // index of the spike
		load    float64
		flagged bool
	}{
		{"spike after warm-up is flagged", 30, 0.95, true},
		{"spike right at warm-up end is flagged", warmUp, 0.95, true},
		{"spike during warm-up is not flagged", warmUp - 1, 0.95, false},
		{"spike at the first event is not flagged", 0, 0.95, false},
		{"small rise is not flagged", 30, 0.54, false},
		{"a drop is not a spike", 30, 0.0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := steadyStream(40)
			events[tt.at].Load = tt.load
			_, ds := run(testConfig(warmUp), SourceState{}, events)
			for i, r := range reasonsOf(ds) {
				want := i == tt.at && tt.flagged
				if r.Has(event.AnomalyLoadSpike) != want {
					t.Fatalf("event %d: load_spike = %v, want %v", i, r.Has(event.AnomalyLoadSpike), want)
				}
				if r.Has(event.AnomalyInterArrival) || r.Has(event.AnomalyOutOfOrder) {
					t.Fatalf("event %d: unexpected reasons %b", i, r)
				}
			}
		})
	}
}

// TestLevelShiftBecomesNormal: anomalies are absorbed into the baseline, so
// a lasting new load level stops being flagged.
func TestLevelShiftBecomesNormal(t *testing.T) {
	events := steadyStream(80)
	for _, ev := range events[30:] {
		ev.Load = 0.9
	}
	_, ds := run(testConfig(20), SourceState{}, events)
	if !ds[30].AnomalyReasons.Has(event.AnomalyLoadSpike) {
		t.Fatalf("the shift itself should be flagged")
	}
	if !ds[79].AnomalyReasons.Empty() {
		t.Fatalf("50 events after the shift it is still flagged: %b", ds[79].AnomalyReasons)
	}
}

func TestInterArrival(t *testing.T) {
	tests := []struct {
		name    string
		gap     float64 // seconds between event 29 and 30 (steady: 1 s)
		flagged bool
	}{
		{"long silence", 10, true},
		{"burst", 0.05, true},
		{"ordinary jitter", 1.1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := steadyStream(40)
			shift := tt.gap - (events[30].Timestamp - events[29].Timestamp)
			for _, ev := range events[30:] {
				ev.Timestamp += shift
			}
			_, ds := run(testConfig(20), SourceState{}, events)
			for i, r := range reasonsOf(ds) {
				want := i == 30 && tt.flagged
				if r.Has(event.AnomalyInterArrival) != want {
					t.Fatalf("event %d: inter_arrival = %v, want %v", i, r.Has(event.AnomalyInterArrival), want)
				}
			}
		})
	}
}

func TestTimestampCorrected(t *testing.T) {
	events := steadyStream(10)
	// Intake replaced a far-future timestamp by received_at.
	events[4].TimestampCorrected = true
	events[4].Timestamp = events[4].ReceivedAt + 3600
	before, _ := run(testConfig(1), SourceState{}, events[:4])
	after, ds := run(testConfig(1), before, events[4:5])
	if ds[0].AnomalyReasons != event.AnomalyReasons(0).Add(event.AnomalyTimestampCorrected) || !ds[0].IsAnomaly {
		t.Fatalf("corrected event reasons = %b", ds[0].AnomalyReasons)
	}
	// A corrected timestamp takes no part in gaps or ordering.
	if after.LastTimestamp != before.LastTimestamp || after.GapCount != before.GapCount {
		t.Fatalf("corrected timestamp fed the gap baseline: %+v -> %+v", before, after)
	}
	if after.Count != before.Count+1 {
		t.Fatalf("corrected event's load not absorbed: %+v -> %+v", before, after)
	}
	// Later events are measured from the last reliable timestamp (event 3)
	// and are neither corrected nor out of order.
	_, rest := run(testConfig(1), after, events[5:])
	for i, r := range reasonsOf(rest) {
		if r.Has(event.AnomalyTimestampCorrected) || r.Has(event.AnomalyOutOfOrder) {
			t.Fatalf("event %d after the corrected one flagged %b", i+5, r)
		}
	}
}

func TestOutOfOrder(t *testing.T) {
	events := steadyStream(30)
	// Event 25 claims a time 5 s in the past.
	events[25].Timestamp = events[24].Timestamp - 5
	before, _ := run(testConfig(5), SourceState{}, events[:25])
	after, ds := run(testConfig(5), before, events[25:26])
	if ds[0].AnomalyReasons != event.AnomalyReasons(0).Add(event.AnomalyOutOfOrder) {
		t.Fatalf("out-of-order event reasons = %b", ds[0].AnomalyReasons)
	}
	if after.GapCount != before.GapCount || after.GapMean != before.GapMean || after.LastTimestamp != before.LastTimestamp {
		t.Fatalf("negative gap fed the baseline: %+v -> %+v", before, after)
	}
	// Event 26 is later than the high-water mark (event 24), so it is in
	// order again (its 2 s gap may count as a silence, which is right).
	_, rest := run(testConfig(5), after, events[26:])
	for i, r := range reasonsOf(rest) {
		if r.Has(event.AnomalyOutOfOrder) {
			t.Fatalf("event %d after the out-of-order one flagged out_of_order", i+26)
		}
	}
	// An equal timestamp is not out of order.
	dup := *events[29]
	_, ds = run(testConfig(5), SourceState{LastTimestamp: dup.Timestamp}, []*event.Event{&dup})
	if ds[0].AnomalyReasons.Has(event.AnomalyOutOfOrder) {
		t.Fatalf("equal timestamp flagged out_of_order")
	}
}
