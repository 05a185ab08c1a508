package kafkaio

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/audit"
)

// Snapshot reads every committed record of the given topics read_committed,
// from each partition's start to its last stable offset at the time of the
// call, and returns them per topic in partition, then offset, order. ctx
// bounds the read. It is how tests and `eventproc verify` see what a
// read_committed consumer would.
func Snapshot(ctx context.Context, cfg ClientConfig, topics ...string) (map[string][]InRecord, error) {
	return snapshot(ctx, cfg, topics, func(int32) bool { return true })
}

// snapshot is Snapshot of the partitions for which keep is true.
func snapshot(ctx context.Context, cfg ClientConfig, topics []string, keep func(partition int32) bool) (map[string][]InRecord, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	admCl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(admCl)
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	var starts kadm.ListedOffsets
	if err == nil {
		starts, err = adm.ListStartOffsets(ctx, topics...)
		if err == nil {
			err = starts.Error()
		}
	}
	admCl.Close()
	if err != nil {
		return nil, fmt.Errorf("list offsets of %v: %w", topics, err)
	}

	consume := map[string]map[int32]kgo.Offset{}
	remaining := 0
	last := map[string]map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(o.Topic, o.Partition)
		if o.Offset <= s.Offset || !keep(o.Partition) {
			return
		}
		if consume[o.Topic] == nil {
			consume[o.Topic] = map[int32]kgo.Offset{}
			last[o.Topic] = map[int32]int64{}
		}
		consume[o.Topic][o.Partition] = kgo.NewOffset().At(s.Offset)
		last[o.Topic][o.Partition] = o.Offset - 1
		remaining++
	})
	out := make(map[string][]InRecord, len(topics))
	if remaining == 0 {
		return out, nil
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(consume),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records mark where a partition's committed data ends.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	perPart := map[string]map[int32][]InRecord{}
	for remaining > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("snapshot of %v: %d partitions not read to the end: %w", topics, remaining, err)
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) { ferr = errors.Join(ferr, fmt.Errorf("%s[%d]: %w", t, p, err)) })
		if ferr != nil {
			return nil, ferr
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end, tracked := last[r.Topic][r.Partition]
			if !tracked || r.Offset > end {
				return
			}
			if !r.Attrs.IsControl() {
				if perPart[r.Topic] == nil {
					perPart[r.Topic] = map[int32][]InRecord{}
				}
				perPart[r.Topic][r.Partition] = append(perPart[r.Topic][r.Partition], fromKgo(r))
			}
			if r.Offset == end {
				delete(last[r.Topic], r.Partition)
				remaining--
			}
		})
	}
	for t, parts := range perPart {
		for p := int32(0); len(parts) > 0; p++ {
			if rs, ok := parts[p]; ok {
				out[t] = append(out[t], rs...)
				delete(parts, p)
			}
		}
	}
	return out, nil
}

// AuditRecords converts snapshot records for the exactly-once audit.
func AuditRecords(rs []InRecord) []audit.Record {
	out := make([]audit.Record, len(rs))
	for i, r := range rs {
		out[i] = AuditRecord(r)
	}
	return out
}
