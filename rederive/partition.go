package rederive

import (
	"errors"
	"time"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

// stages are the pure stages a replay runs, configured as the processor
// configures them. newStages is the one place that builds them, so a new
// processing setting (for instance classification rules) is added here
// and nowhere else.
type stages struct {
	decoder      *intake.Decoder
	classify     func(classify.Features) classify.Result
	enrich       enrich.Config
	rulesVersion string
}

func newStages(cfg Config) (stages, error) {
	dec, err := intake.NewDecoder(cfg.Intake)
	if err != nil {
		return stages{}, err
	}
	rs, err := cfg.effectiveRules().Stages()
	if err != nil {
		return stages{}, err
	}
	return stages{decoder: dec, classify: rs.Classifier.Classify, enrich: rs.Enrich, rulesVersion: rs.Version}, nil
}

// Partition replays one input partition. Feed it the partition's records
// in offset order with Derive, and Commit each outcome the processor
// published as an output; an outcome not committed (a rejected record, or
// one the broker refused) leaves the partition's state as it was, exactly
// as the processor treats it. A Partition is not safe for concurrent use.
type Partition struct {
	cfg     Config
	stages  stages
	sources map[string]enrich.SourceState
}

// NewPartition returns the replay of a partition from an empty state: its
// first Derive must be the partition's first record ever (offset 0) for
// sequence numbers and anomaly verdicts to be the processor's.
func NewPartition(cfg Config) (*Partition, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := newStages(cfg)
	if err != nil {
		return nil, err
	}
	return &Partition{cfg: cfg, stages: st, sources: make(map[string]enrich.SourceState)}, nil
}

// Sources is the number of distinct sources whose state the replay holds.
func (p *Partition) Sources() int { return len(p.sources) }

// Outcome is what the processor must make of one input record.
type Outcome struct {
	// Accepted says intake accepts the record: it is an output, unless the
	// broker refused it. Otherwise Reason and Message are its dead letter's.
	Accepted bool
	Reason   event.Reason
	Message  string

	// Event and Derived are the accepted event and its derived values; the
	// event does not alias the record value. Derived's WindowID-like values
	// (GlobalPublishSequence, TotalProcessingTimeMs) are zero: they depend
	// on how the processor cut windows.
	Event   *event.Event
	Derived event.Derived
	// SourceSeen says the source had events before this one in the
	// partition (as replayed).
	SourceSeen bool

	next enrich.SourceState
}

// Derive computes the outcome of the partition's next record, value with
// its broker timestamp receivedAt, without changing the partition's state.
func (p *Partition) Derive(value []byte, receivedAt time.Time) Outcome {
	var ev event.Event
	if err := p.stages.decoder.Decode(value, receivedAt, &ev); err != nil {
		var ve *intake.ValidationError
		if !errors.As(err, &ve) {
			// As the processor does for an error that is not a validation error.
			ve = &intake.ValidationError{Reason: event.ReasonInvalidJSON, Msg: err.Error()}
		}
		return Outcome{Reason: ve.Reason, Message: ve.Error()}
	}
	o := Outcome{Accepted: true, Event: ev.Clone()}
	cls := p.stages.classify(classify.FeaturesOf(o.Event))
	st, seen := p.sources[string(o.Event.SourceID)]
	o.SourceSeen = seen
	o.next, o.Derived = enrich.Apply(p.stages.enrich, st, o.Event, cls)
	return o
}

// Commit folds an accepted outcome into the partition's state: the source's
// sequence counter and anomaly baselines move on. It must be the outcome of
// the latest Derive; committing a rejected outcome does nothing.
func (p *Partition) Commit(o *Outcome) {
	if !o.Accepted {
		return
	}
	p.sources[string(o.Event.SourceID)] = o.next
}

// AppendOutput appends the output value the processor publishes for an
// accepted outcome, with the values that depend on windowing taken from
// the caller: the window id, the publish sequence and the processing time.
func (p *Partition) AppendOutput(dst []byte, o *Outcome, windowID string, publishSequence uint64, totalProcessingTimeMs float64) []byte {
	d := o.Derived
	d.GlobalPublishSequence = publishSequence
	d.TotalProcessingTimeMs = totalProcessingTimeMs
	return event.AppendOutput(dst, o.Event, &d, event.OutputOptions{WindowID: windowID, RedactMetadata: p.cfg.RedactMetadata, RulesVersion: p.stages.rulesVersion})
}
