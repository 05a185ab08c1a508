package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/preflight"
	"github.com/eventproc/eventproc/internal/progress"
	"github.com/eventproc/eventproc/kafkaio"
)

// Names of the produce command's own flags.
const (
	flagTopic            = "topic"
	flagCount            = "count"
	flagRate             = "rate"
	flagSources          = "sources"
	flagSourcesInTurn    = "sources-in-turn"
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
			&cli.BoolFlag{Name: flagSourcesInTurn,
				Usage: "pick the sources one after another instead of a few busy ones and a long quiet tail: the first --sources records touch every source once (to build large state)", EnvVars: envVars(flagSourcesInTurn)},
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
	load        kafkatool.LoadConfig
	maxInFlight int
}

func produceConfigFrom(c *cli.Context) (produceConfig, error) {
	cfg := produceConfig{
		client:      clientConfigFrom(c),
		maxInFlight: c.Int(flagMaxInFlight),
		load: kafkatool.LoadConfig{
			Topic:            c.String(flagInputTopic),
			Count:            c.Int64(flagCount),
			Rate:             c.Float64(flagRate),
			ProgressInterval: c.Duration(flagProgressInterval),
			Gen:              gen.Config{Sources: c.Int(flagSources), InTurn: c.Bool(flagSourcesInTurn), MalformedRatio: c.Float64(flagMalformedRatio), Seed: c.Uint64(flagSeed)},
		},
	}
	if cfg.load.Gen.Seed == 0 {
		cfg.load.Gen.Seed = uint64(time.Now().UnixNano())
	}
	if err := cfg.client.Validate(); err != nil {
		return cfg, asUsageError(err)
	}
	switch {
	case cfg.load.Topic == "":
		return cfg, usageErrorf("--%s is empty", flagInputTopic)
	case cfg.load.Count < 0:
		return cfg, usageErrorf("--count %d: must be 0 (until interrupted) or more", cfg.load.Count)
	case cfg.load.Rate < 0 || cfg.load.Rate != cfg.load.Rate:
		return cfg, usageErrorf("--rate %v: must be 0 (unlimited) or more", cfg.load.Rate)
	case c.Int(flagSources) < 1:
		return cfg, usageErrorf("--sources %d: need at least 1", c.Int(flagSources))
	case cfg.maxInFlight < 1:
		return cfg, usageErrorf("--max-in-flight %d: need at least 1", cfg.maxInFlight)
	}
	if err := cfg.load.Gen.Validate(); err != nil {
		return cfg, usageErrorf("--malformed-ratio/--sources: %v", err)
	}
	return cfg, nil
}

func runProduce(c *cli.Context) error {
	cfg, err := produceConfigFrom(c)
	if err != nil {
		return err
	}
	cl, err := kafkatool.NewLoadClient(cfg.client, cfg.maxInFlight)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := preflight.CheckClient(c.Context, cfg.client, cl); err != nil {
		return err
	}

	err = kafkatool.ProduceLoad(c.Context, cl, cfg.load, c.App.ErrWriter, c.App.Writer)
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		err = fmt.Errorf("%w: topic %s does not exist and the brokers do not create topics on demand: create it, or check --%s", err, cfg.load.Topic, flagInputTopic)
	}
	if err != nil && cfg.load.Count == 0 && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
