package audit

import (
	"fmt"

	"github.com/eventproc/eventproc/event"
)

// replayInput re-derives the current input in offset order and checks the
// record that claims it (nil when none does), as checkContent does for a
// whole topic: an input is committed to its partition's state when it has
// an output (or none at all: the loss is reported, and its successors are
// most likely numbered as if it had been published), never when it has a
// dead letter.
func (j *join) replayInput(in *Record, c *claim) {
	x := j.s.x
	o := j.replay.Derive(in.Value, in.Timestamp)
	if o.Accepted {
		src := string(o.Event.SourceID)
		if home, ok := x.homes[src]; !ok {
			x.homes[src] = j.part
		} else if home != j.part && !x.unkeyed[src] {
			x.unkeyed[src] = true
			j.diagnose("input not keyed by source_id: source %q in partitions %d and %d", src, home, j.part)
			j.violate(KindPartition, []Ref{j.inputRef(in.Offset)}, "source %q has records in partitions %d and %d", src, home, j.part)
		}
		if !j.complete {
			j.unchecked[src] = true
		}
	}
	switch {
	case c == nil: // lost: reported at the end; assume it was processed
		j.replay.Commit(&o)
	case !c.dlq:
		refs := []Ref{c.rec.ref(), j.inputRef(in.Offset)}
		if !o.Accepted {
			j.violateField(KindContent, refs, "(outcome)", "dead letter "+o.Reason.String(), "output",
				"output for an input that intake rejects as %s: %s", o.Reason, o.Message)
			return
		}
		defer j.replay.Commit(&o)
		diffs, err := j.replay.CompareValue(&o, c.rec.Value, j.complete)
		if err != nil {
			return // reported as a decode violation
		}
		for _, d := range diffs {
			if d.Field == "sequence_number" && d.Got == "1" {
				j.restarts++
				if j.restarts == 1 {
					j.firstRestart = c.rec.ref()
				}
			}
			j.violateField(KindContent, refs, d.Field, d.Want, d.Got, "%s is %s, its input gives %s", d.Field, d.Got, d.Want)
		}
	default:
		got, ok := header(c.rec.Headers, event.HeaderErrorReason)
		if !ok {
			return // reported as a header violation
		}
		refs := []Ref{c.rec.ref(), j.inputRef(in.Offset)}
		var mismatch string
		switch {
		case o.Accepted && j.cfg.BrokerRefused(string(got), len(in.Value)):
		case o.Accepted:
			j.violateField(KindDLQHeaders, refs, "reason", "none (a valid event)", string(got),
				"dead letter has reason %q but its input is a valid event", got)
			mismatch = fmt.Sprintf("%q for a valid event", got)
		case string(got) != o.Reason.String():
			j.violateField(KindDLQHeaders, refs, "reason", o.Reason.String(), string(got),
				"dead letter has reason %q but its input is rejected as %q", got, o.Reason)
			mismatch = fmt.Sprintf("%q where intake gives %q", got, o.Reason)
		}
		if mismatch != "" {
			x.reasonMismatches++
			if x.firstMismatch == "" {
				x.firstMismatch = mismatch
			}
		}
	}
}
