package processor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/kafkaio"
)

// restorePoll is the pause between attempts while a restore waits.
const restorePoll = 100 * time.Millisecond

// setLag publishes the lag of newly assigned partitions from their
// committed offsets, so the gauge exists from assignment on, before any
// window commits there.
func (r *runner) setLag(ctx context.Context, committed map[int32]int64) {
	lag, err := r.sess.InputLag(ctx, committed)
	if err != nil {
		r.log.Debug("cannot read input end offsets for the lag gauge yet", "err", err)
		return
	}
	for p, n := range lag {
		r.m.lag.WithLabelValues(strconv.Itoa(int(p))).Set(float64(n))
	}
}

// restoreAll restores the given partitions once the group's committed
// offsets for them are stable (no transaction holding offsets is open).
// With wait, it waits for stability up to RestoreTimeout; without, it
// returns how many it restored (0 while offsets are unstable).
func (r *runner) restoreAll(ctx context.Context, parts []int32, wait bool) (int, error) {
	start := r.cfg.Clock()
	for {
		offsets, err := r.sess.StableCommittedOffsets(ctx, r.cfg.Group, parts)
		if err == nil {
			r.setLag(ctx, offsets)
			if err := r.restore(ctx, parts, offsets); err != nil {
				return 0, err
			}
			return len(parts), nil
		}
		if !errors.Is(err, kafkaio.ErrOffsetsUnstable) {
			if !wait {
				r.log.Warn("cannot fetch committed offsets yet; will retry", "err", err)
				return 0, nil
			}
			return 0, err
		}
		if !wait {
			return 0, nil
		}
		pauseFor, expired := restoreWait(start, r.cfg.Clock(), r.cfg.RestoreTimeout)
		if expired {
			return 0, fmt.Errorf("committed offsets of partitions %v stayed unstable for %s: a transaction of a previous owner is still open; it ends within its --transaction-timeout", parts, r.cfg.RestoreTimeout)
		}
		if !pause(ctx, pauseFor) {
			return 0, ctx.Err()
		}
	}
}

// restore rebuilds the partitions' state from their changelog partitions,
// all read through the member's changelog tail. A partition this member
// kept warm as a standby starts from that state and reads only the part
// of the changelog written since; the others are read from the start. The
// changelog is written in the same transaction as the consumed offsets, so
// each partition's checkpoint must reach the group's committed offset;
// until the previous owner's transaction markers land it may lag for a
// moment, and restore reads on from where it stopped.
func (r *runner) restore(ctx context.Context, parts []int32, committed map[int32]int64) error {
	start := r.cfg.Clock()
	r.setReady(false, fmt.Sprintf("restoring state of partitions %v from %s", parts, r.cfg.ChangelogTopic()))
	tail, err := r.changelogTail()
	if err != nil {
		return fmt.Errorf("restore partitions %v: %w", parts, err)
	}
	states := make(map[int32]*partitionState, len(parts))
	from := make(map[int32]int64, len(parts))
	warm := map[int32]bool{}
	for _, p := range parts {
		if w := r.warm[p]; w != nil {
			states[p], from[p], warm[p] = w.state, w.next, true
		} else {
			states[p], from[p] = newPartitionState(), kafkaio.FromStart
		}
		delete(r.warm, p)
	}
	r.m.standbyParts.Set(float64(len(r.warm)))
	records := map[int32]int{}
	pending := parts
	for attempt := 1; ; attempt++ {
		var applyErr error
		read, err := tail.CatchUp(ctx, pick(from, pending), 0, func(p int32) {
			states[p], warm[p] = newPartitionState(), false
		}, func(p int32, k, v []byte) {
			if err := states[p].apply(k, v); err != nil && applyErr == nil {
				applyErr = fmt.Errorf("partition %d: %w", p, err)
			}
		})
		if err != nil {
			return fmt.Errorf("restore partitions %v: %w", pending, err)
		}
		if applyErr != nil {
			return fmt.Errorf("restore: %w (the changelog %s holds a record this version cannot read)", applyErr, r.cfg.ChangelogTopic())
		}
		var behind []int32
		for _, p := range pending {
			from[p] = read.Next[p]
			records[p] += read.Records[p]
			r.m.restoreRecs.Add(float64(read.Records[p]))
			ps, c := states[p], committed[p]
			if c >= 0 && ps.nextOffset < c {
				behind = append(behind, p)
				continue
			}
			if c >= 0 && ps.nextOffset > c {
				r.log.Warn("state changelog is ahead of the group's committed offset; were offsets reset by hand?", "partition", p, "checkpoint", ps.nextOffset, "committed", c)
			}
			r.states[p] = ps
			r.noteRules(p, ps)
			took := r.cfg.Clock().Sub(start)
			r.m.restoreSecs.Observe(took.Seconds())
			r.log.Info("state restored", "partition", p, "sources", len(ps.sources), "records", records[p], "warm", warm[p], "publish_sequence", ps.publish.Last, "took", took, "attempts", attempt)
		}
		if len(behind) == 0 {
			return nil
		}
		pauseFor, expired := restoreWait(start, r.cfg.Clock(), r.cfg.RestoreTimeout)
		if expired {
			p := behind[0]
			return fmt.Errorf("restore partition %d: changelog %s checkpoint is at input offset %d but the group committed %d after %s: the changelog is missing writes (was it deleted or truncated?); delete the group's offsets to reprocess, or restore the changelog", p, r.cfg.ChangelogTopic(), states[p].nextOffset, committed[p], r.cfg.RestoreTimeout)
		}
		if !pause(ctx, pauseFor) {
			return ctx.Err()
		}
		pending = behind
	}
}

// pick returns the entries of m for keys.
func pick(m map[int32]int64, keys []int32) map[int32]int64 {
	out := make(map[int32]int64, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}
