package audit

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/ordering"
)

// A scenario is a small history of the three topics, planned as domain
// values so that a test can plant one violation before rendering records.
// Outputs are encoded with event.AppendOutput and merged with
// ordering.Sort, so the audit is checked against the real formats and the
// real merge order.

const (
	inputTopic = "events.in"
	outTopic   = "events.out"
	dlqTopic   = "events.dlq"
)

type inputSpec struct {
	partition int32
	source    string
	priority  event.Priority
	malformed bool
	window    string
}

type plannedOutput struct {
	input   int // index into scenario.in
	ev      event.Event
	d       event.Derived
	window  string
	publish uint64 // 0: numbered by position when rendered
	value   []byte // non-nil: replaces the encoded value
	headers func([]Header) []Header
}

type scenario struct {
	in  []Record
	out map[int32][]*plannedOutput // per output partition, in publish order
	dlq []Record
}

// validScenario is two input partitions, three sources, two windows and
// one malformed record; the merge reorders events inside each window.
func validScenario(t testing.TB) *scenario {
	t.Helper()
	const w1, w2 = "g1-i-000000000001", "g1-i-000000000002"
	return newScenario(t, []inputSpec{
		{partition: 0, source: "a", priority: event.PriorityLow, window: w1},      // 0@0: a#1
		{partition: 0, source: "a", priority: event.PriorityCritical, window: w1}, // 0@1: a#2
		{partition: 0, source: "b", priority: event.PriorityHigh, window: w1},     // 0@2: b#1
		{partition: 0, source: "a", malformed: true, window: w1},                  // 0@3: DLQ
		{partition: 0, source: "b", priority: event.PriorityLow, window: w2},      // 0@4: b#2
		{partition: 0, source: "a", priority: event.PriorityMedium, window: w2},   // 0@5: a#3
		{partition: 0, source: "a", priority: event.PriorityMedium, window: w2},   // 0@6: a#4
		{partition: 1, source: "c", priority: event.PriorityHigh, window: w1},     // 1@0: c#1
		{partition: 1, source: "c", priority: event.PriorityHigh, window: w1},     // 1@1: c#2
		{partition: 1, source: "c", priority: event.PriorityMedium, window: w2},   // 1@2: c#3
		{partition: 1, source: "c", priority: event.PriorityLow, window: w2},      // 1@3: c#4
	})
	// Published: partition 0: w1 a#2 b#1 a#1 | w2 a#3 a#4 b#2
	//            partition 1: w1 c#1 c#2     | w2 c#3 c#4
}

func newScenario(t testing.TB, specs []inputSpec) *scenario {
	t.Helper()
	s := &scenario{out: map[int32][]*plannedOutput{}}
	nextOffset := map[int32]int64{}
	nextSeq := map[string]uint64{}
	type windowKey struct {
		partition int32
		window    string
	}
	var windows []windowKey
	pending := map[windowKey][]*plannedOutput{}

	for _, spec := range specs {
		off := nextOffset[spec.partition]
		nextOffset[spec.partition]++
		rec := Record{
			Topic: inputTopic, Partition: spec.partition, Offset: off,
			Key:     []byte(spec.source),
			Headers: []Header{{Key: "trace-id", Value: fmt.Appendf(nil, "t-%d-%d", spec.partition, off)}},
		}
		s.in = append(s.in, rec)
		idx := len(s.in) - 1
		if spec.malformed {
			s.in[idx].Value = []byte(`{"event_id": "x", "timestamp": `)
			s.dlq = append(s.dlq, deadLetter(&s.in[idx], int64(len(s.dlq))))
			continue
		}
		s.in[idx].Value = fmt.Appendf(nil, `{"event_id":"e-%d-%d","source_id":%q}`, spec.partition, off, spec.source)
		nextSeq[spec.source]++
		p := &plannedOutput{
			input:  idx,
			window: spec.window,
			ev: event.Event{
				EventID:    fmt.Appendf(nil, "e-%d-%d", spec.partition, off),
				SourceID:   []byte(spec.source),
				Timestamp:  1670000000 + float64(off),
				ReceivedAt: 1670000000.5 + float64(off),
				Priority:   spec.priority,
				Metadata:   []byte(`{}`),
			},
			d: event.Derived{Category: event.CategoryUser, SequenceNumber: nextSeq[spec.source]},
		}
		k := windowKey{spec.partition, spec.window}
		if _, ok := pending[k]; !ok {
			windows = append(windows, k)
		}
		pending[k] = append(pending[k], p)
	}
	for _, k := range windows {
		w := pending[k]
		ordering.Sort(w, func(p **plannedOutput) ordering.Key {
			return ordering.Key{Priority: (*p).ev.Priority, SourceID: (*p).ev.SourceID, Sequence: (*p).d.SequenceNumber}
		})
		s.out[k.partition] = append(s.out[k.partition], w...)
	}
	return s
}

func deadLetter(in *Record, offset int64) Record {
	return Record{
		Topic: dlqTopic, Partition: in.Partition, Offset: offset,
		Key:   slices.Clone(in.Key),
		Value: slices.Clone(in.Value),
		Headers: append(slices.Clone(in.Headers),
			Header{Key: event.HeaderErrorReason, Value: []byte(event.ReasonInvalidJSON.String())},
			Header{Key: event.HeaderErrorMessage, Value: []byte("unexpected end of JSON input")},
			Header{Key: event.HeaderErrorTopic, Value: []byte(in.Topic)},
			Header{Key: event.HeaderErrorPartition, Value: strconv.AppendInt(nil, int64(in.Partition), 10)},
			Header{Key: event.HeaderErrorOffset, Value: strconv.AppendInt(nil, in.Offset, 10)},
		),
	}
}

// outputs renders the planned outputs as records: offsets and publish
// sequences by position in each partition, lineage headers after the
// input's headers.
func (s *scenario) outputs() []Record {
	var recs []Record
	partitions := make([]int32, 0, len(s.out))
	for p := range s.out {
		partitions = append(partitions, p)
	}
	slices.Sort(partitions)
	for _, part := range partitions {
		for i, p := range s.out[part] {
			in := &s.in[p.input]
			d := p.d
			d.GlobalPublishSequence = uint64(i + 1)
			if p.publish != 0 {
				d.GlobalPublishSequence = p.publish
			}
			value := event.AppendOutput(nil, &p.ev, &d, event.OutputOptions{WindowID: p.window})
			if p.value != nil {
				value = p.value
			}
			headers := append(slices.Clone(in.Headers),
				Header{Key: event.HeaderSourceTopic, Value: []byte(in.Topic)},
				Header{Key: event.HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(in.Partition), 10)},
				Header{Key: event.HeaderSourceOffset, Value: strconv.AppendInt(nil, in.Offset, 10)},
			)
			if p.headers != nil {
				headers = p.headers(headers)
			}
			recs = append(recs, Record{
				Topic: outTopic, Partition: part, Offset: int64(i),
				Key: slices.Clone(p.ev.SourceID), Value: value, Headers: headers,
			})
		}
	}
	return recs
}

func (s *scenario) check(opt Options) Report {
	return Check(s.in, s.outputs(), s.dlq, opt)
}

// plannedFor returns the planned output of the input at partition/offset.
func (s *scenario) plannedFor(t *testing.T, partition int32, offset int64) *plannedOutput {
	t.Helper()
	for _, ps := range s.out {
		for _, p := range ps {
			if in := s.in[p.input]; in.Partition == partition && in.Offset == offset {
				return p
			}
		}
	}
	t.Fatalf("no output planned for input %d@%d", partition, offset)
	return nil
}

func withoutHeader(key string) func([]Header) []Header {
	return func(hs []Header) []Header {
		return slices.DeleteFunc(hs, func(h Header) bool { return h.Key == key })
	}
}

func setHeader(hs []Header, key, value string) {
	for i := range hs {
		if hs[i].Key == key {
			hs[i].Value = []byte(value)
		}
	}
}
