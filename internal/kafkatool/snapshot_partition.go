package kafkatool

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

// CountRecords is the number of records between the start and the end of
// every partition of topic (transaction markers included): a total for
// progress, not an audit figure.
func CountRecords(ctx context.Context, cfg kafkaio.ClientConfig, topic string) (int64, error) {
	adm, closeAdm, err := newAdmin(cfg)
	if err != nil {
		return 0, err
	}
	defer closeAdm()
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	ends.Each(func(e kadm.ListedOffset) {
		if s, ok := starts.Lookup(e.Topic, e.Partition); ok && e.Offset > s.Offset {
			n += e.Offset - s.Offset
		}
	})
	return n, nil
}

// PartitionNumbers lists, in ascending order, every partition number any
// of the topics has. ctx bounds the request.
func PartitionNumbers(ctx context.Context, cfg kafkaio.ClientConfig, topics []string) ([]int32, error) {
	adm, closeAdm, err := newAdmin(cfg)
	if err != nil {
		return nil, err
	}
	defer closeAdm()
	details, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("describe topics %v: %w", topics, err)
	}
	if err := details.Error(); err != nil {
		return nil, fmt.Errorf("describe topics %v: %w", topics, err)
	}
	seen := map[int32]bool{}
	for _, d := range details {
		for p := range d.Partitions {
			seen[p] = true
		}
	}
	var parts []int32
	for p := range seen {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	return parts, nil
}

func newAdmin(cfg kafkaio.ClientConfig) (*kadm.Client, func(), error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl.Close, nil
}
