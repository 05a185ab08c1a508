package gen

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/progress"
)

// Tally counts generated records by rejection reason. It is written
// by the producing goroutine and read by the progress goroutine.
type Tally struct {
	total    atomic.Int64
	byReason [event.NumReasons]atomic.Int64
	bad      atomic.Int64
}

// Add counts r.
func (t *Tally) Add(r Record) {
	t.total.Add(1)
	if r.Malformed {
		t.bad.Add(1)
		t.byReason[r.Reason].Add(1)
	}
}

// Malformed is how many malformed records were counted.
func (t *Tally) Malformed() int64 { return t.bad.Load() }

// WriteSummary writes what a load run produced: acked of the counted
// records reached topic in elapsed, and the malformed ones by reason.
func (t *Tally) WriteSummary(w io.Writer, topic string, seed uint64, acked int64, elapsed time.Duration) {
	rate := 0.0
	if elapsed > 0 {
		rate = float64(acked) / elapsed.Seconds()
	}
	fmt.Fprintf(w, "produced %s records to %s in %s (%s/s), seed %d\n",
		progress.Group(acked), topic, elapsed.Round(time.Millisecond), progress.Group(int64(rate+0.5)), seed)
	generated := t.total.Load()
	if generated != acked {
		fmt.Fprintf(w, "generated %s, of which %s were not acknowledged (interrupted or failed)\n",
			progress.Group(generated), progress.Group(generated-acked))
	}
	if m := t.Malformed(); m > 0 {
		var parts []string
		for _, r := range event.Reasons() {
			if n := t.byReason[r].Load(); n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", r, n))
			}
		}
		fmt.Fprintf(w, "malformed by design: %d (%s)\n", m, strings.Join(parts, ", "))
	}
}
