package main

import (
	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/groupstatus"
	"github.com/eventproc/eventproc/internal/preflight"
)

const (
	flagStuckAfter = "stuck-after"
	flagStatusJSON = "json"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "describe a running group: members, partitions, lag and its age, open transactions, last windows",
		UsageText: "eventproc status --brokers kafka:9092 --group eventproc\n" +
			"eventproc status --brokers kafka:9092 --group eventproc --json | jq .partitions\n" +
			"eventproc status --group eventproc --stuck-after 5m || page-the-operator",
		Description: "Reads the group's description and committed offsets, the first unprocessed input record of\n" +
			"each lagging partition (its age is the lag age), the last committed output record of each\n" +
			"partition (its derived_fields.window_id is the last committed window) and the open\n" +
			"transactions of the group's transactional ids, where the brokers support listing them.\n\n" +
			"Exit status: 0 healthy, 1 the status could not be read, 2 a usage mistake, 3 stuck: some\n" +
			"partition has records waiting whose oldest was appended more than --stuck-after ago (no\n" +
			"window has been committed past it for that long).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flagGroup, Value: "eventproc", Category: categoryTopics,
				Usage: "consumer group of the eventproc run members", EnvVars: envVars(flagGroup)},
			&cli.StringFlag{Name: flagInputTopic, Value: "events.in", Category: categoryTopics,
				Usage: "the group's input topic", EnvVars: envVars(flagInputTopic)},
			&cli.StringFlag{Name: flagOutputTopic, Value: "events.out", Category: categoryTopics,
				Usage: "the group's output topic, read for the last committed window of each partition", EnvVars: envVars(flagOutputTopic)},
			&cli.DurationFlag{Name: flagStuckAfter, Value: groupstatus.DefaultStuckAfter,
				Usage: "exit 3 when the oldest unprocessed input record is older than this", EnvVars: envVars(flagStuckAfter)},
			&cli.BoolFlag{Name: flagStatusJSON,
				Usage: "print one JSON object instead of tables", EnvVars: envVars(flagStatusJSON)},
		}, clientFlags()...),
		Action: runStatus,
	}
}

// stuckError is returned by status for a stuck group: exit status 3.
type stuckError struct{ reason string }

func (e *stuckError) Error() string { return "group stuck: " + e.reason }

func runStatus(c *cli.Context) error {
	clientCfg := clientConfigFrom(c)
	opts, err := clientCfg.Options()
	if err != nil {
		return asUsageError(err)
	}
	if c.String(flagGroup) == "" || c.String(flagInputTopic) == "" {
		return usageErrorf("--%s and --%s must not be empty", flagGroup, flagInputTopic)
	}
	if c.Duration(flagStuckAfter) <= 0 {
		return usageErrorf("--%s %s: must be positive", flagStuckAfter, c.Duration(flagStuckAfter))
	}
	if err := preflight.CheckClient(c.Context, clientCfg, nil); err != nil {
		return err
	}
	cl, err := newPlainClient(opts)
	if err != nil {
		return err
	}
	defer cl.Close()
	rep, err := groupstatus.Describe(c.Context, cl, opts, groupstatus.Config{
		Group: c.String(flagGroup), InputTopic: c.String(flagInputTopic), OutputTopic: c.String(flagOutputTopic),
		StuckAfter: c.Duration(flagStuckAfter),
	})
	if err != nil {
		return err
	}
	if c.Bool(flagStatusJSON) {
		if err := rep.WriteJSON(c.App.Writer); err != nil {
			return err
		}
	} else {
		rep.WriteText(c.App.Writer)
	}
	if rep.Stuck {
		return &stuckError{rep.StuckReason}
	}
	return nil
}
