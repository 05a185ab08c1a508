package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/preflight"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/rederive"
)

// Names of the verify command's own flags.
const (
	flagJSON         = "json"
	flagPartialRange = "partial-range"
	flagTimeout      = "timeout"
	flagWaitQuiet    = "wait-quiet"
	// flagAuditOrdering is run's --ordering: the output layout to audit.
	flagAuditOrdering = "ordering"
)

// defaultVerifyTimeout bounds reading the three topics: generous, since a
// large topic takes a while, but finite, since a transaction left open by
// a dead producer holds the last stable offset back until it times out.
const defaultVerifyTimeout = 5 * time.Minute

// quietPoll is how often --wait-quiet looks at the group.
const quietPoll = 500 * time.Millisecond

func verifyCommand() *cli.Command {
	flags := verifyFlags()
	return &cli.Command{
		Name:  "verify",
		Usage: "audit the input, output and dead-letter topics: exactly-once and every output re-derived from its input",
		UsageText: "eventproc verify --brokers kafka:9092 --group eventproc\n" +
			"eventproc verify --config eventproc.yaml --wait-quiet 5s   # audit with the service's own settings, after a load test\n" +
			"eventproc verify --brokers kafka:9092 --group eventproc --json > audit.json\n" +
			"eventproc verify --brokers kafka:9092 --ordering global   # topics of run --ordering global",
		Description: "Reads the three topics whole, read_committed up to their last stable offsets, and checks\n" +
			"that every input record is in the output or the DLQ exactly once (traced by the lineage headers,\n" +
			"not by event ids), in its own partition; dead letters are byte-identical to their input (or a\n" +
			"faithful truncation); per-source sequence numbers and per-partition publish sequences run\n" +
			"1, 2, 3, … in input order; windows are contiguous and merge-ordered. With --ordering global every\n" +
			"output must be in output partition 0, whose publish sequence and per-window merge order span all\n" +
			"input partitions; dead letters stay in their input's partition. Then it replays each input\n" +
			"partition through intake, classification and enrichment from an empty state and compares every\n" +
			"output field and dead-letter reason with what its input gives. The processing flags must be the\n" +
			"processor's: give verify the same --config file, environment or flags as run.\n" +
			"Prints a report naming the first offending records of each violation (or --json) and exits 1\n" +
			"on any violation. Audit the topics of a quiet group (--wait-quiet): records still in flight count as lost.",
		Flags: flags,
		// run's configuration file: every key must be one of run's flags,
		// and those verify has are applied, so that verify audits with
		// exactly the settings the service used.
		Before: configFileBefore(runCommandFlags(), flags),
		Action: runVerify,
	}
}

// verifyFlags are verify's flags. The topic, processing and connection
// flags are run's, settable from run's configuration file.
func verifyFlags() []cli.Flag {
	var flags []cli.Flag
	flags = append(flags, topicFlags()...)
	flags = append(flags, processingFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: flagGroup, Value: "eventproc", Category: categoryTopics,
			Usage: "the processor's consumer group, for --" + flagWaitQuiet, EnvVars: envVars(flagGroup)},
		&cli.BoolFlag{Name: flagJSON, Category: categoryOutput,
			Usage: "print the report as one JSON object (every violation) instead of text", EnvVars: envVars(flagJSON)},
		&cli.StringFlag{Name: flagAuditOrdering, Value: string(audit.OrderingPartition), Category: categoryProcessing,
			Usage:   "the processor's output ordering: partition (input partition p's outputs in output partition p) or global (one merge order over every input partition, all outputs in output partition 0)",
			EnvVars: envVars(flagAuditOrdering)},
		&cli.BoolFlag{Name: flagPartialRange, Category: categoryProcessing,
			Usage:   "the topics hold a slice of a longer history (retention deleted the oldest records): sequences may start above 1 and records tracing to deleted inputs are not reported",
			EnvVars: envVars(flagPartialRange)},
		&cli.DurationFlag{Name: flagWaitQuiet, Category: categoryConnection,
			Usage: "before auditing, wait until the group has had no lag and no open transaction for this long (0: audit at once)", EnvVars: envVars(flagWaitQuiet)},
		&cli.DurationFlag{Name: flagTimeout, Value: defaultVerifyTimeout, Category: categoryConnection,
			Usage: "give up waiting and reading the topics after this long", EnvVars: envVars(flagTimeout)},
	)
	flags = append(flags, clientFlags()...)
	flags = fileConfigurable(flags)
	for _, f := range configFlags() {
		if f.Names()[0] == flagConfig {
			flags = append(flags, f)
		}
	}
	return flags
}

const categoryOutput = "Output"

// verifyConfig is the verify command's validated configuration.
type verifyConfig struct {
	client             kafkaio.ClientConfig
	input, output, dlq string
	group              string
	json, partialRange bool
	ordering           audit.Ordering
	processing         rederive.Config
	waitQuiet, timeout time.Duration
}

func verifyConfigFrom(c *cli.Context) (verifyConfig, error) {
	cfg := verifyConfig{
		client:       clientConfigFrom(c),
		input:        c.String(flagInputTopic),
		output:       c.String(flagOutputTopic),
		dlq:          c.String(flagDLQTopic),
		group:        c.String(flagGroup),
		json:         c.Bool(flagJSON),
		partialRange: c.Bool(flagPartialRange),
		waitQuiet:    c.Duration(flagWaitQuiet),
		timeout:      c.Duration(flagTimeout),
	}
	if err := cfg.client.Validate(); err != nil {
		return cfg, asUsageError(err)
	}
	ordering, err := audit.ParseOrdering(c.String(flagAuditOrdering))
	if err != nil {
		return cfg, usageErrorf("--%s: %v", flagAuditOrdering, err)
	}
	cfg.ordering = ordering
	processing, err := processingConfigFrom(c)
	if err != nil {
		return cfg, asUsageError(err)
	}
	cfg.processing = processing.WithDefaults()
	if err := cfg.processing.Validate(); err != nil {
		return cfg, asUsageError(err)
	}
	switch {
	case cfg.input == "" || cfg.output == "" || cfg.dlq == "":
		return cfg, usageErrorf("--%s, --%s and --%s must not be empty", flagInputTopic, flagOutputTopic, flagDLQTopic)
	case cfg.input == cfg.output || cfg.input == cfg.dlq || cfg.output == cfg.dlq:
		return cfg, usageErrorf("--%s, --%s and --%s must name three distinct topics", flagInputTopic, flagOutputTopic, flagDLQTopic)
	case cfg.timeout <= 0:
		return cfg, usageErrorf("--%s must be positive, got %s", flagTimeout, cfg.timeout)
	case cfg.waitQuiet < 0:
		return cfg, usageErrorf("--%s must not be negative, got %s", flagWaitQuiet, cfg.waitQuiet)
	case cfg.waitQuiet > 0 && cfg.group == "":
		return cfg, usageErrorf("--%s needs --%s", flagWaitQuiet, flagGroup)
	}
	return cfg, nil
}

// errViolations is returned (exit 1) when the audit found violations; the
// report on stdout says which.
var errViolations = errors.New("exactly-once violations found")

func runVerify(c *cli.Context) error {
	cfg, err := verifyConfigFrom(c)
	if err != nil {
		return err
	}
	if err := preflight.CheckClient(c.Context, cfg.client, nil); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, cfg.timeout)
	defer cancel()
	if cfg.waitQuiet > 0 {
		fmt.Fprintf(c.App.ErrWriter, "verify: waiting until group %s has been quiet for %s\n", cfg.group, cfg.waitQuiet)
		if err := kafkatool.WaitQuiet(ctx, cfg.client, cfg.group, cfg.input, []string{cfg.output, cfg.dlq}, cfg.waitQuiet, quietPoll, nil); err != nil {
			return err
		}
	}
	opts := audit.Options{InputTopic: cfg.input, PartialRange: cfg.partialRange, Rederive: &cfg.processing, Ordering: cfg.ordering}
	report, err := kafkatool.AuditTopics(ctx, cfg.client, cfg.input, cfg.output, cfg.dlq, opts, c.App.ErrWriter)
	if err != nil {
		return err
	}

	if cfg.json {
		err = report.WriteJSON(c.App.Writer)
	} else {
		fmt.Fprintf(c.App.Writer, "verify: input %s, output %s, dead letters %s (whole topics, read_committed, %s ordering)\n", cfg.input, cfg.output, cfg.dlq, cfg.ordering)
		err = report.WriteText(c.App.Writer)
	}
	if err != nil {
		return err
	}
	if !report.OK() {
		return fmt.Errorf("%w: %s", errViolations, report.Summary())
	}
	return nil
}
