// Package demo runs the whole job on an embedded broker: a generator,
// processor members in one group, live progress, the exactly-once audit
// over the three topics and a summary of the members' metrics.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"golang.org/x/sync/errgroup"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/bench"
	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/progress"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/processor"
)

// Config is one demo run.
type Config struct {
	// Events to generate, over Partitions input partitions, processed by
	// Members members of one group.
	Events, Partitions, Members int
	Gen                         gen.Config
	// Rate is the offered load in events/s (0: as fast as possible).
	Rate float64
	// WindowMaxEvents and WindowMaxWait are the members' window settings,
	// as given (processor.Run rejects a zero).
	WindowMaxEvents int
	WindowMaxWait   time.Duration
	Logger          *slog.Logger
	// Out receives the banner and the summary; Progress the progress bar.
	Out, Progress io.Writer
}

// Validate checks the counts and the generator settings, naming the
// eventproc demo flags at fault.
func (cfg Config) Validate() error {
	if cfg.Events < 1 || cfg.Partitions < 1 || cfg.Members < 1 {
		return errors.New("--events, --partitions and --members must be at least 1")
	}
	return cfg.Gen.Validate()
}

// Run runs the demo until every event is processed, then audits
// exactly-once and writes the summary; it returns an error when the audit
// fails. parent bounds the run: its end stops the demo early (nil error).
func Run(parent context.Context, cfg Config) error {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(cfg.Partitions), "events.in"))
	if err != nil {
		return fmt.Errorf("start embedded broker: %w", err)
	}
	defer cluster.Close()
	client := kafkaio.ClientConfig{Brokers: cluster.ListenAddrs(), ClientID: "eventproc-demo"}
	fmt.Fprintf(cfg.Out, "embedded broker on %v: input events.in (%d partitions), output events.out, DLQ events.dlq\n", client.Brokers, cfg.Partitions)
	fmt.Fprintf(cfg.Out, "%d processor members in group eventproc-demo; generating %d events (%.1f%% malformed)\n\n", cfg.Members, cfg.Events, 100*cfg.Gen.MalformedRatio)

	ctx, stop := context.WithCancel(parent)
	defer stop()
	var regs bench.Registries
	var consumed, published, deadLettered atomic.Int64 // committed windows of every member
	onCommit := func(w processor.WindowStats) {
		consumed.Add(int64(w.Records))
		published.Add(int64(w.Published))
		deadLettered.Add(int64(w.DeadLettered))
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := 1; i <= cfg.Members; i++ {
		reg := prometheus.NewRegistry()
		regs = append(regs, reg)
		pc := processor.Config{
			Client: client, InputTopic: "events.in", OutputTopic: "events.out", DLQTopic: "events.dlq",
			Group: "eventproc-demo", InstanceID: fmt.Sprintf("demo-%d", i), CreateTopics: true,
		}.WithDefaults()
		pc.WindowMaxEvents, pc.WindowMaxWait = cfg.WindowMaxEvents, cfg.WindowMaxWait // as given: Run rejects a zero
		pc.Logger, pc.Registerer, pc.OnCommit = cfg.Logger.With("member", i), reg, onCommit
		g.Go(func() error { return processor.Run(gctx, pc) }) // returns when ctx is cancelled
	}

	started := time.Now()
	var malformed int64
	g.Go(func() error { // the generator; returns once every event is acknowledged
		cl, err := kafkaio.NewClient(client)
		if err != nil {
			return err
		}
		defer cl.Close()
		gn := gen.New(cfg.Gen)
		next := func() ([]byte, []byte) {
			r := gn.Next()
			if r.Malformed {
				malformed++
			}
			return r.Key, r.Value
		}
		_, err = kafkatool.ProduceGenerated(gctx, cl, "events.in", next, int64(cfg.Events), cfg.Rate, nil)
		return err
	})

	rep := progress.New(cfg.Progress, "processed", int64(cfg.Events), progress.WithExtra(func() string {
		return fmt.Sprintf("published %d, dead-lettered %d", published.Load(), deadLettered.Load())
	}))
	pctx, stopProgress := context.WithCancel(gctx)
	progressDone := make(chan struct{})
	go func() { defer close(progressDone); rep.Run(pctx) }() // exits when pctx ends
	done := false
	for !done {
		select {
		case <-gctx.Done():
			done = true
		case <-time.After(100 * time.Millisecond):
			n := consumed.Load()
			rep.Set(n)
			done = n >= int64(cfg.Events)
		}
	}
	elapsed := time.Since(started)
	stopProgress()
	<-progressDone
	rep.Done()
	stop()
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("demo: %w", err)
	}
	if parent.Err() != nil {
		return nil // interrupted by the user
	}

	actx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topics, err := kafkatool.Snapshot(actx, client, "events.in", "events.out", "events.dlq")
	if err != nil {
		return fmt.Errorf("read topics for the audit: %w", err)
	}
	report := audit.Check(kafkatool.AuditRecords(topics["events.in"]), kafkatool.AuditRecords(topics["events.out"]), kafkatool.AuditRecords(topics["events.dlq"]), audit.Options{InputTopic: "events.in"})
	writeSummary(cfg.Out, regs, report, cfg.Events, malformed, elapsed)
	if !report.OK() {
		_ = report.WriteText(cfg.Out)
		return errors.New("exactly-once audit failed")
	}
	return nil
}

func writeSummary(w io.Writer, regs bench.Registries, report audit.Report, total int, malformed int64, elapsed time.Duration) {
	fmt.Fprintln(w)
	rule(w)
	fmt.Fprintln(w, "FINAL SYSTEM METRICS")
	rule(w)
	fmt.Fprintf(w, "Total Received:      %d\n", int(regs.Sum("eventproc_events_consumed_total")))
	fmt.Fprintf(w, "Total Published:     %d\n", int(regs.Sum("eventproc_events_published_total")))
	fmt.Fprintf(w, "Total Dead-lettered: %d (generator made %d malformed)\n", int(regs.Sum("eventproc_events_dead_lettered_total")), malformed)
	for _, r := range event.Reasons() {
		if n := regs.Sum("eventproc_events_dead_lettered_total", "reason", r.String()); n > 0 {
			fmt.Fprintf(w, "  %-16s %d\n", r.String()+":", int(n))
		}
	}
	fmt.Fprintf(w, "Transactions:        %d committed, %d aborted (rebalance), %d failed\n",
		int(regs.Sum("eventproc_transactions_total", "outcome", "committed")),
		int(regs.Sum("eventproc_transactions_total", "outcome", "aborted")),
		int(regs.Sum("eventproc_transactions_total", "outcome", "failed")))
	fmt.Fprintf(w, "Total Retried:       %d\n", int(regs.Sum("eventproc_retries_total")))
	fmt.Fprintf(w, "Throughput:          %.0f events/s over %s (offered load is --rate)\n", float64(total)/elapsed.Seconds(), elapsed.Round(time.Millisecond))
	fmt.Fprintln(w, "\nStage time per window (p50 / p99):")
	for _, s := range []string{"intake", "classify", "enrich", "order", "encode", "publish"} {
		fmt.Fprintf(w, "  %-10s %s / %s\n", s+":", fmtSeconds(regs.Quantile("eventproc_stage_duration_seconds", 0.5, "stage", s)), fmtSeconds(regs.Quantile("eventproc_stage_duration_seconds", 0.99, "stage", s)))
	}
	fmt.Fprintf(w, "End-to-end latency (record timestamp → commit), p50 / p99: %s / %s\n",
		fmtSeconds(regs.Quantile("eventproc_end_to_end_latency_seconds", 0.5)), fmtSeconds(regs.Quantile("eventproc_end_to_end_latency_seconds", 0.99)))
	verdict := "PASS"
	if !report.OK() {
		verdict = fmt.Sprintf("FAIL (%d violations)", len(report.Violations))
	}
	fmt.Fprintf(w, "\nExactly-once audit:  %s — %d inputs → %d outputs + %d dead letters\n", verdict, report.Inputs, report.Outputs, report.DeadLetters)
	rule(w)
}

func fmtSeconds(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

func rule(w io.Writer) { fmt.Fprintln(w, strings.Repeat("=", 70)) }
