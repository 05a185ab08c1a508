package processor

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/internal/config"
	"github.com/eventproc/eventproc/kafkaio"
)

// validConfig is a complete configuration that passes Validate.
func validConfig() Config {
	return Config{
		Client:     kafkaio.ClientConfig{Brokers: []string{"127.0.0.1:9092"}},
		InputTopic: "in", OutputTopic: "out", DLQTopic: "dlq", Group: "g", InstanceID: "i",
	}.WithDefaults()
}

func TestValidConfig(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("Validate(defaults) = %v", err)
	}
}

// TestZeroMaxRetriesKept: MaxRetries 0 is valid and Run's preparation of
// the config keeps it (give up at the first failure), instead of the
// default of 10.
func TestZeroMaxRetriesKept(t *testing.T) {
	cfg := validConfig()
	cfg.MaxRetries = 0
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate(MaxRetries 0) = %v", err)
	}
	if got := cfg.withRuntime().MaxRetries; got != 0 {
		t.Fatalf("Run would use MaxRetries %d, want 0", got)
	}
}

// TestZeroClockSkewKept: Intake.MaxClockSkew 0 is valid and kept.
func TestZeroClockSkewKept(t *testing.T) {
	cfg := validConfig()
	cfg.Intake.MaxClockSkew = 0
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate(MaxClockSkew 0) = %v", err)
	}
	if got := cfg.withRuntime().Intake.MaxClockSkew; got != 0 {
		t.Fatalf("Run would use MaxClockSkew %s, want 0", got)
	}
}

// TestZeroRejected: a setting whose zero means nothing is rejected as a
// *config.FieldError naming it, not silently replaced by its default.
func TestZeroRejected(t *testing.T) {
	for _, tt := range []struct {
		flag string
		zero func(*Config)
	}{
		{"--window-max-events", func(c *Config) { c.WindowMaxEvents = 0 }},
		{"--window-max-wait", func(c *Config) { c.WindowMaxWait = 0 }},
		{"--window-max-bytes", func(c *Config) { c.WindowMaxBytes = 0 }},
		{"FetchMaxBytes", func(c *Config) { c.FetchMaxBytes = 0 }},
		{"--transaction-timeout", func(c *Config) { c.TransactionTimeout = 0 }},
		{"--session-timeout", func(c *Config) { c.SessionTimeout = 0 }},
		{"--shutdown-timeout", func(c *Config) { c.ShutdownTimeout = 0 }},
		{"--retry-backoff", func(c *Config) { c.RetryBackoff = 0 }},
		{"RestoreTimeout", func(c *Config) { c.RestoreTimeout = 0 }},
		{"--max-event-bytes", func(c *Config) { c.Intake.MaxEventBytes = 0 }},
		{"--anomaly-alpha", func(c *Config) { c.Enrich.Alpha = 0 }},
		{"--max-retries", func(c *Config) { c.MaxRetries = -1 }},
		{"--replication-factor", func(c *Config) { c.ReplicationFactor = 0 }},
		{"--min-insync-replicas", func(c *Config) { c.MinInSyncReplicas = 0 }},
		{"--min-insync-replicas", func(c *Config) { c.ReplicationFactor, c.MinInSyncReplicas = 2, 3 }},
	} {
		cfg := validConfig()
		tt.zero(&cfg)
		err := cfg.Validate()
		var fe *config.FieldError
		if !errors.As(err, &fe) || !errors.Is(err, config.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want a *config.FieldError", tt.flag, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.flag+" (") {
			t.Errorf("%s: error %q does not name the setting and its value", tt.flag, err)
		}
	}
}

func TestWithDefaultsKeepsSetFields(t *testing.T) {
	cfg := validConfig()
	cfg.WindowMaxEvents, cfg.RetryBackoff = 7, time.Second
	got := cfg.WithDefaults()
	if got.WindowMaxEvents != 7 || got.RetryBackoff != time.Second {
		t.Fatalf("WithDefaults changed set fields: %+v", got)
	}
}

// TestNewMetricsTwiceIsAnError: registering a second processor's metrics
// with the same registerer fails with an error instead of a panic, and
// leaves the registry with the first processor's metrics only.
func TestNewMetricsTwiceIsAnError(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatalf("first registration: %v", err)
	}
	before, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	_, err = newMetrics(reg)
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) {
		t.Fatalf("second registration: %v, want an AlreadyRegisteredError", err)
	}
	after, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("registry holds %d metric families after the failed registration, %d before", len(after), len(before))
	}
	if _, err := newMetrics(nil); err != nil {
		t.Errorf("newMetrics(nil): %v", err)
	}
}
