package enrich

import (
	"math"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/unit"
)

// msPerSecond converts the event's epoch-second times to milliseconds.
const msPerSecond = 1000

// Apply is the pure transition (state, event) -> (state', derived) for one
// event of the source whose state is st. cls is the event's classification.
// cfg must have passed WithDefaults and Validate.
//
// It sets every Derived field except TotalProcessingTimeMs (wall clock, the
// caller measures it) and GlobalPublishSequence (assigned at publishing).
// It reads no clock and does not allocate: the same (cfg, st, ev, cls)
// always yields the same outputs, bit for bit.
func Apply(cfg Config, st SourceState, ev *event.Event, cls classify.Result) (SourceState, event.Derived) {
	st.LastSequence++
	d := event.Derived{
		Category:           cls.Category,
		CategoryConfidence: unit.Clamp(cls.Confidence),
		SequenceNumber:     st.LastSequence,
		IntakeLatencyMs:    intakeLatencyMs(ev),
		RiskScore:          Terms(cfg, ev.Priority, ev.Load, classify.Complexity(ev.Summary), cls.Category).Score(),
	}
	d.AnomalyReasons = detectAnomalies(cfg, &st, ev)
	d.IsAnomaly = !d.AnomalyReasons.Empty()
	d.Signature = signature(ev, &d, cfg.RulesHash)
	return st, d
}

// intakeLatencyMs is received_at − timestamp in milliseconds, floored at 0
// (a producer clock ahead of the broker's is not negative latency; a
// non-finite result also yields 0, so the wire never carries NaN or Inf).
func intakeLatencyMs(ev *event.Event) float64 {
	ms := (ev.ReceivedAt - ev.Timestamp) * msPerSecond
	if ms > 0 && !math.IsInf(ms, 1) {
		return ms
	}
	return 0
}
