package kafkaio

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ChangelogTail reads state-changelog partitions read_committed, each from
// where its previous read stopped: a restore reads partitions from their
// start, a warm standby keeps reading them as the active writes, and a
// takeover reads only what the standby has not seen yet. It is not safe
// for concurrent use: one goroutine (the member's loop) owns it.
type ChangelogTail struct {
	cl    *kgo.Client
	adm   *kadm.Client
	topic string
}

// NewChangelogTail returns a tail of topic with its own client.
func NewChangelogTail(cfg ClientConfig, topic string) (*ChangelogTail, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, ReadCommittedOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("changelog client: %w", err)
	}
	return &ChangelogTail{cl: cl, adm: kadm.NewClient(cl), topic: topic}, nil
}

// Close closes the tail's client.
func (t *ChangelogTail) Close() { t.cl.Close() }

// TailRead is what one CatchUp read.
type TailRead struct {
	// Next is, per partition, the offset the next read starts from.
	Next map[int32]int64
	// Records counts the committed records handed to fn, per partition.
	Records map[int32]int
	// Done lists the partitions read to the last stable offset the read
	// started with; the others stopped at the record budget.
	Done []int32
}

// CatchUp reads every partition p of from, starting at offset from[p]
// (FromStart for a partition never read), up to its last stable offset at
// the call, and hands each committed record to fn in offset order per
// partition. A partition whose log start has moved past from[p] (records
// deleted under it) is read from its start, after reset(p) tells the
// caller to drop what it built from it. At most budget records are read
// in all (0: no limit); the partitions cut short are left out of Done and
// their Next is after the last record read. ctx bounds the read.
func (t *ChangelogTail) CatchUp(ctx context.Context, from map[int32]int64, budget int, reset func(partition int32), fn func(partition int32, key, value []byte)) (TailRead, error) {
	read := TailRead{Next: maps.Clone(from), Records: make(map[int32]int, len(from))}
	if read.Next == nil {
		read.Next = map[int32]int64{}
	}
	stable, err := StableRanges(ctx, t.adm, []string{t.topic}, func(_ string, p int32) bool { _, ok := from[p]; return ok })
	if err != nil {
		return read, fmt.Errorf("changelog %s: %w", t.topic, err)
	}
	byPartition := make(map[int32]Range, len(stable))
	for _, r := range stable {
		byPartition[r.Partition] = r
	}
	var ranges []Range
	for _, p := range slices.Sorted(maps.Keys(from)) {
		r, ok := byPartition[p]
		start := from[p]
		switch {
		case !ok: // empty: nothing written yet, or everything deleted
			read.Done = append(read.Done, p)
			continue
		case start == FromStart:
		case start < r.From:
			reset(p)
		case start >= r.To:
			read.Done = append(read.Done, p)
			continue
		default:
			r.From = start
		}
		ranges = append(ranges, r)
		read.Next[p] = r.From
	}
	if len(ranges) == 0 {
		return read, nil
	}
	n := 0
	stopped := false
	err = ReadCommitted(ctx, t.cl, ranges, func(r InRecord) bool {
		fn(r.Partition, r.Key, r.Value)
		read.Records[r.Partition]++
		read.Next[r.Partition] = r.Offset + 1
		n++
		if budget > 0 && n >= budget {
			stopped = true
			return false
		}
		return true
	})
	if err != nil {
		return read, fmt.Errorf("read %s: %w", t.topic, err)
	}
	for _, r := range ranges {
		// Without a budget stop, every range was read to its end (the
		// markers after the last record included).
		if !stopped || read.Next[r.Partition] >= r.To {
			read.Next[r.Partition] = r.To
			read.Done = append(read.Done, r.Partition)
		}
	}
	slices.Sort(read.Done)
	return read, nil
}
