package kafkatool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// produceFlushGrace bounds the wait for records already handed to the client
// once the run's ctx has ended: records not yet sent fail promptly with the
// ctx error, so this only covers requests already on the wire.
const produceFlushGrace = 10 * time.Second

// ProduceGenerated produces records from next to topic, asynchronously, and
// returns how many the brokers acknowledged.
//
//   - count > 0 stops after count records; count == 0 produces until ctx ends.
//   - rate > 0 paces production to rate records per second on a cumulative
//     schedule (a short stall is caught up, at most one second's worth at
//     once); rate == 0 produces as fast as the client accepts.
//   - The number of records in flight is bounded by the client's
//     kgo.MaxBufferedRecords: Produce blocks while the buffer is full.
//   - onAcked, if not nil, is called with the number of newly acknowledged
//     records (from the client's promise goroutines, possibly concurrently).
//
// next must return slices the function may keep until they are acknowledged.
//
// ctx bounds the run: when it ends, generation stops, records not yet sent are
// abandoned and requests on the wire are awaited for a short grace period.
// That is a normal stop for count == 0 (nil error); with count > 0 the error
// is ctx's when fewer than count records were acknowledged. The first produce
// error stops the run and is returned after the flush.
func ProduceGenerated(ctx context.Context, cl *kgo.Client, topic string, next func() (key, value []byte),
	count int64, rate float64, onAcked func(n int64),
) (int64, error) {
	var (
		acked  atomic.Int64
		failed atomic.Bool
		errMu  sync.Mutex
		// firstErr is the first produce failure, guarded by errMu.
		firstErr error
	)
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			// Records abandoned because the run ended are not failures.
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return
			}
			errMu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("produce to %s: %w", topic, err)
			}
			errMu.Unlock()
			failed.Store(true)
			return
		}
		acked.Add(1)
		if onAcked != nil {
			onAcked(1)
		}
	}

	var (
		pace *pacer
		tick <-chan time.Time
	)
	if rate > 0 {
		pace = newPacer(rate, time.Now())
		t := time.NewTicker(pace.tick())
		defer t.Stop()
		tick = t.C
	}

	var sent int64
produce:
	for (count == 0 || sent < count) && !failed.Load() {
		if ctx.Err() != nil {
			break
		}
		if pace != nil && sent >= pace.allowed(time.Now(), sent) {
			select {
			case <-ctx.Done():
				break produce
			case <-tick:
			}
			continue
		}
		key, value := next()
		cl.Produce(ctx, &kgo.Record{Topic: topic, Key: key, Value: value}, promise)
		sent++
	}

	if err := cl.Flush(ctx); err != nil {
		// ctx ended while flushing: unsent records now fail promptly;
		// wait, briefly, for the ones on the wire so the count is final.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), produceFlushGrace)
		defer cancel()
		if err := cl.Flush(fctx); err != nil {
			return acked.Load(), fmt.Errorf("flush %s after the run ended: %w", topic, err)
		}
	}
	n := acked.Load()
	errMu.Lock()
	err := firstErr
	errMu.Unlock()
	switch {
	case err != nil:
		return n, err
	case count > 0 && n < count && ctx.Err() != nil:
		return n, fmt.Errorf("produced %d of %d records: %w", n, count, ctx.Err())
	}
	return n, nil
}

// pacer spreads production over time: by elapsed time e since start it
// allows floor(rate*e)+1 records, so the first record goes out at once and
// the long-run rate is exact without sleeping per record.
type pacer struct {
	rate  float64
	start time.Time
	// maxBurst caps how far behind schedule the producer may fall before
	// the schedule is moved: after a stall it catches up by at most one
	// second's worth of records instead of flooding the broker.
	maxBurst int64
}

func newPacer(rate float64, start time.Time) *pacer {
	return &pacer{rate: rate, start: start, maxBurst: max(1, int64(rate))}
}

// tick is how often the producer wakes to send the records that became due:
// once per record at low rates, at most every 5ms at high ones (then in
// bursts of rate/200).
func (p *pacer) tick() time.Duration {
	return max(time.Duration(float64(time.Second)/p.rate), 5*time.Millisecond)
}

// allowed returns how many records may have been sent by now, given that
// sent already were.
func (p *pacer) allowed(now time.Time, sent int64) int64 {
	due := int64(p.rate*now.Sub(p.start).Seconds()) + 1
	if due-sent > p.maxBurst {
		// Fell behind (slow broker, full buffer): forget the backlog
		// beyond one burst by moving the schedule's origin.
		behind := due - sent - p.maxBurst
		p.start = p.start.Add(time.Duration(float64(behind) / p.rate * float64(time.Second)))
		due = sent + p.maxBurst
	}
	return due
}
