package bench

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegistries(t *testing.T) {
	var rs Registries
	for m := range 2 { // two members, merged
		reg := prometheus.NewRegistry()
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total", Help: "c"}, []string{"k"})
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds", Help: "h", Buckets: []float64{1, 2, 4}})
		reg.MustRegister(c, h)
		c.WithLabelValues("a").Add(1)
		c.WithLabelValues("b").Add(float64(10 * (m + 1)))
		for _, v := range []float64{0.5, 1.5, 3, 3} {
			h.Observe(v)
		}
		rs = append(rs, reg)
	}
	if got := rs.Sum("c_total"); got != 32 {
		t.Errorf("Sum = %v, want 32", got)
	}
	if got := rs.Sum("c_total", "k", "b"); got != 30 {
		t.Errorf("Sum(k=b) = %v, want 30", got)
	}
	if got := rs.Mean("h_seconds"); got != 2 {
		t.Errorf("Mean = %v, want 2", got)
	}
	// 8 observations: 2 in (0,1], 2 in (1,2], 4 in (2,4].
	for _, tt := range []struct{ q, want float64 }{{0.25, 1}, {0.5, 2}, {0.75, 3}, {1, 4}} {
		if got := rs.Quantile("h_seconds", tt.q); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := rs.Quantile("missing", 0.5); !math.IsNaN(got) {
		t.Errorf("Quantile of a missing histogram = %v, want NaN", got)
	}
}

func TestCountAddsHistogramObservations(t *testing.T) {
	regs := Registries{prometheus.NewRegistry(), prometheus.NewRegistry()}
	for i, r := range regs {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "commit_seconds", Buckets: []float64{.01, .1}})
		r.MustRegister(h)
		for range i + 2 {
			h.Observe(.05)
		}
	}
	if got := regs.Count("commit_seconds"); got != 5 {
		t.Fatalf("Count = %d, want 5 (2 + 3 observations)", got)
	}
	if got := regs.Count("absent"); got != 0 {
		t.Fatalf("Count(absent) = %d", got)
	}
}
