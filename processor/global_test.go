package processor

import (
	"cmp"
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
)

func globalOrdering(c *Config) { c.Ordering = OrderingGlobal }

// assertGlobalStream audits a global-ordering run (audit.OrderingGlobal:
// every output on partition 0, one contiguous global_publish_sequence, the
// merge order across all partitions within each window, windows in order,
// every input exactly once in output + DLQ) and returns the outputs in
// publish order.
func (h *harness) assertGlobalStream(s snapshot) []event.Output {
	h.t.Helper()
	h.assertAudit(s, audit.OrderingGlobal)
	outs := make([]event.Output, 0, len(s.out))
	for _, r := range s.out {
		o, err := event.ParseOutput(r.Value)
		if err != nil {
			h.t.Fatalf("output at offset %d: %v", r.Offset, err)
		}
		outs = append(outs, o)
	}
	slices.SortFunc(outs, func(a, b event.Output) int {
		return cmp.Compare(a.Derived.GlobalPublishSequence, b.Derived.GlobalPublishSequence)
	})
	return outs
}

// TestGlobalOrderingOvertakesAcrossPartitions: a CRITICAL event that
// arrives on input partition 5 after LOW events on partition 0 in the same
// window is published before them, on the one output partition; the
// stream's counter survives a restart.
func TestGlobalOrderingOvertakesAcrossPartitions(t *testing.T) {
	h := newHarness(t, 6)
	cl, err := kafkaio.NewClient(h.client, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := ftoa(float64(time.Now().Unix()))
	ev := func(id, source, prio string) []byte {
		return []byte(`{"event_id":"` + id + `","source_id":"` + source + `","timestamp":` + now + `,"priority":"` + prio + `"}`)
	}
	var recs []kafkaio.OutRecord
	for i := range 5 {
		recs = append(recs, kafkaio.OutRecord{Topic: h.input, Partition: 0, Key: []byte("a-low"), Value: ev("low"+itoa(i), "a-low", "LOW")})
	}
	recs = append(recs, kafkaio.OutRecord{Topic: h.input, Partition: 5, Key: []byte("z-critical"), Value: ev("crit", "z-critical", "CRITICAL")})
	if err := kafkaio.ProduceSync(ctx, cl, recs...); err != nil {
		t.Fatal(err)
	}
	h.inputs += len(recs)

	// One window holds them all: it stays open a second after its first record.
	a := h.start("a", globalOrdering, func(c *Config) { c.WindowMaxWait = time.Second })
	outs := h.assertGlobalStream(h.awaitAll(60 * time.Second))
	if outs[0].EventID != "crit" || outs[0].Derived.GlobalPublishSequence != 1 || outs[1].Derived.WindowID != outs[0].Derived.WindowID {
		t.Fatalf("first output %s #%d (window %s), want the CRITICAL event of partition 5 first in the shared window", outs[0].EventID, outs[0].Derived.GlobalPublishSequence, outs[0].Derived.WindowID)
	}
	details, err := kadm.NewClient(cl).ListTopics(ctx, h.output)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(details[h.output].Partitions); n != 1 {
		t.Fatalf("output created with %d partitions, want 1", n)
	}

	h.produce(3000)
	h.assertGlobalStream(h.awaitAll(60 * time.Second))
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	// A new member restores the counter from the partitions' checkpoints.
	h.produce(2000)
	h.start("b", globalOrdering)
	h.assertGlobalStream(h.awaitAll(60 * time.Second))
}

// awaitRole waits until m reports role.
func awaitRole(t *testing.T, m *member, role string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, reason := m.health.Ready()
		if m.health.Role() == role && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %s: role %q (ready %v: %s) after %s, want %s and ready", m.instance, m.health.Role(), ok, reason, d, role)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// activeOf returns the member that owns the partitions and the others.
func activeOf(t *testing.T, ms ...*member) (*member, []*member) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var active *member
		var standbys []*member
		for _, m := range ms {
			ok, _ := m.health.Ready()
			switch {
			case m.health.Role() == roleActive && ok:
				if active != nil {
					t.Fatalf("members %s and %s are both active", active.instance, m.instance)
				}
				active = m
			case m.health.Role() == roleStandby && ok:
				standbys = append(standbys, m)
			}
		}
		if active != nil && len(standbys) == len(ms)-1 {
			return active, standbys
		}
		if time.Now().After(deadline) {
			t.Fatalf("no settled active member among %d after 60s", len(ms))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGlobalStandbyTakesOverAfterCrash: the active crashes mid-window
// (records produced, transaction open); the standby takes every partition
// after the session timeout and the stream continues without a gap or a
// repeat.
func TestGlobalStandbyTakesOverAfterCrash(t *testing.T) {
	h := newHarness(t, 4)
	h.produce(500)
	a := h.start("a", globalOrdering, smallWindows)
	h.awaitAll(60 * time.Second)
	b := h.start("b", globalOrdering, smallWindows)
	active, standbys := activeOf(t, a, b)
	if active != a {
		t.Fatalf("active is %s: the member that owned the partitions must keep them when a standby joins", active.instance)
	}
	if got := readyBody(t, standbys[0]); got != "ready role=standby\n" {
		t.Fatalf("standby /readyz body %q", got)
	}
	if v := counterValue(t, b.reg, "eventproc_role", roleStandby); v != 1 {
		t.Fatalf("standby's eventproc_role{role=standby} = %v", v)
	}
	// Restart a so that it crashes at its third window.
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	awaitRole(t, b, roleActive, 30*time.Second)
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	a = h.start("a", globalOrdering, smallWindows, crashAt(3))
	awaitRole(t, a, roleActive, 30*time.Second)
	b = h.start("b", globalOrdering, smallWindows)
	awaitRole(t, b, roleStandby, 30*time.Second)
	// The standby keeps every partition warm from the changelog.
	awaitMetric(t, b, "eventproc_standby_partitions", 4)
	h.produce(2000)
	if err := a.wait(t, 60*time.Second); !errors.Is(err, errCrashed) {
		t.Fatalf("member a: got %v, want the simulated crash", err)
	}
	s := h.awaitAll(90 * time.Second)
	h.assertGlobalStream(s)
	awaitRole(t, b, roleActive, 10*time.Second)
	// The takeover read only the changelog the standby had not seen: far
	// fewer records than the standby had read.
	tailed, restored := metricSum(t, b.reg, "eventproc_standby_records_total"), metricSum(t, b.reg, "eventproc_state_restore_records_total")
	if tailed == 0 || restored >= tailed {
		t.Fatalf("standby read %v changelog records, takeover restored %v: want a warm takeover reading only the tail", tailed, restored)
	}
	if v := metricSum(t, b.reg, "eventproc_standby_partitions"); v != 0 {
		t.Fatalf("active still counts %v standby partitions", v)
	}
}

// awaitMetric waits until the sum of a metric family of m is want.
func awaitMetric(t *testing.T, m *member, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for metricSum(t, m.reg, name) != want {
		if time.Now().After(deadline) {
			t.Fatalf("member %s: %s = %v after 30s, want %v", m.instance, name, metricSum(t, m.reg, name), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGlobalRestartUnderInstanceID: the crashed active restarts under its
// instance id at once, fencing its open transaction and taking its place
// without waiting for the session timeout.
func TestGlobalRestartUnderInstanceID(t *testing.T) {
	h := newHarness(t, 3)
	h.produce(2000)
	a := h.start("a", globalOrdering, smallWindows, crashAt(4))
	if err := a.wait(t, 60*time.Second); !errors.Is(err, errCrashed) {
		t.Fatalf("member a: got %v, want the simulated crash", err)
	}
	b := h.start("b", globalOrdering)
	a2 := h.start("a", globalOrdering)
	h.assertGlobalStream(h.awaitAll(60 * time.Second))
	if active, _ := activeOf(t, a2, b); active != a2 {
		t.Fatalf("active is %s: the restarted static member keeps its partitions", active.instance)
	}
}

// TestGlobalRollingRestartThreeMembers: three members (one active, two
// standbys) under load; each is stopped (SIGTERM) and started again in
// turn, the active included; the stream stays exact.
func TestGlobalRollingRestartThreeMembers(t *testing.T) {
	h := newHarness(t, 4)
	ms := []*member{
		h.start("a", globalOrdering, smallWindows),
		h.start("b", globalOrdering, smallWindows),
		h.start("c", globalOrdering, smallWindows),
	}
	activeOf(t, ms...)
	errc := make(chan error, 1)
	go func() { // exits after producing its records
		var err error
		for range 6 {
			if err = h.tryProduce(500); err != nil {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		errc <- err
	}()
	for i, m := range ms {
		if err := m.stop(t); err != nil {
			t.Fatalf("stop %s: %v", m.instance, err)
		}
		ms[i] = h.start(m.instance, globalOrdering, smallWindows)
		activeOf(t, ms...)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	h.assertGlobalStream(h.awaitAll(90 * time.Second))
}

// TestGlobalAndPartitionMembersCannotShareAGroup: a member with the other
// --ordering is refused by the group's coordinator and says why.
func TestGlobalAndPartitionMembersCannotShareAGroup(t *testing.T) {
	h := newHarness(t, 2)
	h.produce(100)
	a := h.start("a", globalOrdering)
	h.awaitAll(60 * time.Second)
	b := h.start("b", func(c *Config) { c.OutputTopic = h.output + "-partitioned" })
	err := b.wait(t, 60*time.Second)
	if err == nil || !strings.Contains(err.Error(), "--ordering") {
		t.Fatalf("partition-mode member in a global group: err = %v, want a refusal naming --ordering", err)
	}
	if ok, _ := a.health.Ready(); !ok {
		t.Fatal("the global member must keep running")
	}
}

func readyBody(t *testing.T, m *member) string {
	t.Helper()
	rec := httptest.NewRecorder()
	OpsHandler(m.reg, m.health).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Fatalf("/readyz of %s: %d %s", m.instance, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}
