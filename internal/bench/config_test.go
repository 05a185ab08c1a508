package bench

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/internal/gen"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Embedded: true, Events: 10, Partitions: 1, LatencyLoad: 0.5, WindowMaxEvents: 1,
		WindowMaxWait: time.Second, Gen: gen.Config{Sources: 1, Seed: 1}}
	for _, tt := range []struct {
		edit    func(*Config)
		wantErr string
	}{
		{func(*Config) {}, ""},
		{func(c *Config) { c.Events = 0 }, "--events 0: need at least 1"},
		{func(c *Config) { c.Partitions = 0 }, "--partitions 0: need at least 1"},
		{func(c *Config) { c.Gen.Sources = 0 }, "--sources 0: need at least 1"},
		{func(c *Config) { c.Rate = math.NaN() }, "--rate NaN: must be 0 (peak) or a positive rate"},
		{func(c *Config) { c.LatencyLoad = 1.5 }, "--latency-load 1.5: must be in [0, 1]"},
		{func(c *Config) { c.WindowMaxEvents = 0 }, "--window-max-events 0: need at least 1"},
		{func(c *Config) { c.WindowMaxWait = time.Hour }, "--window-max-wait 1h0m0s: must be positive and below the transaction timeout"},
		{func(c *Config) { c.Gen.MalformedRatio = 2 }, "--malformed-ratio/--sources: "},
		{func(c *Config) { c.Embedded = false }, "brokers"},
	} {
		cfg := ok
		tt.edit(&cfg)
		err := cfg.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", cfg, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%+v: err %v, want one containing %q", cfg, err, tt.wantErr)
		}
	}
}
