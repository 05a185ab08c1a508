package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime/pprof"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/bench"
	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/processor"
)

// Names of the bench command's own flags (--json is shared with verify).
const (
	flagSkipPassthrough = "skip-passthrough"
	flagLatencyLoad     = "latency-load"
	flagCPUProfile      = "cpu-profile"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure eventproc against an exactly-once passthrough baseline: throughput, end-to-end latency, memory",
		UsageText: "eventproc bench                                  # embedded broker, peak throughput\n" +
			"eventproc bench --brokers 127.0.0.1:9092 --events 500000",
		Description: "Runs on an embedded broker (franz-go kfake, in this process) unless --brokers is given.\n" +
			"Peak mode (--rate 0): produces --events realistic events, then times eventproc draining them\n" +
			"(first fetch to last commit) and the passthrough baseline (the same transactional\n" +
			"consume→produce loop with no processing) over the same input, then the processing stages\n" +
			"alone (no Kafka, one core) for their CPU per event; then measures end-to-end\n" +
			"latency (input record timestamp → visible to a read_committed consumer) with events offered\n" +
			"at --latency-load × eventproc's peak. Rate mode (--rate N): offers N events/s while each\n" +
			"system runs. Topics and groups are fresh and unique per run, and deleted afterwards.",
		Flags: append(append([]cli.Flag{
			&cli.Int64Flag{Name: flagEvents, Value: 200000, Usage: "events per throughput phase", EnvVars: envVars(flagEvents)},
			&cli.IntFlag{Name: flagSources, Value: gen.DefaultSources, Usage: "distinct source_ids", EnvVars: envVars(flagSources)},
			&cli.Float64Flag{Name: flagMalformedRatio, Value: 0.02, Usage: "share of deliberately malformed records, 0..1", EnvVars: envVars(flagMalformedRatio)},
			&cli.IntFlag{Name: flagPartitions, Value: 6, Usage: "input partitions", EnvVars: envVars(flagPartitions)},
			&cli.Float64Flag{Name: flagRate, Value: 0, Usage: "0: peak mode (pre-produced backlog); N: offer N events/s while each system runs and report latency at that load", EnvVars: envVars(flagRate)},
			&cli.Float64Flag{Name: flagLatencyLoad, Value: 0.5, Usage: "peak mode: offer this fraction of eventproc's measured peak for the latency phase (0 skips it), 0..1", EnvVars: envVars(flagLatencyLoad)},
			&cli.IntFlag{Name: flagWindowMaxEvents, Value: processor.DefaultWindowMaxEvents, Usage: "close a window (one transaction) after this many records; both systems", EnvVars: envVars(flagWindowMaxEvents)},
			&cli.DurationFlag{Name: flagWindowMaxWait, Value: processor.DefaultWindowMaxWait, Usage: "close a window this long after its first record; both systems", EnvVars: envVars(flagWindowMaxWait)},
			&cli.BoolFlag{Name: flagSequentialWindows, Usage: "both systems collect each window only once the previous one committed (see run --sequential-windows)", EnvVars: envVars(flagSequentialWindows)},
			&cli.Uint64Flag{Name: flagSeed, Value: 1, Usage: "generator seed", EnvVars: envVars(flagSeed)},
			&cli.BoolFlag{Name: flagJSON, Usage: "print one JSON object instead of the text report", EnvVars: envVars(flagJSON)},
			&cli.StringFlag{Name: flagCPUProfile, TakesFile: true, Usage: "write a pprof CPU profile of the whole run (all phases, broker included) to this file", EnvVars: envVars(flagCPUProfile)},
			&cli.BoolFlag{Name: flagSkipPassthrough, Usage: "measure eventproc only (passthrough figures and ratio are 0)", EnvVars: envVars(flagSkipPassthrough)},
		}, clientFlags()...), logFlagsQuiet()...),
		Action: benchAction,
	}
}

func benchConfigFrom(c *cli.Context) (bench.Config, error) {
	cfg := bench.Config{
		Client:            clientConfigFrom(c),
		Embedded:          !c.IsSet(flagBrokers),
		Events:            c.Int64(flagEvents),
		Partitions:        int32(c.Int(flagPartitions)),
		Rate:              c.Float64(flagRate),
		LatencyLoad:       c.Float64(flagLatencyLoad),
		WindowMaxEvents:   c.Int(flagWindowMaxEvents),
		WindowMaxWait:     c.Duration(flagWindowMaxWait),
		SequentialWindows: c.Bool(flagSequentialWindows),
		Gen:               gen.Config{Sources: c.Int(flagSources), MalformedRatio: c.Float64(flagMalformedRatio), Seed: c.Uint64(flagSeed)},
		SkipPassthrough:   c.Bool(flagSkipPassthrough),
	}
	if n := c.Int(flagPartitions); n > math.MaxInt32 {
		return cfg, usageErrorf("--%s %d: need at least 1", flagPartitions, n)
	}
	return cfg, asUsageError(cfg.Validate())
}

func benchAction(c *cli.Context) error {
	cfg, err := benchConfigFrom(c)
	if err != nil {
		return err
	}
	log, err := newLogger(c, c.App.ErrWriter)
	if err != nil {
		return err
	}
	if path := c.String(flagCPUProfile); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return asUsageError(fmt.Errorf("--%s: %w", flagCPUProfile, err))
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--%s: %w", flagCPUProfile, err)
		}
		defer pprof.StopCPUProfile()
	}
	cfg.Logger, cfg.Progress = log, c.App.ErrWriter
	rep, err := bench.Run(c.Context, cfg)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if c.Bool(flagJSON) {
		return json.NewEncoder(c.App.Writer).Encode(rep)
	}
	return rep.WriteText(c.App.Writer)
}
