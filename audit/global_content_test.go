package audit_test

import (
	"strconv"
	"testing"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/rederive"
)

// toGlobal lays p's outputs out as global ordering publishes them: all in
// output partition 0, numbered 1, 2, 3, … as a whole. The fixture gives
// every input its own window, in input order, so that order is the merge
// order across partitions too.
func toGlobal(t *testing.T, p processed) processed {
	t.Helper()
	g := processed{in: p.in, dlq: p.dlq}
	for i, r := range p.out {
		o, err := event.ParseOutput(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		r.Value = replaceMember(t, r.Value, "global_publish_sequence",
			strconv.FormatUint(o.Derived.GlobalPublishSequence, 10), strconv.Itoa(i+1))
		r.Partition, r.Offset = 0, int64(i)
		g.out = append(g.out, r)
	}
	return g
}

func globalReports(p processed, cfg rederive.Config) map[string]audit.Report {
	opt := audit.Options{InputTopic: "in", Rederive: &cfg, Ordering: audit.OrderingGlobal}
	s := audit.NewStream(opt)
	for part := int32(0); part < 2; part++ {
		s.Partition(part, byPartition(p.in, part), byPartition(p.out, 0), byPartition(p.dlq, part))
	}
	if err := s.OutputPartition(0, byPartition(p.out, 0)); err != nil {
		panic(err) // global ordering is set
	}
	return map[string]audit.Report{"check": audit.Check(p.in, p.out, p.dlq, opt), "stream": s.Report()}
}

// The content audit re-derives global-ordering outputs from their inputs
// as it does per partition: every input partition is replayed on its own,
// whatever output partition its outputs are in.
func TestGlobalContent(t *testing.T) {
	cfg := rederive.Config{}
	clean := toGlobal(t, process(t, cfg, standardInputs(), "g1"))
	for name, r := range globalReports(clean, cfg) {
		t.Run("clean/"+name, func(t *testing.T) { requireClean(t, r) })
	}

	forged := toGlobal(t, process(t, cfg, standardInputs(), "g1"))
	forged.out[9].Value = replaceMember(t, forged.out[9].Value, "payload", `{"extra":1}`, `{"extra":2}`)
	want := audit.Ref{Topic: "out", Partition: 0, Offset: 9}
	for name, r := range globalReports(forged, cfg) {
		t.Run("payload/"+name, func(t *testing.T) {
			if r.Count(audit.KindContent) != 1 || r.Violations[0].Refs[0] != want || r.Violations[0].Field != "payload" {
				t.Fatalf("want one payload content violation on %s: %+v", want, r.Violations)
			}
		})
	}
}
