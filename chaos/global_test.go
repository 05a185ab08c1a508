package chaos

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// Settings of the global-ordering scenarios.
const (
	orderingGlobal = "global"
	// activeTimeout bounds the wait for the group to settle on one
	// active member. It covers the default 45 s session timeout after
	// which the group forgets a member killed for good, plus a rebalance.
	activeTimeout = 90 * time.Second
)

// newGlobalEnv is newEnv with every member and the audit in global
// ordering.
func newGlobalEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.ordering = orderingGlobal
	return e
}

// activeMember waits until the group is stable with exactly one member
// owning every input partition — the active of global ordering — and that
// member is one of the running ones, and returns its instance id. Members
// are supervised meanwhile.
func (e *env) activeMember() string {
	e.t.Helper()
	start := time.Now()
	deadline := start.Add(activeTimeout)
	lastLog := start
	for {
		id, why := e.groupActive()
		if id != "" {
			if p, ok := e.members[id]; ok && !p.exited() {
				return id
			}
			why = fmt.Sprintf("the owner %s is not running", id)
		}
		e.supervise()
		if time.Since(lastLog) >= 15*time.Second {
			lastLog = time.Now()
			e.t.Logf("waiting %s for one active member: %s", time.Since(start).Round(time.Second), why)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no single active member after %s: %s", activeTimeout, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// groupActive asks the group coordinator who owns the input partitions.
// It returns the instance id of the one member owning all of them, or ""
// and what the group looks like instead.
func (e *env) groupActive() (string, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gs, err := e.admin().DescribeGroups(ctx, e.group)
	if err != nil {
		return "", err.Error()
	}
	g, ok := gs[e.group]
	switch {
	case !ok:
		return "", "group not described"
	case g.Err != nil:
		return "", g.Err.Error()
	case g.State != "Stable":
		return "", "group " + g.State
	}
	owners := map[string]int{}
	for _, m := range g.Members {
		c, ok := m.Assigned.AsConsumer()
		if !ok {
			continue
		}
		id := m.MemberID
		if m.InstanceID != nil {
			id = *m.InstanceID
		}
		for _, tp := range c.Topics {
			if tp.Topic == e.input {
				owners[id] += len(tp.Partitions)
			}
		}
	}
	for id, n := range owners {
		if n == partitions && len(owners) == 1 {
			return id, ""
		}
	}
	return "", fmt.Sprintf("%d members, input partitions owned %v", len(g.Members), owners)
}

// committed returns the sum of the group's committed input offsets.
func (e *env) committed() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offs, err := e.admin().FetchOffsets(ctx, e.group)
	if err != nil {
		return 0, err
	}
	if err := offs.Error(); err != nil {
		return 0, err
	}
	var sum int64
	for p := range int32(partitions) {
		if o, ok := offs.Lookup(e.input, p); ok {
			sum += o.At
		}
	}
	return sum, nil
}

// awaitProgress waits until the group's committed input offsets pass
// from, polling every 50 ms, and returns when they did. Members are
// supervised meanwhile.
func (e *env) awaitProgress(from int64, timeout time.Duration) time.Time {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var last int64
	var err error
	for {
		if last, err = e.committed(); err == nil && last > from {
			return time.Now()
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("committed input offsets still %d (from %d) after %s (%v)", last, from, timeout, err)
		}
		e.supervise()
		time.Sleep(50 * time.Millisecond)
	}
}

// mustCommitted is committed, failing the test on an error.
func (e *env) mustCommitted() int64 {
	e.t.Helper()
	n, err := e.committed()
	if err != nil {
		e.t.Fatalf("fetch the group's committed offsets: %v", err)
	}
	return n
}

// freeze stops member id with SIGSTOP for d and resumes it.
func (e *env) freeze(id string, d time.Duration) {
	e.t.Helper()
	p := e.member(id)
	p.signal(e.t, syscall.SIGSTOP)
	time.Sleep(d)
	p.signal(e.t, syscall.SIGCONT)
	e.freezes++
}

// Three members in global ordering under load: one active owning every
// partition, two warm standbys. The active is killed with SIGKILL three
// times and restarted under its instance id after up to 2 s (the restart
// fences its transactional id and rejoins the group as the same static
// member), then frozen with SIGSTOP for a few seconds — shorter than the
// session and transaction timeouts, so the group keeps it and its open
// transaction survives — and resumed. The one global stream must have no
// gap, repeat or reordering.
func TestGlobalKill9Active(t *testing.T) {
	e := newGlobalEnv(t)
	for _, id := range []string{"a", "b", "c"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	const kills = 3
	for i := range kills {
		e.sleepRandom(500*time.Millisecond, 4*time.Second)
		id := e.activeMember()
		killed := time.Now()
		e.kill(id)
		e.sleepRandom(0, 2*time.Second)
		from := e.mustCommitted()
		restarted := time.Now()
		e.startMember(id)
		// The next kill lands in a working active, not in a restore.
		working := e.awaitProgress(from, activeTimeout)
		t.Logf("kill %d: SIGKILL to the active member %s %s into the scenario, restarted %s later; the group committed again %s after the restart",
			i+1, id, killed.Sub(e.started).Round(time.Second), restarted.Sub(killed).Round(time.Millisecond), working.Sub(restarted).Round(time.Millisecond))
	}
	e.sleepRandom(2*time.Second, 4*time.Second)
	id := e.activeMember()
	// Below the 5 s transaction timeout, with the time the window already
	// ran: the transaction the member froze in stays open.
	d := 1500*time.Millisecond + time.Duration(e.rng.Int64N(int64(1500*time.Millisecond)))
	e.freeze(id, d)
	t.Logf("froze the active member %s for %s (session timeout 45 s, transaction timeout %s)", id, d.Round(time.Millisecond), e.txTimeout)
	e.sleepRandom(3*time.Second, 5*time.Second)
	if after := e.activeMember(); after != id {
		t.Logf("active after the freeze: %s (was %s)", after, id)
	}
	e.finish("global: kill -9 the active, restart under the same instance id; SIGSTOP it briefly", e.stopLoad())
}

// The group grows from one member to three under load in global
// ordering, and the active keeps its partitions (the balancer is sticky:
// standbys joining move nothing). It then shrinks back to one by stopping
// the active with SIGTERM twice: each time a warm standby takes over
// every partition and continues the one stream.
func TestGlobalScaleOneToThreeToOne(t *testing.T) {
	e := newGlobalEnv(t)
	e.startMember("a")
	e.startLoad()
	e.awaitOutput()
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.startMember("b")
	e.startMember("c")
	e.sleepRandom(6*time.Second, 9*time.Second)
	if id := e.activeMember(); id != "a" {
		t.Fatalf("active after standbys b and c joined: %s, want a (the member that owned the partitions keeps them)", id)
	}
	e.stopMember("a")
	next := e.activeMember()
	t.Logf("a stopped; %s took over, %s into the scenario", next, time.Since(e.started).Round(time.Second))
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.stopMember(next)
	last := e.activeMember()
	t.Logf("%s stopped; %s took over, %s into the scenario", next, last, time.Since(e.started).Round(time.Second))
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("global: scale 1 to 3 to 1, stopping the active", e.stopLoad())
}
