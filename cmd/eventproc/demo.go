package main

import (
	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/demo"
	"github.com/eventproc/eventproc/internal/gen"
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
	cfg := demo.Config{
		Events: c.Int(flagEvents), Partitions: c.Int(flagPartitions), Members: c.Int(flagMembers),
		Gen:             gen.Config{Sources: c.Int(flagSources), MalformedRatio: c.Float64(flagMalformedRatio), Seed: c.Uint64(flagSeed)},
		Rate:            c.Float64(flagRate),
		WindowMaxEvents: c.Int(flagWindowMaxEvents), WindowMaxWait: c.Duration(flagWindowMaxWait),
		Logger: log, Out: c.App.Writer, Progress: c.App.ErrWriter,
	}
	if err := cfg.Validate(); err != nil {
		return asUsageError(err)
	}
	return demo.Run(c.Context, cfg)
}
