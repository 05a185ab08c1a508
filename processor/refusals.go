package processor

import (
	"errors"
	"fmt"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
)

// refusedInput is what the broker refused about one input record in an
// earlier attempt of its window, and how the window's next attempt
// publishes it instead.
type refusedInput struct {
	// force dead-letters the record with reason and msg instead of
	// processing it: its output was refused.
	force  bool
	reason event.Reason
	msg    string
	// truncate > 0 publishes its dead letter truncated, at that level:
	// the dead letter itself was refused.
	truncate int
}

// maxTruncateLevel bounds how often a truncated dead letter is halved
// again: past it the prefix is empty and a refusal is not about size.
const maxTruncateLevel = 32

type inputPosition struct {
	partition int32
	offset    int64
}

// errRefusedRetry ends a window whose transaction was aborted because the
// broker refused records of it: the refused input records are marked, and
// the window is processed again with them dead-lettered. It is progress,
// not a failure.
var errRefusedRetry = errors.New("window aborted: records refused by the broker will be dead-lettered")

// refusedLookup is the pipeline's view of r.refused.
func (r *runner) refusedLookup(partition int32, offset int64) (refusedInput, bool) {
	ri, ok := r.refused[inputPosition{partition, offset}]
	return ri, ok
}

// handleRefused marks the input records behind the refused records of a
// window's aborted transaction, so that the next attempt dead-letters them
// (or truncates their dead letters). When the refusals do not point at
// one input record — a whole batch refused, with records of several
// inputs — the following windows shrink by half until one does. It
// reports false when the refusal cannot be cured this way (a changelog
// record, a dead letter refused even when empty).
func (r *runner) handleRefused(w *openWindow, re *kafkaio.RefusedError) bool {
	origins := map[int32]kafkaio.Refusal{}
	for _, f := range re.Refusals {
		if f.Input < 0 || int(f.Input) >= len(w.recs) {
			return false // not from one input record (state changelog)
		}
		if _, seen := origins[f.Input]; !seen {
			origins[f.Input] = f
		}
	}
	if len(origins) > 1 {
		// Refused one by one for its own size (the producer's batch limit
		// is each topic's limit, so a record larger than it fails alone):
		// those records are known. Anything else is a batch refused as a
		// whole: bisect.
		var alone []int32
		for i, f := range origins {
			if kafkaio.IsSizeRefusal(f.Err) && int32(f.Size) > r.batchLimit(f.Topic) {
				alone = append(alone, i)
			}
		}
		if len(alone) == 0 {
			r.probeLimit = max(1, len(w.recs)/2)
			r.log.Warn("broker refused a batch of records from several inputs; halving windows to find the one", "window", w.id, "records", len(w.recs), "next_window_max", r.probeLimit, "err", re)
			return true
		}
		for i := range origins {
			if !containsInt32(alone, i) {
				delete(origins, i)
			}
		}
	}
	for i, f := range origins {
		in := &w.recs[i]
		pos := inputPosition{in.Partition, in.Offset}
		ri, known := r.refused[pos]
		switch {
		case f.Topic == r.cfg.OutputTopic && !known:
			ri = refusedInput{force: true, reason: event.ReasonUnpublishable,
				msg: fmt.Sprintf("the broker refused the output record (%d bytes) for %s[%d]: %v", f.Size, f.Topic, f.Partition, f.Err)}
			if kafkaio.IsSizeRefusal(f.Err) {
				ri.reason = event.ReasonTooLarge
			}
		case f.Topic == r.cfg.DLQTopic && ri.truncate < maxTruncateLevel:
			ri.truncate++
		default:
			return false
		}
		r.refused[pos] = ri
		r.log.Warn("broker refused a record; reprocessing the window with its input dead-lettered",
			"window", w.id, "topic", f.Topic, "partition", in.Partition, "offset", in.Offset, "bytes", f.Size,
			"reason", ri.reason.String(), "truncate_level", ri.truncate, "err", f.Err)
	}
	r.probeLimit = 0
	return true
}

// batchLimit is the producer's record-batch limit for topic.
func (r *runner) batchLimit(topic string) int32 {
	return r.limits.BatchMaxBytes(r.plan())(topic)
}

// forgetRefused drops marks of input records below the committed
// offsets: they are published and never read again.
func (r *runner) forgetRefused() {
	for pos := range r.refused {
		if st := r.states[pos.partition]; st != nil && pos.offset < st.nextOffset {
			delete(r.refused, pos)
		}
	}
}

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
