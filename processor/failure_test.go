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
	"github.com/eventproc/eventproc/rederive"
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

// assertMatchesReplay replays each input partition in offset order from
// an empty state (package rederive, the replay `eventproc verify` audits
// with) and checks that every published event is what its input gives,
// field by field and byte for byte apart from the window-dependent values.
// A state that was not restored exactly after a crash, restart or
// rebalance shows up here.
func (h *harness) assertMatchesReplay(s snapshot, opts ...func(*Config)) {
	h.t.Helper()
	rcfg := h.replayConfig(opts...)
	type replayed struct {
		part    *rederive.Partition
		outcome rederive.Outcome
	}
	parts := map[int32]*rederive.Partition{}
	want := map[string]replayed{}
	accepted := 0
	for _, r := range s.rawIn { // in partition, then offset, order
		p := parts[r.Partition]
		if p == nil {
			var err error
			if p, err = rederive.NewPartition(rcfg); err != nil {
				h.t.Fatal(err)
			}
			parts[r.Partition] = p
		}
		o := p.Derive(r.Value, r.Timestamp)
		p.Commit(&o)
		if o.Accepted {
			accepted++
		}
		want[fmt.Sprintf("%d@%d", r.Partition, r.Offset)] = replayed{part: p, outcome: o}
	}
	if accepted != len(s.out) {
		h.t.Fatalf("replay accepts %d events, the topic holds %d", accepted, len(s.out))
	}
	for _, r := range s.out {
		hs := make([]kafkaio.Header, len(r.Headers))
		for i, hd := range r.Headers {
			hs[i] = kafkaio.Header(hd)
		}
		key := lineage(hs)
		w, ok := want[key]
		if !ok || !w.outcome.Accepted {
			h.t.Fatalf("output %s has no counterpart in the replay", key)
		}
		diffs, err := w.part.CompareValue(&w.outcome, r.Value, true)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(diffs) > 0 {
			h.t.Fatalf("output %s differs from the replay: %+v", key, diffs)
		}
	}
}

// replayConfig is the replay's configuration for members started with
// opts: the same processing settings and rules.
func (h *harness) replayConfig(opts ...func(*Config)) rederive.Config {
	cfg := h.config("replay")
	for _, o := range opts {
		o(&cfg)
	}
	cfg = cfg.WithDefaults()
	return rederive.Config{Intake: cfg.Intake, Enrich: cfg.Enrich, RedactMetadata: cfg.RedactMetadata, Rules: cfg.Rules}
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
	if msg := err.Error(); !strings.Contains(msg, "another running member") || strings.Contains(msg, "credentials") {
		t.Errorf("the fenced member's error should name the other member, not credentials: %v", err)
	}
	h.produce(500)
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))
}
