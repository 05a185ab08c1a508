package processor

import (
	"strconv"
	"time"
)

// misrouting notices input that is not keyed by source_id. Per-source
// state (sequence numbers, anomaly baselines) lives with the partition a
// source's records arrive on, so a source spread over partitions gets one
// sequence and one baseline per partition: duplicated sequence numbers.
type misrouting struct {
	clock func() time.Time
	// lastWarn rate-limits the warnings per partition.
	lastWarn map[int32]time.Time
	// seen maps a source to the partition it was first seen on, among
	// this member's partitions; bounded by maxTrackedSources.
	seen       map[string]int32
	lastSplit  time.Time
	splitCount int
}

// misroutingWarnEvery bounds the rate of key-mismatch warnings (per
// partition) and of split-source errors.
const misroutingWarnEvery = 30 * time.Second

// maxTrackedSources bounds the memory of split-source tracking: when it
// is full it starts over, so a split is still caught, only later.
const maxTrackedSources = 100_000

func newMisrouting(clock func() time.Time) misrouting {
	return misrouting{clock: clock, lastWarn: make(map[int32]time.Time), seen: make(map[string]int32)}
}

// observe counts and reports a committed window's misrouted records.
func (mr *misrouting) observe(r *runner, w *openWindow) {
	now := mr.clock()
	p := w.pipe
	for part, n := range p.keyMismatch {
		if n == 0 {
			continue
		}
		r.m.keyMismatch.WithLabelValues(strconv.Itoa(int(part))).Add(float64(n))
		if now.Sub(mr.lastWarn[part]) >= misroutingWarnEvery {
			mr.lastWarn[part] = now
			r.log.Warn("input records whose key is not their source_id: a source spread over partitions gets duplicate sequence numbers; key records by source_id in the producer",
				"partition", part, "source_id", p.mismatchSample[part], "records_in_window", n)
		}
	}
	for i := range p.items {
		it := &p.items[i]
		part := w.recs[it.rec].Partition
		first, ok := mr.seen[string(it.ev.SourceID)]
		if !ok {
			if len(mr.seen) >= maxTrackedSources {
				clear(mr.seen)
			}
			mr.seen[string(it.ev.SourceID)] = part
			continue
		}
		if first == part {
			continue
		}
		mr.splitCount++
		if now.Sub(mr.lastSplit) >= misroutingWarnEvery {
			mr.lastSplit = now
			r.log.Error("a source arrives on two input partitions: its sequence numbers and anomaly state are kept per partition and are duplicated; key every record by its source_id",
				"source_id", string(it.ev.SourceID), "partition", part, "also_on_partition", first, "splits_seen", mr.splitCount)
		}
		mr.seen[string(it.ev.SourceID)] = part
	}
}

// forget drops revoked partitions from the split-source tracking: a
// source moving with a rebalance is not misrouted.
func (mr *misrouting) forget(revoked []int32) {
	if len(revoked) == 0 {
		return
	}
	for src, part := range mr.seen {
		for _, p := range revoked {
			if part == p {
				delete(mr.seen, src)
				break
			}
		}
	}
}
