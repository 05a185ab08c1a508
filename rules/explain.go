package rules

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

// ErrWouldDeadLetter is wrapped by DecodeInput's error for a value the
// processor's intake refuses.
var ErrWouldDeadLetter = errors.New("the event would be dead-lettered")

// DecodeInput decodes one input record value, received at now, as the
// processor's intake does under its default limits, for Explain.
func DecodeInput(value []byte, now time.Time) (event.Event, error) {
	var ev event.Event
	dec, err := intake.NewDecoder(intake.Config{}.WithDefaults())
	if err != nil {
		return ev, err
	}
	if err := dec.Decode(value, now, &ev); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrWouldDeadLetter, err)
	}
	return ev, nil
}

// Explain writes how st classifies and scores ev, factor by factor: each
// classification factor's evidence, weight and contribution per category,
// the winning category and confidence, and the four risk terms. Anomaly
// detection depends on the source's history, so only its thresholds are
// shown.
func Explain(w io.Writer, st Stages, ev *event.Event) error {
	var b strings.Builder
	res, factors := st.Classifier.Explain(classify.FeaturesOf(ev))
	fmt.Fprintf(&b, "rules_version %s\n", st.Version)
	fmt.Fprintf(&b, "event %q from source %q\n\n", ev.EventID, ev.SourceID)
	b.WriteString("classification (weight x distribution, per category)\n")
	fmt.Fprintf(&b, "  %-11s %6s", "factor", "weight")
	for c := event.Category(0); c < event.NumCategories; c++ {
		fmt.Fprintf(&b, " %11s", c)
	}
	b.WriteString("  evidence\n")
	for _, f := range factors {
		fmt.Fprintf(&b, "  %-11s %6.4f", f.Name, f.Weight)
		for _, v := range f.Contribution {
			fmt.Fprintf(&b, " %11.4f", v)
		}
		fmt.Fprintf(&b, "  %s\n", f.Evidence)
	}
	fmt.Fprintf(&b, "  %-11s %6s", "score", "")
	for _, v := range res.Scores {
		fmt.Fprintf(&b, " %11.4f", v)
	}
	fmt.Fprintf(&b, "\n  category %s, confidence %.4f (its share of the scores; ties go to the first category listed)\n\n", res.Category, res.Confidence)

	terms := enrich.Terms(st.Enrich, ev.Priority, ev.Load, classify.Complexity(ev.Summary), res.Category)
	b.WriteString("risk score (mean of four terms)\n")
	fmt.Fprintf(&b, "  priority       %.4f  (%s)\n", terms.Priority, ev.Priority)
	fmt.Fprintf(&b, "  load           %.4f\n", terms.Load)
	fmt.Fprintf(&b, "  complexity     %.4f\n", terms.Complexity)
	fmt.Fprintf(&b, "  category bonus %.4f  (%s)\n", terms.CategoryBonus, res.Category)
	fmt.Fprintf(&b, "  risk_score     %.4f\n\n", terms.Score())

	fmt.Fprintf(&b, "anomaly detection (needs the source's history): alpha %g, warmup %d events, z threshold %g\n",
		st.Rules.Alpha, st.Rules.WarmUp, st.Rules.ZThreshold)
	if ev.TimestampCorrected {
		b.WriteString("  timestamp_corrected: this event alone is an anomaly\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
