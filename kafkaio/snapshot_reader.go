package kafkaio

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// PartitionReader reads one partition of a topic read_committed, in offset
// order, from its start to its last stable offset at the time it was
// opened. Its own client fetches ahead in the background, so several
// readers (the input, output and DLQ partitions of one audit) fetch
// concurrently while their caller pulls from whichever it needs; each
// buffers about one fetch (--fetch-max-partition-bytes), whatever the size
// of the partition. A PartitionReader is not safe for concurrent use.
type PartitionReader struct {
	cl   *kgo.Client
	last int64 // offset of the last record to read; -1 when empty
	buf  []*kgo.Record
	done bool
}

// OpenPartition opens a reader of topic partition p. ctx bounds listing
// the partition's offsets; a topic without partition p reads as empty.
// Close releases its client.
func OpenPartition(ctx context.Context, cfg ClientConfig, topic string, p int32) (*PartitionReader, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	admCl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(admCl)
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	var starts kadm.ListedOffsets
	if err == nil {
		starts, err = adm.ListStartOffsets(ctx, topic)
		if err == nil {
			err = starts.Error()
		}
	}
	admCl.Close()
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	end, okEnd := ends.Lookup(topic, p)
	start, okStart := starts.Lookup(topic, p)
	if !okEnd || !okStart || end.Offset <= start.Offset {
		return &PartitionReader{last: -1, done: true}, nil
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {p: kgo.NewOffset().At(start.Offset)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records mark where a partition's committed data ends.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, err
	}
	return &PartitionReader{cl: cl, last: end.Offset - 1}, nil
}

// Next returns the partition's next committed record, or false once the
// last stable offset seen at open is reached. ctx bounds waiting for a
// fetch.
func (r *PartitionReader) Next(ctx context.Context) (InRecord, bool, error) {
	for {
		for len(r.buf) > 0 {
			rec := r.buf[0]
			r.buf[0] = nil
			r.buf = r.buf[1:]
			if rec.Offset > r.last {
				continue
			}
			if rec.Offset == r.last {
				r.done = true
				r.buf = nil
			}
			if !rec.Attrs.IsControl() {
				return fromKgo(rec), true, nil
			}
			if r.done {
				return InRecord{}, false, nil
			}
		}
		if r.done {
			return InRecord{}, false, nil
		}
		fetches := r.cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return InRecord{}, false, fmt.Errorf("partition not read to offset %d: %w", r.last, err)
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) { ferr = errors.Join(ferr, fmt.Errorf("%s[%d]: %w", t, p, err)) })
		if ferr != nil {
			return InRecord{}, false, ferr
		}
		r.buf = fetches.Records()
	}
}

// Close releases the reader's client.
func (r *PartitionReader) Close() {
	if r.cl != nil {
		r.cl.Close()
	}
}
