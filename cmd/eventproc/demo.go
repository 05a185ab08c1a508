package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/urfave/cli/v2"
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

const (
	flagEvents  = "events"
	flagMembers = "members"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the whole job on an embedded broker: generator, two processor members, final metrics and audit",
		UsageText: "eventproc demo\n" +
			"eventproc demo --events 100000 --rate 0 --malformed-ratio 0.05",
		Description: "Needs no Kafka: starts an embedded Kafka-protocol broker (franz-go kfake) on 127.0.0.1,\n" +
			"creates the topics, runs processor members in one group, produces realistic events with a\n" +
			"share of malformed ones, shows live progress, then audits exactly-once and prints a summary.",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: flagEvents, Value: 20000, Usage: "events to generate", EnvVars: envVars(flagEvents)},
			&cli.IntFlag{Name: flagSources, Value: 50, Usage: "distinct source_ids", EnvVars: envVars(flagSources)},
			&cli.Float64Flag{Name: flagMalformedRatio, Value: 0.02, Usage: "share of deliberately malformed records, 0..1", EnvVars: envVars(flagMalformedRatio)},
			&cli.Float64Flag{Name: flagRate, Value: 10000, Usage: "events per second to offer (0 = as fast as possible)", EnvVars: envVars(flagRate)},
			&cli.IntFlag{Name: flagPartitions, Value: 6, Usage: "input partitions", EnvVars: envVars(flagPartitions)},
			&cli.IntFlag{Name: flagMembers, Value: 2, Usage: "processor members in the group", EnvVars: envVars(flagMembers)},
			&cli.IntFlag{Name: flagWindowMaxEvents, Value: processor.DefaultWindowMaxEvents, Usage: "close a window after this many records", EnvVars: envVars(flagWindowMaxEvents)},
			&cli.DurationFlag{Name: flagWindowMaxWait, Value: processor.DefaultWindowMaxWait, Usage: "close a window this long after its first record", EnvVars: envVars(flagWindowMaxWait)},
			&cli.Uint64Flag{Name: flagSeed, Value: 1, Usage: "generator seed", EnvVars: envVars(flagSeed)},
		}, logFlagsQuiet()...),
		Action: demoAction,
	}
}

// logFlagsQuiet are the log flags with warn as the default, so that the
// demo's progress and summary are what a person sees.
func logFlagsQuiet() []cli.Flag {
	fs := logFlags()
	fs[0].(*cli.StringFlag).Value = "warn"
	return fs
}

func demoAction(c *cli.Context) error {
	log, err := newLogger(c, c.App.ErrWriter)
	if err != nil {
		return err
	}
	out, errw := c.App.Writer, c.App.ErrWriter
	total := c.Int(flagEvents)
	partitions := c.Int(flagPartitions)
	members := c.Int(flagMembers)
	if total < 1 || partitions < 1 || members < 1 {
		return usageErrorf("--%s, --%s and --%s must be at least 1", flagEvents, flagPartitions, flagMembers)
	}
	genCfg := gen.Config{Sources: c.Int(flagSources), MalformedRatio: c.Float64(flagMalformedRatio), Seed: c.Uint64(flagSeed)}
	if err := genCfg.Validate(); err != nil {
		return asUsageError(err)
	}

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), "events.in"))
	if err != nil {
		return fmt.Errorf("start embedded broker: %w", err)
	}
	defer cluster.Close()
	client := kafkaio.ClientConfig{Brokers: cluster.ListenAddrs(), ClientID: "eventproc-demo"}
	fmt.Fprintf(out, "embedded broker on %v: input events.in (%d partitions), output events.out, DLQ events.dlq\n", client.Brokers, partitions)
	fmt.Fprintf(out, "%d processor members in group eventproc-demo; generating %d events (%.1f%% malformed)\n\n", members, total, 100*genCfg.MalformedRatio)

	ctx, stop := context.WithCancel(c.Context)
	defer stop()
	var regs bench.Registries
	var consumed, published, deadLettered atomic.Int64 // committed windows of every member
	onCommit := func(w processor.WindowStats) {
		consumed.Add(int64(w.Records))
		published.Add(int64(w.Published))
		deadLettered.Add(int64(w.DeadLettered))
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := 1; i <= members; i++ {
		reg := prometheus.NewRegistry()
		regs = append(regs, reg)
		cfg := processor.Config{
			Client: client, InputTopic: "events.in", OutputTopic: "events.out", DLQTopic: "events.dlq",
			Group: "eventproc-demo", InstanceID: fmt.Sprintf("demo-%d", i), CreateTopics: true,
		}.WithDefaults()
		cfg.WindowMaxEvents, cfg.WindowMaxWait = c.Int(flagWindowMaxEvents), c.Duration(flagWindowMaxWait) // as given: Run rejects a zero
		cfg.Logger, cfg.Registerer, cfg.OnCommit = log.With("member", i), reg, onCommit
		g.Go(func() error { return processor.Run(gctx, cfg) }) // returns when ctx is cancelled
	}

	started := time.Now()
	var malformed int64
	g.Go(func() error { // the generator; returns once every event is acknowledged
		cl, err := kafkaio.NewClient(client)
		if err != nil {
			return err
		}
		defer cl.Close()
		gn := gen.New(genCfg)
		next := func() ([]byte, []byte) {
			r := gn.Next()
			if r.Malformed {
				malformed++
			}
			return r.Key, r.Value
		}
		_, err = kafkatool.ProduceGenerated(gctx, cl, "events.in", next, int64(total), c.Float64(flagRate), nil)
		return err
	})

	rep := progress.New(errw, "processed", int64(total), progress.WithExtra(func() string {
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
			done = n >= int64(total)
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
	if c.Context.Err() != nil {
		return nil // interrupted by the user
	}

	actx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topics, err := kafkatool.Snapshot(actx, client, "events.in", "events.out", "events.dlq")
	if err != nil {
		return fmt.Errorf("read topics for the audit: %w", err)
	}
	report := audit.Check(kafkatool.AuditRecords(topics["events.in"]), kafkatool.AuditRecords(topics["events.out"]), kafkatool.AuditRecords(topics["events.dlq"]), audit.Options{InputTopic: "events.in"})
	printDemoSummary(out, regs, report, total, malformed, elapsed)
	if !report.OK() {
		_ = report.WriteText(out)
		return errors.New("exactly-once audit failed")
	}
	return nil
}

func printDemoSummary(w io.Writer, regs bench.Registries, report audit.Report, total int, malformed int64, elapsed time.Duration) {
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
