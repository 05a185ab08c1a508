package processor

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Inside a synctest bubble time.Now and timers run on the bubble's fake
// clock, which advances only when every goroutine of the bubble is blocked:
// these tests take no real time and cannot be flaky.

func TestShutdownContextEndsTimeoutAfterCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		hard, stop := shutdownContext(ctx, 30*time.Second)
		defer stop()

		time.Sleep(time.Hour) // while ctx runs, the shutdown bound does not start
		synctest.Wait()
		if hard.Err() != nil {
			t.Fatal("hard ended while ctx was still running")
		}
		cancel()
		start := time.Now()
		time.Sleep(30*time.Second - time.Nanosecond)
		synctest.Wait()
		if hard.Err() != nil {
			t.Fatalf("hard ended %s after ctx, before the 30s shutdown timeout", time.Since(start))
		}
		<-hard.Done()
		if got := time.Since(start); got != 30*time.Second {
			t.Fatalf("hard ended %s after ctx, want exactly 30s", got)
		}
	})
}

func TestShutdownContextStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		hard, stop := shutdownContext(ctx, time.Minute)
		stop()
		if hard.Err() == nil {
			t.Fatal("stop did not end hard")
		}
		cancel() // no timer may be left running in the bubble (synctest fails on leaked goroutines)
		synctest.Wait()
	})
}

func TestPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !pause(context.Background(), 3*time.Second) {
			t.Fatal("pause without cancellation reported an early end")
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Fatalf("pause(3s) took %s", got)
		}

		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		start = time.Now()
		if pause(ctx, time.Hour) {
			t.Fatal("pause ran its full hour despite ctx ending")
		}
		if got := time.Since(start); got != time.Second {
			t.Fatalf("pause ended %s after start, want at ctx's end (1s)", got)
		}
	})
}

// TestRetryBackoff: the retry loop's waits double per consecutive failure
// from --retry-backoff up to --retry-backoff-max, each jittered within its
// upper half, and the wait is real: pause blocks for exactly that long.
func TestRetryBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base, limit := 100*time.Millisecond, 2*time.Second
		full := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000}
		for attempt := 1; attempt <= len(full); attempt++ {
			d := full[attempt-1] * time.Millisecond
			for range 50 {
				w := backoff(base, limit, attempt)
				if w < d/2 || w > d {
					t.Fatalf("attempt %d: backoff %s outside [%s, %s]", attempt, w, d/2, d)
				}
				start := time.Now()
				pause(context.Background(), w)
				if got := time.Since(start); got != w {
					t.Fatalf("attempt %d: waited %s for a backoff of %s", attempt, got, w)
				}
			}
		}
		if w := backoff(base, limit, 1000); w > limit {
			t.Fatalf("attempt 1000: backoff %s above the cap %s", w, limit)
		}
	})
}

// TestWindowClosing: a window closes --window-max-wait after its oldest
// record arrived. With the fake clock, each poll may wait exactly the time
// left, and the window closes at the deadline, not a moment before.
func TestWindowClosing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxWait = 50 * time.Millisecond
		if wait, closed := windowPollWait(time.Time{}, time.Now()); closed || wait != idlePoll {
			t.Fatalf("empty window: wait %s closed %v, want %s and open", wait, closed, idlePoll)
		}

		// The first record arrives during a poll that had to wait.
		pollStart := time.Now()
		time.Sleep(10 * time.Millisecond)
		start := windowStartAt(pollStart, time.Now(), time.Time{})
		if !start.Equal(pollStart) {
			t.Fatalf("window start %v, want the poll's start %v", start, pollStart)
		}
		deadline := start.Add(maxWait)
		for {
			wait, closed := windowPollWait(deadline, time.Now())
			if closed {
				break
			}
			if !time.Now().Add(wait).Equal(deadline) {
				t.Fatalf("poll may wait %s, past the deadline", wait)
			}
			time.Sleep(max(wait/2, time.Millisecond)) // a poll that returns early with more records
		}
		if got := time.Since(pollStart); got < maxWait {
			t.Fatalf("window closed %s after its first record, before --window-max-wait %s", got, maxWait)
		}
	})
}

// TestWindowStartAfterBusyWindow: records a poll returns at once were
// buffered while the previous window published, so the next window's
// --window-max-wait counts from when that window stopped collecting.
func TestWindowStartAfterBusyWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		collectEnd := time.Now()
		time.Sleep(30 * time.Millisecond) // the previous window processes and publishes
		pollStart := time.Now()
		if got := windowStartAt(pollStart, time.Now(), collectEnd); !got.Equal(collectEnd) {
			t.Fatalf("records returned at once: window start %v, want the previous collect end %v", got, collectEnd)
		}
		time.Sleep(5 * time.Millisecond) // this poll had to wait: its records are new
		if got := windowStartAt(pollStart, time.Now(), collectEnd); !got.Equal(pollStart) {
			t.Fatalf("records a poll waited for: window start %v, want the poll start %v", got, pollStart)
		}
		if got := windowStartAt(pollStart, pollStart, time.Time{}); !got.Equal(pollStart) {
			t.Fatalf("first window: start %v, want the poll start", got)
		}
	})
}

// A restore attempts every restorePoll and gives up exactly at its
// deadline: the last wait is cut short to end there.
func TestRestoreWaitEndsAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		const timeout = 250 * time.Millisecond
		var attempts []time.Duration
		for {
			attempts = append(attempts, time.Since(start))
			wait, expired := restoreWait(start, time.Now(), timeout)
			if expired {
				break
			}
			if wait <= 0 || wait > restorePoll {
				t.Fatalf("wait %s at %s: want in (0, %s]", wait, time.Since(start), restorePoll)
			}
			if !pause(context.Background(), wait) {
				t.Fatal("pause ended early")
			}
		}
		want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, timeout}
		if !slices.Equal(attempts, want) {
			t.Fatalf("attempts at %v, want %v", attempts, want)
		}
		if _, expired := restoreWait(start, start, 0); !expired {
			t.Error("a zero timeout did not expire at once")
		}
	})
}
