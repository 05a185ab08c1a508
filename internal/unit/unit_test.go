package unit

import (
	"math"
	"testing"
)

func TestClamp(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{0, 0}, {0.25, 0.25}, {1, 1}, {1.5, 1}, {-0.1, 0}, {math.Inf(1), 1}, {math.Inf(-1), 0}, {math.NaN(), 0},
	} {
		if got := Clamp(tt.in); got != tt.want {
			t.Errorf("Clamp(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
