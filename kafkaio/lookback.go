package kafkaio

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// InputLag returns, for each given input partition, the records between
// committed (the group's committed offset, -1 for none: the partition's
// start) and the partition's high watermark. ctx bounds the requests.
func (s *Session) InputLag(ctx context.Context, committed map[int32]int64) (map[int32]int64, error) {
	adm := kadm.NewClient(s.gts.Client())
	ends, err := adm.ListEndOffsets(ctx, s.input)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list input end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, s.input)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list input start offsets: %w", err)
	}
	out := make(map[int32]int64, len(committed))
	for p, c := range committed {
		end, ok := ends.Lookup(s.input, p)
		if !ok {
			continue
		}
		if c < 0 {
			start, _ := starts.Lookup(s.input, p)
			c = start.Offset
		}
		out[p] = max(0, end.Offset-c)
	}
	return out, nil
}

// RecentGroups reads, read_committed, the records among the last lookback
// offsets before the last stable offset of each of topic's partitions and
// returns the values of header (the publishing group) found there, each
// with a partition it was found on. ctx bounds the read.
func RecentGroups(ctx context.Context, cfg ClientConfig, topic string, partitions int32, header string, lookback int64) (map[string]int32, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	admCl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	from := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	for p := int32(0); p < partitions; p++ {
		end, ok := ends.Lookup(topic, p)
		if !ok || end.Offset <= 0 {
			continue
		}
		start, _ := starts.Lookup(topic, p)
		if end.Offset <= start.Offset {
			continue
		}
		from[p] = kgo.NewOffset().At(max(start.Offset, end.Offset-lookback))
		remaining[p] = end.Offset
	}
	found := map[string]int32{}
	if len(from) == 0 {
		return found, nil
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	for len(remaining) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return found, fmt.Errorf("read the last records of %s: %w", topic, err)
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) { ferr = errors.Join(ferr, err) })
		if ferr != nil {
			return found, fmt.Errorf("read the last records of %s: %w", topic, ferr)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := remaining[r.Partition]
			if !ok {
				return
			}
			if r.Offset >= end-1 {
				delete(remaining, r.Partition)
			}
			if r.Offset >= end || r.Attrs.IsControl() {
				return
			}
			for _, h := range r.Headers {
				if h.Key == header {
					if _, seen := found[string(h.Value)]; !seen {
						found[string(h.Value)] = r.Partition
					}
				}
			}
		})
	}
	return found, nil
}
