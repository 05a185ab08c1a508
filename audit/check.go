package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/rederive"
)

// Options tune Check.
type Options struct {
	// InputTopic is the input topic's name: lineage and error headers must
	// name it. Empty means the Topic of the first input record.
	InputTopic string
	// PartialRange says the audited records are a slice of a longer
	// history (for instance after retention deleted the oldest input): a
	// source's sequence numbers and a partition's publish sequences may
	// start above 1, and records tracing to inputs outside the slice are
	// not reported. Loss is still reported for every audited input.
	PartialRange bool
	// Rederive, when not nil, turns on the content audit: every output and
	// dead letter is re-derived from its input with these processing
	// settings, which must be the processor's (see checkContent).
	Rederive *rederive.Config
	// Ordering is the processor's output layout; the zero value is
	// OrderingPartition. With OrderingGlobal every output must be in
	// output partition 0, the merge order is checked per window across
	// all sources, and partition 0's publish sequence runs 1, 2, 3, … as
	// a whole. Check and NewStream panic on an Ordering that fails
	// Validate: callers parse user input with ParseOrdering.
	Ordering Ordering
}

func (o Options) withDefaults(in []Record) Options {
	if o.InputTopic == "" && len(in) > 0 {
		o.InputTopic = in[0].Topic
	}
	return o.withOrdering()
}

// withOrdering makes the zero Ordering explicit and rejects unknown ones.
func (o Options) withOrdering() Options {
	if err := o.Ordering.Validate(); err != nil {
		panic("audit: " + err.Error())
	}
	if o.Ordering == "" {
		o.Ordering = OrderingPartition
	}
	return o
}

func (o Options) global() bool { return o.Ordering == OrderingGlobal }

// Check audits out and dlq against in, the records to account for. Each
// slice holds exactly the records to audit (callers choose ranges), read
// committed; their order does not matter, the checks order by partition
// and offset themselves. Check does not modify the slices.
func Check(in []Record, out []Record, dlq []Record, opt Options) Report {
	x := newCrossPartition(opt.withOrdering().Ordering)
	r := check(in, out, dlq, opt.withDefaults(in), x, nil)
	x.finish(&r)
	sortViolations(&r)
	return r
}

// check audits one batch of records: the whole topics, or (only not nil)
// input partition *only with output and DLQ partitions *only. x carries
// what spans partitions.
func check(in []Record, out []Record, dlq []Record, opt Options, x *crossPartition, only *int32) Report {
	a := &auditor{
		opt:      opt,
		x:        x,
		only:     only,
		in:       in,
		byPos:    make(map[position]int, len(in)),
		traces:   make([]int, len(in)),
		first:    make([]Ref, len(in)),
		report:   Report{Inputs: len(in), Outputs: len(out), DeadLetters: len(dlq)},
		claimOut: make([]int, len(in)),
		claimDLQ: make([]int, len(in)),
	}
	for i := range in {
		a.claimOut[i], a.claimDLQ[i] = -1, -1
	}
	for i := range in {
		a.byPos[position{partition: in[i].Partition, offset: in[i].Offset}] = i
	}
	decoded := make([]decodedOutput, 0, len(out))
	for i := range out {
		d, ok := a.checkOutput(&out[i])
		if d.input >= 0 && a.traces[d.input] == 1 {
			a.claimOut[d.input] = i
		}
		if ok {
			decoded = append(decoded, d)
		}
	}
	for i := range dlq {
		if input := a.checkDeadLetter(&dlq[i]); input >= 0 && a.traces[input] == 1 {
			a.claimDLQ[input] = i
		}
	}
	a.checkExactlyOnce()
	a.checkOrder(decoded)
	a.countGroups(out, dlq)
	if a.opt.Rederive != nil {
		a.checkContent(out, dlq)
	}

	return a.report
}

// sortViolations puts kind order first; within a kind the order of
// discovery, which is deterministic.
func sortViolations(r *Report) {
	slices.SortStableFunc(r.Violations, func(x, y Violation) int { return x.Kind.rank() - y.Kind.rank() })
}

// auditor carries one Check's state.
type auditor struct {
	opt   Options
	x     *crossPartition
	only  *int32
	in    []Record
	byPos map[position]int
	// traces counts, per input record, the output and DLQ records that
	// trace to it; first is the first of them, extra the rest for inputs
	// traced more than once.
	traces []int
	first  []Ref
	extra  map[int][]Ref
	// claimOut and claimDLQ are, per input record, the index of the first
	// output or dead letter that traces to it, or -1.
	claimOut, claimDLQ []int
	// restarts counts, in the partition being re-derived, outputs numbered
	// 1 where the replay gives more: sources whose state was lost.
	restarts     int
	firstRestart Ref
	report       Report
}

func (a *auditor) violate(kind ViolationKind, refs []Ref, format string, args ...any) {
	a.report.Violations = append(a.report.Violations, Violation{Kind: kind, Message: fmt.Sprintf(format, args...), Refs: refs})
}

func (a *auditor) inputRef(i int) Ref {
	r := a.in[i].ref()
	if r.Topic == "" {
		r.Topic = a.opt.InputTopic
	}
	return r
}

// trace records that rec (an output when output is true, else a dead
// letter) traces to input pos and returns the input's index, or -1 when
// pos is not among the audited inputs, or reportedElsewhere when it is in
// another partition than the one audited (a partition violation, reported
// here).
func (a *auditor) trace(rec *Record, pos position, output bool) int {
	if a.only != nil && pos.partition != *a.only {
		a.violate(KindPartition, []Ref{rec.ref(), {Topic: a.opt.InputTopic, Partition: pos.partition, Offset: pos.offset}},
			"record is in partition %d, its input in partition %d", rec.Partition, pos.partition)
		return reportedElsewhere
	}
	i, ok := a.byPos[pos]
	if !ok {
		return -1
	}
	a.traces[i]++
	switch a.traces[i] {
	case 1:
		a.first[i] = rec.ref()
	default:
		if a.extra == nil {
			a.extra = make(map[int][]Ref)
		}
		a.extra[i] = append(a.extra[i], rec.ref())
	}
	switch {
	case output && a.opt.global(): // checked by checkOutput
	case rec.Partition != pos.partition:
		a.violate(KindPartition, []Ref{rec.ref(), a.inputRef(i)},
			"record is in partition %d, its input in partition %d", rec.Partition, pos.partition)
		if output {
			a.x.foreignOutput(rec.ref())
		}
	}
	return i
}

// strayOutput reports an output outside partition 0 under global
// ordering, noting for the diagnosis whether it is in its input's
// partition, as partition ordering would have put it.
func (a *auditor) strayOutput(rec *Record) {
	v, home := strayOutput(rec, a.opt.InputTopic)
	a.report.Violations = append(a.report.Violations, v)
	a.x.strayOutput(rec.ref(), home)
}

// reportedElsewhere is trace's answer for a record of the wrong partition.
const reportedElsewhere = -2

// decodedOutput is what the order checks need of a decodable output.
type decodedOutput struct {
	ref      Ref
	input    int // index into in, -1 when not traced
	priority event.Priority
	source   string
	sequence uint64
	publish  uint64
	window   string
}

// checkOutput checks one output record's lineage and decodes it.
func (a *auditor) checkOutput(rec *Record) (decodedOutput, bool) {
	input := -1
	if rec.Partition != globalOutputPartition {
		a.x.layout.outputsOffZero++
	}
	if a.opt.global() && rec.Partition != globalOutputPartition {
		a.strayOutput(rec)
	}
	topic, pos, problem := tracePosition(rec.Headers, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
	switch {
	case problem != "":
		a.violate(KindLineage, []Ref{rec.ref()}, "output cannot be traced: %s", problem)
	case topic != a.opt.InputTopic:
		a.violate(KindLineage, []Ref{rec.ref()}, "output traces to topic %q, not the input topic %q", topic, a.opt.InputTopic)
	default:
		input = a.trace(rec, pos, true)
		switch {
		case input == -1 && !a.opt.PartialRange:
			a.violate(KindLineage, []Ref{rec.ref()}, "output traces to %s/%d@%d, which is not among the audited input records", topic, pos.partition, pos.offset)
		case input >= 0 && !headersPreserved(a.in[input].Headers, rec.Headers):
			a.violate(KindLineage, []Ref{rec.ref(), a.inputRef(input)}, "output lost or reordered headers of its input record")
		}
	}

	o, err := event.ParseOutput(rec.Value)
	if err != nil {
		a.violate(KindDecode, []Ref{rec.ref()}, "%v", err)
		return decodedOutput{input: input}, false
	}
	p, _ := event.ParsePriority([]byte(o.Priority)) // ParseOutput checked it
	return decodedOutput{
		ref:      rec.ref(),
		input:    input,
		priority: p,
		source:   o.SourceID,
		sequence: o.SequenceNumber,
		publish:  o.Derived.GlobalPublishSequence,
		window:   o.Derived.WindowID,
	}, true
}

// checkDeadLetter checks one DLQ record's error headers, its lineage and
// that it is its input record byte for byte (or a faithful truncation of
// it), and returns the index of its input, or -1.
func (a *auditor) checkDeadLetter(rec *Record) int {
	problems, topic, pos, problem := deadLetterHeaderProblems(rec, a.opt.InputTopic)
	if len(problems) > 0 {
		a.violate(KindDLQHeaders, []Ref{rec.ref()}, "dead letter headers: %s", strings.Join(problems, "; "))
	}
	if problem != "" || topic != a.opt.InputTopic {
		return -1 // cannot be traced
	}

	input := a.trace(rec, pos, false)
	if input < 0 {
		if input == -1 && !a.opt.PartialRange {
			a.violate(KindDLQHeaders, []Ref{rec.ref()}, "dead letter traces to %s/%d@%d, which is not among the audited input records", topic, pos.partition, pos.offset)
		}
		return -1
	}
	for _, f := range deadLetterDifferences(&a.in[input], rec) {
		a.violate(f.kind, []Ref{rec.ref(), a.inputRef(input)}, "%s", f.msg)
	}
	return input
}

// checkExactlyOnce reports inputs traced by no record (loss) or by more
// than one (duplicate), in input order.
func (a *auditor) checkExactlyOnce() {
	for i, n := range a.traces {
		switch {
		case n == 0:
			a.violate(KindLoss, []Ref{a.inputRef(i)}, "input record is in neither the output nor the dead-letter topic")
		case n > 1:
			refs := append([]Ref{a.inputRef(i), a.first[i]}, a.extra[i]...)
			a.violate(KindDuplicate, refs, "input record appears %d times in output and dead-letter topics", n)
		}
	}
}

// describeBytes says enough about a key or value to see how two differ
// without dumping large values.
func describeBytes(b []byte) string {
	const show = 32
	switch {
	case b == nil:
		return "null"
	case len(b) <= show:
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q… (%d bytes)", b[:show], len(b))
}

// deadLetterHeaderProblems lists what is wrong with a dead letter's error
// headers, and where they trace it to (problem is why it cannot be traced).
func deadLetterHeaderProblems(rec *Record, inputTopic string) (problems []string, topic string, pos position, problem string) {
	reason, ok := header(rec.Headers, event.HeaderErrorReason)
	if !ok {
		problems = append(problems, "header "+event.HeaderErrorReason+" is missing")
	} else if _, known := event.ParseReason(string(reason)); !known {
		problems = append(problems, fmt.Sprintf("reason %q is not a known reason code", reason))
	}
	if msg, ok := header(rec.Headers, event.HeaderErrorMessage); !ok {
		problems = append(problems, "header "+event.HeaderErrorMessage+" is missing")
	} else if len(msg) == 0 {
		problems = append(problems, "header "+event.HeaderErrorMessage+" is empty")
	}
	topic, pos, problem = tracePosition(rec.Headers, event.HeaderErrorTopic, event.HeaderErrorPartition, event.HeaderErrorOffset)
	switch {
	case problem != "":
		problems = append(problems, problem)
	case topic != inputTopic:
		problems = append(problems, fmt.Sprintf("header %s is %q, not the input topic %q", event.HeaderErrorTopic, topic, inputTopic))
	}
	return problems, topic, pos, problem
}

// finding is one violation found by a comparison, before it is reported.
type finding struct {
	kind ViolationKind
	msg  string
}

// deadLetterDifferences compares a dead letter with its input record: byte
// for byte (or a faithful truncation), headers included. A truncated dead
// letter may carry none of its input's headers: they are dropped when they
// are what keeps the record from fitting.
func deadLetterDifferences(orig, rec *Record) []finding {
	var fs []finding
	switch {
	case !sameBytes(orig.Key, rec.Key):
		fs = append(fs, finding{KindDLQAltered, fmt.Sprintf("dead letter key %s differs from the input key %s", describeBytes(rec.Key), describeBytes(orig.Key))})
	case isTruncated(rec.Headers):
		if problem := truncationProblem(orig.Value, rec); problem != "" {
			fs = append(fs, finding{KindDLQAltered, "truncated dead letter: " + problem})
		}
	case !sameBytes(orig.Value, rec.Value):
		fs = append(fs, finding{KindDLQAltered, fmt.Sprintf("dead letter value %s differs from the input value %s", describeBytes(rec.Value), describeBytes(orig.Value))})
	}
	if !headersPreserved(orig.Headers, rec.Headers) && !(isTruncated(rec.Headers) && onlyEventprocHeaders(rec.Headers)) {
		fs = append(fs, finding{KindDLQHeaders, "dead letter lost or reordered headers of its input record"})
	}
	return fs
}
