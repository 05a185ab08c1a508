package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/ordering"
)

// globalOutput is one output record with what the global layout needs.
type globalOutput struct {
	rec kafkaio.InRecord
	out event.Output
}

// globalLayout lays a partition-ordered run's outputs out as global
// ordering publishes them: each window's records of every input partition
// merged into one order, all in output partition 0, numbered 1, 2, 3, …
// as a whole. A window of the run spans the partitions its member
// consumed, so the result is what the global mode would have published.
func globalLayout(t *testing.T, outs []kafkaio.InRecord) []globalOutput {
	t.Helper()
	var g []globalOutput
	for _, r := range outs {
		o, err := event.ParseOutput(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		g = append(g, globalOutput{rec: r, out: o})
	}
	// One run's window ids sort in publish order (a fixed base and a
	// zero-padded counter).
	slices.SortStableFunc(g, func(x, y globalOutput) int { return cmp.Compare(x.out.Derived.WindowID, y.out.Derived.WindowID) })
	for start := 0; start < len(g); {
		end := start + 1
		for end < len(g) && g[end].out.Derived.WindowID == g[start].out.Derived.WindowID {
			end++
		}
		ordering.Sort(g[start:end], func(o *globalOutput) ordering.Key {
			p, _ := event.ParsePriority([]byte(o.out.Priority))
			return ordering.Key{Priority: p, SourceID: []byte(o.out.SourceID), Sequence: o.out.SequenceNumber}
		})
		start = end
	}
	renumber(t, g)
	return g
}

// renumber puts every output in partition 0 and numbers them by position.
func renumber(t *testing.T, g []globalOutput) {
	t.Helper()
	for i := range g {
		g[i].rec.Partition = 0
		g[i].rec.Value = setNumber(t, publishMember, g[i].rec.Value, uint64(i+1))
		g[i].out.Derived.GlobalPublishSequence = uint64(i + 1)
	}
}

// setNumber returns value with the number of member re set to n.
func setNumber(t *testing.T, re *regexp.Regexp, value []byte, n uint64) []byte {
	t.Helper()
	m := re.FindSubmatchIndex(value)
	if m == nil {
		t.Fatalf("no %v in %s", re, value)
	}
	out := append([]byte(nil), value[:m[2]]...)
	out = strconv.AppendUint(out, n, 10)
	return append(out, value[m[3]:]...)
}

func records(g []globalOutput) []kafkaio.InRecord {
	rs := make([]kafkaio.InRecord, len(g))
	for i := range g {
		rs[i] = g[i].rec
	}
	return rs
}

// criticalAfterLow moves a CRITICAL output behind the last LOW output of
// its window (from another input partition when there is one) and returns
// its new position.
func criticalAfterLow(t *testing.T, g []globalOutput) ([]globalOutput, int) {
	t.Helper()
	best, bestLow := -1, -1
	for i := range g {
		if g[i].out.Priority != event.PriorityCritical.String() {
			continue
		}
		for j := i + 1; j < len(g) && g[j].out.Derived.WindowID == g[i].out.Derived.WindowID; j++ {
			if g[j].out.Priority != event.PriorityLow.String() {
				continue
			}
			if best < 0 || (g[j].rec.Partition != g[i].rec.Partition && g[bestLow].rec.Partition == g[best].rec.Partition) {
				best, bestLow = i, j
			}
		}
	}
	if best < 0 {
		t.Fatal("no window has a CRITICAL and a LOW output")
	}
	moved := g[best]
	g = slices.Insert(slices.Clone(g), bestLow+1, moved)
	g = slices.Delete(g, best, best+1)
	renumber(t, g)
	return g, bestLow
}

// TestVerifyGlobalOrdering: verify --ordering global passes a correct
// global-ordering stream (built from a real run's outputs, as the global
// mode publishes them) and exits 1 naming the record on a gap in the
// publish sequence, a CRITICAL output after a LOW one in a window and an
// output in partition 1; each ordering's audit of the other's topics says
// which ordering they look written with.
func TestVerifyGlobalOrdering(t *testing.T) {
	const partitions, count = 3, 900
	cases := []struct {
		name  string
		plant func(t *testing.T, g []globalOutput) (out []globalOutput, kind, ref, message string)
	}{
		{"publish gap", func(t *testing.T, g []globalOutput) ([]globalOutput, string, string, string) {
			i := len(g) / 2
			g[i].rec.Value = bump(t, publishMember, g[i].rec.Value)
			return g, "publish_sequence", fmt.Sprintf("out/0@%d", i), fmt.Sprintf("global_publish_sequence is %d, expected %d", i+2, i+1)
		}},
		{"critical after low", func(t *testing.T, g []globalOutput) ([]globalOutput, string, string, string) {
			g, i := criticalAfterLow(t, g)
			return g, "merge_order", fmt.Sprintf("out/0@%d", i), "CRITICAL"
		}},
		{"output in partition 1", func(t *testing.T, g []globalOutput) ([]globalOutput, string, string, string) {
			g[len(g)-1].rec.Partition = 1
			return g, "partition", "out/1@0", "output is in partition 1: with global ordering every output is in partition 0"
		}},
	}
	topics := []string{"in", "out", "dlq", "gout"}
	for _, c := range cases {
		topics = append(topics, caseTopic("gout", c.name))
	}
	addr := startKfakeForCLI(t, partitions, topics...)
	if _, errOut, code := runCLI(t, t.Context(), "produce", "--brokers", addr, "--topic", "in", "--count", strconv.Itoa(count),
		"--seed", "23", "--sources", "20", "--malformed-ratio", "0.05", "--progress-interval", "1h"); code != exitOK {
		t.Fatalf("produce exit %d: %s", code, errOut)
	}
	processed := runUntilProcessed(t, addr, count)
	global := globalLayout(t, processed.out)
	inputs := map[string]bool{}
	for _, g := range global {
		inputs[header(g.rec.Headers, event.HeaderSourcePartition)] = true
	}
	if len(inputs) != partitions {
		t.Fatalf("global stream has outputs of %d input partitions, want %d", len(inputs), partitions)
	}
	copyRecords(t, addr, "gout", records(global))

	verify := func(out string, args ...string) (string, string, int) {
		return runCLI(t, t.Context(), append([]string{"verify", "--brokers", addr, "--input-topic", "in", "--output-topic", out, "--dlq-topic", "dlq"}, args...)...)
	}
	stdout, stderr, code := verify("gout", "--ordering", "global")
	if code != exitOK {
		t.Fatalf("verify --ordering global of a correct global stream exited %d:\n%s\n%s", code, stdout, stderr)
	}
	if want := fmt.Sprintf("global ordering)\naudit: %d input records, %d outputs, %d dead letters: OK", count, len(processed.out), len(processed.dlq)); !strings.Contains(stdout, want) {
		t.Fatalf("verify output lacks %q:\n%s", want, stdout)
	}

	// Each ordering's audit of the other's topics fails and says why.
	for _, tt := range []struct{ out, ordering, diagnosis string }{
		{"gout", "partition", "written with global ordering? use --ordering global"},
		{"out", "global", "written in partition mode? use --ordering partition"},
	} {
		stdout, stderr, code := verify(tt.out, "--ordering", tt.ordering)
		if code != exitFailure || !strings.Contains(stdout, "diagnosis: ") || !strings.Contains(stdout, tt.diagnosis) || !strings.Contains(stdout, "\npartition: ") {
			t.Errorf("verify --ordering %s of %s exited %d, want %d with a partition violation and the diagnosis %q:\n%s\n%s",
				tt.ordering, tt.out, code, exitFailure, tt.diagnosis, stdout, stderr)
		}
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, kind, ref, message := c.plant(t, slices.Clone(global))
			topic := caseTopic("gout", c.name)
			copyRecords(t, addr, topic, records(g))
			stdout, stderr, code := verify(topic, "--ordering", "global", "--json")
			if code != exitFailure {
				t.Fatalf("verify exited %d, want %d:\n%s\n%s", code, exitFailure, stdout, stderr)
			}
			var rep verifyReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
			}
			ref = strings.Replace(ref, "out/", topic+"/", 1)
			if !rep.names(kind, ref) {
				t.Fatalf("no %s violation names %s: %+v\n%s", kind, ref, rep.Counts, stdout)
			}
			if !strings.Contains(stdout, message) {
				t.Errorf("report does not say %q:\n%s", message, stdout)
			}
			if !strings.Contains(stderr, "exactly-once violations found: ") || !strings.Contains(stderr, kind+" ") {
				t.Errorf("stderr does not name the kind %s: %q", kind, stderr)
			}
		})
	}
}
