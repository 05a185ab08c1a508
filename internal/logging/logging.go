// Package logging builds the commands' structured logger: JSON for
// machines, text for a person at a terminal, every duration written as a
// Go duration string.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/eventproc/eventproc/internal/progress"
)

// New returns a logger writing to w at level (debug, info, warn or error)
// in format: json, text, or auto (text when w is a terminal, JSON
// otherwise; also for ""). A bad level or format is an error naming the
// --log-level or --log-format flag.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l, ReplaceAttr: durationsAsStrings}
	switch f := strings.ToLower(format); f {
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
		return nil, fmt.Errorf("--log-format %q: use json, text or auto", f)
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
