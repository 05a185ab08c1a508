package processor

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestOnCommitCountsEveryRecord: the committed windows reported to
// OnCommit add up to every input record, every output and every dead
// letter, and agree with the processor's counters.
func TestOnCommitCountsEveryRecord(t *testing.T) {
	h := newHarness(t, 2)
	h.produce(1500)
	var records, published, dead, windows atomic.Int64
	m := h.start("a", func(c *Config) {
		c.WindowMaxEvents = 200
		c.OnCommit = func(s WindowStats) {
			windows.Add(1)
			records.Add(int64(s.Records))
			published.Add(int64(s.Published))
			dead.Add(int64(s.DeadLettered))
		}
	})
	s := h.awaitAll(60 * time.Second)
	if err := m.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if records.Load() != int64(len(s.in)) || published.Load() != int64(len(s.out)) || dead.Load() != int64(len(s.dlq)) {
		t.Fatalf("OnCommit saw %d records, %d published, %d dead letters; topics hold %d inputs, %d outputs, %d dead letters",
			records.Load(), published.Load(), dead.Load(), len(s.in), len(s.out), len(s.dlq))
	}
	if windows.Load() < int64(len(s.in)/200) {
		t.Errorf("%d windows reported for %d records of at most 200 per window", windows.Load(), len(s.in))
	}
	if got := metricSum(t, m.reg, "eventproc_events_consumed_total"); got != float64(records.Load()) {
		t.Errorf("consumed counter %v, OnCommit records %d", got, records.Load())
	}
}
