package audit_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/rederive"
)

func byPartition(rs []audit.Record, p int32) []audit.Record {
	var out []audit.Record
	for _, r := range rs {
		if r.Partition == p {
			out = append(out, r)
		}
	}
	return out
}

func streamCheck(p processed, cfg rederive.Config) audit.Report {
	s := audit.NewStream(audit.Options{InputTopic: "in", Rederive: &cfg})
	for part := int32(0); part < 2; part++ {
		s.Partition(part, byPartition(p.in, part), byPartition(p.out, part), byPartition(p.dlq, part))
	}
	return s.Report()
}

// Auditing partition by partition finds what the whole-topic audit finds,
// including what spans partitions.
func TestStreamMatchesCheck(t *testing.T) {
	cfg := rederive.Config{}
	clean := process(t, cfg, standardInputs(), "g1")
	r := streamCheck(clean, cfg)
	requireClean(t, r)
	if r.Inputs != len(clean.in) || r.Outputs != len(clean.out) || r.DeadLetters != len(clean.dlq) {
		t.Fatalf("counts %d/%d/%d", r.Inputs, r.Outputs, r.DeadLetters)
	}

	ins := append(standardInputs(), fixtureInput{partition: 1, value: validEvent("stray", "src-0", 0.5)})
	r = streamCheck(process(t, cfg, ins, "g1"), cfg)
	if len(r.Diagnoses) != 1 || !strings.Contains(r.Diagnoses[0], `source "src-0" in partitions 0 and 1`) || r.Count(audit.KindPartition) != 1 {
		t.Fatalf("diagnoses %q", r.Diagnoses)
	}

	// An output of partition 0's input written to partition 1.
	moved := process(t, cfg, standardInputs(), "g1")
	moved.out[0].Partition = 1
	r = streamCheck(moved, cfg)
	if r.Count(audit.KindPartition) != 1 || r.Count(audit.KindLoss) != 1 {
		t.Fatalf("want one partition violation and one loss: %+v", r.Violations)
	}
}

// canonical lists a report's violations in a fixed order: the streamed
// audit discovers them in another order.
func canonical(r audit.Report) []string {
	vs := make([]string, len(r.Violations))
	for i, v := range r.Violations {
		vs[i] = fmt.Sprintf("%s %v %s %s %s %s", v.Kind, v.Refs, v.Field, v.Want, v.Got, v.Message)
	}
	slices.Sort(vs)
	return vs
}

// missing lists the members of a not in b.
func missing(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// withoutSequenceChecks drops the sequence violations of a canonical
// list, which must have some.
func withoutSequenceChecks(t *testing.T, vs []string) []string {
	t.Helper()
	kept := slices.DeleteFunc(slices.Clone(vs), func(v string) bool {
		return strings.HasPrefix(v, string(audit.KindSequenceGap)+" ") || strings.HasPrefix(v, string(audit.KindSequenceOrder)+" ")
	})
	if len(kept) == len(vs) {
		t.Fatalf("no sequence violation in %q", vs)
	}
	return kept
}

// The streamed content audit reports exactly what the audit of each
// partition held in memory reports, clean or with planted violations.
func TestStreamContentMatchesHeldPartitions(t *testing.T) {
	cfg := rederive.Config{}
	long := `{"event_id":"x","source_id":` + strings.Repeat(" ", 100) + `}`
	edit := func(name string, f func(t *testing.T, p *processed)) struct {
		name string
		make func(t *testing.T) processed
	} {
		return struct {
			name string
			make func(t *testing.T) processed
		}{name, func(t *testing.T) processed {
			p := process(t, cfg, standardInputs(), "g1")
			f(t, &p)
			return p
		}}
	}
	cases := []struct {
		name string
		make func(t *testing.T) processed
	}{
		edit("clean", func(*testing.T, *processed) {}),
		edit("payload", func(t *testing.T, p *processed) {
			p.out[8].Value = replaceMember(t, p.out[8].Value, "payload", `{"extra":1}`, `{"extra":2}`)
		}),
		edit("sequence", func(t *testing.T, p *processed) {
			p.out[8].Value = replaceMember(t, p.out[8].Value, "sequence_number", "3", "4")
		}),
		edit("reason", func(_ *testing.T, p *processed) {
			p.dlq[0].Headers[3].Value = []byte(event.ReasonTooDeep.String())
		}),
		edit("output for a rejected input", func(_ *testing.T, p *processed) {
			p.out[0].Headers[2].Value = p.dlq[0].Headers[2].Value
			p.dlq = p.dlq[1:]
		}),
		edit("loss and duplicate", func(_ *testing.T, p *processed) {
			p.out = append(p.out[1:], p.out[3])
		}),
		edit("two groups", func(t *testing.T, p *processed) {
			// The second group's outputs follow the first's in each partition.
			n := map[int32]int64{}
			for _, r := range p.out {
				n[r.Partition]++
			}
			for _, r := range process(t, cfg, standardInputs(), "g2").out {
				r.Offset += n[r.Partition]
				p.out = append(p.out, r)
			}
		}),
		edit("stray input", func(t *testing.T, p *processed) {
			*p = process(t, cfg, append(standardInputs(), fixtureInput{partition: 1, value: validEvent("stray", "src-0", 0.5)}), "g1")
		}),
		edit("refused", func(t *testing.T, p *processed) { *p = process(t, cfg, standardInputs(), "g1", 0, 5) }),
		edit("refused but numbered as published", func(t *testing.T, p *processed) {
			p.dlq = process(t, cfg, standardInputs(), "g1", 0).dlq
			p.out = p.out[1:]
		}),
		edit("truncated", func(t *testing.T, p *processed) {
			*p = process(t, cfg, append(standardInputs(), fixtureInput{partition: 1, value: long}), "g1")
			last := &p.dlq[len(p.dlq)-1]
			last.Value = []byte(long[:40])
			last.Headers = append(last.Headers,
				audit.Header{Key: event.HeaderErrorTruncated, Value: []byte("true")},
				audit.Header{Key: event.HeaderErrorOriginalSize, Value: []byte("7")})
		}),
		edit("lost state", func(t *testing.T, p *processed) {
			fresh := process(t, cfg, standardInputs()[16:30], "g1")
			for i := range p.out {
				for _, f := range fresh.out {
					if p.out[i].Partition == 1 && f.Partition == 1 && f.Offset == p.out[i].Offset-8 {
						p.out[i].Value = f.Value
					}
				}
			}
		}),
	}
	restarts := map[string]bool{"two groups": true, "lost state": true}
	for _, c := range cases {
		for _, partial := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/partial=%v", c.name, partial), func(t *testing.T) {
				p := c.make(t)
				if partial { // as if retention deleted partition 0's first four inputs
					p.in = slices.DeleteFunc(p.in, func(r audit.Record) bool { return r.Partition == 0 && r.Offset < 4 })
				}
				opt := audit.Options{InputTopic: "in", Rederive: &cfg, PartialRange: partial}
				want := audit.HoldPartitions(opt, 2, p.in, p.out, p.dlq)
				s := audit.NewStream(opt)
				for part := int32(0); part < 2; part++ {
					s.Partition(part, byPartition(p.in, part), byPartition(p.out, part), byPartition(p.dlq, part))
				}
				got := s.Report()
				w, g := canonical(want), canonical(got)
				if restarts[c.name] {
					// A source numbered from 1 again: the streamed audit says
					// so where the numbering jumps back, the held one for
					// every repeated number. Both must say it.
					w, g = withoutSequenceChecks(t, w), withoutSequenceChecks(t, g)
				}
				if !slices.Equal(w, g) {
					t.Fatalf("streamed only:\n%q\nheld in memory only:\n%q", missing(g, w), missing(w, g))
				}
				if !slices.Equal(want.Diagnoses, got.Diagnoses) || fmt.Sprint(want.Unchecked) != fmt.Sprint(got.Unchecked) {
					t.Fatalf("diagnoses %q unchecked %v, want %q %v", got.Diagnoses, got.Unchecked, want.Diagnoses, want.Unchecked)
				}
				if c.name != "clean" && c.name != "refused" && !partial && got.OK() {
					t.Fatal("planted violation not found")
				}
			})
		}
	}
}
