package processor

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A member that gives partitions up to a joining member, and whose next
// window begins after the assignment settled, commits that window: only
// a window holding records polled before a revoke must be aborted.
func TestRunWindowAfterSettledJoinIsNotAborted(t *testing.T) {
	h := newHarness(t, 4)
	h.produce(600)
	a := h.start("a")
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))

	b := h.start("b") // a revokes partitions for b with no window open
	waitReady(t, b)
	waitReady(t, a)
	if n := counterValue(t, a.reg, "eventproc_partitions_owned", ""); n == 4 {
		t.Fatalf("member a still owns all 4 partitions after b joined")
	}
	abortedBefore := map[*member]float64{}
	for _, m := range []*member{a, b} {
		abortedBefore[m] = counterValue(t, m.reg, "eventproc_transactions_total", "aborted")
	}

	h.produce(600) // windows that begin after the assignment settled
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))

	for _, m := range []*member{a, b} {
		if n := counterValue(t, m.reg, "eventproc_transactions_total", "aborted") - abortedBefore[m]; n > 0 {
			t.Errorf("member %s aborted %v window(s) that began after the assignment settled", m.instance, n)
		}
		assertCommitDurations(t, m)
	}
}

// assertCommitDurations checks that every committed window observed its
// commit time, and nothing else did.
func assertCommitDurations(t *testing.T, m *member) {
	t.Helper()
	if n, err := testutil.GatherAndCount(m.reg, "eventproc_commit_duration_seconds"); err != nil || n != 1 {
		t.Fatalf("member %s: eventproc_commit_duration_seconds: %d series, err %v", m.instance, n, err)
	}
	if n, err := testutil.GatherAndCount(m.reg, "eventproc_concurrent_transactions_retries_total"); err != nil || n != 1 {
		t.Fatalf("member %s: eventproc_concurrent_transactions_retries_total: %d series, err %v", m.instance, n, err)
	}
	committed := counterValue(t, m.reg, "eventproc_transactions_total", "committed")
	observed := histogramCount(t, m.reg, "eventproc_commit_duration_seconds")
	if committed == 0 || observed != uint64(committed) {
		t.Fatalf("member %s: %d commit durations observed for %v committed windows", m.instance, observed, committed)
	}
}

// counterValue returns the value of a counter or gauge, the series whose
// only label has the given value (or the unlabelled one for "").
func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s{%s}", name, label)
	return 0
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no histogram %s", name)
	return 0
}
