package audit

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/ordering"
)

// globalScenario is validScenario as global ordering publishes it: each
// window merges the records of both input partitions, and every output is
// in output partition 0, numbered 1, 2, 3, … across windows.
//
//	partition 0: w1 a#2(C,p0) b#1(H,p0) c#1(H,p1) c#2(H,p1) a#1(L,p0)
//	             w2 a#3(M,p0) a#4(M,p0) c#3(M,p1) b#2(L,p0) c#4(L,p1)
func globalScenario(t testing.TB) *scenario {
	t.Helper()
	s := validScenario(t)
	byWindow := map[string][]*plannedOutput{}
	for _, ps := range s.out {
		for _, p := range ps {
			byWindow[p.window] = append(byWindow[p.window], p)
		}
	}
	var all []*plannedOutput
	for _, w := range slices.Sorted(maps.Keys(byWindow)) {
		ps := byWindow[w]
		ordering.Sort(ps, func(p **plannedOutput) ordering.Key {
			return ordering.Key{Priority: (*p).ev.Priority, SourceID: (*p).ev.SourceID, Sequence: (*p).d.SequenceNumber}
		})
		all = append(all, ps...)
	}
	s.out = map[int32][]*plannedOutput{0: all}
	return s
}

var globalOpt = Options{InputTopic: inputTopic, Ordering: OrderingGlobal}

// streamGlobal audits a scenario as verify does under global ordering:
// each input partition against output partition 0, then every output
// partition as a whole.
func streamGlobal(s *scenario, opt Options) Report {
	st := NewStream(opt)
	in, out, dlq := s.in, s.outputs(), s.dlq
	for p := int32(0); p < 2; p++ {
		st.Partition(p, onlyPartition(in, p), onlyPartition(out, 0), onlyPartition(dlq, p))
	}
	for p := int32(0); p < 2; p++ {
		if err := st.OutputPartition(p, onlyPartition(out, p)); err != nil {
			panic(err) // reading slices cannot fail; global ordering is set
		}
	}
	return st.Report()
}

func reportText(r Report) string {
	var buf bytes.Buffer
	_ = r.WriteText(&buf)
	return buf.String()
}

func TestGlobalScenarioIsValid(t *testing.T) {
	s := globalScenario(t)
	out := s.outputs()
	// The scenario is only a good test if the merge interleaves input
	// partitions inside a window: c#1 (partition 1) between b#1 and a#1
	// (partition 0).
	var order []string
	for _, r := range out {
		o, err := event.ParseOutput(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, o.SourceID)
	}
	if got := strings.Join(order, ""); got != "abcca"+"aacbc" {
		t.Fatalf("published sources %q, want the merge across partitions", got)
	}
	for name, r := range map[string]Report{"check": Check(s.in, out, s.dlq, globalOpt), "stream": streamGlobal(s, globalOpt)} {
		if !r.OK() || len(r.Diagnoses) > 0 {
			t.Fatalf("%s: valid global stream reported:\n%s", name, reportText(r))
		}
		if r.Inputs != 11 || r.Outputs != 10 || r.DeadLetters != 1 {
			t.Fatalf("%s: counts = %d/%d/%d, want 11/10/1", name, r.Inputs, r.Outputs, r.DeadLetters)
		}
	}
}

// moveToPartition1 takes the output of input inPart@inOffset out of
// partition 0 and appends it to output partition 1.
func moveToPartition1(t *testing.T, s *scenario, inPart int32, inOffset int64) {
	t.Helper()
	p := s.plannedFor(t, inPart, inOffset)
	s.out[0] = slices.DeleteFunc(s.out[0], func(q *plannedOutput) bool { return q == p })
	s.out[1] = append(s.out[1], p)
}

// globalViolationCases plant one violation into globalScenario. Published
// offsets in partition 0 (see globalScenario): 0 a#2, 1 b#1, 2 c#1, 3 c#2,
// 4 a#1 | 5 a#3, 6 a#4, 7 c#3, 8 b#2, 9 c#4.
func globalViolationCases() []violationCase {
	out := func(p int32, offset int64) Ref { return Ref{Topic: outTopic, Partition: p, Offset: offset} }
	return []violationCase{
		{
			name:    "publish sequence gap",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 3).publish = 11 }, // c#4, last
			want:    []ViolationKind{KindPublishSequence},
			wantRef: out(0, 9),
		},
		{
			name:    "publish sequence repeated",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 0).publish = 2 }, // c#1 numbered like b#1
			want:    []ViolationKind{KindPublishSequence},
			wantRef: out(0, 2),
		},
		{
			name: "publish sequence per input partition",
			plant: func(t *testing.T, s *scenario) {
				// Partition ordering's numbering: each input partition's
				// outputs counted on their own.
				n := map[int32]uint64{}
				for _, p := range s.out[0] {
					part := s.in[p.input].Partition
					n[part]++
					p.publish = n[part]
				}
			},
			want:    []ViolationKind{KindPublishSequence},
			wantRef: out(0, 2),
		},
		{
			name: "CRITICAL after LOW in a window",
			plant: func(_ *testing.T, s *scenario) {
				// a#2 CRITICAL moves behind a#1 LOW, the end of window 1.
				w := s.out[0]
				s.out[0] = append(append(slices.Clone(w[1:5]), w[0]), w[5:]...)
			},
			want:    []ViolationKind{KindMergeOrder},
			wantRef: out(0, 4),
		},
		{
			name: "merge order broken across input partitions only",
			plant: func(_ *testing.T, s *scenario) {
				// c#1 (partition 1) before b#1 (partition 0): each input
				// partition's share is still in merge order.
				s.out[0][1], s.out[0][2] = s.out[0][2], s.out[0][1]
			},
			want:    []ViolationKind{KindMergeOrder},
			wantRef: out(0, 2),
		},
		{
			name: "windows interleaved",
			plant: func(_ *testing.T, s *scenario) {
				w := s.out[0] // a#3 of window 2 among window 1's records
				s.out[0] = slices.Concat(w[:4], w[5:6], w[4:5], w[6:])
			},
			want:    []ViolationKind{KindWindowOrder},
			wantRef: out(0, 5),
		},
		{
			name:    "output in partition 1",
			plant:   func(t *testing.T, s *scenario) { moveToPartition1(t, s, 1, 3) }, // c#4, last
			want:    []ViolationKind{KindPartition},
			wantRef: out(1, 0),
		},
		{
			name:    "loss",
			plant:   func(_ *testing.T, s *scenario) { s.out[0] = s.out[0][:9] }, // c#4, last
			want:    []ViolationKind{KindLoss},
			wantRef: Ref{Topic: inputTopic, Partition: 1, Offset: 3},
		},
		{
			name:    "duplicate",
			plant:   func(_ *testing.T, s *scenario) { s.out[0] = append(s.out[0], s.out[0][9]) }, // c#4 again
			want:    []ViolationKind{KindDuplicate, KindSequenceGap},
			wantRef: Ref{Topic: inputTopic, Partition: 1, Offset: 3},
		},
		{
			name:    "sequence gap",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 3).d.SequenceNumber = 5 },
			want:    []ViolationKind{KindSequenceGap},
			wantRef: out(0, 9),
		},
		{
			name:    "dead letter in another partition",
			plant:   func(_ *testing.T, s *scenario) { s.dlq[0].Partition = 1 },
			want:    []ViolationKind{KindPartition},
			wantRef: Ref{Topic: dlqTopic, Partition: 1, Offset: 0},
		},
		{
			name: "output without lineage",
			plant: func(t *testing.T, s *scenario) {
				s.plannedFor(t, 1, 3).headers = withoutHeader(event.HeaderSourceOffset)
			},
			want:    []ViolationKind{KindLoss, KindLineage},
			wantRef: Ref{Topic: inputTopic, Partition: 1, Offset: 3},
		},
		{
			name: "output traces to an input partition not audited",
			plant: func(t *testing.T, s *scenario) {
				s.plannedFor(t, 1, 3).headers = func(hs []Header) []Header {
					setHeader(hs, event.HeaderSourcePartition, "5")
					return hs
				}
			},
			want:    []ViolationKind{KindLoss, KindLineage},
			wantRef: Ref{Topic: inputTopic, Partition: 1, Offset: 3},
		},
		{
			name:    "undecodable output",
			plant:   func(t *testing.T, s *scenario) { s.plannedFor(t, 1, 3).value = []byte(`{"event_id":`) },
			want:    []ViolationKind{KindDecode},
			wantRef: out(0, 9),
		},
	}
}

// TestGlobalCheckDetectsEachViolation plants one violation at a time into
// the valid global stream and expects exactly the kinds it breaks, with
// the offending record first; the streamed audit must find the same
// violations.
func TestGlobalCheckDetectsEachViolation(t *testing.T) {
	// The streamed audit does not count a record outside its partition for
	// its input (each input partition's join reads output partition 0 and
	// its own DLQ partition): it reports the input lost as well.
	streamAlsoLoses := map[string]bool{"output in partition 1": true, "dead letter in another partition": true}
	// Where windows are out of order, the streamed audit checks a source's
	// sequence numbers window by window as they come: it reports the gaps
	// and reversals that order shows on top of the window-order violations
	// (as under partition ordering, TestStreamFindsWhatCheckFinds).
	windowsOutOfOrder := map[string]bool{"windows interleaved": true}
	for _, tt := range globalViolationCases() {
		t.Run(tt.name, func(t *testing.T) {
			s := globalScenario(t)
			tt.plant(t, s)
			r := Check(s.in, s.outputs(), s.dlq, globalOpt)
			if got := kinds(r); !slices.Equal(got, tt.want) {
				t.Fatalf("kinds = %v, want %v\n%s", got, tt.want, reportText(r))
			}
			if got := r.Violations[0].Refs[0]; got != tt.wantRef {
				t.Fatalf("first ref = %v, want %v (%s)", got, tt.wantRef, r.Violations[0].Message)
			}

			streamed := streamGlobal(s, globalOpt)
			w, g := canonical(r), canonical(streamed)
			if streamAlsoLoses[tt.name] {
				g = slices.DeleteFunc(g, func(v string) bool { return strings.HasPrefix(v, string(KindLoss)+" ") })
				if len(g) != len(canonical(streamed))-1 {
					t.Fatalf("streamed audit does not report the input lost:\n%q", canonical(streamed))
				}
			}
			if windowsOutOfOrder[tt.name] {
				g = slices.DeleteFunc(g, func(v string) bool {
					return !slices.Contains(w, v) && (strings.HasPrefix(v, string(KindSequenceGap)) || strings.HasPrefix(v, string(KindSequenceOrder)))
				})
			}
			if !slices.Equal(w, g) {
				t.Fatalf("streamed:\n%q\nwhole topics:\n%q", g, w)
			}
			if r.Outputs != streamed.Outputs || r.DeadLetters != streamed.DeadLetters || r.Inputs != streamed.Inputs {
				t.Fatalf("streamed counts %d/%d/%d, whole topics %d/%d/%d",
					streamed.Inputs, streamed.Outputs, streamed.DeadLetters, r.Inputs, r.Outputs, r.DeadLetters)
			}
		})
	}
}

// The partition-ordering audit of a global stream fails, and the global
// audit of a partition-ordered stream fails: each says which ordering the
// topics look written with.
func TestOrderingMismatchDiagnosed(t *testing.T) {
	partitionOpt := Options{InputTopic: inputTopic, Ordering: OrderingPartition}
	tests := []struct {
		name      string
		s         func(testing.TB) *scenario
		opt       Options
		stream    func(*scenario, Options) Report
		diagnosis string
	}{
		{"global topics audited per partition", globalScenario, partitionOpt, streamScenario, "written with global ordering? use --ordering global"},
		{"partition topics audited globally", validScenario, globalOpt, streamGlobal, "written in partition mode? use --ordering partition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s(t)
			for name, r := range map[string]Report{"check": Check(s.in, s.outputs(), s.dlq, tt.opt), "stream": tt.stream(s, tt.opt)} {
				if r.Count(KindPartition) == 0 {
					t.Errorf("%s: no partition violation:\n%s", name, reportText(r))
				}
				if len(r.Diagnoses) != 1 || !strings.Contains(r.Diagnoses[0], tt.diagnosis) {
					t.Errorf("%s: diagnoses %q, want one saying %q", name, r.Diagnoses, tt.diagnosis)
				}
			}
		})
	}

	// One output misplaced is a partition violation, not a sign of the
	// other ordering.
	s := validScenario(t)
	c4 := s.plannedFor(t, 1, 3)
	s.out[1] = slices.DeleteFunc(s.out[1], func(p *plannedOutput) bool { return p == c4 })
	s.out[0] = append(s.out[0], c4)
	if r := Check(s.in, s.outputs(), s.dlq, partitionOpt); r.Count(KindPartition) == 0 || len(r.Diagnoses) != 0 {
		t.Errorf("one misplaced output: %d partition violations, diagnoses %q", r.Count(KindPartition), r.Diagnoses)
	}
	s = globalScenario(t)
	moveToPartition1(t, s, 0, 6) // a#4 of input partition 0
	if r := Check(s.in, s.outputs(), s.dlq, globalOpt); r.Count(KindPartition) != 1 || len(r.Diagnoses) != 0 {
		t.Errorf("one output outside partition 0: %d partition violations, diagnoses %q", r.Count(KindPartition), r.Diagnoses)
	}
}

func TestParseOrdering(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Ordering
		ok   bool
	}{
		{"partition", OrderingPartition, true},
		{"global", OrderingGlobal, true},
		{"", "", false},
		{"Global", "", false},
	} {
		got, err := ParseOrdering(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseOrdering(%q) = %q, %v", tt.in, got, err)
		}
	}
	if err := Ordering("").Validate(); err != nil || Ordering("").String() != "partition" {
		t.Errorf("zero Ordering is not partition ordering: %v", err)
	}
	if err := Ordering("total").Validate(); err == nil {
		t.Error("unknown ordering validates")
	}
}

// ReadOutputPartition belongs to global ordering: under partition ordering
// ReadPartition reads the output partitions.
func TestReadOutputPartitionNeedsGlobalOrdering(t *testing.T) {
	if err := NewStream(Options{InputTopic: inputTopic}).OutputPartition(0, nil); err == nil {
		t.Fatal("OutputPartition under partition ordering did not fail")
	}
}
