package progress

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to write from Run's goroutine while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestPlainLinesEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out lockedBuffer
		r := New(&out, "produce", 1000, WithTerminal(false), WithInterval(2*time.Second))
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() { r.Run(ctx); close(stopped) }()

		r.Add(100)
		time.Sleep(2*time.Second + time.Millisecond)
		synctest.Wait()
		r.Add(300)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		cancel()
		<-stopped
		r.Done()

		want := "produce: 100/1,000 (10.0%)  50/s  ETA 18s\n" +
			"produce: 400/1,000 (40.0%)  150/s  ETA 6s\n" +
			"produce: 400/1,000 (40.0%)  100/s avg  done in 4s\n"
		if got := out.String(); got != want {
			t.Fatalf("output:\n%s\nwant:\n%s", got, want)
		}
	})
}

func TestTerminalRedrawsOneLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out lockedBuffer
		r := New(&out, "tail", 0, WithTerminal(true), WithExtra(func() string { return "dlq 2" }))
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() { r.Run(ctx); close(stopped) }()

		r.Set(12345)
		time.Sleep(TerminalInterval)
		synctest.Wait()
		r.Set(12346)
		time.Sleep(TerminalInterval)
		synctest.Wait()
		cancel()
		<-stopped
		r.Done()

		got := out.String()
		if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
			t.Fatalf("terminal output should be one redrawn line ending in a newline: %q", got)
		}
		frames := strings.Split(strings.TrimSuffix(got, "\n"), "\r")[1:]
		want := []string{
			"tail: 12,345  49,380/s  elapsed 300ms  dlq 2", // 250ms rounds to 300ms
			"tail: 12,346  4/s  elapsed 500ms  dlq 2     ", // padded over the longer previous frame
			"tail: 12,346  24,692/s avg  done in 500ms  dlq 2",
		}
		if strings.Join(frames, "|") != strings.Join(want, "|") {
			t.Fatalf("frames:\n%q\nwant:\n%q", frames, want)
		}
	})
}

func TestDoneOnceAndReportAfterDoneIsSilent(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	var out bytes.Buffer
	r := New(&out, "x", 0, WithTerminal(false), WithClock(clock))
	r.Add(10)
	now = now.Add(2 * time.Second)
	r.Done()
	r.Done()
	r.Report()
	if got, want := out.String(), "x: 10  5/s avg  done in 2s\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestETAUsesAverageRate(t *testing.T) {
	now := time.Unix(1000, 0)
	var out bytes.Buffer
	r := New(&out, "p", 100, WithTerminal(false), WithClock(func() time.Time { return now }))
	now = now.Add(10 * time.Second)
	r.Set(25)
	r.Report()
	if got, want := out.String(), "p: 25/100 (25.0%)  3/s  ETA 30s\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("regular file detected as terminal")
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("buffer detected as terminal")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	if !IsTerminal(null) {
		t.Error("character device /dev/null not detected as one")
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := Group(n); got != want {
			t.Errorf("Group(%d) = %q, want %q", n, got, want)
		}
	}
}
