package kafkatool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/kafkatool"
)

func TestCreateAndDeleteTopics(t *testing.T) {
	addrs := startFakeCluster(t, 1)
	cl := newTestClient(t, addrs)
	ctx := t.Context()
	if err := kafkatool.CreateTopics(ctx, cl, 4, "a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := kafkatool.CreateTopics(ctx, cl, 4, "a"); err == nil {
		t.Error("creating an existing topic succeeded; a benchmark must not reuse stale data")
	}
	if err := kafkatool.DeleteTopics(ctx, cl, "a", "b", "never-existed"); err != nil {
		t.Errorf("DeleteTopics = %v", err)
	}
	if err := kafkatool.CreateTopics(ctx, cl, 2, "a"); err != nil {
		t.Errorf("recreating a deleted topic: %v", err)
	}
}

// TestFetchStartedCountsOnlySentFetches feeds the hook broker writes
// directly: only a Fetch request that was written marks the consumer as
// started. (A client consuming a topic fetches from the moment it exists,
// so a live client cannot show the state before its first fetch.)
func TestFetchStartedCountsOnlySentFetches(t *testing.T) {
	const metadataKey, fetchKey = 3, 1
	var f kafkatool.FetchStarted
	if f.Started() {
		t.Fatal("started before any write")
	}
	f.OnBrokerWrite(kgo.BrokerMetadata{}, metadataKey, 100, 0, 0, nil)
	if f.Started() {
		t.Fatal("a metadata request counted as a fetch")
	}
	f.OnBrokerWrite(kgo.BrokerMetadata{}, fetchKey, 0, 0, 0, errors.New("connection reset"))
	if f.Started() {
		t.Fatal("a fetch that failed to be written counted")
	}
	f.OnBrokerWrite(kgo.BrokerMetadata{}, fetchKey, 100, 0, 0, nil)
	if !f.Started() {
		t.Fatal("a written fetch did not count")
	}
}

// TestFetchStartedSeesTheFirstFetch checks the hook on a live client: it
// reports a started consumer once the client polls.
func TestFetchStartedSeesTheFirstFetch(t *testing.T) {
	addrs := startFakeCluster(t, 1, "t")
	started := &kafkatool.FetchStarted{}
	cl := newTestClient(t, addrs, kgo.WithHooks(started), kgo.ConsumeTopics("t"), kgo.FetchMaxWait(50*time.Millisecond))
	deadline := time.Now().Add(10 * time.Second)
	for !started.Started() {
		if time.Now().After(deadline) {
			t.Fatal("no fetch request seen in 10s")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		cl.PollRecords(ctx, 1) // the topic is empty: returns at ctx's end
		cancel()
	}
}
