package processor

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/rules"
)

// Config is one processor member's configuration. Zero values take the
// defaults of contract section 6 (see withDefaults).
type Config struct {
	Client kafkaio.ClientConfig

	InputTopic, OutputTopic, DLQTopic string
	// Group is the consumer group; the state changelog is <Group>-state.
	Group string
	// InstanceID names this member; the transactional id is
	// <Group>-<InstanceID>, so a restart with the same id fences the
	// previous incarnation at once.
	InstanceID string
	// CreateTopics creates missing output and DLQ topics.
	CreateTopics bool
	// ReplicationFactor and MinInSyncReplicas apply to the topics
	// eventproc creates (output, DLQ, changelog); -1 takes the broker's
	// defaults (default.replication.factor, min.insync.replicas).
	ReplicationFactor int16
	MinInSyncReplicas int
	// AllowSharedOutput starts even when the output topic's last records
	// were published by another group (which doubles the output).
	AllowSharedOutput bool

	WindowMaxEvents int
	WindowMaxWait   time.Duration
	// WindowMaxBytes bounds the input bytes held by an open window.
	WindowMaxBytes int
	// FetchMaxBytes bounds one fetch's buffered bytes.
	FetchMaxBytes int32

	TransactionTimeout time.Duration
	// SessionTimeout is how long the group waits for a silent member
	// before moving its partitions; a restart under the same instance id
	// within it takes the member's place with no rebalance.
	SessionTimeout  time.Duration
	ShutdownTimeout time.Duration
	RetryBackoff    time.Duration
	RetryBackoffMax time.Duration
	// MaxRetries is how many consecutive failed windows are retried before
	// Run gives up with an error (records are never skipped).
	MaxRetries int
	// RestoreTimeout bounds waiting for a partition's changelog to catch
	// up with the group's committed offset.
	RestoreTimeout time.Duration

	Intake intake.Config
	Enrich enrich.Config
	// Rules are the classification rules (--rules); nil means the
	// compiled-in rules. Non-zero anomaly settings in Enrich (the
	// --anomaly-* flags) replace the rules' own.
	Rules          *rules.Rules
	RedactMetadata bool

	Clock      func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Health receives readiness; nil means nobody asks.
	Health *Health
	// Hooks are extra franz-go hooks (e.g. kprom) for the session client.
	Hooks []kgo.Hook

	// crashBeforeEnd, set by tests, simulates a crash: when it returns
	// true for a window, the member drops its client with the window's
	// records produced but the transaction never ended.
	crashBeforeEnd func(window uint64) bool
}

// Defaults of contract section 6.
const (
	DefaultWindowMaxEvents    = 10000
	DefaultWindowMaxWait      = 50 * time.Millisecond
	DefaultWindowMaxBytes     = 32 << 20
	DefaultFetchMaxBytes      = 16 << 20
	DefaultTransactionTimeout = 10 * time.Second
	DefaultSessionTimeout     = 45 * time.Second
	DefaultShutdownTimeout    = 30 * time.Second
	DefaultRetryBackoff       = 100 * time.Millisecond
	DefaultRetryBackoffMax    = 10 * time.Second
	DefaultMaxRetries         = 10
	DefaultRestoreTimeout     = 60 * time.Second
)

// ChangelogTopic is the state changelog's name: <group>-state.
func (c Config) ChangelogTopic() string { return c.Group + "-state" }

// TransactionalID is <group>-<instance-id>.
func (c Config) TransactionalID() string { return c.Group + "-" + c.InstanceID }

func (c Config) withDefaults() Config {
	if c.WindowMaxEvents == 0 {
		c.WindowMaxEvents = DefaultWindowMaxEvents
	}
	if c.WindowMaxWait == 0 {
		c.WindowMaxWait = DefaultWindowMaxWait
	}
	if c.WindowMaxBytes == 0 {
		c.WindowMaxBytes = DefaultWindowMaxBytes
	}
	if c.FetchMaxBytes == 0 {
		c.FetchMaxBytes = DefaultFetchMaxBytes
	}
	if c.TransactionTimeout == 0 {
		c.TransactionTimeout = DefaultTransactionTimeout
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.RetryBackoffMax == 0 {
		c.RetryBackoffMax = DefaultRetryBackoffMax
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.RestoreTimeout == 0 {
		c.RestoreTimeout = DefaultRestoreTimeout
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = -1 // 0 replicas is no setting: the broker's default
	}
	if c.MinInSyncReplicas == 0 {
		c.MinInSyncReplicas = -1
	}
	c.Intake = c.Intake.WithDefaults()
	effective := rules.Default()
	if c.Rules != nil {
		effective = *c.Rules
	}
	effective = effective.WithAnomaly(c.Enrich)
	c.Rules = &effective
	c.Enrich = enrich.Config{Alpha: effective.Alpha, WarmUp: effective.WarmUp, ZThreshold: effective.ZThreshold}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every configuration mistake, each naming its flag.
func (c Config) Validate() error {
	var errs []error
	if err := c.Client.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct{ v, flag string }{
		{c.InputTopic, "--input-topic"}, {c.OutputTopic, "--output-topic"}, {c.DLQTopic, "--dlq-topic"},
		{c.Group, "--group"}, {c.InstanceID, "--instance-id"},
	} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, fmt.Errorf("%s must not be empty", f.flag))
		}
	}
	names := map[string]string{}
	for _, f := range []struct{ v, flag string }{
		{c.InputTopic, "--input-topic"}, {c.OutputTopic, "--output-topic"}, {c.DLQTopic, "--dlq-topic"}, {c.ChangelogTopic(), "the state changelog (<group>-state)"},
	} {
		if other, dup := names[f.v]; dup && f.v != "" {
			errs = append(errs, fmt.Errorf("%s and %s name the same topic %q: each must be distinct", other, f.flag, f.v))
		}
		names[f.v] = f.flag
	}
	if c.WindowMaxEvents < 1 {
		errs = append(errs, fmt.Errorf("--window-max-events must be at least 1, got %d", c.WindowMaxEvents))
	}
	if c.WindowMaxWait <= 0 {
		errs = append(errs, fmt.Errorf("--window-max-wait must be positive, got %s", c.WindowMaxWait))
	}
	if c.WindowMaxBytes < c.Intake.MaxEventBytes {
		errs = append(errs, fmt.Errorf("--window-max-bytes (%d) must be at least --max-event-bytes (%d)", c.WindowMaxBytes, c.Intake.MaxEventBytes))
	}
	if c.TransactionTimeout < time.Second {
		errs = append(errs, fmt.Errorf("--transaction-timeout must be at least 1s, got %s", c.TransactionTimeout))
	}
	if c.WindowMaxWait >= c.TransactionTimeout {
		errs = append(errs, fmt.Errorf("--window-max-wait (%s) must be shorter than --transaction-timeout (%s)", c.WindowMaxWait, c.TransactionTimeout))
	}
	if c.SessionTimeout < 2*time.Second {
		errs = append(errs, fmt.Errorf("--session-timeout must be at least 2s, got %s", c.SessionTimeout))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout must be positive, got %s", c.ShutdownTimeout))
	}
	if c.RetryBackoff <= 0 || c.RetryBackoffMax < c.RetryBackoff {
		errs = append(errs, fmt.Errorf("--retry-backoff (%s) must be positive and at most --retry-backoff-max (%s)", c.RetryBackoff, c.RetryBackoffMax))
	}
	if c.ReplicationFactor < -1 {
		errs = append(errs, fmt.Errorf("--replication-factor must be -1 (broker default) or at least 1, got %d", c.ReplicationFactor))
	}
	if c.MinInSyncReplicas < -1 {
		errs = append(errs, fmt.Errorf("--min-insync-replicas must be -1 (broker default) or at least 1, got %d", c.MinInSyncReplicas))
	}
	if c.ReplicationFactor > 0 && c.MinInSyncReplicas > int(c.ReplicationFactor) {
		errs = append(errs, fmt.Errorf("--min-insync-replicas (%d) must not exceed --replication-factor (%d): no write could succeed", c.MinInSyncReplicas, c.ReplicationFactor))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("--max-retries must not be negative, got %d", c.MaxRetries))
	}
	if err := c.Intake.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Enrich.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Rules != nil {
		if err := c.Rules.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--rules: %w", err))
		}
	}
	return errors.Join(errs...)
}
