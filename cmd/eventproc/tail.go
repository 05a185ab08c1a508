package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/preflight"
	"github.com/eventproc/eventproc/kafkaio"
)

// Names of the tail command's own flags. The topic flags are run's
// (--output-topic, --dlq-topic): each EVENTPROC_* variable means one thing
// for every command.
const (
	flagDLQ            = "dlq"
	flagFromBeginning  = "from-beginning"
	flagRaw            = "raw"
	flagReadPartitions = "read-partitions"
	flagStopAtEnd      = "stop-at-end"
)

func tailCommand() *cli.Command {
	return &cli.Command{
		Name:  "tail",
		Usage: "print committed output (or dead-letter) records, read_committed",
		UsageText: "eventproc tail --brokers 127.0.0.1:9092                  # new committed outputs\n" +
			"eventproc tail --from-beginning --stop-at-end --count 10\n" +
			"eventproc tail --dlq --from-beginning --read-partitions 0,3\n" +
			"eventproc tail --raw --from-beginning --stop-at-end | jq .derived_fields",
		Description: "Reads with isolation level read_committed, so records of aborted or still open\n" +
			"transactions never show. Pretty mode prints partition, offset, key, headers and the\n" +
			"value as indented JSON; --raw prints each value byte for byte followed by a newline.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flagOutputTopic, Aliases: []string{flagTopic}, Value: "events.out",
				Usage: "topic to read: the processor's output topic, or any other", EnvVars: envVars(flagOutputTopic)},
			&cli.BoolFlag{Name: flagDLQ,
				Usage: "read the dead-letter topic (--dlq-topic) instead of --output-topic", EnvVars: envVars(flagDLQ)},
			&cli.StringFlag{Name: flagDLQTopic, Value: "events.dlq",
				Usage: "dead-letter topic read with --dlq", EnvVars: envVars(flagDLQTopic)},
			&cli.BoolFlag{Name: flagFromBeginning,
				Usage: "start at the oldest record instead of only new ones", EnvVars: envVars(flagFromBeginning)},
			&cli.BoolFlag{Name: flagRaw,
				Usage: "print only each value, byte for byte, one per line", EnvVars: envVars(flagRaw)},
			&cli.Int64Flag{Name: flagCount,
				Usage: "stop after this many records; 0 means no limit", EnvVars: envVars(flagCount)},
			&cli.StringFlag{Name: flagReadPartitions, Aliases: []string{"partitions"},
				Usage: "read only these partition numbers, comma separated, e.g. 0,3 (default: all)", EnvVars: envVars(flagReadPartitions)},
			&cli.BoolFlag{Name: flagStopAtEnd,
				Usage: "with --from-beginning, stop once every partition is read to the end it had at start (like kcat -e)", EnvVars: envVars(flagStopAtEnd)},
		}, clientFlags()...),
		Action: runTail,
	}
}

func tailConfigFrom(c *cli.Context) (kafkaio.ClientConfig, kafkatool.TailConfig, error) {
	client := clientConfigFrom(c)
	if err := client.Validate(); err != nil {
		return client, kafkatool.TailConfig{}, asUsageError(err)
	}
	topic := c.String(flagOutputTopic)
	if c.Bool(flagDLQ) {
		topic = c.String(flagDLQTopic)
	}
	if topic == "" {
		return client, kafkatool.TailConfig{}, usageErrorf("no topic: set --output-topic (or --dlq-topic with --dlq)")
	}
	cfg := kafkatool.TailConfig{
		Topics:    []string{topic},
		FromStart: c.Bool(flagFromBeginning),
		StopAtEnd: c.Bool(flagStopAtEnd),
	}
	if cfg.StopAtEnd && !cfg.FromStart {
		return client, cfg, usageErrorf("--stop-at-end needs --from-beginning (new records only would stop at once)")
	}
	var err error
	if cfg.Partitions, err = kafkatool.ParsePartitions(c.String(flagReadPartitions)); err != nil {
		return client, cfg, usageErrorf("--%s: %w", flagReadPartitions, err)
	}
	if c.Int64(flagCount) < 0 {
		return client, cfg, usageErrorf("--count %d: must be 0 (no limit) or more", c.Int64(flagCount))
	}
	return client, cfg, nil
}

func runTail(c *cli.Context) error {
	clientCfg, cfg, err := tailConfigFrom(c)
	if err != nil {
		return err
	}
	cl, err := kafkaio.NewClient(clientCfg, kafkatool.TailClientOpts()...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := preflight.CheckClient(c.Context, clientCfg, cl); err != nil {
		return err
	}

	raw := c.Bool(flagRaw)
	n, err := kafkatool.PrintTail(c.Context, cl, cfg, c.App.Writer, raw, c.Int64(flagCount))
	if !raw {
		fmt.Fprintf(c.App.ErrWriter, "%d record(s) from %s\n", n, cfg.Topics[0])
	}
	return err
}
