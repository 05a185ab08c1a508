package chaos

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// The failover measurement of global ordering runs only with
// EVENTPROC_FAILOVER=1 besides EVENTPROC_CHAOS=1 (`make bench-failover`):
// it measures, it does not look for faults, and it takes minutes.
const (
	failoverEnv = "EVENTPROC_FAILOVER"
	// failoverSessionTimeout is the members' --session-timeout: how long
	// the group waits for a member killed for good.
	failoverSessionTimeout = 10 * time.Second
	// failoverTxTimeout is the members' --transaction-timeout, the run
	// command's default.
	failoverTxTimeout = 10 * time.Second
	// failoverRuns is how often each case is measured.
	failoverRuns = 3
	// failoverTimeout bounds one failover: the session timeout, a
	// rebalance, a restore and the wait for a dead member's transaction
	// to be aborted.
	failoverTimeout = 2 * time.Minute
)

// failoverCase is one way the active member goes away.
type failoverCase struct {
	name string
	// signal makes member id go away. It returns the moment of the signal
	// and, once the member is gone, the committed input offsets to advance
	// past.
	signal func(e *env, id string) (at time.Time, from int64)
	// rejoin restarts the member (as a standby) after the failover when
	// the case did not.
	rejoin bool
}

var failoverCases = []failoverCase{
	{
		name: "SIGTERM",
		// The member publishes or aborts its open window and commits
		// before it leaves: offsets advance past the value at the signal
		// without any failover. The offsets to pass are those it left.
		signal: func(e *env, id string) (time.Time, int64) {
			p := e.member(id)
			at := time.Now()
			p.stop(e.t, stopTimeout)
			delete(e.members, id)
			e.stops++
			from := e.mustCommitted()
			e.t.Logf("  %s exited 0 %s after SIGTERM", id, time.Since(at).Round(time.Millisecond))
			return at, from
		},
		rejoin: true,
	},
	{
		name: "SIGKILL",
		signal: func(e *env, id string) (time.Time, int64) {
			at := time.Now()
			e.kill(id)
			return at, e.mustCommitted()
		},
		rejoin: true,
	},
	{
		name: "SIGKILL+restart",
		signal: func(e *env, id string) (time.Time, int64) {
			at := time.Now()
			e.kill(id)
			from := e.mustCommitted()
			e.startMember(id)
			return at, from
		},
	},
	{
		// As SIGKILL+restart, but the kill lands while the member's
		// transaction holds the window's offset commit (between
		// TxnOffsetCommit and the end of the transaction), so the group's
		// offsets are unstable until that transaction ends.
		name: "SIGKILL+restart(offsets pending)",
		signal: func(e *env, id string) (time.Time, int64) {
			tries := e.stopWithOffsetsPending(id)
			at := time.Now()
			e.kill(id)
			from := e.mustCommitted()
			e.startMember(id)
			e.t.Logf("  %s stopped with its offset commit pending after %d tries", id, tries)
			return at, from
		},
	},
}

// stopWithOffsetsPending stops member id (SIGSTOP) at a moment when a
// transaction holding offset commits of the group is open: it stops the
// process, asks the group coordinator for stable offsets, and resumes it
// for a few milliseconds while they are stable. It returns the tries it
// took; the member stays stopped.
func (e *env) stopWithOffsetsPending(id string) int {
	e.t.Helper()
	p := e.member(id)
	const maxTries = 3000
	for try := 1; try <= maxTries; try++ {
		p.signal(e.t, syscall.SIGSTOP)
		if e.offsetsUnstable() {
			return try
		}
		p.signal(e.t, syscall.SIGCONT)
		if p.exited() {
			e.t.Fatalf("member %s exited: %s", id, tail(p.stderr, 20))
		}
		time.Sleep(time.Duration(e.rng.IntN(20)) * time.Millisecond)
	}
	e.t.Fatalf("member %s: no pending offset commit seen in %d tries", id, maxTries)
	return 0
}

// offsetsUnstable reports whether the group coordinator refuses a stable
// answer for the group's offsets: a transaction holding offset commits of
// the group is open.
func (e *env) offsetsUnstable() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offs, err := e.admin().FetchOffsets(kadm.RequireStable(ctx), e.group)
	if err != nil {
		return errors.Is(err, kerr.UnstableOffsetCommit)
	}
	unstable := false
	offs.Each(func(o kadm.OffsetResponse) {
		unstable = unstable || errors.Is(o.Err, kerr.UnstableOffsetCommit)
	})
	return unstable
}

// Two members in global ordering under steady load: the active is made to
// go away in each of four ways, three times each, and the failover time
// is measured: from the signal until the group's committed input offsets
// (summed over the partitions, polled every 50 ms) first advance past
// their value once the old active is gone — that is, until the next
// active committed its first window. The figures are logged, not
// asserted; the scenario ends with verify --ordering global.
func TestFailoverGlobal(t *testing.T) {
	if os.Getenv(failoverEnv) != "1" {
		t.Skipf("failover measurement: set %s=1 and %s=1 (make bench-failover)", failoverEnv, enableEnv)
	}
	e := newGlobalEnv(t)
	e.retryFlags = nil // the run command's defaults
	e.txTimeout = failoverTxTimeout
	e.extraFlags = []string{"--session-timeout", failoverSessionTimeout.String()}
	for _, id := range []string{"a", "b"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	t.Logf("failover: broker=%s members=2 ordering=global session_timeout=%s transaction_timeout=%s load=%d/s window_max_events=500",
		e.kind, failoverSessionTimeout, e.txTimeout, loadRate)
	measured := map[string][]time.Duration{}
	for run := 1; run <= failoverRuns; run++ {
		for _, c := range failoverCases {
			// Both members up, one active, the standby warm, the group
			// committing.
			active := e.activeMember()
			if len(e.members) != 2 {
				t.Fatalf("%d members running, want 2", len(e.members))
			}
			e.sleepRandom(4*time.Second, 5*time.Second)
			e.awaitProgress(e.mustCommitted(), failoverTimeout)
			if now := e.activeMember(); now != active {
				t.Fatalf("active changed from %s to %s without a fault", active, now)
			}
			at, from := c.signal(e, active)
			done := e.awaitProgress(from, failoverTimeout)
			d := done.Sub(at)
			next := e.activeMember()
			measured[c.name] = append(measured[c.name], d)
			t.Logf("failover: case=%s run=%d session_timeout=%s active=%s next=%s failover=%s",
				c.name, run, failoverSessionTimeout, active, next, d.Round(10*time.Millisecond))
			if c.rejoin {
				e.startMember(active)
			}
		}
	}
	for _, c := range failoverCases {
		ds := measured[c.name]
		t.Logf("failover summary: broker=%s session_timeout=%s case=%s runs=%d min=%s median=%s max=%s (all: %s)",
			e.kind, failoverSessionTimeout, c.name, len(ds), slices.Min(ds).Round(10*time.Millisecond),
			median(ds).Round(10*time.Millisecond), slices.Max(ds).Round(10*time.Millisecond), durations(ds))
	}
	e.finish("global: failover of the active (SIGTERM, SIGKILL, SIGKILL and restart)", e.stopLoad())
}

// median of ds: the middle value, or the mean of the two middle values.
func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(10 * time.Millisecond).String()
	}
	return strings.Join(parts, " ")
}
