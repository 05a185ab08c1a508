package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
)

// Names of the verify command's own flags.
const (
	flagJSON         = "json"
	flagPartialRange = "partial-range"
	flagTimeout      = "timeout"
)

// defaultVerifyTimeout bounds reading the three topics: generous, since a
// large topic takes a while, but finite, since a transaction left open by
// a dead producer holds the last stable offset back until it times out.
const defaultVerifyTimeout = 5 * time.Minute

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "audit the input, output and dead-letter topics against the exactly-once contract",
		Description: "Reads the three topics whole, read_committed up to their last stable offsets, and checks\n" +
			"contract sections 3 to 5: every input record is in the output or the DLQ exactly once (traced\n" +
			"by the lineage headers, not by event ids), in its own partition; dead letters are byte-identical\n" +
			"to their input and carry the reason their value actually has (re-decoded with --max-event-bytes\n" +
			"and --max-depth, which must match the processor's); per-source sequence numbers and per-partition\n" +
			"publish sequences run 1, 2, 3, … in input order; windows are contiguous and merge-ordered.\n" +
			"Prints a report naming the first offending records of each violation (or --json) and exits 1\n" +
			"on any violation. Audit the topics of a quiet group: records still in flight count as lost.",
		Flags: append(append(topicFlags(),
			&cli.BoolFlag{Name: flagJSON, Category: categoryOutput,
				Usage: "print the report as one JSON object (every violation) instead of text", EnvVars: envVars(flagJSON)},
			&cli.BoolFlag{Name: flagPartialRange, Category: categoryProcessing,
				Usage:   "the topics hold a slice of a longer history (retention deleted the oldest records): sequences may start above 1 and records tracing to deleted inputs are not reported",
				EnvVars: envVars(flagPartialRange)},
			&cli.IntFlag{Name: flagMaxEventBytes, Value: intake.DefaultMaxEventBytes, Category: categoryProcessing,
				Usage: "the processor's --max-event-bytes, to re-derive dead-letter reasons", EnvVars: envVars(flagMaxEventBytes)},
			&cli.IntFlag{Name: flagMaxDepth, Value: intake.DefaultMaxDepth, Category: categoryProcessing,
				Usage: "the processor's --max-depth, to re-derive dead-letter reasons", EnvVars: envVars(flagMaxDepth)},
			&cli.DurationFlag{Name: flagTimeout, Value: defaultVerifyTimeout, Category: categoryConnection,
				Usage: "give up reading the topics after this long", EnvVars: envVars(flagTimeout)},
		), clientFlags()...),
		Action: runVerify,
	}
}

const categoryOutput = "Output"

// verifyConfig is the verify command's validated configuration.
type verifyConfig struct {
	client             kafkaio.ClientConfig
	input, output, dlq string
	json, partialRange bool
	intake             intake.Config
	timeout            time.Duration
}

func verifyConfigFrom(c *cli.Context) (verifyConfig, error) {
	cfg := verifyConfig{
		client:       clientConfigFrom(c),
		input:        c.String(flagInputTopic),
		output:       c.String(flagOutputTopic),
		dlq:          c.String(flagDLQTopic),
		json:         c.Bool(flagJSON),
		partialRange: c.Bool(flagPartialRange),
		intake:       intake.Config{MaxEventBytes: c.Int(flagMaxEventBytes), MaxDepth: c.Int(flagMaxDepth)}.WithDefaults(),
		timeout:      c.Duration(flagTimeout),
	}
	if err := cfg.client.Validate(); err != nil {
		return cfg, asUsageError(err)
	}
	if err := cfg.intake.Validate(); err != nil {
		return cfg, asUsageError(err)
	}
	switch {
	case cfg.input == "" || cfg.output == "" || cfg.dlq == "":
		return cfg, usageErrorf("--%s, --%s and --%s must not be empty", flagInputTopic, flagOutputTopic, flagDLQTopic)
	case cfg.input == cfg.output || cfg.input == cfg.dlq || cfg.output == cfg.dlq:
		return cfg, usageErrorf("--%s, --%s and --%s must name three distinct topics", flagInputTopic, flagOutputTopic, flagDLQTopic)
	case cfg.timeout <= 0:
		return cfg, usageErrorf("--%s must be positive, got %s", flagTimeout, cfg.timeout)
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
	ctx, cancel := context.WithTimeout(c.Context, cfg.timeout)
	defer cancel()
	topics, err := kafkaio.Snapshot(ctx, cfg.client, cfg.input, cfg.output, cfg.dlq)
	if err != nil {
		return fmt.Errorf("read topics %s, %s, %s: %w", cfg.input, cfg.output, cfg.dlq, err)
	}
	in, out, dlq := kafkaio.AuditRecords(topics[cfg.input]), kafkaio.AuditRecords(topics[cfg.output]), kafkaio.AuditRecords(topics[cfg.dlq])
	report := audit.Check(in, out, dlq, audit.Options{InputTopic: cfg.input, PartialRange: cfg.partialRange})
	reasons, err := checkDeadLetterReasons(dlq, cfg.intake)
	if err != nil {
		return err
	}
	report = withViolations(report, reasons)

	if cfg.json {
		err = report.WriteJSON(c.App.Writer)
	} else {
		fmt.Fprintf(c.App.Writer, "verify: input %s, output %s, dead letters %s (whole topics, read_committed)\n", cfg.input, cfg.output, cfg.dlq)
		err = report.WriteText(c.App.Writer)
	}
	if err != nil {
		return err
	}
	if !report.OK() {
		return fmt.Errorf("%w: %s", errViolations, violationSummary(report))
	}
	return nil
}

// checkDeadLetterReasons re-decodes every dead letter's value and reports
// those whose reason header is a known code other than the one the
// decoder gives (or that the decoder accepts). The audit itself checks
// only that the code is known: it must not import the stages it audits,
// while this command may, and the reason is a pure function of the value
// and the two limits. Missing and unknown codes are left to the audit.
func checkDeadLetterReasons(dlq []audit.Record, cfg intake.Config) ([]audit.Violation, error) {
	dec, err := intake.NewDecoder(cfg)
	if err != nil {
		return nil, asUsageError(err)
	}
	var vs []audit.Violation
	var ev event.Event
	for i := range dlq {
		rec := &dlq[i]
		got, ok := lastHeader(rec.Headers, event.HeaderErrorReason)
		if !ok {
			continue
		}
		if _, known := event.ParseReason(got); !known {
			continue
		}
		want := ""
		if err := dec.Decode(rec.Value, time.Now(), &ev); err != nil {
			var ve *intake.ValidationError
			want = event.ReasonInvalidJSON.String() // as the processor does for a non-validation error
			if errors.As(err, &ve) {
				want = ve.Reason.String()
			}
		}
		ref := audit.Ref{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
		switch {
		case want == "":
			vs = append(vs, audit.Violation{Kind: audit.KindDLQHeaders, Refs: []audit.Ref{ref},
				Message: fmt.Sprintf("dead letter has reason %q but its value is a valid event", got)})
		case want != got:
			vs = append(vs, audit.Violation{Kind: audit.KindDLQHeaders, Refs: []audit.Ref{ref},
				Message: fmt.Sprintf("dead letter has reason %q but its value is rejected as %q", got, want)})
		}
	}
	return vs, nil
}

// lastHeader returns the value of the last header named key, as the audit
// reads headers: eventproc appends its own after the inherited ones.
func lastHeader(hs []audit.Header, key string) (string, bool) {
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].Key == key {
			return string(hs[i].Value), true
		}
	}
	return "", false
}

// withViolations adds vs to r, keeping the report's order: by kind in the
// order of audit.Kinds, then in discovery order.
func withViolations(r audit.Report, vs []audit.Violation) audit.Report {
	if len(vs) == 0 {
		return r
	}
	r.Violations = append(slices.Clip(r.Violations), vs...)
	kinds := audit.Kinds()
	slices.SortStableFunc(r.Violations, func(a, b audit.Violation) int {
		return slices.Index(kinds, a.Kind) - slices.Index(kinds, b.Kind)
	})
	return r
}

// violationSummary is "loss 2, duplicate 1": the kinds found and their counts.
func violationSummary(r audit.Report) string {
	var parts []string
	for _, k := range audit.Kinds() {
		if n := r.Count(k); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}
