package main

import (
	"io"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/logging"
)

const (
	flagLogLevel  = "log-level"
	flagLogFormat = "log-format"
)

func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagLogLevel, Value: "info", Category: categoryOperations,
			Usage: "log level: debug, info, warn or error", EnvVars: envVars(flagLogLevel)},
		&cli.StringFlag{Name: flagLogFormat, Value: "auto", Category: categoryOperations,
			Usage: "log format: json, text, or auto (text on a terminal, JSON otherwise)", EnvVars: envVars(flagLogFormat)},
	}
}

const categoryOperations = "Operations"

// newLogger builds the structured logger from the log flags: JSON
// unless w is a terminal (or --log-format says otherwise).
func newLogger(c *cli.Context, w io.Writer) (*slog.Logger, error) {
	log, err := logging.New(w, c.String(flagLogLevel), c.String(flagLogFormat))
	return log, asUsageError(err)
}
