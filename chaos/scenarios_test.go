package chaos

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/eventproc/eventproc/internal/testbroker"
)

// Three members under continuous load; a random member is killed with
// SIGKILL at a random moment, several times, and each is restarted at
// once under the same instance id, so that its transactional id fences
// the dead incarnation and aborts the transaction it left open. Windows
// close every 50 ms or 500 records, so a random kill lands as often
// inside a window's produce or commit as between windows.
func TestKill9UnderLoad(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"a", "b", "c"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	const kills = 4
	for range kills {
		e.sleepRandom(2*time.Second, 8*time.Second)
		id := e.randomMember()
		e.kill(id)
		e.sleepRandom(0, 2*time.Second)
		e.startMember(id)
	}
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("kill -9 under load, restart under the same instance id", e.stopLoad())
}

// A member leaves gracefully (SIGTERM: it publishes or aborts its open
// window, commits and leaves the group, exit 0) and a member with a new
// instance id takes its place, twice.
func TestSigtermAndRestartUnderNewInstanceID(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"a", "b", "c"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	for _, newID := range []string{"d", "e"} {
		e.sleepRandom(2*time.Second, 6*time.Second)
		e.stopMember(e.randomMember())
		e.sleepRandom(0, 2*time.Second)
		e.startMember(newID)
	}
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("SIGTERM, restart under a new instance id", e.stopLoad())
}

// The group grows from one member to three under load, then shrinks back
// to one: partitions move twice each way, with their state restored from
// the changelog by every new owner.
func TestScaleOneToThreeToOne(t *testing.T) {
	e := newEnv(t)
	e.startMember("a")
	e.startLoad()
	e.awaitOutput()
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.startMember("b")
	e.startMember("c")
	e.sleepRandom(6*time.Second, 9*time.Second)
	e.stopMember("b")
	e.sleepRandom(1*time.Second, 3*time.Second)
	e.stopMember("c")
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("scale 1 to 3 to 1", e.stopLoad())
}

// A member is frozen (SIGSTOP) in the middle of a transaction — the
// broker lists its transactional id as Ongoing — for longer than its
// transaction timeout, as a slow window, a long GC pause or a stalled disk
// would hold it. The broker aborts the transaction; the group keeps the
// member (its session timeout is longer). On SIGCONT the zombie must not
// commit what it had: it is fenced and either recovers in-process or exits
// non-zero, and is then restarted under the same instance id. Either way
// verify must find every record exactly once.
func TestFrozenPastTransactionTimeout(t *testing.T) {
	e := newEnv(t)
	e.txTimeout = 2 * time.Second
	// kfake aborts a transaction the moment it times out; Kafka checks
	// for timed-out transactions every 10 s
	// (transaction.abort.timed.out.transaction.cleanup.interval.ms).
	freeze := 3 * e.txTimeout
	if e.kind != testbroker.KindEmbedded {
		freeze = e.txTimeout + 12*time.Second
	}
	for _, id := range []string{"a", "b"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	const freezes = 2
	recovered, restarted := 0, 0
	for range freezes {
		e.sleepRandom(2*time.Second, 4*time.Second)
		id := e.randomMember()
		p := e.member(id)
		attempts, before := e.freezeInTransaction(id, p)
		time.Sleep(freeze)
		after := e.transactionState(id)
		if after.State == "Ongoing" && after.ProducerEpoch == before.ProducerEpoch && after.StartTimestamp == before.StartTimestamp {
			t.Fatalf("member %s: transaction still open after %s frozen with a %s timeout: %+v", id, freeze, e.txTimeout, after)
		}
		p.signal(t, syscall.SIGCONT)
		e.freezes++
		t.Logf("member %s frozen in an open transaction (caught after %d tries: producer %d epoch %d) for %s; broker then reports %s (epoch %d)",
			id, attempts, before.ProducerID, before.ProducerEpoch, freeze, after.State, after.ProducerEpoch)
		// Give the thawed member time to hit the aborted transaction.
		time.Sleep(e.txTimeout + 3*time.Second)
		if !p.exited() {
			recovered++
			t.Logf("member %s kept running after the thaw", id)
			continue
		}
		x := p.wait(t, 0)
		if x.code <= 0 {
			t.Fatalf("member %s ended with %s after the freeze; a fenced member must exit non-zero:\n%s", id, x, tail(p.stderr, 20))
		}
		restarted++
		t.Logf("member %s exited (%s) after the thaw: %s", id, x, lastLine(tail(p.stderr, 3)))
		delete(e.members, id)
		e.startMember(id)
	}
	t.Logf("frozen members: %d recovered in-process, %d exited and were restarted", recovered, restarted)
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("SIGSTOP in an open transaction past the transaction timeout", e.stopLoad())
}

// freezeInTransaction stops member id at a moment when the broker reports
// its transaction open: it stops the process, asks the transaction
// coordinator, and resumes it for a few milliseconds while no transaction
// is open. It returns the tries it took and the open transaction.
func (e *env) freezeInTransaction(id string, p *proc) (int, kadm.DescribedTransaction) {
	e.t.Helper()
	const maxTries = 3000
	for try := 1; try <= maxTries; try++ {
		p.signal(e.t, syscall.SIGSTOP)
		if d := e.transactionState(id); d.State == "Ongoing" {
			return try, d
		}
		p.signal(e.t, syscall.SIGCONT)
		if p.exited() {
			e.t.Fatalf("member %s exited: %s", id, tail(p.stderr, 20))
		}
		time.Sleep(time.Duration(e.rng.IntN(20)) * time.Millisecond)
	}
	e.t.Fatalf("member %s: no open transaction seen in %d tries", id, maxTries)
	return 0, kadm.DescribedTransaction{}
}

// transactionState asks the transaction coordinator about member id's
// transactional id (<group>-<instance-id>).
func (e *env) transactionState(id string) kadm.DescribedTransaction {
	e.t.Helper()
	txid := e.group + "-" + id
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ds, err := e.admin().DescribeTransactions(ctx, txid)
	if err != nil {
		e.t.Fatalf("describe transaction %s: %v", txid, err)
	}
	d, ok := ds[txid]
	if !ok || d.Err != nil {
		e.t.Fatalf("describe transaction %s: %v (found %v)", txid, d.Err, ok)
	}
	return d
}

func lastLine(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}
