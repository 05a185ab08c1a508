package kafkaio

import (
	"context"
	"fmt"
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
	t, err := NewChangelogTail(cfg, topic)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	from := make(map[int32]int64, len(partitions))
	for _, p := range partitions {
		from[p] = FromStart
	}
	read, err := t.CatchUp(ctx, from, 0, func(int32) {}, fn)
	if err != nil {
		return read.Records, fmt.Errorf("restore %s%v: %w", topic, partitions, err)
	}
	return read.Records, nil
}
