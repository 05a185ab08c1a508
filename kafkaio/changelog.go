package kafkaio

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// RestorePartition reads one state-changelog partition read_committed from
// its start to its last stable offset and hands every committed record's
// key and value to fn, in offset order (later values of a key supersede
// earlier ones). ctx bounds the whole restore. It returns the number of
// records read.
//
// The end is the last stable offset at the time of the call. Because every
// changelog write is transactional, the record just before that offset is
// a transaction marker; control records are therefore kept (and skipped
// here) so the restore knows it reached the end even when the tail holds
// only markers of aborted transactions.
func RestorePartition(ctx context.Context, cfg ClientConfig, topic string, partition int32, fn func(key, value []byte)) (int, error) {
	opts, err := cfg.Options()
	if err != nil {
		return 0, err
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return 0, fmt.Errorf("restore client: %w", err)
	}
	defer cl.Close()

	adm := kadm.NewClient(cl)
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("list changelog end offsets: %w", err)
	}
	end, ok := ends.Lookup(topic, partition)
	if !ok || end.Err != nil {
		return 0, fmt.Errorf("changelog %s[%d] end offset: %v", topic, partition, end.Err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("list changelog start offsets: %w", err)
	}
	start, _ := starts.Lookup(topic, partition)
	if end.Offset <= start.Offset {
		return 0, nil
	}
	n := 0
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("restore %s[%d] stopped at record %d of ~%d: %w", topic, partition, n, end.Offset-start.Offset, err)
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) { ferr = errors.Join(ferr, err) })
		if ferr != nil {
			return n, fmt.Errorf("restore %s[%d]: %w", topic, partition, ferr)
		}
		done := false
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Offset >= end.Offset-1 {
				done = true
			}
			if r.Offset >= end.Offset || r.Attrs.IsControl() {
				return
			}
			fn(r.Key, r.Value)
			n++
		})
		if done {
			return n, nil
		}
	}
}
