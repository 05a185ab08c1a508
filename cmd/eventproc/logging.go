package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/progress"
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

// newLogger builds the structured logger of the contract (docs/contract.md): JSON
// unless w is a terminal (or --log-format says otherwise).
func newLogger(c *cli.Context, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String(flagLogLevel))); err != nil {
		return nil, usageErrorf("--%s %q: use debug, info, warn or error", flagLogLevel, c.String(flagLogLevel))
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationsAsStrings}
	switch f := strings.ToLower(c.String(flagLogFormat)); f {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "auto", "":
		if progress.IsTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usageErrorf("--%s %q: use json, text or auto", flagLogFormat, fmt.Sprint(f))
	}
}

// durationsAsStrings writes every duration as a Go duration string
// ("1.5s", "250ms"), in text and JSON alike: slog's JSON handler would
// write raw nanoseconds, which nobody reads right.
func durationsAsStrings(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}
