package processor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
)

// crashAt makes a member crash (drop its client with the window's records
// produced and its transaction open) at window n.
func crashAt(n uint64) func(*Config) {
	return func(c *Config) { c.crashBeforeEnd = func(w uint64) bool { return w == n } }
}

func smallWindows(c *Config) { c.WindowMaxEvents = 200 }

func TestRunCrashMidWindowAnotherMemberTakesOver(t *testing.T) {
	h := newHarness(t, 3)
	h.produce(2000)
	a := h.start("a", smallWindows, crashAt(3))
	if err := a.wait(t, 60*time.Second); !errors.Is(err, errCrashed) {
		t.Fatalf("member a: got %v, want the simulated crash", err)
	}
	// b has another transactional id: it must wait for a's open
	// transaction to time out (3s here) before offsets are stable.
	h.start("b")
	s := h.awaitAll(90 * time.Second)
	h.assertExactlyOnce(s)
	h.assertMatchesReplay(s)
}

func TestRunRestartWithSameInstanceIDFencesAndContinues(t *testing.T) {
	h := newHarness(t, 3)
	h.produce(2000)
	a := h.start("a", smallWindows, crashAt(4))
	if err := a.wait(t, 60*time.Second); !errors.Is(err, errCrashed) {
		t.Fatalf("member a: got %v, want the simulated crash", err)
	}
	a2 := h.start("a")
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))
	if err := a2.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	// A later incarnation restores the state: sequence numbers, publish
	// sequences and anomaly baselines continue where they stopped.
	h.produce(1500)
	h.start("a")
	s := h.awaitAll(60 * time.Second)
	h.assertExactlyOnce(s)
	h.assertMatchesReplay(s)
}

func TestRunMembersJoinAndLeaveUnderLoad(t *testing.T) {
	h := newHarness(t, 6)
	a := h.start("a", smallWindows)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var produceErr error // set by the producer before wg.Done
	wg.Add(1)
	go func() { // keeps producing while members come and go; exits after 8 batches
		defer wg.Done()
		for i := 0; i < 8 && ctx.Err() == nil; i++ {
			if produceErr = h.tryProduce(500); produceErr != nil {
				return
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()
	time.Sleep(400 * time.Millisecond)
	b := h.start("b", smallWindows) // joins under load
	time.Sleep(600 * time.Millisecond)
	if err := a.stop(t); err != nil { // leaves under load
		t.Fatalf("graceful leave of a: %v", err)
	}
	h.start("c", smallWindows) // another join
	wg.Wait()
	if produceErr != nil {
		t.Fatal(produceErr)
	}
	s := h.awaitAll(90 * time.Second)
	h.assertExactlyOnce(s)
	h.assertMatchesReplay(s)
	if err := b.stop(t); err != nil {
		t.Fatalf("graceful leave of b: %v", err)
	}
}

func TestRunShutdownPublishesOpenWindow(t *testing.T) {
	h := newHarness(t, 2)
	m := h.start("a", func(c *Config) {
		c.WindowMaxEvents = 100000
		c.WindowMaxWait = 8 * time.Second // the window stays open until shutdown
		c.TransactionTimeout = 20 * time.Second
	})
	waitReady(t, m)
	h.produce(300)
	deadline := time.Now().Add(30 * time.Second)
	for metricSum(t, m.reg, "eventproc_buffered_events") < 300 {
		if time.Now().After(deadline) {
			t.Fatalf("window holds %v of 300 records", metricSum(t, m.reg, "eventproc_buffered_events"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := m.stop(t); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// No member runs any more: whatever becomes visible was committed by
	// the shutdown. (Real Kafka writes transaction markers just after
	// EndTxn returns, so visibility may trail Run's return by a moment.)
	h.assertExactlyOnce(h.awaitAll(30 * time.Second))
}

func waitReady(t *testing.T, m *member) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, reason := m.health.Ready()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %s not ready after 30s: %s", m.instance, reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertMatchesReplay replays the whole input through a fresh pipeline in
// one window and checks that every published event carries the same
// deterministic derived values (sequence number, risk, anomaly verdict and
// reasons, signature, category) as in the replay. A state that was not
// restored exactly after a crash, restart or rebalance shows up here.
func (h *harness) assertMatchesReplay(s snapshot) {
	h.t.Helper()
	cfg := h.config("replay").withRuntime()
	p, err := newPipeline(topics{Input: h.input, Output: h.output, DLQ: h.dlq, Changelog: "replay"}, cfg.Intake, cfg.Enrich, false, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	states := map[int32]*partitionState{}
	res := p.process(s.rawIn, func(part int32) *partitionState {
		if states[part] == nil {
			states[part] = newPartitionState()
		}
		return states[part]
	}, "replay", nil)
	want := map[string]event.Output{}
	for _, r := range res.records {
		if r.Topic != h.output {
			continue
		}
		o, err := event.ParseOutput(r.Value)
		if err != nil {
			h.t.Fatal(err)
		}
		want[lineage(r.Headers)] = o
	}
	if len(want) != len(s.out) {
		h.t.Fatalf("replay published %d events, the topic holds %d", len(want), len(s.out))
	}
	for _, r := range s.out {
		hs := make([]kafkaio.Header, len(r.Headers))
		for i, hd := range r.Headers {
			hs[i] = kafkaio.Header(hd)
		}
		key := lineage(hs)
		got, err := event.ParseOutput(r.Value)
		if err != nil {
			h.t.Fatal(err)
		}
		w, ok := want[key]
		if !ok {
			h.t.Fatalf("output %s has no counterpart in the replay", key)
		}
		if got.SequenceNumber != w.SequenceNumber || got.Category != w.Category ||
			got.Derived.RiskScore != w.Derived.RiskScore || got.Derived.IsAnomaly != w.Derived.IsAnomaly ||
			fmt.Sprint(got.Derived.AnomalyReasons) != fmt.Sprint(w.Derived.AnomalyReasons) ||
			got.Derived.ProcessingSignature != w.Derived.ProcessingSignature || got.MetadataHash != w.MetadataHash {
			h.t.Fatalf("output %s differs from the uninterrupted replay:\n got  seq=%d cat=%s risk=%v anomaly=%v %v sig=%s\n want seq=%d cat=%s risk=%v anomaly=%v %v sig=%s",
				key, got.SequenceNumber, got.Category, got.Derived.RiskScore, got.Derived.IsAnomaly, got.Derived.AnomalyReasons, got.Derived.ProcessingSignature,
				w.SequenceNumber, w.Category, w.Derived.RiskScore, w.Derived.IsAnomaly, w.Derived.AnomalyReasons, w.Derived.ProcessingSignature)
		}
	}
}

func lineage(hs []kafkaio.Header) string {
	var part, off []byte
	for _, h := range hs {
		switch h.Key {
		case event.HeaderSourcePartition:
			part = h.Value
		case event.HeaderSourceOffset:
			off = h.Value
		}
	}
	return string(bytes.Join([][]byte{part, off}, []byte("@")))
}

// TestRunDuplicateInstanceIDStopsOneMember: two running members with the
// same --instance-id cannot both stay (static membership fences one with
// FENCED_INSTANCE_ID, which is fatal and names the flag); the other keeps
// processing, and nothing is lost or duplicated.
func TestRunDuplicateInstanceIDStopsOneMember(t *testing.T) {
	h := newHarness(t, 3)
	h.produce(1000)
	first := h.start("same", smallWindows)
	waitReady(t, first)
	second := h.start("same", smallWindows)
	var loser *member
	deadline := time.Now().Add(60 * time.Second)
	for loser == nil {
		select {
		case err := <-first.done:
			first.done <- err
			loser = first
		case err := <-second.done:
			second.done <- err
			loser = second
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("both members with the same instance id still run after 60s")
			}
		}
	}
	err := loser.wait(t, time.Second)
	if err == nil || !strings.Contains(err.Error(), "--instance-id") {
		t.Fatalf("the fenced member returned %v, want a fatal error naming --instance-id", err)
	}
	h.produce(500)
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))
}
