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
