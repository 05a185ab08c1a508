package bench

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	f, err := os.Open("testdata/status.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parseStatus(f)
	if err != nil {
		t.Fatal(err)
	}
	want := Memory{RSS: 98304 << 10, PeakRSS: 143360 << 10}
	if got != want {
		t.Errorf("parseStatus = %+v, want %+v", got, want)
	}
	if mb := MB(got.PeakRSS); mb != 140 {
		t.Errorf("MB(PeakRSS) = %v, want 140", mb)
	}
}

func TestParseStatusRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"missing lines", "Name:\tx\nThreads:\t3\n"},
		{"only RSS", "VmRSS:\t 10 kB\n"},
		{"unknown unit", "VmHWM:\t 10 MB\nVmRSS:\t 10 kB\n"},
		{"not a number", "VmHWM:\t ten kB\nVmRSS:\t 10 kB\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := parseStatus(strings.NewReader(tt.in)); err == nil {
				t.Errorf("parseStatus accepted %q as %+v", tt.in, m)
			}
		})
	}
}

func TestReadMemoryOfThisProcess(t *testing.T) {
	m, err := ReadMemory()
	if errors.Is(err, ErrNoProcStatus) {
		t.Skip("no /proc/self/status here")
	}
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.PeakRSS < m.RSS {
		t.Errorf("ReadMemory = %+v: want 0 < RSS <= PeakRSS", m)
	}
}

func TestRSSSamplerKeepsTheMax(t *testing.T) {
	readings := []int64{10, 30, 20}
	i := 0
	s := NewRSSSampler(func() (Memory, error) {
		m := Memory{RSS: readings[i]}
		i++
		return m, nil
	})
	for range readings {
		if err := s.Sample(); err != nil {
			t.Fatal(err)
		}
	}
	if s.Max() != 30 || s.Last() != 20 {
		t.Errorf("Max, Last = %d, %d; want 30, 20", s.Max(), s.Last())
	}
}

func TestRSSSamplerRunStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	s := NewRSSSampler(func() (Memory, error) { return Memory{}, boom })
	if err := s.Run(context.Background(), time.Hour); !errors.Is(err, boom) {
		t.Errorf("Run = %v, want %v", err, boom)
	}
}

func TestRSSSamplerRunSamplesBeforeCtxEnds(t *testing.T) {
	s := NewRSSSampler(func() (Memory, error) { return Memory{RSS: 42}, nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if s.Max() != 42 {
		t.Errorf("Max = %d after an already-ended run, want the one sample 42", s.Max())
	}
}
