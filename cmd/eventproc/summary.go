package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metricSet reads eventproc's metrics across the registries of several
// in-process members, for progress lines and summaries.
type metricSet []*prometheus.Registry

func (ms metricSet) families(name string) []*dto.MetricFamily {
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

// sum adds every series of a counter or gauge whose labels include the
// given label=value pairs (none: all series).
func (ms metricSet) sum(name string, labels ...string) float64 {
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

// quantile estimates the q-quantile of a histogram (merged across members
// and series matching labels) by linear interpolation inside the bucket
// holding it, as PromQL's histogram_quantile does. NaN when empty.
func (ms metricSet) quantile(name string, q float64, labels ...string) float64 {
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

func fmtSeconds(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

func rule(w io.Writer) { fmt.Fprintln(w, strings.Repeat("=", 70)) }
