package main

import (
	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/rederive"
)

// processingFlags are the settings that change derived values. run
// processes with them and verify re-derives with them, so both read them
// from the same flags, environment variables and configuration file keys.
func processingFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: flagMaxEventBytes, Value: intake.DefaultMaxEventBytes, Category: categoryProcessing,
			Usage: "larger record values are dead-lettered as too_large", EnvVars: envVars(flagMaxEventBytes)},
		&cli.IntFlag{Name: flagMaxDepth, Value: intake.DefaultMaxDepth, Category: categoryProcessing,
			Usage: "deeper JSON nesting is dead-lettered as too_deep", EnvVars: envVars(flagMaxDepth)},
		&cli.DurationFlag{Name: flagMaxClockSkew, Value: intake.DefaultMaxClockSkew, Category: categoryProcessing,
			Usage: "timestamps further in the future than this (or before 2000) are replaced by received_at", EnvVars: envVars(flagMaxClockSkew)},
		&cli.Float64Flag{Name: flagAnomalyAlpha, Value: enrich.DefaultAlpha, Category: categoryProcessing,
			Usage: "EWMA weight of the per-source anomaly baselines, in (0, 1]", EnvVars: envVars(flagAnomalyAlpha)},
		&cli.Uint64Flag{Name: flagAnomalyWarmUp, Value: enrich.DefaultWarmUp, Category: categoryProcessing,
			Usage: "events per source before z-score anomalies are reported", EnvVars: envVars(flagAnomalyWarmUp)},
		&cli.Float64Flag{Name: flagAnomalyZ, Value: enrich.DefaultZThreshold, Category: categoryProcessing,
			Usage: "z-score beyond which load or inter-arrival time is anomalous", EnvVars: envVars(flagAnomalyZ)},
		&cli.BoolFlag{Name: flagRedactMetadata, Category: categoryProcessing,
			Usage: "omit metadata from output events (its hash and derived values stay)", EnvVars: envVars(flagRedactMetadata)},
		rulesFlag(),
	}
}

// processingConfigFrom reads the processing flags, loading the --rules
// file when one is given.
func processingConfigFrom(c *cli.Context) (rederive.Config, error) {
	cfg := rederive.Config{
		Intake: intake.Config{
			MaxEventBytes: c.Int(flagMaxEventBytes),
			MaxDepth:      c.Int(flagMaxDepth),
			MaxClockSkew:  c.Duration(flagMaxClockSkew),
		},
		Enrich: enrich.Config{
			Alpha:      c.Float64(flagAnomalyAlpha),
			WarmUp:     c.Uint64(flagAnomalyWarmUp),
			ZThreshold: c.Float64(flagAnomalyZ),
		},
		RedactMetadata: c.Bool(flagRedactMetadata),
	}
	return cfg, applyRulesFlag(c, &cfg)
}
