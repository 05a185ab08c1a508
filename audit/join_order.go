package audit

import (
	"cmp"
	"slices"
)

// orderCheck runs the sequence, publish, merge and window checks on one
// output partition's decodable outputs as they are read, in offset order.
// It holds what spans records: per source its sequence state and its
// outputs of the open window (a window's outputs are in merge order, so a
// source's sequence numbers are checked in sequence order once its window
// is complete), and the ids of the windows already left.
type orderCheck struct {
	j             *join
	prev          decodedOutput
	started       bool
	expectPublish uint64
	closedWindows map[string]bool
	sources       map[string]*sourceOrder
	// open lists the sources with outputs in the open window.
	open []*sourceOrder
}

// sourceOrder is one source's state in an output partition.
type sourceOrder struct {
	name string
	// window is the window the source was last seen in; earlierMax and
	// curMax its highest sequence before that window and in it.
	window             string
	earlierMax, curMax uint64
	// window outputs not yet checked for contiguity and input order.
	pending []decodedOutput
	// last is the last output checked; started says there is one.
	last    decodedOutput
	started bool
	expect  uint64
}

func newOrderCheck(j *join) *orderCheck {
	return &orderCheck{j: j, expectPublish: 1, closedWindows: map[string]bool{}, sources: map[string]*sourceOrder{}}
}

func (c *orderCheck) add(o decodedOutput) {
	j := c.j
	// Under global ordering the join sees one input partition's share of
	// output partition 0: the publish sequence, the merge order and the
	// windows' contiguity are checked on the whole partition (globalOrder),
	// the per-source checks here.
	whole := !j.opt.global()
	if !c.started && j.opt.PartialRange {
		c.expectPublish = o.publish
	}
	if whole && o.publish != c.expectPublish {
		j.violate(KindPublishSequence, []Ref{o.ref}, "global_publish_sequence is %d, expected %d", o.publish, c.expectPublish)
	}
	// Resynchronise so that one bad number is one violation.
	c.expectPublish = o.publish + 1

	if c.started {
		prev := &c.prev
		switch {
		case prev.window != o.window:
			c.closedWindows[prev.window] = true
			if whole && c.closedWindows[o.window] {
				j.violate(KindWindowOrder, []Ref{o.ref, prev.ref}, "window %q resumes after window %q: a window's records must be contiguous", o.window, prev.window)
			}
			c.flush()
		case whole && mergeCompare(prev, &o) > 0:
			j.violate(KindMergeOrder, []Ref{o.ref, prev.ref}, "in window %q, %s must precede %s", o.window, describeKey(&o), describeKey(prev))
		}
	}
	c.prev, c.started = o, true

	s := c.sources[o.source]
	switch {
	case s == nil:
		s = &sourceOrder{name: o.source, window: o.window, curMax: o.sequence}
		c.sources[o.source] = s
	case s.window != o.window:
		s.earlierMax = max(s.earlierMax, s.curMax)
		s.window, s.curMax = o.window, o.sequence
		if o.sequence <= s.earlierMax {
			j.violate(KindWindowOrder, []Ref{o.ref}, "source %q's sequence %d in window %q follows its sequence %d of an earlier window", o.source, o.sequence, o.window, s.earlierMax)
		}
	default:
		s.curMax = max(s.curMax, o.sequence)
		if o.sequence <= s.earlierMax {
			j.violate(KindWindowOrder, []Ref{o.ref}, "source %q's sequence %d in window %q follows its sequence %d of an earlier window", o.source, o.sequence, o.window, s.earlierMax)
		}
	}
	if len(s.pending) == 0 {
		c.open = append(c.open, s)
	}
	s.pending = append(s.pending, o)
}

// flush checks the sequence numbers of the window just completed, source
// by source in name order.
func (c *orderCheck) flush() {
	slices.SortFunc(c.open, func(x, y *sourceOrder) int { return cmp.Compare(x.name, y.name) })
	for _, s := range c.open {
		c.checkSequences(s)
	}
	c.open = c.open[:0]
}

func (c *orderCheck) finish() { c.flush() }

// checkSequences checks that a source's sequence numbers are contiguous
// and follow input order. A source's outputs may be published out of
// sequence order inside a window (priority comes first), so they are
// checked in sequence order, continuing from its earlier windows.
func (c *orderCheck) checkSequences(s *sourceOrder) {
	j := c.j
	slices.SortStableFunc(s.pending, func(x, y decodedOutput) int { return cmp.Compare(x.sequence, y.sequence) })
	for i := range s.pending {
		o := &s.pending[i]
		if !s.started {
			s.expect = 1
			if j.opt.PartialRange {
				s.expect = o.sequence
			}
		}
		switch {
		case s.started && o.sequence == s.last.sequence:
			j.violate(KindSequenceGap, []Ref{o.ref, s.last.ref}, "source %q repeats sequence %d", s.name, o.sequence)
		case o.sequence != s.expect:
			j.violate(KindSequenceGap, []Ref{o.ref}, "source %q's sequence jumps to %d, expected %d", s.name, o.sequence, s.expect)
		}
		s.expect = o.sequence + 1
		if s.started && o.input >= 0 && s.last.input >= 0 && o.input < s.last.input {
			j.violate(KindSequenceOrder, []Ref{o.ref, s.last.ref},
				"source %q: sequence %d is input offset %d, after sequence %d at the later offset %d",
				s.name, o.sequence, o.input, s.last.sequence, s.last.input)
		}
		s.last, s.started = *o, true
	}
	s.pending = s.pending[:0]
}
