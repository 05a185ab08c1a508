package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/progress"
	"github.com/eventproc/eventproc/kafkaio"
)

// Names of the produce command's own flags.
const (
	flagTopic            = "topic"
	flagCount            = "count"
	flagRate             = "rate"
	flagSources          = "sources"
	flagMalformedRatio   = "malformed-ratio"
	flagSeed             = "seed"
	flagMaxInFlight      = "max-in-flight"
	flagProgressInterval = "progress-interval"
)

func produceCommand() *cli.Command {
	return &cli.Command{
		Name:  "produce",
		Usage: "generate realistic input events into the input topic (a load generator)",
		UsageText: "eventproc produce --brokers 127.0.0.1:9092 --count 100000\n" +
			"eventproc produce --rate 500 --malformed-ratio 0.05 --seed 42    # until Ctrl-C\n" +
			"eventproc produce --input-topic orders.in --sources 1000 --count 1000000",
		Description: "Produces JSON events keyed by source_id, with an optional share of\n" +
			"deliberately malformed records covering every dead-letter reason except too_large.\n" +
			"Progress goes to stderr, the final summary to stdout.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flagInputTopic, Aliases: []string{flagTopic}, Value: "events.in",
				Usage: "topic to produce to: the processor's input topic (created if missing and the brokers allow it)", EnvVars: envVars(flagInputTopic)},
			&cli.Int64Flag{Name: flagCount, Value: 0,
				Usage: "records to produce; 0 produces until interrupted", EnvVars: envVars(flagCount)},
			&cli.Float64Flag{Name: flagRate, Value: 0,
				Usage: "records per second; 0 produces as fast as the brokers accept", EnvVars: envVars(flagRate)},
			&cli.IntFlag{Name: flagSources, Value: gen.DefaultSources,
				Usage: "distinct source ids (record keys)", EnvVars: envVars(flagSources)},
			&cli.Float64Flag{Name: flagMalformedRatio, Value: 0,
				Usage: "share of deliberately malformed records, 0 to 1", EnvVars: envVars(flagMalformedRatio)},
			&cli.Uint64Flag{Name: flagSeed, Value: 0,
				Usage: "generator seed, for a reproducible stream (apart from timestamps); 0 picks one and prints it", EnvVars: envVars(flagSeed)},
			&cli.IntFlag{Name: flagMaxInFlight, Value: 10000,
				Usage: "records buffered or in flight at most (the client's MaxBufferedRecords)", EnvVars: envVars(flagMaxInFlight)},
			&cli.DurationFlag{Name: flagProgressInterval, Value: progress.DefaultInterval,
				Usage: "how often to print a progress line when stderr is not a terminal", EnvVars: envVars(flagProgressInterval)},
		}, clientFlags()...),
		Action: runProduce,
	}
}

// produceConfig is the produce command's validated configuration.
type produceConfig struct {
	client      kafkaio.ClientConfig
	topic       string
	count       int64
	rate        float64
	gen         gen.Config
	maxInFlight int
	interval    time.Duration
}

func produceConfigFrom(c *cli.Context) (produceConfig, error) {
	cfg := produceConfig{
		client:      clientConfigFrom(c),
		topic:       c.String(flagInputTopic),
		count:       c.Int64(flagCount),
		rate:        c.Float64(flagRate),
		maxInFlight: c.Int(flagMaxInFlight),
		interval:    c.Duration(flagProgressInterval),
		gen: gen.Config{
			Sources:        c.Int(flagSources),
			MalformedRatio: c.Float64(flagMalformedRatio),
			Seed:           c.Uint64(flagSeed),
		},
	}
	if cfg.gen.Seed == 0 {
		cfg.gen.Seed = uint64(time.Now().UnixNano())
	}
	if err := cfg.client.Validate(); err != nil {
		return cfg, asUsageError(err)
	}
	switch {
	case cfg.topic == "":
		return cfg, usageErrorf("--%s is empty", flagInputTopic)
	case cfg.count < 0:
		return cfg, usageErrorf("--count %d: must be 0 (until interrupted) or more", cfg.count)
	case cfg.rate < 0 || cfg.rate != cfg.rate:
		return cfg, usageErrorf("--rate %v: must be 0 (unlimited) or more", cfg.rate)
	case c.Int(flagSources) < 1:
		return cfg, usageErrorf("--sources %d: need at least 1", c.Int(flagSources))
	case cfg.maxInFlight < 1:
		return cfg, usageErrorf("--max-in-flight %d: need at least 1", cfg.maxInFlight)
	}
	if err := cfg.gen.Validate(); err != nil {
		return cfg, usageErrorf("--malformed-ratio/--sources: %v", err)
	}
	return cfg, nil
}

func runProduce(c *cli.Context) error {
	cfg, err := produceConfigFrom(c)
	if err != nil {
		return err
	}
	cl, err := kafkaio.NewClient(cfg.client,
		kgo.MaxBufferedRecords(cfg.maxInFlight),
		// Generated load is spread by key; a short linger fills batches.
		kgo.ProducerLinger(5*time.Millisecond),
		// A missing topic is created by brokers that allow it (the
		// embedded broker does, as do Kafka's defaults).
		kgo.AllowAutoTopicCreation(),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := checkBrokers(c.Context, cfg.client, cl); err != nil {
		return err
	}

	g := gen.New(cfg.gen)
	var tally gen.Tally
	next := func() ([]byte, []byte) {
		r := g.Next()
		tally.Add(r)
		return r.Key, r.Value
	}

	stderr := c.App.ErrWriter
	fmt.Fprintf(stderr, "producing to %s (seed %d)\n", cfg.topic, cfg.gen.Seed)
	bar := progress.New(stderr, "produce", cfg.count, progress.WithInterval(cfg.interval),
		progress.WithExtra(func() string { return fmt.Sprintf("malformed %d", tally.Malformed()) }))
	barCtx, stopBar := context.WithCancel(c.Context)
	barDone := make(chan struct{})
	go func() {
		defer close(barDone)
		bar.Run(barCtx)
	}()

	start := time.Now()
	n, err := kafkatool.ProduceGenerated(c.Context, cl, cfg.topic, next, cfg.count, cfg.rate, bar.Add)
	elapsed := time.Since(start)
	stopBar()
	<-barDone
	bar.Done()

	tally.WriteSummary(c.App.Writer, cfg.topic, cfg.gen.Seed, n, elapsed)
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		err = fmt.Errorf("%w: topic %s does not exist and the brokers do not create topics on demand: create it, or check --%s", err, cfg.topic, flagInputTopic)
	}
	if err != nil && cfg.count == 0 && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
