package processor

import (
	"context"
	"math/rand/v2"
	"time"
)

// The loop's timing decisions, kept apart from the loop so that they can
// be tested with a fake clock (testing/synctest).

// shutdownContext returns the context that bounds a shutdown: it ends
// timeout after ctx ends (never before), or when stop is called. Work that
// must finish after ctx ends (publishing the open window, leaving the
// group) runs under it.
func shutdownContext(ctx context.Context, timeout time.Duration) (hard context.Context, stop func()) {
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	stopAfter := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(timeout, cancelHard)
		context.AfterFunc(hard, func() { t.Stop() })
	})
	return hard, func() { stopAfter(); cancelHard() }
}

// backoff is base·2^(attempt-1), capped, with full jitter in its upper half
// so that members that failed together do not retry together.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// pause waits d, or less when ctx ends first; it reports whether the full
// wait elapsed.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// windowStartAt estimates when a window's oldest record arrived, which is
// when --window-max-wait starts to count. Records a poll returned at once
// (within a millisecond of pollStart, now being when it returned) were
// buffered while the previous window was processed and published: they
// arrived after that window stopped collecting (collectEnd), and have
// waited since at most then. Records a poll had to wait for arrived during
// the poll.
func windowStartAt(pollStart, now, collectEnd time.Time) time.Time {
	if now.Sub(pollStart) < time.Millisecond && !collectEnd.IsZero() && collectEnd.Before(pollStart) {
		return collectEnd
	}
	return pollStart
}

// windowPollWait is how long the next poll of a window may wait: idlePoll
// while the window is empty (no deadline yet), else the time left until
// its deadline; closed reports that the deadline has passed and the window
// must close now.
func windowPollWait(deadline, now time.Time) (wait time.Duration, closed bool) {
	if deadline.IsZero() {
		return idlePoll, false
	}
	wait = deadline.Sub(now)
	return wait, wait <= 0
}

// restoreWait is how long a restore that began at start waits before its
// next attempt (restorePoll, or less to end at the deadline start+timeout);
// expired reports that the deadline is reached and the restore must give
// up.
func restoreWait(start, now time.Time, timeout time.Duration) (wait time.Duration, expired bool) {
	left := start.Add(timeout).Sub(now)
	if left <= 0 {
		return 0, true
	}
	return min(restorePoll, left), false
}
