package kafkaio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Range is the part of one partition ReadCommitted reads.
type Range struct {
	Topic     string
	Partition int32
	// From is the first offset read: FromStart for the log start,
	// FromEnd for what is written after the read starts.
	From int64
	// To, if not NoEnd, ends the partition's read once it reached this
	// offset (exclusive): the last stable offset StableRanges found.
	To int64
}

// Offsets with a meaning for Range.
const (
	FromStart int64 = -2
	FromEnd   int64 = -1
	NoEnd     int64 = -1
)

// ReadCommittedOpts are the client options ReadCommitted needs:
// read_committed isolation, so aborted transactions are never seen, and
// control records kept, so the commit marker that ends a partition's
// stable data is seen and the read knows it reached the end.
func ReadCommittedOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	}
}

// ErrReadClient is returned by ReadCommitted for a client not built with
// ReadCommittedOpts.
var ErrReadClient = errors.New("the client must be built with kafkaio.ReadCommittedOpts (read_committed, control records kept)")

// StableRanges returns, for every partition of topics for which keep
// (nil: all) is true, the range from its log start to its last stable
// offset now. Empty partitions are left out. Every transactional write
// ends with a marker, so a partition's stable data ends with a record
// (a marker, possibly of an aborted transaction) at To-1: ReadCommitted
// sees it and knows the partition is read. ctx bounds the requests.
func StableRanges(ctx context.Context, adm *kadm.Client, topics []string, keep func(topic string, partition int32) bool) ([]Range, error) {
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %v: %w", topics, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list start offsets of %v: %w", topics, err)
	}
	var out []Range
	ends.Each(func(e kadm.ListedOffset) {
		s, _ := starts.Lookup(e.Topic, e.Partition)
		if e.Offset <= s.Offset || (keep != nil && !keep(e.Topic, e.Partition)) {
			return
		}
		out = append(out, Range{Topic: e.Topic, Partition: e.Partition, From: s.Offset, To: e.Offset})
	})
	slices.SortFunc(out, func(a, b Range) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, nil
}

// ReadCommitted reads ranges with cl (built with ReadCommittedOpts and
// consuming nothing else) and calls fn for each committed record, in
// offset order per partition, skipping transaction markers. It returns
// nil once every range has reached its To (at once when none has data to
// read), or when fn returns false; ranges without an end are read until
// fn stops or ctx ends. ctx bounds the read: its end is returned as an
// error wrapping ctx.Err().
func ReadCommitted(ctx context.Context, cl *kgo.Client, ranges []Range, fn func(InRecord) bool) error {
	if keep, _ := cl.OptValue(kgo.KeepControlRecords).(bool); !keep {
		return ErrReadClient
	}
	consume := map[string]map[int32]kgo.Offset{}
	// to[t][p] is where a bounded partition counts as read.
	to := map[string]map[int32]*bound{}
	bounded, open := 0, 0
	for _, r := range ranges {
		if r.To != NoEnd && r.From >= 0 && r.From >= r.To {
			continue // nothing to read
		}
		if consume[r.Topic] == nil {
			consume[r.Topic] = map[int32]kgo.Offset{}
			to[r.Topic] = map[int32]*bound{}
		}
		switch r.From {
		case FromStart:
			consume[r.Topic][r.Partition] = kgo.NewOffset().AtStart()
		case FromEnd:
			consume[r.Topic][r.Partition] = kgo.NewOffset().AtEnd()
		default:
			consume[r.Topic][r.Partition] = kgo.NewOffset().At(r.From)
		}
		if r.To == NoEnd {
			open++
			continue
		}
		to[r.Topic][r.Partition] = &bound{end: r.To}
		bounded++
	}
	if bounded == 0 && open == 0 {
		return nil
	}
	cl.AddConsumePartitions(consume)
	defer cl.RemoveConsumePartitions(partitionsOf(consume))
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%d partitions not read to their end: %w", bounded, err)
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("fetch %s[%d]: %w", t, p, err))
		})
		if ferr != nil {
			return ferr
		}
		stop := false
		fetches.EachRecord(func(r *kgo.Record) {
			b := to[r.Topic][r.Partition]
			if stop || (b != nil && r.Offset >= b.end) {
				return
			}
			if !r.Attrs.IsControl() && !fn(fromKgo(r)) {
				stop = true
			}
			if b != nil && !b.read && r.Offset >= b.end-1 {
				b.read = true
				bounded--
			}
		})
		if stop || (bounded == 0 && open == 0) {
			return nil
		}
	}
}

// bound is where a bounded range ends and whether it got there.
type bound struct {
	end  int64
	read bool
}

func partitionsOf(consume map[string]map[int32]kgo.Offset) map[string][]int32 {
	out := make(map[string][]int32, len(consume))
	for t, ps := range consume {
		for p := range ps {
			out[t] = append(out[t], p)
		}
	}
	return out
}
