package bench

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1) // 1ms … 100ms
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one sample is every percentile", []time.Duration{ms(7)}, 0.99, ms(7)},
		{"median of 1..100 is the 50th", hundred, 0.50, ms(50)},
		{"p90 of 1..100", hundred, 0.90, ms(90)},
		{"p99 of 1..100 is the 99th, not the max", hundred, 0.99, ms(99)},
		{"p100 is the max", hundred, 1, ms(100)},
		{"tiny q is the min", hundred, 0.001, ms(1)},
		{"nearest rank rounds up", []time.Duration{ms(1), ms(2), ms(3)}, 0.5, ms(2)},
		{"p99 of 3 samples is the max", []time.Duration{ms(1), ms(2), ms(3)}, 0.99, ms(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("Percentile(q=%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestLatenciesSummary(t *testing.T) {
	var l Latencies
	if got := l.Summary(); got != (Summary{}) {
		t.Fatalf("empty summary = %+v, want zero", got)
	}
	// Added out of order and concurrently: the summary sorts.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 250; i > 0; i-- {
				l.Add(time.Unix(0, 0), ms(g*250+i)) // 1..1000 across goroutines
			}
		}()
	}
	wg.Wait()
	want := Summary{Count: 1000, P50: ms(500), P90: ms(900), P99: ms(990), Max: ms(1000)}
	if got := l.Summary(); got != want {
		t.Errorf("Summary() = %+v, want %+v", got, want)
	}
	if l.Len() != 1000 {
		t.Errorf("Len() = %d, want 1000", l.Len())
	}
}

func TestLatenciesSecondHalf(t *testing.T) {
	var l Latencies
	if got := l.SecondHalf(); got != (Summary{}) {
		t.Fatalf("empty second half = %+v, want zero", got)
	}
	start := time.Unix(1_800_000_000, 0)
	// Inputs produced over 10 s, one per 10 ms: those of the first 5 s
	// waited 1 s (a start-up backlog), the later ones 1..500 ms.
	for i := range 1000 {
		d := time.Second
		if i >= 500 {
			d = ms(i - 499)
		}
		l.Add(start.Add(time.Duration(i)*10*time.Millisecond), d)
	}
	// The span is 0..9.99 s; its midpoint, 4.995 s, is at sample 499.5,
	// so samples 500..999 are the second half.
	want := Summary{Count: 500, P50: ms(250), P90: ms(450), P99: ms(495), Max: ms(500)}
	if got := l.SecondHalf(); got != want {
		t.Errorf("SecondHalf() = %+v, want %+v", got, want)
	}
	if got := l.Summary(); got.Count != 1000 || got.Max != time.Second {
		t.Errorf("Summary() = %+v, want all 1000 samples up to 1 s", got)
	}
}

// FuzzPercentileOrdered checks the invariants the report relies on: the
// percentiles are samples, and p50 <= p90 <= p99 <= max.
func FuzzPercentileOrdered(f *testing.F) {
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{200, 0, 9, 9, 9})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var l Latencies
		for _, b := range raw {
			l.Add(time.Unix(int64(len(raw)), 0), time.Duration(b)*time.Microsecond)
		}
		s := l.Summary()
		if s.Count != len(raw) {
			t.Fatalf("Count = %d, want %d", s.Count, len(raw))
		}
		if len(raw) == 0 {
			return
		}
		if s.P50 > s.P90 || s.P90 > s.P99 || s.P99 > s.Max {
			t.Fatalf("percentiles out of order: %+v", s)
		}
		for _, p := range []time.Duration{s.P50, s.P90, s.P99, s.Max} {
			if !slices.Contains(raw, byte(p/time.Microsecond)) {
				t.Fatalf("%v is not a sample", p)
			}
		}
	})
}

func TestPerSecond(t *testing.T) {
	tests := []struct {
		n    int64
		d    time.Duration
		want float64
	}{
		{1000, time.Second, 1000},
		{500, 250 * time.Millisecond, 2000},
		{10, 0, 0},
		{10, -time.Second, 0},
	}
	for _, tt := range tests {
		if got := PerSecond(tt.n, tt.d); got != tt.want {
			t.Errorf("PerSecond(%d, %v) = %v, want %v", tt.n, tt.d, got, tt.want)
		}
	}
}

func BenchmarkLatenciesAdd(b *testing.B) {
	var l Latencies
	at := time.Now()
	for i := 0; b.Loop(); i++ {
		l.Add(at, time.Duration(i))
	}
}
