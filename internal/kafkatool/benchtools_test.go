package kafkatool_test

import (
	"context"
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

func TestFetchStartedSeesTheFirstFetch(t *testing.T) {
	addrs := startFakeCluster(t, 1, "t")
	started := &kafkatool.FetchStarted{}
	cl := newTestClient(t, addrs, kgo.WithHooks(started), kgo.ConsumeTopics("t"), kgo.FetchMaxWait(50*time.Millisecond))
	if started.Started() {
		t.Fatal("started before any fetch")
	}
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
