package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/eventproc/eventproc/event"
)

// ReadOutputPartition audits output partition p as a whole, under
// OrderingGlobal only, once ReadPartition has read every input partition
// (it needs to know which input partitions are audited). Partition 0
// holds every output: its global_publish_sequence must run 1, 2, 3, …
// in offset order, each window's records must be contiguous and in merge
// order across all sources, and a record that traces to no audited input
// partition is reported here (the joins of ReadPartition see only the
// records tracing to their own partition). Every record of another
// partition is a partition violation, and does not account for its
// input. ctx bounds the reads; a read error stops the audit of the
// partition, and nothing of it is added to the report.
func (s *Stream) ReadOutputPartition(ctx context.Context, p int32, out RecordReader) error {
	if !s.opt.global() {
		return errors.New("audit: ReadOutputPartition audits global ordering only: partition ordering reads output partitions in ReadPartition")
	}
	g := &globalOrder{s: s, expectPublish: 1, closedWindows: map[string]bool{}}
	for {
		rec, ok, err := out.Next(ctx)
		if err != nil {
			return fmt.Errorf("output partition %d: %w", p, err)
		}
		if !ok {
			break
		}
		if p != globalOutputPartition {
			g.report.Outputs++
			g.countGroup(&rec)
			v, home := strayOutput(&rec, s.opt.InputTopic)
			g.report.Violations = append(g.report.Violations, v)
			s.x.strayOutput(rec.ref(), home)
			continue
		}
		g.add(&rec)
	}
	s.add(g.report)
	return nil
}

// OutputPartition is ReadOutputPartition over output partition p's
// records held in memory, in any order. The slice is not kept.
func (s *Stream) OutputPartition(p int32, out []Record) error {
	return s.ReadOutputPartition(context.Background(), p, byOffset(out))
}

// strayOutput is the violation of an output outside partition 0 under
// global ordering; home says it is in its input's partition, as partition
// ordering would have put it.
func strayOutput(rec *Record, inputTopic string) (v Violation, home bool) {
	v = Violation{
		Kind:    KindPartition,
		Message: fmt.Sprintf("output is in partition %d: with global ordering every output is in partition 0", rec.Partition),
		Refs:    []Ref{rec.ref()},
	}
	topic, pos, problem := tracePosition(rec.Headers, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
	return v, problem == "" && topic == inputTopic && pos.partition == rec.Partition
}

// globalOrder checks output partition 0 under global ordering as it is
// read: the publish sequence, the windows' contiguity and the merge order
// across all sources. It holds the previous output and the ids of the
// windows already left.
type globalOrder struct {
	s             *Stream
	report        Report
	prev          decodedOutput
	started       bool
	expectPublish uint64
	closedWindows map[string]bool
}

func (g *globalOrder) violate(kind ViolationKind, refs []Ref, format string, args ...any) {
	g.report.Violations = append(g.report.Violations, Violation{Kind: kind, Message: fmt.Sprintf(format, args...), Refs: refs})
}

func (g *globalOrder) countGroup(rec *Record) {
	if name, ok := header(rec.Headers, event.HeaderGroup); ok {
		g.s.x.groups[string(name)]++
	}
}

// add checks the next record of partition 0. A record whose lineage
// routes it to an audited input partition was counted and checked there;
// the others are counted and their lineage reported here.
func (g *globalOrder) add(rec *Record) {
	opt := &g.s.opt
	topic, pos, problem := tracePosition(rec.Headers, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
	routed := problem == "" && topic == opt.InputTopic && g.s.audited[pos.partition]
	if !routed {
		g.report.Outputs++
		g.countGroup(rec)
		switch {
		case problem != "":
			g.violate(KindLineage, []Ref{rec.ref()}, "output cannot be traced: %s", problem)
		case topic != opt.InputTopic:
			g.violate(KindLineage, []Ref{rec.ref()}, "output traces to topic %q, not the input topic %q", topic, opt.InputTopic)
		case !opt.PartialRange:
			g.violate(KindLineage, []Ref{rec.ref()}, "output traces to %s/%d@%d, which is not among the audited input records", topic, pos.partition, pos.offset)
		}
	}
	o, err := event.ParseOutput(rec.Value)
	if err != nil {
		if !routed {
			g.violate(KindDecode, []Ref{rec.ref()}, "%v", err)
		}
		return
	}
	p, _ := event.ParsePriority([]byte(o.Priority)) // ParseOutput checked it
	d := decodedOutput{
		ref: rec.ref(), input: -1, priority: p, source: o.SourceID, sequence: o.SequenceNumber,
		publish: o.Derived.GlobalPublishSequence, window: o.Derived.WindowID,
	}
	if !g.started && opt.PartialRange {
		g.expectPublish = d.publish
	}
	if d.publish != g.expectPublish {
		g.violate(KindPublishSequence, []Ref{d.ref}, "global_publish_sequence is %d, expected %d", d.publish, g.expectPublish)
	}
	// Resynchronise so that one bad number is one violation.
	g.expectPublish = d.publish + 1
	if g.started {
		prev := &g.prev
		switch {
		case prev.window != d.window:
			g.closedWindows[prev.window] = true
			if g.closedWindows[d.window] {
				g.violate(KindWindowOrder, []Ref{d.ref, prev.ref}, "window %q resumes after window %q: a window's records must be contiguous", d.window, prev.window)
			}
		case mergeCompare(prev, &d) > 0:
			g.violate(KindMergeOrder, []Ref{d.ref, prev.ref}, "in window %q, %s must precede %s", d.window, describeKey(&d), describeKey(prev))
		}
	}
	g.prev, g.started = d, true
}

// lineageFilter reads, from output partition 0 under global ordering, the
// records whose lineage names input partition part of topic: the share of
// one input partition's join.
type lineageFilter struct {
	r     RecordReader
	topic string
	part  int32
}

var _ RecordReader = lineageFilter{}

func (f lineageFilter) Next(ctx context.Context) (Record, bool, error) {
	for {
		rec, ok, err := f.r.Next(ctx)
		if !ok || err != nil {
			return rec, ok, err
		}
		topic, pos, problem := tracePosition(rec.Headers, event.HeaderSourceTopic, event.HeaderSourcePartition, event.HeaderSourceOffset)
		if problem == "" && topic == f.topic && pos.partition == f.part {
			return rec, true, nil
		}
	}
}
