package enrich

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/internal/config"
)

func TestConfigWithDefaults(t *testing.T) {
	got := Config{}.WithDefaults()
	want := Config{Alpha: DefaultAlpha, WarmUp: DefaultWarmUp, ZThreshold: DefaultZThreshold}
	if got != want {
		t.Fatalf("Config{}.WithDefaults() = %+v, want %+v", got, want)
	}
	custom := Config{Alpha: 0.5, WarmUp: 3, ZThreshold: 2}
	if got := custom.WithDefaults(); got != custom {
		t.Fatalf("WithDefaults changed set fields: %+v", got)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := Config{}.WithDefaults()
	tests := []struct {
		name   string
		mutate func(*Config)
		flags  []string // flags the error must name; none: valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"alpha 1 is allowed", func(c *Config) { c.Alpha = 1 }, nil},
		{"alpha 0", func(c *Config) { c.Alpha = 0 }, []string{"--anomaly-alpha"}},
		{"alpha above 1", func(c *Config) { c.Alpha = 1.5 }, []string{"--anomaly-alpha"}},
		{"alpha negative", func(c *Config) { c.Alpha = -0.1 }, []string{"--anomaly-alpha"}},
		{"alpha NaN", func(c *Config) { c.Alpha = math.NaN() }, []string{"--anomaly-alpha"}},
		{"warm-up 0", func(c *Config) { c.WarmUp = 0 }, []string{"--anomaly-warmup"}},
		{"z 0", func(c *Config) { c.ZThreshold = 0 }, []string{"--anomaly-z"}},
		{"z negative", func(c *Config) { c.ZThreshold = -3 }, []string{"--anomaly-z"}},
		{"z infinite", func(c *Config) { c.ZThreshold = math.Inf(1) }, []string{"--anomaly-z"}},
		{"all at once", func(c *Config) { *c = Config{} }, []string{"--anomaly-alpha", "--anomaly-warmup", "--anomaly-z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.mutate(&c)
			err := c.Validate()
			if len(tt.flags) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %v", tt.flags)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("error %v does not wrap config.ErrInvalid", err)
			}
			var ce *config.FieldError
			if !errors.As(err, &ce) {
				t.Errorf("error %v holds no *config.FieldError", err)
			}
			for _, flag := range tt.flags {
				if !strings.Contains(err.Error(), flag) {
					t.Errorf("error %q does not name %s", err, flag)
				}
			}
		})
	}
}
