package kafkatool

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

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
