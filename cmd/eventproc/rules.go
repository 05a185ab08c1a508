package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/rederive"
	"github.com/eventproc/eventproc/rules"
)

// Names of the rules flags. --rules is a run flag; the others belong to
// the rules command.
const (
	flagRules         = "rules"
	flagPrintDefaults = "print-defaults"
	flagCheck         = "check"
	flagExplain       = "explain"
)

// rulesFlag is --rules, a processing flag of run and verify.
func rulesFlag() cli.Flag {
	return &cli.StringFlag{Name: flagRules, Category: categoryProcessing, TakesFile: true,
		Usage: "classification rules file (YAML; see eventproc rules --print-defaults); empty uses the compiled-in rules. Changing it takes a restart", EnvVars: envVars(flagRules)}
}

// applyRulesFlag loads --rules into cfg. The file then also holds the
// anomaly settings, so setting an --anomaly-* flag as well is a mistake.
func applyRulesFlag(c *cli.Context, cfg *rederive.Config) error {
	path := c.String(flagRules)
	if path == "" {
		return nil
	}
	var errs []error
	for _, f := range []struct{ flag, key string }{
		{flagAnomalyAlpha, "anomaly.alpha"}, {flagAnomalyWarmUp, "anomaly.warmup"}, {flagAnomalyZ, "anomaly.z_threshold"},
	} {
		if c.IsSet(f.flag) {
			errs = append(errs, fmt.Errorf("--%s cannot be combined with --%s: set %s in %s", f.flag, flagRules, f.key, path))
		}
	}
	r, err := rules.Load(path)
	if err != nil {
		errs = append(errs, fmt.Errorf("--%s: %w", flagRules, err))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	cfg.Rules = &r
	cfg.Enrich.Alpha, cfg.Enrich.WarmUp, cfg.Enrich.ZThreshold = r.Alpha, r.WarmUp, r.ZThreshold
	return nil
}

func rulesCommand() *cli.Command {
	return &cli.Command{
		Name:  "rules",
		Usage: "print the default classification rules, check a rules file, explain an event's classification",
		UsageText: "eventproc rules --print-defaults > rules.yaml\n" +
			"eventproc rules --check rules.yaml\n" +
			"eventproc rules --check rules.yaml --explain event.json",
		Description: "--print-defaults writes the compiled-in rules as a complete rules file.\n" +
			"--check FILE validates a rules file (every mistake, with its line) and prints its rules_version.\n" +
			"--explain EVENT.json (with --check, or under the defaults) shows how one input event would be\n" +
			"classified and scored, factor by factor.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flagPrintDefaults, Usage: "print the compiled-in rules as YAML", EnvVars: envVars(flagPrintDefaults)},
			&cli.StringFlag{Name: flagCheck, TakesFile: true, Usage: "rules file to validate", EnvVars: envVars(flagCheck)},
			&cli.StringFlag{Name: flagExplain, TakesFile: true, Usage: "input event (JSON) to explain under the rules", EnvVars: envVars(flagExplain)},
		},
		Action: rulesAction,
	}
}

func rulesAction(c *cli.Context) error {
	if c.Bool(flagPrintDefaults) {
		if c.IsSet(flagCheck) || c.IsSet(flagExplain) {
			return usageErrorf("--%s takes no other flag", flagPrintDefaults)
		}
		_, err := c.App.Writer.Write(rules.Default().Encode())
		return err
	}
	if !c.IsSet(flagCheck) && !c.IsSet(flagExplain) {
		return usageErrorf("give --%s, --%s FILE or --%s EVENT.json", flagPrintDefaults, flagCheck, flagExplain)
	}
	st, err := rules.LoadStages(c.String(flagCheck))
	if err != nil {
		return usageErrorf("%w", err)
	}
	if c.IsSet(flagCheck) {
		fmt.Fprintf(c.App.Writer, "%s: ok, rules_version %s\n", c.String(flagCheck), st.Version)
	}
	path := c.String(flagExplain)
	if path == "" {
		return nil
	}
	value, err := os.ReadFile(path)
	if err != nil {
		return usageErrorf("--%s: %w", flagExplain, err)
	}
	ev, err := rules.DecodeInput(value, time.Now())
	if errors.Is(err, rules.ErrWouldDeadLetter) {
		return usageErrorf("--%s %s: %w", flagExplain, path, err)
	} else if err != nil {
		return err
	}
	if c.IsSet(flagCheck) {
		fmt.Fprintln(c.App.Writer)
	}
	return rules.Explain(c.App.Writer, st, &ev)
}
