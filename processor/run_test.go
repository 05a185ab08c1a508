package processor

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRunSingleMemberExactlyOnce(t *testing.T) {
	h := newHarness(t, 3)
	h.produce(3000)
	m := h.start("a")
	s := h.awaitAll(60 * time.Second)
	h.assertExactlyOnce(s)
	t.Logf("%d inputs: %d outputs, %d dead letters", len(s.in), len(s.out), len(s.dlq))
	if err := m.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := metricSum(t, m.reg, "eventproc_events_published_total"); got != float64(len(s.out)) {
		t.Errorf("published counter %v, output topic holds %d", got, len(s.out))
	}
	if got := metricSum(t, m.reg, "eventproc_events_dead_lettered_total"); got != float64(len(s.dlq)) {
		t.Errorf("dead-lettered counter %v, DLQ holds %d", got, len(s.dlq))
	}
}

// metricSum adds up every series of a counter or gauge family.
func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		sum := 0.0
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return sum
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// TestRunPipelinedAndSequentialWindowsAgree drains one backlog in small
// windows twice, once with each window's transaction ending while the
// next window is processed (the default) and once with sequential
// windows: both publish every record exactly once, as a replay of the
// input does, and only the default overlaps windows.
func TestRunPipelinedAndSequentialWindowsAgree(t *testing.T) {
	for _, sequential := range []bool{false, true} {
		h := newHarness(t, 3)
		h.produce(4000)
		m := h.start("a", smallWindows, func(c *Config) { c.SequentialWindows = sequential })
		s := h.awaitAll(60 * time.Second)
		h.assertExactlyOnce(s)
		h.assertMatchesReplay(s)
		if err := m.stop(t); err != nil {
			t.Fatalf("sequential=%v: Run: %v", sequential, err)
		}
		overlapped := metricSum(t, m.reg, "eventproc_windows_overlapped_total")
		committed := metricSum(t, m.reg, "eventproc_transactions_total")
		t.Logf("sequential=%v: %v windows, %v overlapped", sequential, committed, overlapped)
		switch {
		case sequential && overlapped != 0:
			t.Fatalf("sequential windows: %v overlapped", overlapped)
		case !sequential && overlapped == 0:
			t.Fatalf("a 4000-record backlog in windows of 200 overlapped no window (%v transactions)", committed)
		}
	}
}

// TestRunLightInputExactlyOnce trickles records in, a few at a time, so
// the windows stay small and most are taken after the previous transaction
// ended rather than overlapping it: every record is still published
// exactly once, as a replay of the input is. How many windows overlapped
// depends on timing, so it is logged, not asserted.
func TestRunLightInputExactlyOnce(t *testing.T) {
	h := newHarness(t, 3)
	m := h.start("a", smallWindows)
	for range 30 {
		h.produce(7)
		time.Sleep(15 * time.Millisecond)
	}
	s := h.awaitAll(60 * time.Second)
	h.assertExactlyOnce(s)
	h.assertMatchesReplay(s)
	if err := m.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%v windows, %v overlapped", metricSum(t, m.reg, "eventproc_transactions_total"), metricSum(t, m.reg, "eventproc_windows_overlapped_total"))
}
