package kafkatool

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/kafkaio"
)

// Snapshot reads every committed record of the given topics read_committed,
// from each partition's start to its last stable offset at the time of the
// call, and returns them per topic in partition, then offset, order. ctx
// bounds the read. It is how tests and `eventproc verify` see what a
// read_committed consumer would.
func Snapshot(ctx context.Context, cfg kafkaio.ClientConfig, topics ...string) (map[string][]kafkaio.InRecord, error) {
	return snapshot(ctx, cfg, topics, func(int32) bool { return true })
}

// snapshot is Snapshot of the partitions for which keep is true.
func snapshot(ctx context.Context, cfg kafkaio.ClientConfig, topics []string, keep func(partition int32) bool) (map[string][]kafkaio.InRecord, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, kafkaio.ReadCommittedOpts()...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ranges, err := kafkaio.StableRanges(ctx, kadm.NewClient(cl), topics, func(_ string, p int32) bool { return keep(p) })
	if err != nil {
		return nil, err
	}
	perPart := map[string]map[int32][]kafkaio.InRecord{}
	err = kafkaio.ReadCommitted(ctx, cl, ranges, func(r kafkaio.InRecord) bool {
		if perPart[r.Topic] == nil {
			perPart[r.Topic] = map[int32][]kafkaio.InRecord{}
		}
		perPart[r.Topic][r.Partition] = append(perPart[r.Topic][r.Partition], r)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot of %v: %w", topics, err)
	}
	out := make(map[string][]kafkaio.InRecord, len(topics))
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
func AuditRecords(rs []kafkaio.InRecord) []audit.Record {
	out := make([]audit.Record, len(rs))
	for i, r := range rs {
		out[i] = AuditRecord(r)
	}
	return out
}
