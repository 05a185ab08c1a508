package audit_test

import (
	"strings"
	"testing"

	"github.com/eventproc/eventproc/audit"
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
