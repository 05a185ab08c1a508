package main

import (
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/flagfile"
)

// Flags of the run command's configuration file. The file is
// YAML whose keys are run's flag names; precedence, highest first:
// command-line flag > EVENTPROC_* environment variable > file > default.
// altsrc gives that order: it applies a file value only to a flag that is
// neither set on the command line nor has its environment variable set
// (even to the empty string).
const (
	flagConfig      = "config"
	flagCheckConfig = "check-config"
)

// secretKeys can never come from the configuration file: secrets come from
// the environment or from a file of their own, so that a config file
// (often a ConfigMap, or checked in) never holds one.
var secretKeys = map[string]string{
	"sasl-password": "set $" + saslPasswordEnv + " or --sasl-password-file instead",
	"password":      "set $" + saslPasswordEnv + " or --sasl-password-file instead",
}

func configFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagConfig, Category: categoryOperations, TakesFile: true,
			Usage:   "YAML file of run flags (keys are flag names, e.g. window-max-events: 5000); flags and EVENTPROC_* variables override it",
			EnvVars: envVars(flagConfig)},
		&cli.BoolFlag{Name: flagCheckConfig, Category: categoryOperations,
			Usage:   "validate the configuration, print the effective settings as YAML (usable as --config) and exit without connecting",
			EnvVars: envVars(flagCheckConfig)},
	}
}

// configFileBefore reads the --config file: every key must be one of
// known, and the values are applied to the flags of apply.
func configFileBefore(known, apply []cli.Flag) cli.BeforeFunc {
	before := flagfile.Before(flagConfig, known, apply, fileRules())
	return func(c *cli.Context) error { return asUsageError(before(c)) }
}

// fileRules are the keys a config file may not set.
func fileRules() flagfile.Rules {
	return flagfile.Rules{
		Secrets:         secretKeys,
		CommandLineOnly: map[string]string{flagConfig: envVars(flagConfig)[0], flagCheckConfig: envVars(flagCheckConfig)[0]},
		ListKeys:        []string{flagBrokers},
		Command:         "eventproc run",
	}
}

// fileConfigurable wraps each flag so that altsrc can set it from the
// configuration file.
func fileConfigurable(flags []cli.Flag) []cli.Flag { return flagfile.Configurable(flags) }

func parseConfigFile(data []byte, flags []cli.Flag) (map[any]any, error) {
	return flagfile.Parse(data, flags, fileRules())
}

// writeEffectiveConfig prints the effective settings as a file --config
// accepts. The SASL password is never printed, only whether one is set.
func writeEffectiveConfig(w io.Writer, c *cli.Context, flags []cli.Flag) error {
	pw := "not set"
	if os.Getenv(saslPasswordEnv) != "" {
		pw = "set (not shown)"
	}
	return flagfile.WriteEffective(w, c, flags, []string{flagConfig, flagCheckConfig}, "effective configuration of eventproc run\n"+
		"precedence: command-line flag > EVENTPROC_* environment > --config file > default\n"+
		"$"+saslPasswordEnv+": "+pw)
}

// fileConfigurableNames lists the flags a config file may set.
func fileConfigurableNames(flags []cli.Flag) []string {
	return flagfile.Names(flags, []string{flagConfig, flagCheckConfig})
}
