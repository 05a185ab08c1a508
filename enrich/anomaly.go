package enrich

import (
	"math"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/unit"
)

// Standard-deviation floors. A z-score divides by the baseline's standard
// deviation; a perfectly steady source has none, and without a floor the
// first tiny wobble would be an "infinite" outlier.
const (
	// loadStdFloor: load lives in [0, 1]; moves under 2 % of that range are
	// noise, so with z = 3 a steady source must jump by more than 0.06.
	loadStdFloor = 0.02
	// gapStdFloorSeconds: timestamps commonly have millisecond resolution;
	// a gap cannot be trusted more finely than that.
	gapStdFloorSeconds = 0.001
	// gapStdFloorRelative: a source's cadence jitters by a fraction of its
	// mean gap (20 %); with z = 3 a steady 1 s source is flagged below
	// 0.4 s (burst) or above 1.6 s (silence).
	gapStdFloorRelative = 0.2
)

// detectAnomalies judges ev against st's baselines, then folds ev into them.
// Each value is judged against the baseline *before* it is absorbed, and
// anomalous values are absorbed too, so a lasting level shift becomes the
// new normal after a few events instead of being flagged forever.
func detectAnomalies(cfg Config, st *SourceState, ev *event.Event) event.AnomalyReasons {
	var reasons event.AnomalyReasons
	if ev.TimestampCorrected {
		reasons = reasons.Add(event.AnomalyTimestampCorrected)
	}

	load := unit.Clamp(ev.Load)
	if st.Count >= cfg.WarmUp {
		z := (load - st.LoadMean) / stdDev(st.LoadVar, loadStdFloor)
		// One-sided: a load *spike*; a drop in load is not a risk signal.
		if z > cfg.ZThreshold {
			reasons = reasons.Add(event.AnomalyLoadSpike)
		}
	}
	st.LoadMean, st.LoadVar = ewma(cfg.Alpha, st.Count, st.LoadMean, st.LoadVar, load)
	st.Count++

	// A corrected timestamp is received_at, another clock than the source's
	// event times: it takes no part in gaps or ordering.
	ts := ev.Timestamp
	if ev.TimestampCorrected || math.IsNaN(ts) || math.IsInf(ts, 0) {
		return reasons
	}
	switch {
	case st.LastTimestamp == 0:
		// First reliable timestamp of the source: nothing to compare.
		st.LastTimestamp = ts
	case ts < st.LastTimestamp:
		// Out of order: a negative gap would poison the gap baseline, and
		// the high-water mark stays where it is.
		reasons = reasons.Add(event.AnomalyOutOfOrder)
	default:
		gap := ts - st.LastTimestamp
		if st.GapCount >= cfg.WarmUp {
			floor := math.Max(gapStdFloorSeconds, float64(gapStdFloorRelative*st.GapMean))
			z := (gap - st.GapMean) / stdDev(st.GapVar, floor)
			// Two-sided: both a burst and a silence are unusual.
			if math.Abs(z) > cfg.ZThreshold {
				reasons = reasons.Add(event.AnomalyInterArrival)
			}
		}
		st.GapMean, st.GapVar = ewma(cfg.Alpha, st.GapCount, st.GapMean, st.GapVar, gap)
		st.GapCount++
		st.LastTimestamp = ts
	}
	return reasons
}

// ewma folds x into an exponentially weighted mean and variance (Finch,
// "Incremental calculation of weighted mean and variance", 2009). The first
// sample (n == 0) initialises the mean with variance 0. The explicit
// float64 conversions stop the compiler from fusing multiply-adds, so every
// architecture computes the same bits (states restored on another machine
// must continue identically).
func ewma(alpha float64, n uint64, mean, variance, x float64) (float64, float64) {
	if n == 0 {
		return x, 0
	}
	diff := x - mean
	incr := float64(alpha * diff)
	return mean + incr, float64((1 - alpha) * (variance + float64(diff*incr)))
}

// stdDev is the standard deviation of variance, at least floor.
func stdDev(variance, floor float64) float64 {
	return math.Max(math.Sqrt(variance), floor)
}
