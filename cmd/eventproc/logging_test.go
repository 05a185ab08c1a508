package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// Durations are Go duration strings in JSON logs, not nanoseconds.
func TestJSONLogDurations(t *testing.T) {
	app := newApp(nil, nil)
	var buf bytes.Buffer
	var got map[string]any
	for _, cmd := range app.Commands {
		if cmd.Name != "run" {
			continue
		}
		cmd.Action = func(c *cli.Context) error {
			log, err := newLogger(c, &buf)
			if err != nil {
				return err
			}
			log.Info("x", "backoff", 250*time.Millisecond)
			return nil
		}
	}
	if err := app.Run([]string{"eventproc", "run", "--log-format", "json"}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["backoff"] != "250ms" {
		t.Errorf("backoff logged as %#v, want 250ms: %s", got["backoff"], buf.String())
	}
}
