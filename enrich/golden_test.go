package enrich

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/eventproc/eventproc/internal/golden"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/event"
)

// goldenConfig uses a short warm-up so the ~40-event corpus exercises the
// z-score rules.
var goldenConfig = Config{Alpha: 0.2, WarmUp: 5, ZThreshold: 3}

// goldenCorpus is a fixed, interleaved stream of three sources, built by
// hand: a steady sensor; a payments source with a load spike, a silence
// (flagged) and then a burst (not flagged: the silence has just widened the
// gap baseline's variance); and a user source with a corrected and an
// out-of-order timestamp.
func goldenCorpus() []*event.Event {
	var events []*event.Event
	add := func(source string, i int, ts, load float64, p event.Priority, metadata string) *event.Event {
		ev := newEvent(source+"-"+strconv.Itoa(i), source, ts, load, p, metadata)
		events = append(events, ev)
		return ev
	}
	const (
		low  = event.PriorityLow
		med  = event.PriorityMedium
		high = event.PriorityHigh
		crit = event.PriorityCritical
	)
	// Steady sensor: 1 s cadence, load 0.2 with a tiny wobble.
	for i := 0; i < 12; i++ {
		add("sensor-7", i, baseTime+float64(i), 0.2+float64(i%3)*0.001, low, `{"v":"1"}`)
	}
	// Payments: 2 s cadence; spike at 9, silence before 11, burst at 13.
	ts := baseTime
	for i := 0; i < 15; i++ {
		gap, load, p := 2.0, 0.35, med
		switch i {
		case 9:
			load, p = 0.97, crit
		case 11:
			gap = 20
		case 13:
			gap = 0.01
		case 14:
			p = high
		}
		ts += gap
		ev := add("payment-gw", i, ts, load, p, `{"amount":"12.50","currency":"EUR"}`)
		ev.Summary = event.MetadataSummary{FieldCount: 12, MaxDepth: 3, LeafCount: 24, Kinds: event.KindCounts{Strings: 12, Numbers: 10, Bools: 2, Objects: 4}, ByteSize: 640}
		ev.Payload = []byte(`{"region":"eu"}`)
	}
	// User source: 0.5 s cadence; 4 corrected, 8 out of order.
	for i := 0; i < 13; i++ {
		ev := add("UserSessions", i, baseTime+0.5*float64(i), 0.1, med, `{}`)
		ev.Summary = event.MetadataSummary{}
		switch i {
		case 4:
			ev.TimestampCorrected = true
			ev.Timestamp = ev.ReceivedAt
		case 8:
			ev.Timestamp -= 3
		}
	}
	// Interleave deterministically: a fixed permutation that keeps each
	// source's own order (round-robin over the three blocks).
	var interleaved []*event.Event
	blocks := [][]*event.Event{events[:12], events[12:27], events[27:]}
	for len(blocks[0])+len(blocks[1])+len(blocks[2]) > 0 {
		for i := range blocks {
			if len(blocks[i]) > 0 {
				interleaved = append(interleaved, blocks[i][0])
				blocks[i] = blocks[i][1:]
			}
		}
	}
	return interleaved
}

type goldenDerived struct {
	EventID         string      `json:"event_id"`
	SourceID        string      `json:"source_id"`
	Sequence        uint64      `json:"sequence_number"`
	Category        string      `json:"category"`
	Confidence      float64     `json:"category_confidence"`
	IntakeLatencyMs float64     `json:"intake_latency_ms"`
	RiskScore       float64     `json:"risk_score"`
	IsAnomaly       bool        `json:"is_anomaly"`
	AnomalyReasons  []string    `json:"anomaly_reasons"`
	Signature       string      `json:"processing_signature"`
	State           SourceState `json:"state_after"`
}

// TestApplyGolden runs goldenCorpus through Apply with one state per source
// and compares every derived value and state with
// testdata/enrich.golden.jsonl; run with -update to rewrite it.
func TestApplyGolden(t *testing.T) {
	states := map[string]SourceState{}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	flagged := map[event.AnomalyReason]int{}
	for _, ev := range goldenCorpus() {
		st, d := Apply(goldenConfig, states[string(ev.SourceID)], ev, classify.Classify(classify.FeaturesOf(ev)))
		states[string(ev.SourceID)] = st
		line := goldenDerived{
			EventID: string(ev.EventID), SourceID: string(ev.SourceID), Sequence: d.SequenceNumber,
			Category: d.Category.String(), Confidence: d.CategoryConfidence, IntakeLatencyMs: d.IntakeLatencyMs,
			RiskScore: d.RiskScore, IsAnomaly: d.IsAnomaly, AnomalyReasons: []string{},
			Signature: hex.EncodeToString(d.Signature[:]), State: st,
		}
		d.AnomalyReasons.Each(func(r event.AnomalyReason) {
			line.AnomalyReasons = append(line.AnomalyReasons, r.String())
			flagged[r]++
		})
		if err := enc.Encode(line); err != nil {
			t.Fatal(err)
		}
	}
	// The corpus must keep exercising every anomaly rule.
	for r := event.AnomalyReason(0); int(r) < event.NumAnomalyReasons; r++ {
		if flagged[r] == 0 {
			t.Errorf("golden corpus never triggers %v", r)
		}
	}
	golden.Compare(t, filepath.Join("testdata", "enrich.golden.jsonl"), buf.Bytes())
}
