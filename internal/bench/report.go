package bench

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Mode is how load is offered during a benchmark run.
type Mode string

const (
	// ModePeak produces every event before the systems start: they drain
	// a backlog as fast as they can.
	ModePeak Mode = "peak"
	// ModeRate produces at a fixed rate while the systems run.
	ModeRate Mode = "rate"
)

// Report is the outcome of one `eventproc bench` run. Its JSON form is the
// command's --json output; field names are stable.
type Report struct {
	Mode   Mode   `json:"mode"`
	Broker string `json:"broker"` // "embedded" or the seed brokers
	// Events is the number of input events each system processed in the
	// throughput phase.
	Events          int64   `json:"events"`
	Partitions      int     `json:"partitions"`
	WindowMaxEvents int     `json:"window_max_events"`
	WindowMaxWaitMS float64 `json:"window_max_wait_ms"`
	// SequentialWindows: each window was collected only once the
	// previous one committed (otherwise windows overlap).
	SequentialWindows bool    `json:"sequential_windows"`
	MalformedRatio    float64 `json:"malformed_ratio"`

	// EventsPerSec is eventproc's throughput: events over the time from
	// its first fetched batch to the commit of the last event.
	EventsPerSec float64 `json:"events_per_sec"`
	// PassthroughEventsPerSec is the passthrough baseline's, measured the
	// same way over the same input; 0 when skipped.
	PassthroughEventsPerSec float64 `json:"passthrough_events_per_sec"`
	// Ratio is EventsPerSec / PassthroughEventsPerSec; 0 when skipped.
	Ratio float64 `json:"ratio"`

	// LatencyOfferedRate is the events per second offered while latency
	// was measured; 0 means every event was produced before the run (the
	// latency then includes waiting in the backlog).
	LatencyOfferedRate float64 `json:"latency_offered_rate"`
	// LatencyEvents is how many output records the latency figures cover.
	LatencyEvents int     `json:"latency_events"`
	P50MS         float64 `json:"p50_ms"`
	P90MS         float64 `json:"p90_ms"`
	P99MS         float64 `json:"p99_ms"`
	MaxMS         float64 `json:"max_ms"`
	// The passthrough's latency under the same offered load; 0 when
	// skipped.
	PassthroughP50MS float64 `json:"passthrough_p50_ms"`
	PassthroughP99MS float64 `json:"passthrough_p99_ms"`
	PassthroughMaxMS float64 `json:"passthrough_max_ms"`
	// The same percentiles over the outputs whose input was produced in
	// the second half of the latency phase (see Latencies.SecondHalf):
	// the steady state, past each system's start-up.
	SecondHalfP50MS            float64 `json:"second_half_p50_ms"`
	SecondHalfP99MS            float64 `json:"second_half_p99_ms"`
	PassthroughSecondHalfP50MS float64 `json:"passthrough_second_half_p50_ms"`
	PassthroughSecondHalfP99MS float64 `json:"passthrough_second_half_p99_ms"`

	// MaxRSSMB is the whole process's peak resident memory (VmHWM): the
	// processor, the passthrough, the load generator, the latency consumer
	// and, on the embedded broker, the broker and every record it holds.
	MaxRSSMB float64 `json:"max_rss_mb"`
	// PipelineCPUMicrosPerEvent is the CPU per event of the processing
	// stages alone (the "pipeline alone" phase: no Kafka) and
	// CPUOverParts eventproc's CPU per event at peak divided by the sum of
	// the passthrough's and the pipeline's: 1 when running the pipeline
	// inside the transactional loop costs nothing beyond its two parts.
	// Both 0 without the passthrough.
	PipelineCPUMicrosPerEvent float64 `json:"pipeline_cpu_us_per_event"`
	CPUOverParts              float64 `json:"cpu_over_parts"`
	// EventprocRSSMB is the largest RSS sampled while eventproc ran.
	EventprocRSSMB float64 `json:"eventproc_rss_mb"`
	// Phases lists every measured phase, for the curious.
	Phases []Phase `json:"phases"`
}

// Phase is one system's measured run.
type Phase struct {
	Name         string  `json:"name"`
	System       string  `json:"system"` // "eventproc" or "passthrough"
	OfferedRate  float64 `json:"offered_rate"`
	Events       int64   `json:"events"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	// LatencyEvents counts the output records whose latency was taken.
	LatencyEvents int     `json:"latency_events"`
	P50MS         float64 `json:"p50_ms"`
	P90MS         float64 `json:"p90_ms"`
	P99MS         float64 `json:"p99_ms"`
	MaxMS         float64 `json:"max_ms"`
	// SecondHalfP50MS and SecondHalfP99MS cover the outputs whose input
	// was produced in the second half of the phase's load.
	SecondHalfP50MS float64 `json:"second_half_p50_ms"`
	SecondHalfP99MS float64 `json:"second_half_p99_ms"`
	MaxRSSMB        float64 `json:"max_rss_mb"`
	// WindowMeanEvents and StageMeanMS (mean milliseconds per window in
	// each stage) come from eventproc's own metrics; empty for the
	// passthrough.
	WindowMeanEvents float64            `json:"window_mean_events,omitempty"`
	StageMeanMS      map[string]float64 `json:"stage_mean_ms,omitempty"`
	// CPUMicrosPerEvent is the process's user+system CPU time while the
	// system ran, per event (on the embedded broker the broker's work is
	// included: it runs in this process).
	CPUMicrosPerEvent float64 `json:"cpu_us_per_event"`
	// CommitP50MS and CommitP99MS estimate the window commit time (flush,
	// offsets, EndTxn) from eventproc_commit_duration_seconds' buckets, as
	// PromQL's histogram_quantile does; ConcurrentTransactions counts the
	// partitions the brokers answered CONCURRENT_TRANSACTIONS.
	CommitP50MS            float64 `json:"commit_p50_ms"`
	CommitP99MS            float64 `json:"commit_p99_ms"`
	Windows                int64   `json:"windows"`
	ConcurrentTransactions int64   `json:"concurrent_transactions"`
}

// setCPUParts sets the CPU comparison of eventproc's peak phase with its
// parts: the passthrough's transport and the pipeline alone.
func (r *Report) setCPUParts(ep, pt, alone Phase) {
	r.PipelineCPUMicrosPerEvent = alone.CPUMicrosPerEvent
	if parts := pt.CPUMicrosPerEvent + alone.CPUMicrosPerEvent; parts > 0 {
		r.CPUOverParts = ep.CPUMicrosPerEvent / parts
	}
}

// SetLatency copies a latency summary into the phase.
func (p *Phase) SetLatency(s Summary) {
	p.LatencyEvents = s.Count
	p.P50MS, p.P90MS, p.P99MS, p.MaxMS = Millis(s.P50), Millis(s.P90), Millis(s.P99), Millis(s.Max)
}

// SetSecondHalf sets the phase's second-half latency figures from s.
func (p *Phase) SetSecondHalf(s Summary) {
	p.SecondHalfP50MS, p.SecondHalfP99MS = Millis(s.P50), Millis(s.P99)
}

// measured formats v with one decimal when it was measured, else "-".
func measured(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// Millis converts a duration to milliseconds, for reports.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	windows := "overlapping"
	if r.SequentialWindows {
		windows = "sequential"
	}
	fmt.Fprintf(&b, "eventproc bench: %s mode, broker %s, %d events, %d partitions, %s windows of %d events / %s, %.1f%% malformed\n\n",
		r.Mode, r.Broker, r.Events, r.Partitions, windows, r.WindowMaxEvents, time.Duration(r.WindowMaxWaitMS*float64(time.Millisecond)), 100*r.MalformedRatio)
	fmt.Fprintf(&b, "%-26s %9s %12s %10s %9s %9s %9s %9s %9s\n", "phase", "offered/s", "events", "seconds", "events/s", "p50 ms", "p99 ms", "max ms", "RSS MB")
	for _, p := range r.Phases {
		offered := "backlog"
		if p.OfferedRate > 0 {
			offered = strconv.FormatFloat(p.OfferedRate, 'f', 0, 64)
		}
		if p.System == "pipeline" {
			offered = "no Kafka"
		}
		// A phase without a latency consumer (or an RSS sample) prints
		// "-" rather than a measured-looking 0.0.
		fmt.Fprintf(&b, "%-26s %9s %12d %10.2f %9.0f %9s %9s %9s %9s\n",
			p.Name, offered, p.Events, p.Seconds, p.EventsPerSec,
			measured(p.P50MS, p.LatencyEvents > 0), measured(p.P99MS, p.LatencyEvents > 0), measured(p.MaxMS, p.LatencyEvents > 0), measured(p.MaxRSSMB, p.MaxRSSMB > 0))
	}
	fmt.Fprintf(&b, "\n%-26s %12s %9s %14s %14s %10s\n", "phase", "CPU µs/event", "windows", "commit p50 ms", "commit p99 ms", "CONCURRENT_TRANSACTIONS")
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "%-26s %12.2f %9d %14.1f %14.1f %10d\n", p.Name, p.CPUMicrosPerEvent, p.Windows, p.CommitP50MS, p.CommitP99MS, p.ConcurrentTransactions)
	}
	for _, p := range r.Phases {
		if len(p.StageMeanMS) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-26s mean window %.0f events; mean ms per window:", p.Name, p.WindowMeanEvents)
		for _, st := range []string{"intake", "classify", "enrich", "order", "encode", "publish"} {
			fmt.Fprintf(&b, " %s %.1f", st, p.StageMeanMS[st])
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "throughput        eventproc %.0f events/s", r.EventsPerSec)
	if r.PassthroughEventsPerSec > 0 {
		fmt.Fprintf(&b, ", passthrough %.0f events/s, ratio %.2f", r.PassthroughEventsPerSec, r.Ratio)
	}
	b.WriteString("\n")
	if r.CPUOverParts > 0 {
		var ep, pt float64
		for _, p := range r.Phases {
			switch p.Name {
			case "peak eventproc":
				ep = p.CPUMicrosPerEvent
			case "peak passthrough":
				pt = p.CPUMicrosPerEvent
			}
		}
		fmt.Fprintf(&b, "CPU per event     eventproc %.2f µs; passthrough %.2f + pipeline alone %.2f = %.2f µs; eventproc / (passthrough + pipeline) %.2f\n",
			ep, pt, r.PipelineCPUMicrosPerEvent, pt+r.PipelineCPUMicrosPerEvent, r.CPUOverParts)
	}
	load := "all events produced before the run (includes backlog wait)"
	if r.LatencyOfferedRate > 0 {
		load = fmt.Sprintf("offered %.0f events/s", r.LatencyOfferedRate)
	}
	fmt.Fprintf(&b, "latency           p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms over %d outputs (%s)\n",
		r.P50MS, r.P90MS, r.P99MS, r.MaxMS, r.LatencyEvents, load)
	if r.PassthroughP99MS > 0 {
		fmt.Fprintf(&b, "                  passthrough at the same load: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.PassthroughP50MS, r.PassthroughP99MS, r.PassthroughMaxMS)
	}
	if r.LatencyEvents > 0 {
		fmt.Fprintf(&b, "                  inputs of the load's second half (past start-up): p50 %.1f ms, p99 %.1f ms", r.SecondHalfP50MS, r.SecondHalfP99MS)
		if r.PassthroughSecondHalfP99MS > 0 {
			fmt.Fprintf(&b, "; passthrough p50 %.1f ms, p99 %.1f ms", r.PassthroughSecondHalfP50MS, r.PassthroughSecondHalfP99MS)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "memory            peak RSS %.1f MB for the whole process (VmHWM; includes the load generator and latency consumer", r.MaxRSSMB)
	if r.Broker == "embedded" {
		b.WriteString(", and the embedded broker with every record it holds")
	}
	fmt.Fprintf(&b, "); %.1f MB sampled while eventproc ran\n", r.EventprocRSSMB)
	_, err := io.WriteString(w, b.String())
	return err
}

// receivedAtField precedes received_at in eventproc's output (contract
// section 4); the leading comma and quotes cannot occur inside a JSON
// string, so the first match is the top-level field.
var receivedAtField = []byte(`,"received_at":`)

// ReceivedAt reads received_at (the input record's broker timestamp, epoch
// seconds) from an eventproc output value without decoding the rest: the
// latency consumer runs beside the processor and must stay cheap.
func ReceivedAt(value []byte) (time.Time, bool) {
	i := bytes.Index(value, receivedAtField)
	if i < 0 {
		return time.Time{}, false
	}
	num := value[i+len(receivedAtField):]
	if end := bytes.IndexAny(num, ",}"); end >= 0 {
		num = num[:end]
	}
	secs, err := strconv.ParseFloat(string(bytes.TrimSpace(num)), 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs <= 0 {
		return time.Time{}, false
	}
	whole, frac := math.Modf(secs)
	// Round to the microsecond: broker timestamps are milliseconds and the
	// float carries noise below that.
	return time.Unix(int64(whole), 0).Add(time.Duration(math.Round(frac*1e6)) * time.Microsecond), true
}
