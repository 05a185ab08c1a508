package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// Memory is the process's resident memory, in bytes. It covers everything
// in the process: with the embedded broker, the broker's in-memory log too.
type Memory struct {
	// RSS is the resident set size now (VmRSS).
	RSS int64
	// PeakRSS is the largest RSS since the process started (VmHWM, the
	// "high water mark").
	PeakRSS int64
}

// ErrNoProcStatus reports a system without /proc/self/status (not Linux).
var ErrNoProcStatus = errors.New("memory figures need /proc/self/status (Linux)")

// ReadMemory reads the process's memory from /proc/self/status.
func ReadMemory() (Memory, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return Memory{}, fmt.Errorf("%w: %w", ErrNoProcStatus, err)
	}
	defer f.Close()
	return parseStatus(f)
}

// parseStatus reads the VmRSS and VmHWM lines ("VmRSS:	  123456 kB").
func parseStatus(r io.Reader) (Memory, error) {
	var m Memory
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(name) {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.PeakRSS
		default:
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return Memory{}, fmt.Errorf("/proc/self/status: unexpected %s line %q", name, sc.Text())
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("/proc/self/status: %s: %w", name, err)
		}
		*dst = kb << 10
		found++
	}
	if err := sc.Err(); err != nil {
		return Memory{}, fmt.Errorf("/proc/self/status: %w", err)
	}
	if found != 2 {
		return Memory{}, fmt.Errorf("%w: no VmRSS/VmHWM lines", ErrNoProcStatus)
	}
	return m, nil
}

// RSSSampler records the largest RSS seen while it runs: VmHWM only ever
// grows over the whole process, the sampler isolates one phase of a run.
type RSSSampler struct {
	read func() (Memory, error)
	max  atomic.Int64
	last atomic.Int64
}

// NewRSSSampler samples with read (ReadMemory when nil).
func NewRSSSampler(read func() (Memory, error)) *RSSSampler {
	if read == nil {
		read = ReadMemory
	}
	return &RSSSampler{read: read}
}

// Run samples every interval until ctx ends. It samples once at once, so a
// phase shorter than interval still has a figure. It returns the first read
// error (then no further samples are taken).
func (s *RSSSampler) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sample(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sample takes one sample now.
func (s *RSSSampler) Sample() error {
	m, err := s.read()
	if err != nil {
		return err
	}
	s.last.Store(m.RSS)
	for {
		old := s.max.Load()
		if m.RSS <= old || s.max.CompareAndSwap(old, m.RSS) {
			return nil
		}
	}
}

// Max is the largest RSS sampled, in bytes.
func (s *RSSSampler) Max() int64 { return s.max.Load() }

// Last is the latest RSS sampled, in bytes.
func (s *RSSSampler) Last() int64 { return s.last.Load() }

// MB converts bytes to mebibytes, for reports.
func MB(bytes int64) float64 { return float64(bytes) / (1 << 20) }
