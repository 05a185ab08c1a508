package processor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
)

// openWindow is one window from its collection to the end of its
// transaction.
type openWindow struct {
	seq  uint64
	id   string
	recs []kafkaio.InRecord
	// bytes are the input value bytes of recs.
	bytes int
	// work transforms the window. Its buffers hold the window's records
	// until its transaction ended, so consecutive windows use the two
	// slots' transformations in turn. pipe is work when it is the
	// processing pipeline.
	work windowWork
	pipe *pipeline
	res  windowResult
	// held are the records of a window processed while the previous
	// window's transaction was ending; they are produced once it
	// committed.
	held []kafkaio.OutRecord
	// through are the input offsets the window's transaction commits.
	through map[int32]kafkaio.NextOffset
}

func (w *openWindow) reset() {
	clear(w.recs) // the records alias fetch buffers: let them go
	w.recs, w.bytes = w.recs[:0], 0
	clear(w.held)
	w.held = w.held[:0]
	clear(w.through)
	w.res = windowResult{}
}

func (w *openWindow) collect(rec kafkaio.InRecord) {
	w.recs = append(w.recs, rec)
	w.bytes += len(rec.Value)
}

// endResult is how a window's transaction ended.
type endResult struct {
	committed bool
	err       error
	// start is when ending began, took how long it took.
	start time.Time
	took  time.Duration
}

// window runs one step of the loop. With no transaction open it collects
// a window, processes it and publishes it (the records are produced as
// they are encoded); with one open (r.inflight) it ends it and publishes
// the window collected meanwhile (advance). A published window's
// transaction is left open for the next step unless windows are
// sequential or the loop stops. stop reports that ctx ended and the loop
// should return.
func (r *runner) window(ctx, hard context.Context) (stop bool, err error) {
	if err := r.sess.InitProducer(hard); err != nil {
		if ctx.Err() != nil {
			return true, nil
		}
		return false, err
	}
	if r.inflight != nil {
		return r.advance(ctx, hard)
	}
	w := r.freeSlot()
	if stop, err := r.collectWindow(ctx, hard, w); err != nil || len(w.recs) == 0 {
		if err == nil {
			r.failures, r.lastErr = 0, nil // nothing to do is no failure
		}
		return stop, err
	}
	return r.publish(ctx, hard, w)
}

// publish restores the state w needs, then processes w inside a new
// transaction: franz-go batches, compresses and sends its records on its
// own goroutines while the pipeline encodes them.
func (r *runner) publish(ctx, hard context.Context, w *openWindow) (stop bool, err error) {
	if err := r.restoreFor(hard, w); err != nil {
		return false, err
	}
	if err := r.sess.Begin(); err != nil {
		return false, fmt.Errorf("begin transaction: %w", err)
	}
	r.process(w, nil, func(o kafkaio.OutRecord) { r.sess.Produce(hard, o) })
	return r.published(ctx, hard, w)
}

// advance ends the transaction of r.inflight. The records fetched while
// it was open are the next window: when they need no restore, that window
// is processed while the transaction ends (on another goroutine, which
// only the session is handed to) and produced once it committed. Should
// the transaction abort, the consumer is rewound to the committed offsets
// and the next window is dropped with it: its records are read again, and
// its state changes, made on top of the aborted window's, are discarded.
func (r *runner) advance(ctx, hard context.Context) (stop bool, err error) {
	k := r.inflight
	w := r.freeSlot()
	r.inflight = nil
	now := r.cfg.Clock()
	if !r.stepStart.IsZero() {
		r.lastStep = now.Sub(r.stepStart)
	}
	r.stepStart = now
	if ctx.Err() == nil && r.canOverlap() && r.overlapAfter(k, r.sess.HighWatermarks()) {
		if err := r.betweenWindows(hard); err != nil {
			return false, err
		}
		if err := r.pollAhead(ctx, w); err != nil {
			return false, err
		}
	}
	overlap := len(w.recs) > 0 && r.restored(w)
	var end endResult
	if overlap {
		done := make(chan endResult, 1)
		go func() { done <- r.end(hard, k) }() // exits when the transaction ended
		r.process(w, k, func(o kafkaio.OutRecord) { w.held = append(w.held, o) })
		end = <-done
		r.m.overlapped.Inc()
	} else {
		end = r.end(hard, k)
	}
	if err := r.finish(k, end); err != nil {
		return false, err
	}
	if !end.committed {
		return ctx.Err() != nil, nil
	}
	if len(w.recs) == 0 && ctx.Err() == nil && r.probeLimit == 0 {
		// No window in hand: the next one is what arrived while the
		// transaction ended, taken without waiting as an overlapped
		// window is. Only when nothing did does the next step collect,
		// waiting for records.
		if err := r.betweenWindows(hard); err != nil {
			return false, err
		}
		if err := r.pollAhead(ctx, w); err != nil {
			return false, err
		}
	}
	if len(w.recs) == 0 {
		return ctx.Err() != nil, nil
	}
	if !overlap {
		return r.publish(ctx, hard, w)
	}
	if err := r.sess.Begin(); err != nil {
		return false, fmt.Errorf("begin transaction: %w", err)
	}
	for _, o := range w.held {
		r.sess.Produce(hard, o)
	}
	return r.published(ctx, hard, w)
}

// published follows the publication of w: its transaction ends now when
// windows are sequential or the loop stops, else it stays open for the
// next step, which ends it while processing the window after.
func (r *runner) published(ctx, hard context.Context, w *openWindow) (stop bool, err error) {
	if !r.cfg.SequentialWindows && ctx.Err() == nil {
		r.inflight = w
		return false, nil
	}
	if err := r.finish(w, r.end(hard, w)); err != nil {
		return false, err
	}
	return ctx.Err() != nil, nil
}

// freeSlot returns the slot the open transaction does not use, emptied.
func (r *runner) freeSlot() *openWindow {
	w := &r.slots[0]
	if r.inflight == w {
		w = &r.slots[1]
	}
	w.reset()
	return w
}

// canOverlap reports whether the next window may be processed while the
// open transaction ends: no assignment change is waiting and every owned
// partition's state is restored (a restore needs the group's offsets
// stable, which the open transaction keeps them from being). While a
// refused batch is bisected windows stay sequential.
func (r *runner) canOverlap() bool {
	if r.assign.changed() || r.probeLimit > 0 {
		return false
	}
	if r.stateful() {
		for _, p := range r.assign.current() {
			if r.states[p] == nil {
				return false
			}
		}
	}
	return true
}

// overlapAfter reports whether the window after k is to be processed while
// k's transaction ends. Overlapping hides the processing behind the
// commit, but the overlapped window's records can only be produced once
// the commit is done, so each of them waits for one commit more than it
// would if the window were taken after it: about 2.5 loop steps from
// arrival to commit instead of 1.5 steps that are longer by the
// processing. That pays while a backlog waits (a window's worth of records
// beyond k, from the partitions' high watermarks) or while processing
// keeps the loop busy at least overlapMinBusy of the time (k's processing
// over the step that held it, the same share whether that step overlapped
// or not). Otherwise (light input, a slow commit as on a replicated
// cluster) the next window is taken once k committed, and the records that
// arrived meanwhile go out in the very next transaction.
func (r *runner) overlapAfter(k *openWindow, highWatermarks map[int32]int64) bool {
	if backlogAfter(k, highWatermarks) >= int64(r.cfg.WindowMaxEvents) || r.lastStep <= 0 {
		return true
	}
	return float64(k.res.processing()) >= overlapMinBusy*float64(r.lastStep)
}

// overlapMinBusy is the share of the loop's time spent processing from
// which windows overlap. With a share u of each step processing, records
// wait about 2.5 commits overlapped and 1.5 ÷ (1 − u) commits not: equal
// at u = 0.4. Below that point, at 0.3, a loop near it keeps overlapping,
// where the two waits differ little and overlapping keeps the throughput.
const overlapMinBusy = 0.3

// backlogAfter is how many records of k's partitions lie beyond k, by
// the partitions' high watermarks.
func backlogAfter(k *openWindow, highWatermarks map[int32]int64) int64 {
	var n int64
	for p, next := range k.through {
		if h, ok := highWatermarks[p]; ok && h > next.Offset {
			n += h - next.Offset
		}
	}
	return n
}

// restored reports whether w can be processed with the state at hand.
func (r *runner) restored(w *openWindow) bool {
	missing, err := r.missingStates(w.recs)
	return err == nil && len(missing) == 0
}

// pollAhead collects into w the records fetched already, up to a window,
// without waiting for more: with a transaction open, the next window is
// what arrived meanwhile. It polls in chunks so that --window-max-bytes
// holds as it does for a collected window.
func (r *runner) pollAhead(ctx context.Context, w *openWindow) error {
	for len(w.recs) < r.cfg.WindowMaxEvents && w.bytes < r.cfg.WindowMaxBytes {
		had, want := len(w.recs), min(pollAheadChunk, r.cfg.WindowMaxEvents-len(w.recs))
		// A poll returns what is buffered before it waits; the wait is
		// only there because a poll needs one.
		pctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		err := r.poll(pctx, want, w)
		cancel()
		if err != nil {
			return err
		}
		if len(w.recs)-had < want {
			break // nothing more is buffered
		}
	}
	return nil
}

// poll collects up to max fetched records into w, waiting for them at
// most until ctx ends. It returns only the errors that end the session;
// other fetch errors are logged, and franz-go retries them.
func (r *runner) poll(ctx context.Context, max int, w *openWindow) error {
	if err := r.sess.Poll(ctx, max, w.collect); err != nil {
		if kafkaio.IsFatal(err) || errors.Is(err, kafkaio.ErrClientClosed) {
			return err
		}
		r.log.Warn("fetch error; franz-go retries it", "err", err)
	}
	r.m.buffered.Set(float64(len(w.recs)))
	r.m.bufferedBytes.Set(float64(w.bytes))
	return nil
}

// pollAheadChunk is how many records pollAhead takes per poll.
const pollAheadChunk = 1024

// collectWindow collects records into w until the window closes: it is
// full, its --window-max-wait passed, or ctx ended.
func (r *runner) collectWindow(ctx, hard context.Context, w *openWindow) (stop bool, err error) {
	r.m.buffered.Set(0)
	r.m.bufferedBytes.Set(0)
	var deadline time.Time
	limit := r.cfg.WindowMaxEvents
	if r.probeLimit > 0 {
		limit = min(limit, r.probeLimit)
	}
	for len(w.recs) < limit && w.bytes < r.cfg.WindowMaxBytes {
		if len(w.recs) == 0 {
			if err := r.betweenWindows(hard); err != nil {
				return false, err
			}
			if ctx.Err() != nil {
				return true, nil
			}
		}
		wait, closed := windowPollWait(deadline, r.cfg.Clock())
		if closed {
			break
		}
		pollStart := r.cfg.Clock()
		pctx, cancel := context.WithTimeout(ctx, wait)
		err := r.poll(pctx, limit-len(w.recs), w)
		cancel()
		if err != nil {
			return false, err
		}
		if len(w.recs) > 0 && deadline.IsZero() {
			deadline = r.windowStart(pollStart).Add(r.cfg.WindowMaxWait)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(w.recs) == 0 {
		return ctx.Err() != nil, nil
	}
	r.collectEnd = r.cfg.Clock()
	return false, nil
}

// windowStart is when the window's --window-max-wait starts to count (see
// windowStartAt).
func (r *runner) windowStart(pollStart time.Time) time.Time {
	return windowStartAt(pollStart, r.cfg.Clock(), r.collectEnd)
}

// missingStates returns the partitions whose state must be restored
// before recs can be processed.
func (r *runner) missingStates(recs []kafkaio.InRecord) ([]int32, error) {
	if !r.stateful() {
		return nil, nil
	}
	var missing []int32
	for i := range recs {
		if p := recs[i].Partition; r.states[p] == nil && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	if r.global() {
		// The stream's counter is the highest of all partitions'
		// checkpoints: every partition must be owned and restored.
		owned := r.assign.current()
		if len(owned) < int(r.inputPartitions) {
			return nil, &partialOwnershipError{owned: len(owned), partitions: int(r.inputPartitions)}
		}
		for _, p := range owned {
			if r.states[p] == nil && !slices.Contains(missing, p) {
				missing = append(missing, p)
			}
		}
	}
	return missing, nil
}

// restoreFor restores the state of every partition w needs.
func (r *runner) restoreFor(ctx context.Context, w *openWindow) error {
	missing, err := r.missingStates(w.recs)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		if _, err := r.restoreAll(ctx, missing, true); err != nil {
			return err
		}
	}
	return nil
}

// process numbers w and transforms it, handing its records to emit. under
// is the window published before it whose transaction has not ended, or
// nil: w's state changes are made on top of under's.
func (r *runner) process(w, under *openWindow, emit func(kafkaio.OutRecord)) {
	r.windowSeq++
	w.seq = r.windowSeq
	w.id = r.windowBase + fmt.Sprintf("%012d", w.seq)
	if w.pipe != nil {
		w.pipe.under = nil
		if under != nil {
			w.pipe.under = under.pipe
		}
		if r.global() {
			if under != nil {
				w.pipe.globalLast = under.pipe.globalAfter
			} else {
				w.pipe.globalLast = r.globalLast()
			}
		}
	}
	w.res = w.work.process(w.recs, r.stateOf, w.id, emit)
	w.through = kafkaio.AppendNextOffsets(w.through, w.recs)
}

// end ends w's transaction, committing w's offsets. It touches nothing of
// the runner but the session, so that it can run while the next window is
// processed.
func (r *runner) end(ctx context.Context, w *openWindow) endResult {
	if r.cfg.crashBeforeEnd != nil && r.cfg.crashBeforeEnd(w.seq) {
		return endResult{err: errCrashed}
	}
	start := r.cfg.Clock()
	committed, err := r.sess.End(ctx, true, w.through)
	return endResult{committed: committed, err: err, start: start, took: r.cfg.Clock().Sub(start)}
}

// finish acts on how w's transaction ended: a committed window's state
// changes are kept and it is counted; an aborted one is dropped.
func (r *runner) finish(w *openWindow, end endResult) error {
	if end.err != nil {
		if errors.Is(end.err, errCrashed) {
			return end.err
		}
		if re := (*kafkaio.RefusedError)(nil); errors.As(end.err, &re) && r.stateful() && r.handleRefused(w, re) {
			return errRefusedRetry
		}
		return fmt.Errorf("end transaction of window %s: %w", w.id, end.err)
	}
	// A transaction that ended, committed or aborted by a rebalance, ends
	// a run of failures (a window published but not ended yet does not).
	r.failures, r.lastErr = 0, nil
	if !end.committed {
		// A rebalance revoked partitions mid-window; franz-go rewound to
		// the committed offsets and the window's state changes are
		// discarded with the pipeline's overlay.
		r.m.transactions.WithLabelValues(outcomeAborted).Inc()
		r.log.Info("window aborted by a rebalance; its records will be reprocessed", "window", w.id, "records", len(w.recs))
		return nil
	}
	r.m.commitSeconds.Observe(end.took.Seconds())
	w.work.commit()
	r.forgetRefused()
	r.probeLimit = 0
	r.observe(w, end.start)
	if r.stateful() {
		r.misrouting.observe(r, w)
	}
	r.notifyCommit(len(w.recs), &w.res)
	return nil
}

func (r *runner) stateOf(p int32) *partitionState { return r.states[p] }

func (r *runner) observe(w *openWindow, publishStart time.Time) {
	now := r.cfg.Clock()
	m, res := r.m, &w.res
	m.transactions.WithLabelValues(outcomeCommitted).Inc()
	m.consumed.Add(float64(len(w.recs)))
	m.published.Add(float64(res.accepted))
	for reason, n := range res.rejected {
		if n > 0 {
			m.deadLettered.WithLabelValues(event.Reason(reason).String()).Add(float64(n))
		}
	}
	m.truncated.Add(float64(res.truncated))
	m.windowEvents.Observe(float64(len(w.recs)))
	m.stageSeconds.WithLabelValues(stageIntake).Observe(res.intake.Seconds())
	m.stageSeconds.WithLabelValues(stageClassify).Observe(res.classify.Seconds())
	m.stageSeconds.WithLabelValues(stageEnrich).Observe(res.enrich.Seconds())
	m.stageSeconds.WithLabelValues(stageOrder).Observe(res.order.Seconds())
	m.stageSeconds.WithLabelValues(stageEncode).Observe(res.encode.Seconds())
	m.stageSeconds.WithLabelValues(stagePublish).Observe(now.Sub(publishStart).Seconds())
	for i := range w.recs {
		m.endToEnd.Observe(now.Sub(w.recs[i].Timestamp).Seconds())
	}
	for p, hw := range r.sess.HighWatermarks() {
		if st := r.states[p]; st != nil && st.nextOffset >= 0 {
			m.lag.WithLabelValues(strconv.Itoa(int(p))).Set(float64(max(0, hw-st.nextOffset)))
		}
	}
}
