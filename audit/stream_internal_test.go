package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// streamScenario audits the scenario partition by partition as streams.
func streamScenario(s *scenario, opt Options) Report {
	st := NewStream(opt)
	in, out, dlq := s.in, s.outputs(), s.dlq
	for p := int32(0); p < 2; p++ {
		st.Partition(p, onlyPartition(in, p), onlyPartition(out, p), onlyPartition(dlq, p))
	}
	return st.Report()
}

func onlyPartition(rs []Record, p int32) []Record {
	var out []Record
	for _, r := range rs {
		if r.Partition == p {
			out = append(out, r)
		}
	}
	return out
}

// holdingScenario is the reference for streamScenario: the same audit,
// partition by partition, made on each partition held whole in memory.
func holdingScenario(s *scenario, opt Options) Report {
	return HoldPartitions(opt, 2, s.in, s.outputs(), s.dlq)
}

// canonical lists a report's violations in a fixed order: the streaming
// audit discovers them in another order than the whole-topic one.
func canonical(r Report) []string {
	vs := make([]string, len(r.Violations))
	for i, v := range r.Violations {
		vs[i] = fmt.Sprintf("%s %v %s", v.Kind, v.Refs, v.Message)
	}
	slices.SortFunc(vs, cmp.Compare)
	return vs
}

// Streaming each partition finds exactly the violations that auditing
// each partition held in memory finds, for every single violation the
// audit must find. Where windows are out of order, the streamed audit
// checks a source's sequence numbers window by window as they come
// instead of sorting all of them: it reports the gaps and reversals that
// order shows on top of the window-order violations.
func TestStreamFindsWhatCheckFinds(t *testing.T) {
	windowsOutOfOrder := map[string]bool{"windows published out of order": true, "windows interleaved": true}
	cases := append(violationCases(), violationCase{name: "valid"})
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := validScenario(t)
			if tt.plant != nil {
				tt.plant(t, s)
			}
			opt := Options{InputTopic: inputTopic}
			want, got := holdingScenario(s, opt), streamScenario(s, opt)
			w, g := canonical(want), canonical(got)
			if windowsOutOfOrder[tt.name] {
				g = slices.DeleteFunc(g, func(v string) bool {
					return !slices.Contains(w, v) && (strings.HasPrefix(v, string(KindSequenceGap)) || strings.HasPrefix(v, string(KindSequenceOrder)))
				})
			}
			if !slices.Equal(w, g) {
				t.Fatalf("streamed:\n%q\nheld in memory:\n%q", g, w)
			}
			if !slices.Equal(want.Diagnoses, got.Diagnoses) {
				t.Fatalf("diagnoses %q, want %q", got.Diagnoses, want.Diagnoses)
			}
			if got.Inputs != want.Inputs || got.Outputs != want.Outputs || got.DeadLetters != want.DeadLetters {
				t.Fatalf("counts %d/%d/%d, want %d/%d/%d", got.Inputs, got.Outputs, got.DeadLetters, want.Inputs, want.Outputs, want.DeadLetters)
			}
		})
	}
}
