package processor

import (
	"encoding/binary"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/ordering"
	"github.com/eventproc/eventproc/rederive"
	"github.com/eventproc/eventproc/rules"
)

func TestCheckpointRulesTrailer(t *testing.T) {
	hash := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	ps := newPartitionState()
	if err := ps.apply(checkpointKey(2), appendCheckpoint(nil, ordering.PublishCounter{Last: 41}, 99, hash)); err != nil {
		t.Fatal(err)
	}
	if ps.publish.Last != 41 || ps.nextOffset != 99 || !ps.rulesKnown || ps.rules != hash {
		t.Fatalf("new checkpoint decoded as %+v", ps)
	}
	// The encoding of builds without rules: counter and offset only.
	old := binary.BigEndian.AppendUint64(ordering.PublishCounter{Last: 7}.AppendBinary(nil), 12)
	ps = newPartitionState()
	if err := ps.apply(checkpointKey(2), old); err != nil {
		t.Fatal(err)
	}
	if ps.publish.Last != 7 || ps.nextOffset != 12 || ps.rulesKnown {
		t.Fatalf("old checkpoint decoded as %+v, want rules unknown", ps)
	}
	// A trailer with an unknown version is not taken for rules.
	bad := appendCheckpoint(nil, ordering.PublishCounter{Last: 7}, 12, hash)
	bad[checkpointWithoutRules] = 9
	if err := newPartitionState().apply(checkpointKey(2), bad); err == nil {
		t.Fatal("checkpoint with an unknown rules trailer version accepted")
	}
}

func loadRules(t *testing.T, path string) rules.Rules {
	t.Helper()
	r, err := rules.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunWithRulesFile runs a member under non-default rules: every output
// carries their rules_version and equals a replay under the same rules,
// and differs from what the default rules produce.
func TestRunWithRulesFile(t *testing.T) {
	custom := loadRules(t, "../rules/testdata/good/acme.yaml")
	h := newHarness(t, 3)
	h.produce(1500)
	m := h.start("a", withRules(custom))
	s := h.awaitAll(60 * time.Second)
	h.assertExactlyOnce(s)
	if err := m.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, r := range s.out {
		o, err := event.ParseOutput(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		if o.Derived.RulesVersion != custom.Version() {
			t.Fatalf("rules_version %q, want %q", o.Derived.RulesVersion, custom.Version())
		}
	}
	h.assertMatchesReplay(s, withRules(custom))
	want := replayOutputs(t, h, s, custom)
	dflt := replayOutputs(t, h, s, rules.Default())
	categoriesDiffer := 0
	for _, r := range s.out {
		o, _ := event.ParseOutput(r.Value)
		w, d := want[o.EventID], dflt[o.EventID]
		if o.Category != w.Category || o.Derived.RiskScore != w.Derived.RiskScore || o.Derived.ProcessingSignature != w.Derived.ProcessingSignature {
			t.Fatalf("event %s differs from the replay under the same rules: got %s %v %s, want %s %v %s", o.EventID,
				o.Category, o.Derived.RiskScore, o.Derived.ProcessingSignature, w.Category, w.Derived.RiskScore, w.Derived.ProcessingSignature)
		}
		if o.Derived.ProcessingSignature == d.Derived.ProcessingSignature {
			t.Fatalf("event %s has the same signature under other rules", o.EventID)
		}
		if o.Category != d.Category {
			categoriesDiffer++
		}
	}
	if categoriesDiffer == 0 {
		t.Fatal("the custom rules classified every event as the defaults do")
	}
	t.Logf("%d of %d events classified differently from the defaults", categoriesDiffer, len(s.out))
	if got := metricSum(t, m.reg, "eventproc_rules_info"); got != 1 {
		t.Fatalf("eventproc_rules_info = %v, want 1", got)
	}
}

// replayOutputs replays the whole input under r (package rederive, as
// assertMatchesReplay does) and returns the outputs by event id.
func replayOutputs(t *testing.T, h *harness, s snapshot, r rules.Rules) map[string]event.Output {
	t.Helper()
	rcfg := h.replayConfig(withRules(r))
	parts := map[int32]*rederive.Partition{}
	out := map[string]event.Output{}
	for _, rec := range s.rawIn { // in partition, then offset, order
		p := parts[rec.Partition]
		if p == nil {
			var err error
			if p, err = rederive.NewPartition(rcfg); err != nil {
				t.Fatal(err)
			}
			parts[rec.Partition] = p
		}
		o := p.Derive(rec.Value, rec.Timestamp)
		p.Commit(&o)
		if !o.Accepted {
			continue
		}
		parsed, err := event.ParseOutput(p.AppendOutput(nil, &o, "replay", 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		out[parsed.EventID] = parsed
	}
	return out
}

// TestTakeoverUnderOtherRules: a member that takes over partitions last
// written under other rules says so in its log and metric, and its outputs
// carry its own rules_version; a member under the same rules does not.
func TestTakeoverUnderOtherRules(t *testing.T) {
	custom := loadRules(t, "../rules/testdata/good/acme.yaml")
	h := newHarness(t, 3)
	h.produce(600)
	a := h.start("a")
	h.awaitAll(60 * time.Second)
	if err := a.stop(t); err != nil {
		t.Fatalf("Run a: %v", err)
	}
	if got := rulesChanged(t, a.reg); got != 0 {
		t.Fatalf("first member counted %v rules changes on fresh partitions", got)
	}

	var logs lockedBuffer
	h.produce(600)
	b := h.start("b", func(c *Config) {
		withRules(custom)(c)
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	s := h.awaitAll(60 * time.Second)
	h.assertExactlyOnce(s)
	if err := b.stop(t); err != nil {
		t.Fatalf("Run b: %v", err)
	}
	if got := rulesChanged(t, b.reg); got != 3 {
		t.Fatalf("eventproc_rules_changed_total = %v, want 3 (one per partition taken over)\n%s", got, logs.String())
	}
	if n := strings.Count(logs.String(), "partition last written under other rules"); n != 3 {
		t.Fatalf("%d takeover warnings, want 3:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "previous_rules_version="+rules.Default().Version()) {
		t.Fatalf("warning does not name the previous rules_version:\n%s", logs.String())
	}
	versions := map[string]int{}
	for _, r := range s.out {
		o, err := event.ParseOutput(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		versions[o.Derived.RulesVersion]++
	}
	if versions[rules.Default().Version()] == 0 || versions[custom.Version()] == 0 || len(versions) != 2 {
		t.Fatalf("rules versions of the outputs: %v, want both the default and the custom one", versions)
	}
}

// rulesChanged sums eventproc_rules_changed_total, which has no series
// until a partition was taken over under other rules.
func rulesChanged(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "eventproc_rules_changed_total" {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// withRules runs under r, anomaly settings included, as --rules does.
func withRules(r rules.Rules) func(*Config) {
	return func(c *Config) {
		c.Rules = &r
		c.Enrich.Alpha, c.Enrich.WarmUp, c.Enrich.ZThreshold = r.Alpha, r.WarmUp, r.ZThreshold
	}
}
