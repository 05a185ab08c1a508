package demo

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/internal/gen"
)

// A small demo processes every event, passes the exactly-once audit and
// summarises what the members counted.
func TestRunPassesTheAudit(t *testing.T) {
	var out bytes.Buffer
	err := Run(t.Context(), Config{
		Events: 600, Partitions: 3, Members: 2, Gen: gen.Config{Sources: 20, MalformedRatio: 0.05, Seed: 3},
		WindowMaxEvents: 200, WindowMaxWait: 20 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), Out: &out, Progress: io.Discard,
	})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"Total Received:      600", "Exactly-once audit:  PASS — 600 inputs"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Events: 1, Partitions: 1, Members: 1, Gen: gen.Config{Sources: 1, Seed: 1}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
	for _, edit := range []func(*Config){
		func(c *Config) { c.Events = 0 }, func(c *Config) { c.Partitions = 0 }, func(c *Config) { c.Members = 0 },
	} {
		cfg := ok
		edit(&cfg)
		if err := cfg.Validate(); err == nil || err.Error() != "--events, --partitions and --members must be at least 1" {
			t.Errorf("Validate(%+v) = %v", cfg, err)
		}
	}
	bad := ok
	bad.Gen.MalformedRatio = 2
	if err := bad.Validate(); err == nil {
		t.Errorf("Validate(%+v) accepted a malformed ratio of 2", bad)
	}
}
