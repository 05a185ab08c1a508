package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/rederive"
)

// checkContent re-derives every output and dead letter from the input its
// lineage names: each input partition is replayed in offset order from an
// empty state (package rederive), exactly as the processor processed it,
// and every field that is a function of the input and the source's history
// is compared. An input whose partition the audit does not see from offset
// 0 (retention deleted its start) has its stateless
// fields checked only; the report names the sources concerned.
//
// The replay commits an input to its partition's state when the input has
// an output (or none at all: the loss is reported, and its successors are
// most likely numbered as if it had been published), never when it has a
// dead letter.
func (a *auditor) checkContent(out, dlq []Record) {
	cfg := a.opt.Rederive.WithDefaults()
	order := make([]int, len(a.in))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		return cmp.Or(cmp.Compare(a.in[x].Partition, a.in[y].Partition), cmp.Compare(a.in[x].Offset, a.in[y].Offset))
	})
	x := a.x
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && a.in[order[end]].Partition == a.in[order[start]].Partition {
			end++
		}
		run := order[start:end]
		start = end

		p, err := rederive.NewPartition(cfg)
		if err != nil {
			a.violate(KindContent, nil, "cannot re-derive outputs: %v", err)
			return
		}
		part, first := a.in[run[0]].Partition, a.in[run[0]].Offset
		// Offset 0 is the start of a partition's history whatever the
		// range audited.
		complete := first == 0
		unchecked := map[string]bool{}
		for _, i := range run {
			rec := &a.in[i]
			o := p.Derive(rec.Value, rec.Timestamp)
			if o.Accepted {
				src := string(o.Event.SourceID)
				if home, ok := x.homes[src]; !ok {
					x.homes[src] = part
				} else if home != part && !x.unkeyed[src] {
					x.unkeyed[src] = true
					a.diagnose("input not keyed by source_id: source %q in partitions %d and %d", src, home, part)
					if a.only != nil {
						// The whole-topic audit reports this from the outputs
						// (checkSources); partition by partition it is seen here.
						a.violate(KindPartition, []Ref{a.inputRef(i)}, "source %q has records in partitions %d and %d", src, home, part)
					}
				}
				if !complete {
					unchecked[src] = true
				}
			}
			switch {
			case a.claimOut[i] >= 0:
				a.checkOutputContent(p, &o, &out[a.claimOut[i]], i, complete)
			case a.claimDLQ[i] >= 0:
				if msg := a.checkDeadLetterReason(cfg, &o, &dlq[a.claimDLQ[i]], i); msg != "" {
					x.reasonMismatches++
					if x.firstMismatch == "" {
						x.firstMismatch = msg
					}
				}
			default: // lost: already reported; assume it was processed
				p.Commit(&o)
			}
		}
		if a.restarts > 0 {
			a.diagnose("%d sources of partition %d restart their sequence at 1 mid-history (first at %s): the state was lost — the changelog was reset or deleted while the group's offsets were kept", a.restarts, part, a.firstRestart)
			a.restarts = 0
		}
		if len(unchecked) > 0 {
			a.report.Unchecked = append(a.report.Unchecked, UncheckedHistory{
				Partition: part, FirstOffset: first, Sources: slices.Sorted(maps.Keys(unchecked)),
			})
		}
	}
}

// crossPartition is what the audit keeps across partitions: bounded by the
// number of sources and groups, not of records.
type crossPartition struct {
	homes            map[string]int32 // source → first input partition it was seen in
	unkeyed          map[string]bool
	groups           map[string]int // HeaderGroup value → records
	reasonMismatches int
	firstMismatch    string
	layout           layoutEvidence
}

func newCrossPartition(o Ordering) *crossPartition {
	return &crossPartition{homes: map[string]int32{}, unkeyed: map[string]bool{}, groups: map[string]int{}, layout: layoutEvidence{ordering: o}}
}

// finish adds the diagnoses that need every partition seen.
func (x *crossPartition) finish(r *Report) {
	if d := x.layout.diagnosis(); d != "" {
		r.Diagnoses = append(r.Diagnoses, d)
	}
	if len(x.groups) > 1 {
		names := slices.Sorted(maps.Keys(x.groups))
		parts := make([]string, len(names))
		for i, g := range names {
			parts[i] = fmt.Sprintf("%q (%d records)", g, x.groups[g])
		}
		r.Diagnoses = append(r.Diagnoses, fmt.Sprintf("outputs from %d consumer groups in one topic: %s; each group processes the whole input, so every input is there once per group", len(names), strings.Join(parts, ", ")))
	}
	if x.reasonMismatches > 0 {
		r.Diagnoses = append(r.Diagnoses, fmt.Sprintf("%d dead letters carry a reason the replay does not reproduce (first: %s): different processing settings (--max-event-bytes, --max-depth) or a forged dead letter", x.reasonMismatches, x.firstMismatch))
	}
}

// checkOutputContent compares an output with what its input gives and
// commits the input to the replay's state.
func (a *auditor) checkOutputContent(p *rederive.Partition, o *rederive.Outcome, rec *Record, input int, complete bool) {
	refs := []Ref{rec.ref(), a.inputRef(input)}
	if !o.Accepted {
		a.violateField(KindContent, refs, "(outcome)", "dead letter "+o.Reason.String(), "output",
			"output for an input that intake rejects as %s: %s", o.Reason, o.Message)
		return
	}
	defer p.Commit(o)
	diffs, err := p.CompareValue(o, rec.Value, complete)
	if err != nil {
		return // reported as a decode violation
	}
	for _, d := range diffs {
		if d.Field == "sequence_number" && d.Got == "1" {
			a.restarts++
			if a.restarts == 1 {
				a.firstRestart = rec.ref()
			}
		}
		a.violateField(KindContent, refs, d.Field, d.Want, d.Got, "%s is %s, its input gives %s", d.Field, d.Got, d.Want)
	}
}

// checkDeadLetterReason checks that a dead letter's reason is the one its
// input gives, or that the input is one the broker refused. A refused or
// rejected input is not committed: it consumed no sequence number. It
// returns a short description of a mismatch, empty when there is none.
func (a *auditor) checkDeadLetterReason(cfg rederive.Config, o *rederive.Outcome, rec *Record, input int) string {
	got, ok := header(rec.Headers, event.HeaderErrorReason)
	if !ok {
		return "" // reported as a header violation
	}
	refs := []Ref{rec.ref(), a.inputRef(input)}
	switch {
	case o.Accepted && cfg.BrokerRefused(string(got), len(a.in[input].Value)):
		return ""
	case o.Accepted:
		a.violateField(KindDLQHeaders, refs, "reason", "none (a valid event)", string(got),
			"dead letter has reason %q but its input is a valid event", got)
		return fmt.Sprintf("%q for a valid event", got)
	case string(got) != o.Reason.String():
		a.violateField(KindDLQHeaders, refs, "reason", o.Reason.String(), string(got),
			"dead letter has reason %q but its input is rejected as %q", got, o.Reason)
		return fmt.Sprintf("%q where intake gives %q", got, o.Reason)
	}
	return ""
}

// countGroups counts outputs and dead letters per publishing consumer
// group: more than one means two deployments processed the same input.
func (a *auditor) countGroups(out, dlq []Record) {
	for _, rs := range [][]Record{out, dlq} {
		for i := range rs {
			if g, ok := header(rs[i].Headers, event.HeaderGroup); ok {
				a.x.groups[string(g)]++
			}
		}
	}
}

func (a *auditor) diagnose(format string, args ...any) {
	a.report.Diagnoses = append(a.report.Diagnoses, fmt.Sprintf(format, args...))
}

func (a *auditor) violateField(kind ViolationKind, refs []Ref, field, want, got, format string, args ...any) {
	a.report.Violations = append(a.report.Violations, Violation{
		Kind: kind, Message: fmt.Sprintf(format, args...), Refs: refs, Field: field, Want: want, Got: got,
	})
}

// isTruncated reports whether a dead letter says it holds only a prefix of
// its input value (the broker refused the whole one).
func isTruncated(hs []Header) bool {
	v, ok := header(hs, event.HeaderErrorTruncated)
	return ok && string(v) == "true"
}

// truncationProblem checks a truncated dead letter against its input: its
// value is a prefix of the input value, and its original size and SHA-256
// headers are the input value's.
func truncationProblem(input []byte, rec *Record) string {
	size, okSize := header(rec.Headers, event.HeaderErrorOriginalSize)
	sum, okSum := header(rec.Headers, event.HeaderErrorOriginalSHA256)
	want := sha256.Sum256(input)
	switch {
	case len(rec.Value) > len(input) || string(input[:len(rec.Value)]) != string(rec.Value):
		return fmt.Sprintf("value %s is not a prefix of the input value %s", describeBytes(rec.Value), describeBytes(input))
	case !okSize || string(size) != strconv.Itoa(len(input)):
		return fmt.Sprintf("header %s is %q, the input value has %d bytes", event.HeaderErrorOriginalSize, size, len(input))
	case !okSum || !strings.EqualFold(string(sum), hex.EncodeToString(want[:])):
		return fmt.Sprintf("header %s is %q, the input value's SHA-256 is %x", event.HeaderErrorOriginalSHA256, sum, want)
	}
	return ""
}
