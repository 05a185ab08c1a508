// Package unit holds arithmetic on the unit interval [0, 1] shared by the
// stages that score events (classify's confidence, enrich's risk).
package unit

// Clamp clamps x to [0, 1], mapping NaN to 0.
func Clamp(x float64) float64 {
	switch {
	case x > 1:
		return 1
	case x >= 0:
		return x
	}
	return 0 // negative or NaN
}
