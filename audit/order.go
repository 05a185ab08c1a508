package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// checkOrder runs the sequence, publish, merge and window checks on the
// decodable outputs.
func (a *auditor) checkOrder(outs []decodedOutput) {
	slices.SortFunc(outs, func(x, y decodedOutput) int {
		return cmp.Or(cmp.Compare(x.ref.Partition, y.ref.Partition), cmp.Compare(x.ref.Offset, y.ref.Offset))
	})
	for start := 0; start < len(outs); {
		end := start + 1
		for end < len(outs) && outs[end].ref.Partition == outs[start].ref.Partition {
			end++
		}
		// Under global ordering only partition 0 has a publish sequence
		// and a merge order; outputs elsewhere are partition violations.
		if !a.opt.global() || outs[start].ref.Partition == globalOutputPartition {
			a.checkPartition(outs[start:end])
		}
		start = end
	}
	a.checkSources(outs)
}

// checkPartition checks one output partition's records, in offset order:
// the publish sequence, the merge order inside each window and the order
// of windows.
func (a *auditor) checkPartition(outs []decodedOutput) {
	// Windows already left: seeing one again means windows interleave.
	closedWindows := map[string]bool{}
	// Per source, the highest sequence of its earlier windows and the
	// window it was last seen in.
	type sourceWindows struct {
		window             string
		earlierMax, curMax uint64
	}
	sources := map[string]*sourceWindows{}

	expectPublish := uint64(1)
	if a.opt.PartialRange && len(outs) > 0 {
		expectPublish = outs[0].publish
	}
	for i := range outs {
		o := &outs[i]
		if o.publish != expectPublish {
			a.violate(KindPublishSequence, []Ref{o.ref}, "global_publish_sequence is %d, expected %d", o.publish, expectPublish)
		}
		// Resynchronise so that one bad number is one violation.
		expectPublish = o.publish + 1

		if i > 0 {
			prev := &outs[i-1]
			switch {
			case prev.window != o.window:
				closedWindows[prev.window] = true
				if closedWindows[o.window] {
					a.violate(KindWindowOrder, []Ref{o.ref, prev.ref}, "window %q resumes after window %q: a window's records must be contiguous", o.window, prev.window)
				}
			case mergeCompare(prev, o) > 0:
				a.violate(KindMergeOrder, []Ref{o.ref, prev.ref}, "in window %q, %s must precede %s", o.window, describeKey(o), describeKey(prev))
			}
		}

		s := sources[o.source]
		switch {
		case s == nil:
			sources[o.source] = &sourceWindows{window: o.window, curMax: o.sequence}
			continue
		case s.window != o.window:
			s.earlierMax = max(s.earlierMax, s.curMax)
			s.window, s.curMax = o.window, o.sequence
		default:
			s.curMax = max(s.curMax, o.sequence)
		}
		if o.sequence <= s.earlierMax {
			a.violate(KindWindowOrder, []Ref{o.ref}, "source %q's sequence %d in window %q follows its sequence %d of an earlier window", o.source, o.sequence, o.window, s.earlierMax)
		}
	}
}

// mergeCompare is the contract's (docs/contract.md) merge order, written here
// independently of package ordering: priority (CRITICAL first), then
// source_id byte-wise ascending, then sequence ascending.
func mergeCompare(x, y *decodedOutput) int {
	return cmp.Or(
		-cmp.Compare(x.priority, y.priority),
		strings.Compare(x.source, y.source),
		cmp.Compare(x.sequence, y.sequence),
	)
}

func describeKey(o *decodedOutput) string {
	return fmt.Sprintf("%s %q #%d", o.priority, o.source, o.sequence)
}

// checkSources checks, per source, that its outputs live in one partition
// (partition ordering) and that its sequence numbers are contiguous and follow input order.
// outs is in partition/offset order.
func (a *auditor) checkSources(outs []decodedOutput) {
	bySource := map[string][]*decodedOutput{}
	var names []string
	for i := range outs {
		o := &outs[i]
		if _, ok := bySource[o.source]; !ok {
			names = append(names, o.source)
		}
		bySource[o.source] = append(bySource[o.source], o)
	}
	slices.Sort(names)

	for _, name := range names {
		evs := bySource[name]
		home := evs[0].ref.Partition
		for _, o := range evs {
			if a.opt.global() {
				break // every output in partition 0: checked per record
			}
			if o.ref.Partition != home {
				a.violate(KindPartition, []Ref{o.ref, evs[0].ref}, "source %q has outputs in partitions %d and %d", name, home, o.ref.Partition)
				break
			}
		}

		// Events of a source may be published out of sequence order inside
		// a window (priority comes first), so contiguity and input order
		// are checked in sequence order, not in output order.
		slices.SortStableFunc(evs, func(x, y *decodedOutput) int { return cmp.Compare(x.sequence, y.sequence) })
		expect := uint64(1)
		if a.opt.PartialRange {
			expect = evs[0].sequence
		}
		for i, o := range evs {
			switch {
			case i > 0 && o.sequence == evs[i-1].sequence:
				a.violate(KindSequenceGap, []Ref{o.ref, evs[i-1].ref}, "source %q repeats sequence %d", name, o.sequence)
			case o.sequence != expect:
				a.violate(KindSequenceGap, []Ref{o.ref}, "source %q's sequence jumps to %d, expected %d", name, o.sequence, expect)
			}
			expect = o.sequence + 1

			if i == 0 || o.input < 0 || evs[i-1].input < 0 {
				continue
			}
			prevIn, curIn := &a.in[evs[i-1].input], &a.in[o.input]
			if prevIn.Partition == curIn.Partition && curIn.Offset < prevIn.Offset {
				a.violate(KindSequenceOrder, []Ref{o.ref, evs[i-1].ref},
					"source %q: sequence %d is input offset %d, after sequence %d at the later offset %d",
					name, o.sequence, curIn.Offset, evs[i-1].sequence, prevIn.Offset)
			}
		}
	}
}
