package kafkatool

import (
	"testing"
	"time"
)

func TestPacerSchedule(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	p := newPacer(100, t0)
	steps := []struct {
		now  time.Duration
		sent int64
		want int64
	}{
		{0, 0, 1},                            // the first record goes at once
		{9 * time.Millisecond, 1, 1},         // the second is due at 10ms
		{10 * time.Millisecond, 1, 2},        //
		{500 * time.Millisecond, 2, 51},      // cumulative: 100/s * 0.5s + 1
		{time.Second, 51, 101},               //
		{10 * time.Second, 101, 201},         // 9s behind: catch up one second's worth only
		{10500 * time.Millisecond, 201, 251}, // then the schedule continues from there
	}
	for _, s := range steps {
		if got := p.allowed(at(s.now), s.sent); got != s.want {
			t.Fatalf("at %v with %d sent: allowed %d, want %d", s.now, s.sent, got, s.want)
		}
	}
}

func TestPacerTick(t *testing.T) {
	for rate, want := range map[float64]time.Duration{
		0.5:       2 * time.Second,
		10:        100 * time.Millisecond,
		1000:      5 * time.Millisecond,
		1_000_000: 5 * time.Millisecond,
	} {
		if got := newPacer(rate, time.Time{}).tick(); got != want {
			t.Errorf("rate %v: tick %v, want %v", rate, got, want)
		}
	}
}
