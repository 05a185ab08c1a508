package audit

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/event"
)

func TestCheckValidScenario(t *testing.T) {
	s := validScenario(t)
	r := s.check(Options{InputTopic: inputTopic})
	if !r.OK() {
		var buf bytes.Buffer
		_ = r.WriteText(&buf)
		t.Fatalf("valid scenario reported:\n%s", buf.String())
	}
	if r.Inputs != 11 || r.Outputs != 10 || r.DeadLetters != 1 {
		t.Fatalf("counts = %d/%d/%d, want 11/10/1", r.Inputs, r.Outputs, r.DeadLetters)
	}
	// The scenario is only a good test if the merge really reorders:
	// a#2 (CRITICAL) is published before a#1 (LOW).
	first, err := event.ParseOutput(s.outputs()[0].Value)
	if err != nil || first.SourceID != "a" || first.SequenceNumber != 2 {
		t.Fatalf("scenario does not reorder inside a window: %+v, %v", first, err)
	}
}

// TestCheckDetectsEachViolation plants one violation at a time into the
// valid scenario and expects exactly the kinds it breaks, with the
// offending record first in the first violation's refs.
// violationCase plants one violation into the valid scenario.
type violationCase struct {
	name    string
	plant   func(t *testing.T, s *scenario)
	want    []ViolationKind
	wantRef Ref
}

// violationCases are the single violations the audit must find.
func violationCases() []violationCase {
	ref := func(topic string, partition int32, offset int64) Ref {
		return Ref{Topic: topic, Partition: partition, Offset: offset}
	}
	return []violationCase{
		{
			name:    "loss: dead letter missing",
			plant:   func(_ *testing.T, s *scenario) { s.dlq = nil },
			want:    []ViolationKind{KindLoss},
			wantRef: ref(inputTopic, 0, 3),
		},
		{
			name: "duplicate: dead letter written twice",
			plant: func(_ *testing.T, s *scenario) {
				again := s.dlq[0]
				again.Offset++
				s.dlq = append(s.dlq, again)
			},
			want:    []ViolationKind{KindDuplicate},
			wantRef: ref(inputTopic, 0, 3),
		},
		{
			name:    "sequence gap",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 3).d.SequenceNumber = 5 },
			want:    []ViolationKind{KindSequenceGap},
			wantRef: ref(outTopic, 1, 3),
		},
		{
			name: "sequence repeated",
			plant: func(t *testing.T, s *scenario) {
				s.plannedFor(t, 1, 3).d.SequenceNumber = 3 // c#4 numbered like c#3
			},
			want:    []ViolationKind{KindSequenceGap},
			wantRef: ref(outTopic, 1, 3),
		},
		{
			name: "sequence reorder: numbers not in input order",
			plant: func(t *testing.T, s *scenario) {
				// a's first two inputs swap numbers; their priorities keep
				// the published order a valid merge order.
				s.plannedFor(t, 0, 0).d.SequenceNumber = 2
				s.plannedFor(t, 0, 1).d.SequenceNumber = 1
			},
			want:    []ViolationKind{KindSequenceOrder},
			wantRef: ref(outTopic, 0, 2),
		},
		{
			name:    "wrong partition: dead letter",
			plant:   func(_ *testing.T, s *scenario) { s.dlq[0].Partition = 1 },
			want:    []ViolationKind{KindPartition},
			wantRef: ref(dlqTopic, 1, 0),
		},
		{
			name: "wrong partition: output",
			plant: func(t *testing.T, s *scenario) {
				c4 := s.plannedFor(t, 1, 3)
				s.out[1] = slices.DeleteFunc(s.out[1], func(p *plannedOutput) bool { return p == c4 })
				s.out[0] = append(s.out[0], c4)
			},
			want:    []ViolationKind{KindPartition},
			wantRef: ref(outTopic, 0, 6),
		},
		{
			name:    "wrong reason code",
			plant:   func(_ *testing.T, s *scenario) { setHeader(s.dlq[0].Headers, event.HeaderErrorReason, "bogus") },
			want:    []ViolationKind{KindDLQHeaders},
			wantRef: ref(dlqTopic, 0, 0),
		},
		{
			name:    "altered dead-letter value",
			plant:   func(_ *testing.T, s *scenario) { s.dlq[0].Value = append(s.dlq[0].Value, ' ') },
			want:    []ViolationKind{KindDLQAltered},
			wantRef: ref(dlqTopic, 0, 0),
		},
		{
			name:    "dead-letter key null instead of the input key",
			plant:   func(_ *testing.T, s *scenario) { s.dlq[0].Key = nil },
			want:    []ViolationKind{KindDLQAltered},
			wantRef: ref(dlqTopic, 0, 0),
		},
		{
			name: "missing dead-letter header",
			plant: func(_ *testing.T, s *scenario) {
				s.dlq[0].Headers = withoutHeader(event.HeaderErrorMessage)(s.dlq[0].Headers)
			},
			want:    []ViolationKind{KindDLQHeaders},
			wantRef: ref(dlqTopic, 0, 0),
		},
		{
			name:    "dead letter lost an input header",
			plant:   func(_ *testing.T, s *scenario) { s.dlq[0].Headers = withoutHeader("trace-id")(s.dlq[0].Headers) },
			want:    []ViolationKind{KindDLQHeaders},
			wantRef: ref(dlqTopic, 0, 0),
		},
		{
			name:    "publish sequence gap",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 3).publish = 5 },
			want:    []ViolationKind{KindPublishSequence},
			wantRef: ref(outTopic, 1, 3),
		},
		{
			name: "merge order broken inside a window",
			plant: func(_ *testing.T, s *scenario) {
				// a#2 CRITICAL and b#1 HIGH change places.
				s.out[0][0], s.out[0][1] = s.out[0][1], s.out[0][0]
			},
			want:    []ViolationKind{KindMergeOrder},
			wantRef: ref(outTopic, 0, 1),
		},
		{
			name: "windows published out of order",
			plant: func(_ *testing.T, s *scenario) {
				p := s.out[1] // w1 c#1 c#2 | w2 c#3 c#4
				s.out[1] = []*plannedOutput{p[2], p[3], p[0], p[1]}
			},
			want:    []ViolationKind{KindWindowOrder},
			wantRef: ref(outTopic, 1, 2),
		},
		{
			name: "windows interleaved",
			plant: func(_ *testing.T, s *scenario) {
				p := s.out[1]
				s.out[1] = []*plannedOutput{p[0], p[2], p[1], p[3]}
			},
			want:    []ViolationKind{KindWindowOrder},
			wantRef: ref(outTopic, 1, 2),
		},
		{
			name:    "undecodable output",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 3).value = []byte(`{"event_id":`) },
			want:    []ViolationKind{KindDecode},
			wantRef: ref(outTopic, 1, 3),
		},
		{
			name:    "output lost an input header",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 3).headers = withoutHeader("trace-id") },
			want:    []ViolationKind{KindLineage},
			wantRef: ref(outTopic, 1, 3),
		},
		{
			name: "output names another input topic",
			plant: func(t *testing.T, s *scenario) {
				s.plannedFor(t, 1, 3).headers = func(hs []Header) []Header {
					setHeader(hs, event.HeaderSourceTopic, "other")
					return hs
				}
			},
			want:    []ViolationKind{KindLoss, KindLineage},
			wantRef: ref(inputTopic, 1, 3),
		},
		{
			name: "output without lineage",
			plant: func(t *testing.T, s *scenario) {
				s.plannedFor(t, 1, 3).headers = withoutHeader(event.HeaderSourceOffset)
			},
			want:    []ViolationKind{KindLoss, KindLineage},
			wantRef: ref(inputTopic, 1, 3),
		},
	}
}

func TestCheckDetectsEachViolation(t *testing.T) {
	tests := violationCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validScenario(t)
			tt.plant(t, s)
			r := s.check(Options{InputTopic: inputTopic})
			if got := kinds(r); !slices.Equal(got, tt.want) {
				var buf bytes.Buffer
				_ = r.WriteText(&buf)
				t.Fatalf("kinds = %v, want %v\n%s", got, tt.want, buf.String())
			}
			if got := r.Violations[0].Refs[0]; got != tt.wantRef {
				t.Fatalf("first ref = %v, want %v (%s)", got, tt.wantRef, r.Violations[0].Message)
			}
		})
	}
}

// kinds lists the distinct kinds of r in report order.
func kinds(r Report) []ViolationKind {
	var ks []ViolationKind
	for _, v := range r.Violations {
		if len(ks) == 0 || ks[len(ks)-1] != v.Kind {
			ks = append(ks, v.Kind)
		}
	}
	return ks
}

func TestCheckIgnoresRecordOrder(t *testing.T) {
	s := validScenario(t)
	s.out[0][0], s.out[0][1] = s.out[0][1], s.out[0][0] // one violation to compare
	out := s.outputs()
	want := Check(s.in, out, s.dlq, Options{})
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 10; round++ {
		shuffled := slices.Clone(out)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Check(s.in, shuffled, s.dlq, Options{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("report depends on record order:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestCheckDefaultsInputTopic(t *testing.T) {
	s := validScenario(t)
	if r := s.check(Options{}); !r.OK() {
		t.Fatalf("input topic not taken from the input records: %+v", r.Violations)
	}
	if r := s.check(Options{InputTopic: "elsewhere"}); r.Count(KindLineage) != 10 || r.Count(KindDLQHeaders) != 1 {
		t.Fatalf("wrong input topic not reported on every record: %+v", r.Violations)
	}
}

// TestCheckPartialRange audits the tail of partition 1 only: strict
// numbering from 1 fails, PartialRange accepts it.
func TestCheckPartialRange(t *testing.T) {
	s := validScenario(t)
	var in []Record
	for _, rec := range s.in {
		if rec.Partition == 1 && rec.Offset >= 2 {
			in = append(in, rec)
		}
	}
	var out []Record
	for _, rec := range s.outputs() {
		if rec.Partition == 1 && rec.Offset >= 2 {
			out = append(out, rec)
		}
	}
	strict := Check(in, out, nil, Options{InputTopic: inputTopic})
	if got, want := kinds(strict), []ViolationKind{KindSequenceGap, KindPublishSequence}; !slices.Equal(got, want) {
		t.Fatalf("strict kinds = %v, want %v", got, want)
	}
	if r := Check(in, out, nil, Options{InputTopic: inputTopic, PartialRange: true}); !r.OK() {
		t.Fatalf("partial range reported %+v", r.Violations)
	}
	// Outputs of inputs outside the range are not lineage errors then.
	if r := Check(in, s.outputs()[6:], nil, Options{InputTopic: inputTopic, PartialRange: true}); r.Count(KindLineage) != 0 {
		t.Fatalf("partial range reported lineage: %+v", r.Violations)
	}
}

func TestCheckEmpty(t *testing.T) {
	if r := Check(nil, nil, nil, Options{}); !r.OK() {
		t.Fatalf("empty audit reported %+v", r.Violations)
	}
}

func TestWriteTextCapsExamples(t *testing.T) {
	var in []Record
	for i := range 8 {
		in = append(in, Record{Topic: inputTopic, Offset: int64(i), Value: []byte("x")})
	}
	r := Check(in, nil, nil, Options{})
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	if n := strings.Count(text, "\n  - "); n != examplesPerKind {
		t.Errorf("%d examples printed, want %d:\n%s", n, examplesPerKind, text)
	}
	if !strings.Contains(text, "loss: 8\n") || !strings.Contains(text, "… and 3 more") {
		t.Errorf("report lacks the count or the remainder:\n%s", text)
	}
}

func TestReportSummary(t *testing.T) {
	for _, tt := range []struct {
		kinds []ViolationKind
		want  string
	}{
		{nil, ""},
		{[]ViolationKind{KindLoss}, "loss 1"},
		{[]ViolationKind{KindDuplicate, KindLoss, KindLoss}, "loss 2, duplicate 1"},
	} {
		var r Report
		for _, k := range tt.kinds {
			r.Violations = append(r.Violations, Violation{Kind: k})
		}
		if got := r.Summary(); got != tt.want {
			t.Errorf("%v: Summary() = %q, want %q", tt.kinds, got, tt.want)
		}
	}
}

func TestHeadersPreserved(t *testing.T) {
	h := func(kv ...string) []Header {
		var hs []Header
		for i := 0; i < len(kv); i += 2 {
			hs = append(hs, Header{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return hs
	}
	tests := []struct {
		name      string
		input     []Header
		got       []Header
		preserved bool
	}{
		{"none", nil, h("x", "1"), true},
		{"appended after", h("a", "1"), h("a", "1", "x", "2"), true},
		{"interleaved", h("a", "1", "b", "2"), h("a", "1", "x", "9", "b", "2"), true},
		{"repeated key kept twice", h("a", "1", "a", "2"), h("a", "1", "a", "2"), true},
		{"repeated key lost once", h("a", "1", "a", "1"), h("a", "1"), false},
		{"value changed", h("a", "1"), h("a", "2"), false},
		{"reordered", h("a", "1", "b", "2"), h("b", "2", "a", "1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := headersPreserved(tt.input, tt.got); got != tt.preserved {
				t.Fatalf("headersPreserved = %v, want %v", got, tt.preserved)
			}
		})
	}
}

// BenchmarkCheck audits 100k input records (4 partitions, 400 sources,
// windows of 1000 events, 1% dead letters): the cost per record of
// `eventproc verify` once the records are read.
func BenchmarkCheck(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, partitions, sources = 100_000, 4, 400
	specs := make([]inputSpec, n)
	for i := range specs {
		src := r.IntN(sources)
		specs[i] = inputSpec{
			partition: int32(src % partitions),
			source:    "source-" + strconv.Itoa(src),
			priority:  event.Priority(r.IntN(event.NumPriorities)),
			malformed: r.IntN(100) == 0,
			window:    "w-" + strconv.Itoa(i/1000),
		}
	}
	s := newScenario(b, specs)
	out := s.outputs()
	b.ReportAllocs()
	for b.Loop() {
		if rep := Check(s.in, out, s.dlq, Options{}); !rep.OK() {
			b.Fatalf("benchmark scenario is not valid: %v", rep.Violations[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
