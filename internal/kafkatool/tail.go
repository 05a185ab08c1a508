package kafkatool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/config"
	"github.com/eventproc/eventproc/kafkaio"
)

// TailRecord is one committed record read by Tail. Its slices stay valid
// after the callback returns.
type TailRecord = kafkaio.InRecord

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

// ParsePartitions parses a comma separated list of partition numbers
// ("0, 3"); an empty list is nil (every partition).
func ParsePartitions(list string) ([]int32, error) {
	var ps []int32
	for _, p := range config.SplitList(list) {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a partition number", p)
		}
		ps = append(ps, int32(n))
	}
	return ps, nil
}

// ErrTailClient is returned by Tail for a client not built with TailClientOpts.
var ErrTailClient = errors.New("tail needs a client built with kafkatool.TailClientOpts (read_committed, control records kept)")

// TailClientOpts are the client options Tail needs: read_committed
// isolation, so aborted transactions are never shown, and control records
// kept, so Tail sees the commit markers that end a partition and knows when
// it has read everything (StopAtEnd).
func TailClientOpts() []kgo.Opt { return kafkaio.ReadCommittedOpts() }

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
	var ranges []kafkaio.Range
	if cfg.StopAtEnd {
		if !cfg.FromStart {
			return nil // nothing committed after "now" can be before "now"
		}
		ranges, err = kafkaio.StableRanges(ctx, adm, cfg.Topics, func(t string, p int32) bool { return slices.Contains(parts[t], p) })
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
	} else {
		from := kafkaio.FromEnd
		if cfg.FromStart {
			from = kafkaio.FromStart
		}
		for t, ps := range parts {
			for _, p := range ps {
				ranges = append(ranges, kafkaio.Range{Topic: t, Partition: p, From: from, To: kafkaio.NoEnd})
			}
		}
	}
	err = kafkaio.ReadCommitted(ctx, cl, ranges, fn)
	if ctx.Err() != nil {
		return nil
	}
	return err
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
