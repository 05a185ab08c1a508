package event

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// milliMax and microMax are the limits of the fixed-point paths.
const milliMax, microMax = milliLimit, microLimit

// referenceFloat is appendFloat without its fast path: strconv's shortest
// form, with ".0" added to integers.
func referenceFloat(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return "null"
	case f == 0:
		return "0.0"
	}
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !bytes.Contains([]byte(s), []byte{'.'}) {
		s += ".0"
	}
	return s
}

// TestAppendFloatMatchesReference checks the fixed-point fast paths
// against strconv on the values they are for (multiples of 0.001 and of
// 0.000001 read from decimal, around every power of ten and near each
// path's limit) and on values they must leave alone.
func TestAppendFloatMatchesReference(t *testing.T) {
	vals := []float64{0.001, 0.01, 0.1, 0.5, 0.725, 0.85, 1, 3.1, 12, 999.999, 1000, 1670000000.012, 1796232747.459,
		0.0005, 0.0015, 1e-6, 1e-7, 0.1 + 0.2, 1.0 / 3, milliMax - 0.001, milliMax, milliMax + 0.5,
		microMax - 0.000001, microMax, microMax + 0.5, 1796232747.459123, 0.000001, 0.000123, 1.000001, 1e15, 1e20, 5e-324, math.MaxFloat64}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		ms := r.Int64N(4_000_000_000_000)
		f, err := strconv.ParseFloat(strconv.FormatInt(ms/1000, 10)+"."+strconv.FormatInt(1000+ms%1000, 10)[1:], 64)
		if err != nil {
			t.Fatal(err)
		}
		us := r.Int64N(1 << 33 * 1_000_000)
		g, err := strconv.ParseFloat(strconv.FormatInt(us/1_000_000, 10)+"."+strconv.FormatInt(1_000_000+us%1_000_000, 10)[1:], 64)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, f, g, r.Float64(), r.Float64()*1e9, math.Nextafter(f, math.Inf(1)), math.Nextafter(g, 0))
	}
	for _, v := range vals {
		for _, f := range []float64{v, -v} {
			if got, want := string(appendFloat(nil, f)), referenceFloat(f); got != want {
				t.Fatalf("appendFloat(%v) = %s, want %s", f, got, want)
			}
		}
	}
}

// FuzzAppendFloat checks that appendFloat writes what strconv's shortest
// form (with ".0" on integers) writes, for every float.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0.725, 1670000000.012, 1670000000.000123, 0.1 + 0.2, milliMax, microMax, 1e-7} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if got, want := string(appendFloat(nil, v)), referenceFloat(v); got != want {
			t.Fatalf("appendFloat(%v) = %s, want %s", v, got, want)
		}
	})
}
