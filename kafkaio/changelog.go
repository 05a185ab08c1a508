package kafkaio

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// RestorePartitions reads the given state-changelog partitions, through
// one client, read_committed from their start to their last stable offset
// and hands every committed record's partition, key and value to fn, in
// offset order per partition (later values of a key supersede earlier
// ones). ctx bounds the whole restore. It returns the number of records
// read per partition.
//
// The end is the last stable offset at the time of the call (see
// StableRanges: the tail may hold only markers of aborted transactions,
// and the restore still knows it reached the end).
func RestorePartitions(ctx context.Context, cfg ClientConfig, topic string, partitions []int32, fn func(partition int32, key, value []byte)) (map[int32]int, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, ReadCommittedOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("restore client: %w", err)
	}
	defer cl.Close()
	ranges, err := StableRanges(ctx, kadm.NewClient(cl), []string{topic}, func(_ string, p int32) bool { return slices.Contains(partitions, p) })
	if err != nil {
		return nil, fmt.Errorf("changelog %s: %w", topic, err)
	}
	n := make(map[int32]int, len(partitions))
	err = ReadCommitted(ctx, cl, ranges, func(r InRecord) bool {
		fn(r.Partition, r.Key, r.Value)
		n[r.Partition]++
		return true
	})
	if err != nil {
		return n, fmt.Errorf("restore %s%v: %w", topic, partitions, err)
	}
	return n, nil
}
