package bench

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Latencies collects end-to-end latency samples, each with the time its
// input was produced. It is safe for concurrent use: the consumer that
// observes records adds, the reporter reads.
type Latencies struct {
	mu      sync.Mutex
	samples []time.Duration
	inputs  []int64 // the samples' input times, Unix nanoseconds
}

// Add records one sample: the latency of a record whose input was
// produced at input.
func (l *Latencies) Add(input time.Time, d time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, d)
	l.inputs = append(l.inputs, input.UnixNano())
	l.mu.Unlock()
}

// Len returns the number of samples so far.
func (l *Latencies) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.samples)
}

// Summary returns the percentiles of the samples so far.
func (l *Latencies) Summary() Summary {
	l.mu.Lock()
	sorted := slices.Clone(l.samples)
	l.mu.Unlock()
	slices.Sort(sorted)
	return summarize(sorted)
}

// SecondHalf returns the percentiles of the samples whose input was
// produced in the second half of the span of input times: the load's
// steady state, without the start-up of a system that began with an empty
// pipeline, cold buffers and no topic metadata.
func (l *Latencies) SecondHalf() Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.inputs) == 0 {
		return Summary{}
	}
	first, last := slices.Min(l.inputs), slices.Max(l.inputs)
	mid := first + (last-first)/2
	var later []time.Duration
	for i, at := range l.inputs {
		if at >= mid {
			later = append(later, l.samples[i])
		}
	}
	slices.Sort(later)
	return summarize(later)
}

// Summary is a latency distribution's shape. The zero Summary (Count 0)
// means no samples.
type Summary struct {
	Count              int
	P50, P90, P99, Max time.Duration
}

func summarize(sorted []time.Duration) Summary {
	if len(sorted) == 0 {
		return Summary{}
	}
	return Summary{
		Count: len(sorted),
		P50:   Percentile(sorted, 0.50),
		P90:   Percentile(sorted, 0.90),
		P99:   Percentile(sorted, 0.99),
		Max:   sorted[len(sorted)-1],
	}
}

// Percentile returns the nearest-rank q-quantile (0 < q <= 1) of sorted,
// which must be in ascending order: the smallest sample that at least q of
// the samples do not exceed. Nearest rank rather than interpolation, so
// every reported figure is a latency that was actually observed. It returns
// 0 for no samples.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// ceil(q·n), forgiving the rounding error of products such as 0.99·100.
	rank := int(math.Ceil(q*float64(n) - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// PerSecond is n events over d as events per second; 0 when d is not
// positive.
func PerSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
