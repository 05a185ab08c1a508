package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TailRecord is one committed record read by Tail. Its slices stay valid
// after the callback returns.
type TailRecord = InRecord

// TailConfig says what Tail reads.
type TailConfig struct {
	// Topics to read; every partition of each unless Partitions is set.
	Topics []string
	// Partitions, if not empty, restricts reading to these partition
	// numbers (of every topic).
	Partitions []int32
	// FromStart reads from the log start; otherwise only records
	// committed after Tail starts are read.
	FromStart bool
	// StopAtEnd returns once every partition has been read up to the last
	// stable offset it had when Tail started (kcat's -e).
	StopAtEnd bool
}

// ErrTailClient is returned by Tail for a client not built with TailClientOpts.
var ErrTailClient = errors.New("tail needs a client built with kafkaio.TailClientOpts (read_committed, control records kept)")

// TailClientOpts are the client options Tail needs: read_committed
// isolation, so aborted transactions are never shown, and control records
// kept, so Tail sees the commit markers that end a partition and knows when
// it has read everything (StopAtEnd).
func TailClientOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	}
}

// Tail reads committed records of cfg.Topics and calls fn for each, in
// offset order per partition, until fn returns false, ctx ends (a normal
// stop: nil error) or, with StopAtEnd, every partition is read to its end.
// cl must be built with TailClientOpts and without a consumer group; Tail
// adds the partitions to consume itself.
func Tail(ctx context.Context, cl *kgo.Client, cfg TailConfig, fn func(TailRecord) bool) error {
	if keep, _ := cl.OptValue(kgo.KeepControlRecords).(bool); !keep {
		return ErrTailClient
	}
	if len(cfg.Topics) == 0 {
		return errors.New("tail: no topic")
	}
	adm := kadm.NewClient(cl)
	parts, err := tailPartitions(ctx, adm, cfg)
	if err != nil {
		return err
	}

	// end[t][p] is where a partition counts as read, for StopAtEnd.
	var end map[string]map[int32]int64
	if cfg.StopAtEnd {
		if !cfg.FromStart {
			return nil // nothing committed after "now" can be before "now"
		}
		end, err = tailEnds(ctx, adm, cfg.Topics, parts)
		if err != nil {
			return err
		}
		if len(end) == 0 {
			return nil
		}
	}

	start := kgo.NewOffset().AtEnd()
	if cfg.FromStart {
		start = kgo.NewOffset().AtStart()
	}
	consume := make(map[string]map[int32]kgo.Offset, len(parts))
	for t, ps := range parts {
		consume[t] = make(map[int32]kgo.Offset, len(ps))
		for _, p := range ps {
			consume[t][p] = start
		}
	}
	cl.AddConsumePartitions(consume)

	// reached records that a partition is read up to offset o-1.
	reached := func(t string, p int32, o int64) {
		if e, ok := end[t][p]; ok && o >= e {
			delete(end[t], p)
			if len(end[t]) == 0 {
				delete(end, t)
			}
		}
	}
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var fetchErr error
		fetches.EachError(func(t string, p int32, err error) {
			if fetchErr == nil {
				fetchErr = fmt.Errorf("fetch %s[%d]: %w", t, p, err)
			}
		})
		if fetchErr != nil {
			return fetchErr
		}
		stop := false
		fetches.EachRecord(func(r *kgo.Record) {
			if stop {
				return
			}
			if cfg.StopAtEnd {
				reached(r.Topic, r.Partition, r.Offset+1)
			}
			if r.Attrs.IsControl() {
				return
			}
			if !fn(fromKgo(r)) {
				stop = true
			}
		})
		if stop || (cfg.StopAtEnd && len(end) == 0) {
			return nil
		}
	}
}

// tailPartitions lists the partitions to read per topic, checking that the
// topics and requested partitions exist.
func tailPartitions(ctx context.Context, adm *kadm.Client, cfg TailConfig) (map[string][]int32, error) {
	details, err := adm.ListTopics(ctx, cfg.Topics...)
	if err != nil {
		return nil, fmt.Errorf("tail: list topics: %w", err)
	}
	parts := make(map[string][]int32, len(cfg.Topics))
	for _, t := range cfg.Topics {
		d, ok := details[t]
		if !ok || d.Err != nil {
			return nil, fmt.Errorf("tail: topic %q does not exist or is not readable: %v", t, d.Err)
		}
		for p := range d.Partitions {
			if len(cfg.Partitions) == 0 || slices.Contains(cfg.Partitions, p) {
				parts[t] = append(parts[t], p)
			}
		}
		for _, p := range cfg.Partitions {
			if _, ok := d.Partitions[p]; !ok {
				return nil, fmt.Errorf("tail: topic %q has no partition %d (it has %d)", t, p, len(d.Partitions))
			}
		}
		slices.Sort(parts[t])
	}
	return parts, nil
}

// tailEnds returns, for every non-empty partition, its last stable offset:
// with read_committed nothing at or beyond it is visible yet.
func tailEnds(ctx context.Context, adm *kadm.Client, topics []string, parts map[string][]int32) (map[string]map[int32]int64, error) {
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("tail: list start offsets: %w", err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("tail: list end offsets: %w", err)
	}
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("tail: list end offsets: %w", err)
	}
	out := make(map[string]map[int32]int64)
	for t, ps := range parts {
		for _, p := range ps {
			e, ok := ends.Lookup(t, p)
			if !ok {
				return nil, fmt.Errorf("tail: no end offset for %s[%d]", t, p)
			}
			s, _ := starts.Lookup(t, p)
			if e.Offset <= s.Offset {
				continue // empty
			}
			if out[t] == nil {
				out[t] = make(map[int32]int64)
			}
			out[t][p] = e.Offset
		}
	}
	return out, nil
}
