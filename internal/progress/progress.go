// Package progress reports the progress of a long-running count (records
// produced, events processed) to a person: one updating line on a terminal,
// plain periodic lines otherwise (logs, CI, pipes).
//
// It owns only the rendering and its ticker; counting is the caller's, via
// Add and Set, which are safe from any goroutine.
package progress

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default reporting intervals.
const (
	// DefaultInterval is how often a plain (non-terminal) line is printed.
	DefaultInterval = 5 * time.Second
	// TerminalInterval is how often the terminal line is redrawn: fast
	// enough to feel live, slow enough not to flicker.
	TerminalInterval = 250 * time.Millisecond
)

// Reporter renders a count against an optional total.
type Reporter struct {
	w        io.Writer
	label    string
	total    int64
	clock    func() time.Time
	interval time.Duration
	terminal bool
	extra    func() string

	count atomic.Int64

	mu        sync.Mutex // guards everything below and writes to w
	start     time.Time
	lastAt    time.Time
	lastCount int64
	lastLen   int // length of the last terminal line, to blank leftovers
	done      bool
}

// Option configures a Reporter.
type Option func(*Reporter)

// WithClock sets the clock used for rates and ETA (default time.Now).
func WithClock(clock func() time.Time) Option { return func(r *Reporter) { r.clock = clock } }

// WithInterval sets how often plain lines are printed (default
// DefaultInterval). The terminal line is redrawn every TerminalInterval.
func WithInterval(d time.Duration) Option { return func(r *Reporter) { r.interval = d } }

// WithTerminal overrides terminal detection: true draws one updating line
// with carriage returns, false prints plain lines.
func WithTerminal(on bool) Option { return func(r *Reporter) { r.terminal = on } }

// WithExtra appends fn's result to every line, e.g. "malformed 12".
func WithExtra(fn func() string) Option { return func(r *Reporter) { r.extra = fn } }

// New returns a reporter writing to w. total is the expected final count, or
// 0 when unknown (no percentage, no ETA). Whether w is a terminal is detected
// from w being a character-device *os.File, unless WithTerminal says.
func New(w io.Writer, label string, total int64, opts ...Option) *Reporter {
	r := &Reporter{
		w:        w,
		label:    label,
		total:    total,
		clock:    time.Now,
		interval: DefaultInterval,
		terminal: IsTerminal(w),
	}
	for _, o := range opts {
		o(r)
	}
	if r.interval <= 0 {
		r.interval = DefaultInterval
	}
	r.start = r.clock()
	r.lastAt = r.start
	return r
}

// IsTerminal reports whether w is a character device such as a terminal.
// It looks at the file mode rather than issuing a terminal ioctl, which is
// enough to choose between "\r" redraws and plain lines.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Add adds n to the count.
func (r *Reporter) Add(n int64) { r.count.Add(n) }

// Set sets the count to n.
func (r *Reporter) Set(n int64) { r.count.Store(n) }

// Count returns the current count.
func (r *Reporter) Count() int64 { return r.count.Load() }

// Run prints progress periodically until ctx is done. It is the reporter's
// only background loop; call Done after it returns for the final line.
func (r *Reporter) Run(ctx context.Context) {
	every := r.interval
	if r.terminal {
		every = TerminalInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Report()
		}
	}
}

// Report prints one progress line now: a redraw of the line on a terminal,
// a new line otherwise. Run calls it on every tick.
func (r *Reporter) Report() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	now := r.clock()
	count := r.count.Load()
	rate := perSecond(count-r.lastCount, now.Sub(r.lastAt))
	r.lastAt, r.lastCount = now, count
	r.writeLine(r.line(now, count, rate, false))
}

// Done prints the final line: the count, the average rate and the elapsed
// time. Later calls to Report and Done print nothing.
func (r *Reporter) Done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	now := r.clock()
	count := r.count.Load()
	r.writeLine(r.line(now, count, perSecond(count, now.Sub(r.start)), true))
	if r.terminal {
		_, _ = io.WriteString(r.w, "\n")
	}
}

func (r *Reporter) writeLine(line string) {
	if !r.terminal {
		_, _ = io.WriteString(r.w, line+"\n")
		return
	}
	pad := ""
	if n := r.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	r.lastLen = len(line)
	_, _ = io.WriteString(r.w, "\r"+line+pad)
}

// line renders "label: 1,234/10,000 (12.3%)  456/s  ETA 20s" or, without a
// total, "label: 1,234  456/s  elapsed 3s".
func (r *Reporter) line(now time.Time, count int64, rate float64, final bool) string {
	var b strings.Builder
	b.WriteString(r.label)
	b.WriteString(": ")
	b.WriteString(Group(count))
	if r.total > 0 {
		fmt.Fprintf(&b, "/%s (%.1f%%)", Group(r.total), 100*float64(count)/float64(r.total))
	}
	fmt.Fprintf(&b, "  %s/s", Group(int64(rate+0.5)))
	elapsed := now.Sub(r.start)
	switch {
	case final:
		fmt.Fprintf(&b, " avg  done in %s", roundDuration(elapsed))
	case r.total > 0 && count > 0 && count < r.total:
		// ETA from the average rate: steadier than the last interval's.
		avg := perSecond(count, elapsed)
		if avg > 0 {
			eta := time.Duration(float64(r.total-count) / avg * float64(time.Second))
			fmt.Fprintf(&b, "  ETA %s", roundDuration(eta))
		}
	default:
		fmt.Fprintf(&b, "  elapsed %s", roundDuration(elapsed))
	}
	if r.extra != nil {
		if s := r.extra(); s != "" {
			b.WriteString("  ")
			b.WriteString(s)
		}
	}
	return b.String()
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func roundDuration(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// Group formats n with thousands separators: 1234567 → "1,234,567".
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
