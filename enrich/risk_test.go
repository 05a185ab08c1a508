package enrich

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eventproc/eventproc/event"
)

func TestRiskScore(t *testing.T) {
	tests := []struct {
		name     string
		p        event.Priority
		load, cx float64
		c        event.Category
		want     float64
	}{
		{"maximal", event.PriorityCritical, 1, 1, event.CategoryAlert, 1},
		{"minimal defined", event.PriorityLow, 0, 0, event.CategoryMonitoring, 0.25 * (0.1 + 0.2)},
		{"seed-like HIGH SYSTEM", event.PriorityHigh, 0.75, 0.2, event.CategorySystem, 0.25 * (0.7 + 0.75 + 0.2 + 0.5)},
		{"MEDIUM TRANSACTION", event.PriorityMedium, 0.5, 0.6, event.CategoryTransaction, 0.25 * (0.4 + 0.5 + 0.6 + 0.8)},
		{"USER", event.PriorityMedium, 0, 0, event.CategoryUser, 0.25 * (0.4 + 0.3)},
		{"load and complexity clamped", event.PriorityLow, 7, -3, event.CategoryMonitoring, 0.25 * (0.1 + 1 + 0 + 0.2)},
		{"NaN counts as 0", event.PriorityLow, math.NaN(), math.NaN(), event.CategoryMonitoring, 0.25 * (0.1 + 0.2)},
		{"undefined enums contribute 0", event.Priority(9), 0, 0, event.Category(9), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RiskScore(tt.p, tt.load, tt.cx, tt.c)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("RiskScore = %v, want %v", got, tt.want)
			}
		})
	}
	// Ordering properties the constants must keep.
	for c := event.Category(0); c < event.NumCategories; c++ {
		if c != event.CategoryAlert && !(categoryBonus(event.CategoryAlert) > categoryBonus(c)) {
			t.Errorf("ALERT bonus must be the highest, %v has %v", c, categoryBonus(c))
		}
	}
	for p := event.PriorityLow; p < event.PriorityCritical; p++ {
		if !(priorityRisk(p+1) > priorityRisk(p)) {
			t.Errorf("priority risk must rise: %v %v, %v %v", p, priorityRisk(p), p+1, priorityRisk(p+1))
		}
	}
}

// TestRiskScoreRange checks RiskScore stays in [0, 1] over random and
// non-finite inputs.
func TestRiskScoreRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	odd := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1e300, 1e300, 0, 1}
	pick := func() float64 {
		if rng.IntN(5) == 0 {
			return odd[rng.IntN(len(odd))]
		}
		return rng.Float64()*3 - 1
	}
	for i := 0; i < 20000; i++ {
		r := RiskScore(event.Priority(rng.IntN(6)), pick(), pick(), event.Category(rng.IntN(7)))
		if !(r >= 0 && r <= 1) {
			t.Fatalf("RiskScore = %v outside [0, 1]", r)
		}
	}
}
