package processor

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/kafkaio"
)

// newFaultHarness is a harness on an embedded broker the test can inject
// faults into (real Kafka cannot be made to fail on cue).
func newFaultHarness(t *testing.T, partitions int32) (*harness, *kfake.Cluster) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "events.in"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &harness{
		t: t, client: kafkaio.ClientConfig{Brokers: c.ListenAddrs()},
		input: "events.in", output: "events.out", dlq: "events.dlq", group: "g-fault",
		gen: gen.New(gen.Config{Sources: 20, MalformedRatio: 0.05, Seed: 11}),
	}, c
}

// failEndTxn makes the broker answer the next n EndTxn requests (all when
// n < 0, until healed) with INVALID_TXN_STATE, a failure the session cannot
// recover from in place. It returns how many it failed so far.
func failEndTxn(c *kfake.Cluster, n int64, healed *atomic.Bool) *atomic.Int64 {
	var failed atomic.Int64
	c.ControlKey(kmsg.EndTxn.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if (n >= 0 && failed.Load() >= n) || (healed != nil && healed.Load()) {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		failed.Add(1)
		resp := req.ResponseKind().(*kmsg.EndTxnResponse)
		resp.ErrorCode = kerr.InvalidTxnState.Code
		return resp, nil, true
	})
	return &failed
}

func TestRunRetriesFailedWindowsWithoutLoss(t *testing.T) {
	h, c := newFaultHarness(t, 3)
	h.produce(1500)
	failed := failEndTxn(c, 3, nil)
	m := h.start("a", smallWindows)
	s := h.awaitAll(60 * time.Second)
	h.assertExactlyOnce(s)
	h.assertMatchesReplay(s)
	if failed.Load() != 3 {
		t.Fatalf("broker failed %d EndTxn requests, want 3", failed.Load())
	}
	if got := metricSum(t, m.reg, "eventproc_retries_total"); got < 3 {
		t.Fatalf("retries counter %v, want at least 3", got)
	}
	if err := m.stop(t); err != nil {
		t.Fatalf("Run after recovered failures: %v", err)
	}
}

func TestRunGivesUpAfterMaxRetriesAndLosesNothing(t *testing.T) {
	h, c := newFaultHarness(t, 2)
	h.produce(800)
	var healed atomic.Bool
	failEndTxn(c, -1, &healed)
	m := h.start("a", smallWindows, func(cfg *Config) { cfg.MaxRetries = 2 })
	err := m.wait(t, 60*time.Second)
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 consecutive failed windows") {
		t.Fatalf("Run: got %v, want it to give up after 3 failed windows", err)
	}
	// Nothing was skipped: once the broker behaves, a new member
	// processes every record exactly once.
	healed.Store(true)
	h.start("b")
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))
}
