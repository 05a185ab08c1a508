package processor

import (
	"context"
	"slices"
	"time"

	"github.com/eventproc/eventproc/kafkaio"
)

// A warm standby keeps the state of partitions it does not own, built by
// tailing their changelog partitions (read_committed) between windows, so
// that when it takes them over it reads only the changelog written since
// its last read instead of the whole history (restore seeds from it).
//
// With global ordering every member that owns nothing is a standby of all
// partitions. With partition ordering and --standby-replicas N, each
// partition has N standbys besides its owner, placed on a ring of the
// group's members (standbyPlacement); the group's balancer does not know
// about them, so a copy pays off when its holder is the member that takes
// the partition over: always with two members, or with N = members - 1.
//
// Only what the member read itself is kept warm. The state of a partition
// it owned and lost is dropped: which changelog offset that state
// corresponds to is not known, so it could not be continued safely.

// warmPartition is a standby's copy of one partition's state and where
// its changelog read continues.
type warmPartition struct {
	state *partitionState
	next  int64
}

const (
	// standbyTailInterval spaces a standby's changelog reads.
	standbyTailInterval = 500 * time.Millisecond
	// standbyTailBudget bounds the records one read applies, so that a
	// standby catching up on a long changelog still reacts to a takeover
	// within a fraction of a second.
	standbyTailBudget = 50000
	// standbyTailTimeout bounds one read.
	standbyTailTimeout = 5 * time.Second
	// standbyPlacementInterval spaces the group descriptions from which a
	// member with partition ordering learns which partitions to keep warm.
	standbyPlacementInterval = 5 * time.Second
	// standbyActiveBudget bounds the records one read applies while the
	// member also runs windows (partition ordering): the read delays them.
	standbyActiveBudget = 10000
)

// standbyPartitions are the partitions this member keeps warm: with
// global ordering, every input partition while it owns none (a standby of
// the active); with partition ordering and StandbyReplicas, those the
// group's standby placement gives it (standbyPlacement), minus any it owns
// by now; none otherwise.
func (r *runner) standbyPartitions(ctx context.Context, owned []int32) []int32 {
	switch {
	case !r.stateful():
		return nil
	case r.global():
		if len(owned) > 0 {
			return nil
		}
		ps := make([]int32, r.inputPartitions)
		for i := range ps {
			ps[i] = int32(i)
		}
		return ps
	case r.cfg.StandbyReplicas == 0:
		return nil
	}
	if r.placedAt.IsZero() || r.cfg.Clock().Sub(r.placedAt) >= standbyPlacementInterval {
		r.placedAt = r.cfg.Clock()
		dctx, cancel := context.WithTimeout(ctx, standbyTailTimeout)
		members, err := r.sess.GroupMembers(dctx)
		cancel()
		if err != nil {
			r.log.Debug("standby: cannot describe the group; keeping the last placement", "err", err)
		} else {
			r.placed = standbyPlacement(members, r.cfg.StandbyReplicas)
		}
	}
	return slices.DeleteFunc(slices.Clone(r.placed), func(p int32) bool { return slices.Contains(owned, p) })
}

// standbyPlacement returns the partitions the Self member keeps warm with
// replicas warm copies per partition. The members, in Key order, form a
// ring; a partition owned by the member at position i is kept warm by the
// replicas members after it (at most every other member). Keys are
// instance ids where set, so the placement survives restarts.
func standbyPlacement(members []kafkaio.GroupMember, replicas int) []int32 {
	self := slices.IndexFunc(members, func(m kafkaio.GroupMember) bool { return m.Self })
	n := len(members)
	if self < 0 || replicas <= 0 || n < 2 {
		return nil
	}
	replicas = min(replicas, n-1)
	var ps []int32
	for i, m := range members {
		if i == self {
			continue
		}
		// Positions after i on the ring, 1 to n-1; self's distance:
		if d := (self - i + n) % n; d <= replicas {
			ps = append(ps, m.Partitions...)
		}
	}
	slices.Sort(ps)
	return ps
}

// changelogTail returns the member's changelog reader, created on first
// use; it outlives sessions (a warm copy stays valid across them).
func (r *runner) changelogTail() (*kafkaio.ChangelogTail, error) {
	if r.tail == nil {
		t, err := kafkaio.NewChangelogTail(r.cfg.Client, r.cfg.ChangelogTopic())
		if err != nil {
			return nil, err
		}
		r.tail = t
	}
	return r.tail, nil
}

// tailStandby brings the warm copies up to date, at most every
// standbyTailInterval and standbyTailBudget records at a time. Warm
// copies of partitions that are neither standby nor owned are dropped;
// owned ones stay until restore takes them. A failed read is retried at
// the next call: a standby's copy is an optimisation, never needed for
// correctness.
func (r *runner) tailStandby(ctx context.Context, owned []int32) {
	want := r.standbyPartitions(ctx, owned)
	for p := range r.warm {
		if !slices.Contains(want, p) && !slices.Contains(owned, p) {
			delete(r.warm, p)
		}
	}
	defer func() { r.m.standbyParts.Set(float64(len(r.warm))) }()
	if len(want) == 0 || r.cfg.Clock().Sub(r.lastTail) < standbyTailInterval {
		return
	}
	r.lastTail = r.cfg.Clock()
	tail, err := r.changelogTail()
	if err != nil {
		r.log.Warn("standby: cannot create the changelog reader", "err", err)
		return
	}
	from := make(map[int32]int64, len(want))
	for _, p := range want {
		w := r.warm[p]
		if w == nil {
			w = &warmPartition{state: newPartitionState(), next: kafkaio.FromStart}
			r.warm[p] = w
		}
		from[p] = w.next
	}
	tctx, cancel := context.WithTimeout(ctx, standbyTailTimeout)
	defer cancel()
	var applyErr error
	budget := standbyTailBudget
	if len(owned) > 0 {
		budget = standbyActiveBudget
	}
	read, err := tail.CatchUp(tctx, from, budget, func(p int32) {
		r.warm[p].state = newPartitionState()
	}, func(p int32, k, v []byte) {
		if err := r.warm[p].state.apply(k, v); err != nil && applyErr == nil {
			applyErr = err
		}
	})
	if applyErr != nil {
		// The restore on takeover will report it; a copy built past a
		// record it cannot read is useless.
		r.log.Warn("standby: changelog record not readable; dropping the warm copies", "err", applyErr)
		clear(r.warm)
		return
	}
	for p, next := range read.Next {
		r.warm[p].next = next
	}
	n := 0
	for _, c := range read.Records {
		n += c
	}
	r.m.standbyRecs.Add(float64(n))
	if err != nil {
		r.log.Debug("standby: changelog read stopped; continuing at the next one", "err", err)
	}
}
