package audit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/rederive"
)

// RecordReader yields the records of one topic partition in offset order,
// read committed; Next returns false after the last one. ctx bounds
// waiting for the next record.
type RecordReader interface {
	Next(ctx context.Context) (Record, bool, error)
}

// Input slots of a partition join, per offset from the partition's first
// input: not an input record (a transaction marker or an aborted record),
// an input not traced yet, or (>= 0) the first record tracing to it,
// encoded by claimCode.
const (
	slotNotInput = -2
	slotUntraced = -1
)

// claim is an output or dead letter waiting for its input record.
type claim struct {
	rec Record
	dlq bool
}

// join audits one input partition against the output and DLQ partitions
// of the same number as the three are read, in offset order. The replay
// takes the inputs in offset order; the outputs of a window are in merge
// order, so the join reads the output partition ahead only until the
// window holding the current input is complete (a later window has
// started) and the DLQ partition until it has passed the current input,
// and holds what it read ahead until its input arrives: memory is one or
// two windows' records, the replay's per-source state and one slot of
// 8 bytes per input offset for the exactly-once checks, which must be
// exact.
type join struct {
	s    *Stream
	opt  Options
	part int32

	// The three partitions and whether each has been read to its end.
	in, out, dlq                RecordReader
	inEnded, outEnded, dlqEnded bool
	outTopic, dlqTopic          string
	report                      Report

	// The replay (nil without the content audit) and what it diagnoses.
	replay       *rederive.Partition
	cfg          rederive.Config
	complete     bool // the partition is read from offset 0
	unchecked    map[string]bool
	restarts     int
	firstRestart Ref

	// start and lastInput are the first and latest input offsets, -1
	// before the first; lastDecided says the latest has been matched and
	// replayed. slots holds one slot per offset from start (see
	// slotNotInput), extra the further records tracing to an input.
	start, lastInput int64
	lastDecided      bool
	slots            []int64
	extra            map[int64][]Ref
	// pending holds the records read ahead, by the input offset they
	// trace to, until that input is read.
	pending map[int64][]claim

	// closedMax is the highest input offset traced by the outputs of the
	// completed windows, windowMax that of the open window; dlqMax the
	// highest traced by a dead letter.
	closedMax, windowMax int64
	window               string
	haveWindow           bool
	dlqMax               int64
	order                *orderCheck
}

func newJoin(s *Stream, p int32, in, out, dlq RecordReader) *join {
	j := &join{
		s: s, opt: s.opt, part: p, in: in, out: out, dlq: dlq,
		start: -1, lastInput: -1, closedMax: -1, windowMax: -1, dlqMax: -1,
		pending: map[int64][]claim{}, unchecked: map[string]bool{},
	}
	if s.opt.global() {
		// Output partition 0 holds every input partition's outputs: this
		// join takes those of partition p; ReadOutputPartition checks the
		// partition's order as a whole and what traces nowhere.
		j.out = lineageFilter{r: out, topic: s.opt.InputTopic, part: p}
	}
	j.order = newOrderCheck(j)
	if s.opt.Rederive != nil {
		j.cfg = s.opt.Rederive.WithDefaults()
		p, err := rederive.NewPartition(j.cfg)
		if err != nil {
			j.violate(KindContent, nil, "cannot re-derive outputs: %v", err)
		} else {
			j.replay = p
		}
	}
	return j
}

// run reads the three partitions to their ends and audits them.
func (j *join) run(ctx context.Context) (Report, error) {
	for {
		rec, ok, err := j.in.Next(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("input partition %d: %w", j.part, err)
		}
		if !ok {
			break
		}
		j.addInput(&rec)
		for !j.outPassed(rec.Offset) {
			if err := j.readOutput(ctx); err != nil {
				return Report{}, err
			}
		}
		for !j.dlqPassed(rec.Offset) {
			if err := j.readDeadLetter(ctx); err != nil {
				return Report{}, err
			}
		}
		j.decide(&rec)
	}
	j.inEnded = true
	for _, o := range slices.Sorted(maps.Keys(j.pending)) {
		for _, c := range j.pending[o] {
			j.notAudited(&c.rec, o, c.dlq)
		}
	}
	clear(j.pending)
	for !j.outEnded {
		if err := j.readOutput(ctx); err != nil {
			return Report{}, err
		}
	}
	for !j.dlqEnded {
		if err := j.readDeadLetter(ctx); err != nil {
			return Report{}, err
		}
	}
	j.finish()
	return j.report, nil
}

func (j *join) outPassed(o int64) bool { return j.outEnded || j.closedMax >= o }
func (j *join) dlqPassed(o int64) bool { return j.dlqEnded || j.dlqMax >= o }

func (j *join) violate(kind ViolationKind, refs []Ref, format string, args ...any) {
	j.report.Violations = append(j.report.Violations, Violation{Kind: kind, Message: fmt.Sprintf(format, args...), Refs: refs})
}

func (j *join) violateField(kind ViolationKind, refs []Ref, field, want, got, format string, args ...any) {
	j.report.Violations = append(j.report.Violations, Violation{
		Kind: kind, Message: fmt.Sprintf(format, args...), Refs: refs, Field: field, Want: want, Got: got,
	})
}

func (j *join) diagnose(format string, args ...any) {
	j.report.Diagnoses = append(j.report.Diagnoses, fmt.Sprintf(format, args...))
}

func (j *join) inputRef(offset int64) Ref {
	return Ref{Topic: j.opt.InputTopic, Partition: j.part, Offset: offset}
}

// addInput takes the partition's next input record: the outputs read
// ahead that trace to the offsets it skipped trace to no audited input.
func (j *join) addInput(rec *Record) {
	j.report.Inputs++
	o := rec.Offset
	if j.start < 0 {
		j.start = o
		// Offset 0 is the start of a partition's history whatever the
		// range audited.
		j.complete = o == 0
	} else {
		for q := j.lastInput + 1; q < o; q++ {
			j.slots = append(j.slots, slotNotInput)
		}
	}
	j.slots = append(j.slots, slotUntraced)
	// Offsets skipped since the previous input (transaction markers,
	// aborted records) are no input's: so is what traces to them. A
	// partition's first input may follow any number of them.
	from := j.lastInput + 1
	if j.start == o {
		from = 0
	}
	if len(j.pending) > 0 && from < o {
		var skipped []int64
		if o-from <= int64(len(j.pending)) {
			for q := from; q < o; q++ {
				if _, ok := j.pending[q]; ok {
					skipped = append(skipped, q)
				}
			}
		} else {
			for q := range j.pending {
				if q < o {
					skipped = append(skipped, q)
				}
			}
			slices.Sort(skipped)
		}
		for _, q := range skipped {
			for _, c := range j.pending[q] {
				j.notAudited(&c.rec, q, c.dlq)
			}
			delete(j.pending, q)
		}
	}
	j.lastInput, j.lastDecided = o, false
}

// readOutput reads and checks the next output record.
func (j *join) readOutput(ctx context.Context) error {
	rec, ok, err := j.out.Next(ctx)
	if err != nil {
		return fmt.Errorf("output partition %d: %w", j.part, err)
	}
	if !ok {
		j.outEnded = true
		return nil
	}
	j.report.Outputs++
	j.countGroup(&rec)
	if j.outTopic == "" {
		j.outTopic = rec.Topic
	}
	lineage := int64(-1)
	topic, pos, problem := tracePosition(rec.Headers, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
	switch {
	case problem != "":
		j.violate(KindLineage, []Ref{rec.ref()}, "output cannot be traced: %s", problem)
	case topic != j.opt.InputTopic:
		j.violate(KindLineage, []Ref{rec.ref()}, "output traces to topic %q, not the input topic %q", topic, j.opt.InputTopic)
	case pos.partition != j.part:
		j.wrongPartition(&rec, pos)
		j.s.x.foreignOutput(rec.ref())
	default:
		lineage = pos.offset
		j.route(&rec, pos.offset, false)
	}
	if rec.Partition != globalOutputPartition {
		j.s.x.layout.outputsOffZero++
	}

	o, err := event.ParseOutput(rec.Value)
	if err != nil {
		j.violate(KindDecode, []Ref{rec.ref()}, "%v", err)
		j.windowMax = max(j.windowMax, lineage)
		return nil
	}
	if !j.haveWindow || o.Derived.WindowID != j.window {
		// A window's outputs are contiguous: the previous one is complete.
		j.closedMax = max(j.closedMax, j.windowMax)
		j.window, j.haveWindow, j.windowMax = o.Derived.WindowID, true, -1
	}
	j.windowMax = max(j.windowMax, lineage)
	p, _ := event.ParsePriority([]byte(o.Priority)) // ParseOutput checked it
	input := lineage
	if input >= 0 && j.start >= 0 && input < j.start {
		input = -1 // before the audited range
	}
	j.order.add(decodedOutput{
		ref:      rec.ref(),
		input:    int(input),
		priority: p,
		source:   o.SourceID,
		sequence: o.SequenceNumber,
		publish:  o.Derived.GlobalPublishSequence,
		window:   o.Derived.WindowID,
	})
	return nil
}

// readDeadLetter reads the next DLQ record and checks its error headers.
func (j *join) readDeadLetter(ctx context.Context) error {
	rec, ok, err := j.dlq.Next(ctx)
	if err != nil {
		return fmt.Errorf("DLQ partition %d: %w", j.part, err)
	}
	if !ok {
		j.dlqEnded = true
		return nil
	}
	j.report.DeadLetters++
	j.countGroup(&rec)
	if j.dlqTopic == "" {
		j.dlqTopic = rec.Topic
	}
	problems, topic, pos, problem := deadLetterHeaderProblems(&rec, j.opt.InputTopic)
	if len(problems) > 0 {
		j.violate(KindDLQHeaders, []Ref{rec.ref()}, "dead letter headers: %s", strings.Join(problems, "; "))
	}
	switch {
	case problem != "" || topic != j.opt.InputTopic: // cannot be traced
	case pos.partition != j.part:
		j.wrongPartition(&rec, pos)
	default:
		j.dlqMax = max(j.dlqMax, pos.offset)
		j.route(&rec, pos.offset, true)
	}
	return nil
}

// countGroup counts a record per publishing consumer group: more than
// one means two deployments processed the same input.
func (j *join) countGroup(rec *Record) {
	if g, ok := header(rec.Headers, event.HeaderGroup); ok {
		j.s.x.groups[string(g)]++
	}
}

func (j *join) wrongPartition(rec *Record, pos position) {
	j.violate(KindPartition, []Ref{rec.ref(), {Topic: j.opt.InputTopic, Partition: pos.partition, Offset: pos.offset}},
		"record is in partition %d, its input in partition %d", rec.Partition, pos.partition)
}

// route sends a record tracing to input offset o to its input: held until
// the input is read, or traced at once when the input is behind.
func (j *join) route(rec *Record, o int64, dlq bool) {
	switch {
	case j.inEnded && o > j.lastInput:
		j.notAudited(rec, o, dlq)
	case o < j.lastInput || (o == j.lastInput && j.lastDecided):
		j.late(rec, o, dlq)
	default:
		j.pending[o] = append(j.pending[o], claim{rec: *rec, dlq: dlq})
	}
}

// notAudited reports a record tracing to an offset that is not among the
// audited input records.
func (j *join) notAudited(rec *Record, o int64, dlq bool) {
	if j.opt.PartialRange {
		return
	}
	if dlq {
		j.violate(KindDLQHeaders, []Ref{rec.ref()}, "dead letter traces to %s/%d@%d, which is not among the audited input records", j.opt.InputTopic, j.part, o)
		return
	}
	j.violate(KindLineage, []Ref{rec.ref()}, "output traces to %s/%d@%d, which is not among the audited input records", j.opt.InputTopic, j.part, o)
}

// late traces a record whose input was already matched and replayed (a
// duplicate, most likely, or a record far out of its window): it counts
// for the exactly-once checks, but its input is no longer held, so its
// headers and content are not compared with it.
func (j *join) late(rec *Record, o int64, dlq bool) {
	if o < j.start || j.start < 0 || j.slots[o-j.start] == slotNotInput {
		j.notAudited(rec, o, dlq)
		return
	}
	j.trace(rec, o, dlq)
}

// trace counts rec as tracing to input o.
func (j *join) trace(rec *Record, o int64, dlq bool) {
	i := o - j.start
	if j.slots[i] == slotUntraced {
		j.slots[i] = claimCode(rec.Offset, dlq)
		return
	}
	if j.extra == nil {
		j.extra = map[int64][]Ref{}
	}
	j.extra[o] = append(j.extra[o], rec.ref())
}

func claimCode(offset int64, dlq bool) int64 {
	if dlq {
		return offset<<1 | 1
	}
	return offset << 1
}

func (j *join) claimRef(code int64) Ref {
	if code&1 == 1 {
		return Ref{Topic: j.dlqTopic, Partition: j.part, Offset: code >> 1}
	}
	outPart := j.part
	if j.opt.global() {
		outPart = globalOutputPartition
	}
	return Ref{Topic: j.outTopic, Partition: outPart, Offset: code >> 1}
}

// decide matches the current input with the records that trace to it,
// checks them against it and replays it.
func (j *join) decide(in *Record) {
	cs := j.pending[in.Offset]
	delete(j.pending, in.Offset)
	// Outputs first, then dead letters, each in the order read: the
	// first is the one whose content is checked.
	slices.SortStableFunc(cs, func(x, y claim) int {
		switch {
		case x.dlq == y.dlq:
			return 0
		case y.dlq:
			return -1
		}
		return 1
	})
	for i := range cs {
		c := &cs[i]
		j.trace(&c.rec, in.Offset, c.dlq)
		if c.dlq {
			j.compareDeadLetter(in, &c.rec)
		} else if !headersPreserved(in.Headers, c.rec.Headers) {
			j.violate(KindLineage, []Ref{c.rec.ref(), j.inputRef(in.Offset)}, "output lost or reordered headers of its input record")
		}
	}
	j.lastDecided = true
	if j.replay == nil {
		return
	}
	var primary *claim
	if len(cs) > 0 {
		primary = &cs[0]
	}
	j.replayInput(in, primary)
}

// compareDeadLetter checks that a dead letter is its input record byte
// for byte (or a faithful truncation of it), headers included.
func (j *join) compareDeadLetter(orig, rec *Record) {
	refs := []Ref{rec.ref(), j.inputRef(orig.Offset)}
	for _, f := range deadLetterDifferences(orig, rec) {
		j.violate(f.kind, refs, "%s", f.msg)
	}
}

// finish reports loss and duplicates, in input order, and what the
// replay diagnosed.
func (j *join) finish() {
	j.order.finish()
	for i, code := range j.slots {
		o := j.start + int64(i)
		switch {
		case code == slotUntraced:
			j.violate(KindLoss, []Ref{j.inputRef(o)}, "input record is in neither the output nor the dead-letter topic")
		case code >= 0 && len(j.extra[o]) > 0:
			refs := append([]Ref{j.inputRef(o), j.claimRef(code)}, j.extra[o]...)
			j.violate(KindDuplicate, refs, "input record appears %d times in output and dead-letter topics", len(j.extra[o])+1)
		}
	}
	if j.restarts > 0 {
		j.diagnose("%d sources of partition %d restart their sequence at 1 mid-history (first at %s): the state was lost — the changelog was reset or deleted while the group's offsets were kept", j.restarts, j.part, j.firstRestart)
	}
	if len(j.unchecked) > 0 {
		j.report.Unchecked = append(j.report.Unchecked, UncheckedHistory{
			Partition: j.part, FirstOffset: j.start, Sources: slices.Sorted(maps.Keys(j.unchecked)),
		})
	}
}
