package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// InputTimestampHeader carries, on every passthrough output record, the
// input record's timestamp in epoch milliseconds: the passthrough's
// counterpart of the processor's received_at, so that the same
// end-to-end latency can be measured on both.
const InputTimestampHeader = "__eventproc.bench.input_timestamp"

// PassthroughConfig configures the exactly-once baseline of `eventproc
// bench`: the processor's transactional consume→produce loop with the
// processing taken out.
type PassthroughConfig struct {
	// Session is the transactional group member. For a fair baseline it
	// must carry the same settings as the processor's session (fetch and
	// buffer sizes, transaction timeout, hooks).
	Session     SessionConfig
	OutputTopic string
	// WindowMaxEvents, WindowMaxWait and WindowMaxBytes close a window
	// (one transaction) exactly as the processor's flags of the same
	// names do.
	WindowMaxEvents int
	WindowMaxWait   time.Duration
	WindowMaxBytes  int
	// OnCommit, if not nil, is called from the loop's goroutine after each
	// committed window with the number of input records it covered.
	OnCommit func(records int)
}

// Validate reports the first configuration mistake.
func (c PassthroughConfig) Validate() error {
	switch {
	case c.OutputTopic == "":
		return errors.New("passthrough needs an output topic")
	case c.OutputTopic == c.Session.InputTopic:
		return errors.New("passthrough output topic must differ from its input topic")
	case c.WindowMaxEvents < 1:
		return fmt.Errorf("passthrough window max events must be at least 1, got %d", c.WindowMaxEvents)
	case c.WindowMaxWait <= 0:
		return fmt.Errorf("passthrough window max wait must be positive, got %s", c.WindowMaxWait)
	case c.WindowMaxBytes < 1:
		return fmt.Errorf("passthrough window max bytes must be at least 1, got %d", c.WindowMaxBytes)
	}
	return nil
}

// passthroughIdlePoll bounds a poll while no window is open; the same
// value as the processor's, so both loops wake alike on a quiet input.
const passthroughIdlePoll = 250 * time.Millisecond

// Passthrough copies every input record to the same partition of the
// output topic, key, value and headers byte for byte (plus
// InputTimestampHeader), one transaction per window with the consumed
// offsets committed in it. It is what exactly-once costs on this broker
// with no processing at all: the ceiling the processor is measured
// against.
//
// ctx bounds the run and is the only way to stop it: Passthrough then ends
// the open window's transaction (committing it) and returns nil. Errors
// are returned, not retried: a benchmark run that fails is rerun.
func Passthrough(ctx context.Context, cfg PassthroughConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	sess, err := NewSession(cfg.Session)
	if err != nil {
		return err
	}
	defer func() { _ = sess.Close(context.WithoutCancel(ctx), cfg.Session.InstanceID != "") }()
	// The final window is ended after ctx is cancelled; bound that.
	endCtx := context.WithoutCancel(ctx)
	var (
		recs  []InRecord
		bytes int
		out   []OutRecord
	)
	collect := func(r InRecord) {
		recs = append(recs, r)
		bytes += len(r.Value)
	}
	for ctx.Err() == nil {
		recs, bytes = recs[:0], 0
		var deadline time.Time
		for len(recs) < cfg.WindowMaxEvents && bytes < cfg.WindowMaxBytes {
			wait := passthroughIdlePoll
			if !deadline.IsZero() {
				if wait = time.Until(deadline); wait <= 0 {
					break
				}
			}
			pctx, cancel := context.WithTimeout(ctx, wait)
			perr := sess.Poll(pctx, cfg.WindowMaxEvents-len(recs), collect)
			cancel()
			if perr != nil && (IsFatal(perr) || errors.Is(perr, ErrClientClosed)) {
				return perr
			}
			if len(recs) > 0 && deadline.IsZero() {
				deadline = time.Now().Add(cfg.WindowMaxWait)
			}
			if ctx.Err() != nil {
				break
			}
		}
		if len(recs) == 0 {
			continue
		}
		out = passthroughRecords(out[:0], recs, cfg.OutputTopic)
		if err := endWindow(endCtx, sess, out); err != nil {
			return err
		}
		if cfg.OnCommit != nil {
			cfg.OnCommit(len(recs))
		}
	}
	return nil
}

// passthroughRecords appends the copies of recs to out.
func passthroughRecords(out []OutRecord, recs []InRecord, topic string) []OutRecord {
	for i := range recs {
		r := &recs[i]
		headers := make([]Header, len(r.Headers), len(r.Headers)+1)
		copy(headers, r.Headers)
		headers = append(headers, Header{
			Key:   InputTimestampHeader,
			Value: strconv.AppendInt(nil, r.Timestamp.UnixMilli(), 10),
		})
		out = append(out, OutRecord{Topic: topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: headers})
	}
	return out
}

// endWindow produces the window's records in one transaction and commits
// it. A single-member baseline sees no rebalance; an aborted transaction
// would leave the count short, so it is an error here.
func endWindow(ctx context.Context, sess *Session, out []OutRecord) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	for _, o := range out {
		sess.Produce(ctx, o)
	}
	committed, err := sess.End(ctx, true)
	if err != nil {
		return fmt.Errorf("end transaction: %w", err)
	}
	if !committed {
		return errors.New("passthrough transaction aborted by a rebalance: run the benchmark with a fresh group")
	}
	return nil
}

// InputTimestamp reads InputTimestampHeader from a passthrough output
// record's headers.
func InputTimestamp(headers []Header) (time.Time, bool) {
	for _, h := range headers {
		if h.Key == InputTimestampHeader {
			ms, err := strconv.ParseInt(string(h.Value), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.UnixMilli(ms), true
		}
	}
	return time.Time{}, false
}

// FirstFetch is a franz-go hook that notes when the client read its first
// fetched batch: where a throughput measurement "from first consume"
// starts, excluding group join and state restore.
type FirstFetch struct{ at atomic.Int64 }

var _ kgo.HookFetchBatchRead = (*FirstFetch)(nil)

// OnFetchBatchRead implements kgo.HookFetchBatchRead.
func (f *FirstFetch) OnFetchBatchRead(kgo.BrokerMetadata, string, int32, kgo.FetchBatchMetrics) {
	if f.at.Load() == 0 {
		f.at.CompareAndSwap(0, time.Now().UnixNano())
	}
}

// Time returns when the first batch was read, if one was.
func (f *FirstFetch) Time() (time.Time, bool) {
	ns := f.at.Load()
	if ns == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// FetchStarted is a franz-go hook that notes when the client first sent a
// fetch request: a consumer that has done so is polling its partitions,
// so a latency consumer is ready before load is offered and does not
// count its own start-up as latency.
type FetchStarted struct{ started atomic.Bool }

var _ kgo.HookBrokerWrite = (*FetchStarted)(nil)

// fetchKey is the Fetch request's API key.
const fetchKey = 1

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (f *FetchStarted) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == fetchKey && err == nil {
		f.started.Store(true)
	}
}

// Started reports whether a fetch request was sent.
func (f *FetchStarted) Started() bool { return f.started.Load() }

// CreateTopics creates each named topic with the given partition count and
// the broker's default replication, and waits until every partition has a
// leader (a real cluster creates topics asynchronously). Topics that
// already exist are an error, so a benchmark never measures over stale
// data. ctx bounds the requests.
func CreateTopics(ctx context.Context, cl *kgo.Client, partitions int32, names ...string) error {
	adm := kadm.NewClient(cl)
	resps, err := adm.CreateTopics(ctx, partitions, -1, nil, names...)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for _, r := range resps.Sorted() {
		if r.Err != nil {
			return fmt.Errorf("create topic %q: %w", r.Topic, r.Err)
		}
	}
	for {
		details, err := adm.ListTopics(ctx, names...)
		if err == nil && allLed(details, names, partitions) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topics %v created but not all partitions have a leader: %w", names, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func allLed(details kadm.TopicDetails, names []string, partitions int32) bool {
	for _, n := range names {
		d, ok := details[n]
		if !ok || d.Err != nil || len(d.Partitions) != int(partitions) {
			return false
		}
		for _, p := range d.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return false
			}
		}
	}
	return true
}

// DeleteTopics deletes the named topics; ones already gone are not an
// error. ctx bounds the request.
func DeleteTopics(ctx context.Context, cl *kgo.Client, names ...string) error {
	resps, err := kadm.NewClient(cl).DeleteTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("delete topics: %w", err)
	}
	var errs []error
	for _, r := range resps.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("delete topic %q: %w", r.Topic, r.Err))
		}
	}
	return errors.Join(errs...)
}

// DeleteGroups deletes the named consumer groups, so benchmark runs leave
// no clutter on a shared cluster; groups already gone are not an error.
// ctx bounds the request.
func DeleteGroups(ctx context.Context, cl *kgo.Client, groups ...string) error {
	resps, err := kadm.NewClient(cl).DeleteGroups(ctx, groups...)
	if err != nil {
		return fmt.Errorf("delete groups: %w", err)
	}
	var errs []error
	for _, r := range resps.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.GroupIDNotFound) {
			errs = append(errs, fmt.Errorf("delete group %q: %w", r.Group, r.Err))
		}
	}
	return errors.Join(errs...)
}
