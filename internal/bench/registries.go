package bench

import (
	"math"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Registries reads eventproc's metrics across the registries of several
// in-process members, for summaries of a run.
type Registries []*prometheus.Registry

func (ms Registries) families(name string) []*dto.MetricFamily {
	var out []*dto.MetricFamily
	for _, r := range ms {
		mfs, err := r.Gather()
		if err != nil {
			continue
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				out = append(out, mf)
			}
		}
	}
	return out
}

// Sum adds every series of a counter or gauge whose labels include the
// given label=value pairs (none: all series).
func (ms Registries) Sum(name string, labels ...string) float64 {
	total := 0.0
	for _, mf := range ms.families(name) {
		for _, m := range mf.GetMetric() {
			if hasLabels(m, labels) {
				total += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return total
}

func hasLabels(m *dto.Metric, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == kv[i] && lp.GetValue() == kv[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Quantile estimates the q-quantile of a histogram (merged across members
// and series matching labels) by linear interpolation inside the bucket
// holding it, as PromQL's histogram_quantile does. NaN when empty.
func (ms Registries) Quantile(name string, q float64, labels ...string) float64 {
	buckets := map[float64]uint64{}
	var count uint64
	for _, mf := range ms.families(name) {
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, labels) || m.GetHistogram() == nil {
				continue
			}
			h := m.GetHistogram()
			count += h.GetSampleCount()
			for _, b := range h.GetBucket() {
				buckets[b.GetUpperBound()] += b.GetCumulativeCount()
			}
		}
	}
	if count == 0 {
		return math.NaN()
	}
	bounds := make([]float64, 0, len(buckets))
	for b := range buckets {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	rank := q * float64(count)
	lower, below := 0.0, uint64(0)
	for _, ub := range bounds {
		c := buckets[ub]
		if float64(c) >= rank {
			if c == below {
				return ub
			}
			return lower + (ub-lower)*(rank-float64(below))/float64(c-below)
		}
		lower, below = ub, c
	}
	return lower // beyond the last finite bucket
}

// Mean is the mean of a histogram's observations (merged across members
// and series matching labels), 0 if none.
func (ms Registries) Mean(name string, labels ...string) float64 {
	var sum float64
	var n uint64
	for _, mf := range ms.families(name) {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil && hasLabels(m, labels) {
				sum += h.GetSampleSum()
				n += h.GetSampleCount()
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// Count is the number of observations of a histogram (merged across
// members and series matching labels).
func (ms Registries) Count(name string, labels ...string) uint64 {
	var n uint64
	for _, mf := range ms.families(name) {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil && hasLabels(m, labels) {
				n += h.GetSampleCount()
			}
		}
	}
	return n
}
