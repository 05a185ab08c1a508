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
	"github.com/eventproc/eventproc/internal/config"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/rules"
)

// Config is one processor member's configuration. Run uses it exactly as
// given: build it with every field set (the command line passes each flag's
// value), or call WithDefaults to fill the fields left zero. Validate
// accepts zero where it means something (MaxRetries 0: no retries) and
// rejects it, naming the flag, where it does not.
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

	// Ordering is partition (each output partition ordered on its own) or
	// global (one stream on output partition 0, one active member).
	Ordering Ordering
	// StandbyReplicas is how many members besides its owner keep a warm
	// copy of each partition's state with partition ordering (0: none; a
	// member taking a partition over then reads its whole changelog). With
	// global ordering every member that owns nothing is a warm standby of
	// all partitions, and this must be 0.
	StandbyReplicas int

	WindowMaxEvents int
	WindowMaxWait   time.Duration
	// SequentialWindows collects each window only once the previous one
	// committed. By default a window's transaction is ended while the
	// records fetched meanwhile are processed as the next window.
	SequentialWindows bool
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
	// Run gives up with an error (records are never skipped). Zero gives
	// up at the first failure.
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

	// Clock and Logger default to time.Now and a discarding logger when nil.
	Clock      func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Health receives readiness; nil means nobody asks.
	Health *Health
	// Hooks are extra franz-go hooks (e.g. kprom) for the session client.
	Hooks []kgo.Hook
	// OnCommit, when set, is called after each committed window with its
	// counts, on Run's goroutine: it must be quick and must not block.
	OnCommit func(WindowStats)

	// crashBeforeEnd, set by tests, simulates a crash: when it returns
	// true for a window, the member drops its client with the window's
	// records produced but the transaction never ended.
	crashBeforeEnd func(window uint64) bool
}

// Defaults of the processor's settings (the run command's flag defaults).
const (
	DefaultWindowMaxEvents    = 5000
	DefaultWindowMaxWait      = 50 * time.Millisecond
	DefaultWindowMaxBytes     = 32 << 20
	DefaultFetchMaxBytes      = 2 << 20
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

// WithDefaults returns c with every zero setting, including those of
// Intake and Enrich, set to its default. Fields set to a meaningful zero
// (MaxRetries) are defaulted too: set them after calling WithDefaults.
func (c Config) WithDefaults() Config {
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
	if c.Rules != nil {
		// the rules hold the anomaly settings that were not set
		r := c.Rules.WithAnomaly(c.Enrich)
		c.Enrich.Alpha, c.Enrich.WarmUp, c.Enrich.ZThreshold = r.Alpha, r.WarmUp, r.ZThreshold
	}
	c.Enrich = c.Enrich.WithDefaults()
	return c
}

// effectiveRules are the rules the member classifies under: c.Rules (nil:
// the compiled-in ones) with the anomaly settings of c.Enrich.
func (c Config) effectiveRules() rules.Rules {
	r := rules.Default()
	if c.Rules != nil {
		r = *c.Rules
	}
	return r.WithAnomaly(c.Enrich)
}

// withRuntime fills in the clock and logger, which are not settings: Run
// changes nothing else of the configuration it is given.
func (c Config) withRuntime() Config {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every configuration mistake, each a *config.FieldError
// naming its flag (joined with errors.Join), or nil. It checks c as given,
// zeros included.
func (c Config) Validate() error {
	var errs []error
	bad := func(flag string, v any, format string, args ...any) {
		errs = append(errs, config.Errorf(flag, v, format, args...))
	}
	if err := c.Client.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct{ v, flag string }{
		{c.InputTopic, "--input-topic"}, {c.OutputTopic, "--output-topic"}, {c.DLQTopic, "--dlq-topic"},
		{c.Group, "--group"}, {c.InstanceID, "--instance-id"},
	} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, &config.FieldError{Flag: f.flag, Msg: "must not be empty"})
		}
	}
	names := map[string]string{}
	for _, f := range []struct{ v, flag string }{
		{c.InputTopic, "--input-topic"}, {c.OutputTopic, "--output-topic"}, {c.DLQTopic, "--dlq-topic"}, {c.ChangelogTopic(), "the state changelog (<group>-state)"},
	} {
		if other, dup := names[f.v]; dup && f.v != "" {
			bad(f.flag, f.v, "names the same topic as %s: each must be distinct", other)
		}
		names[f.v] = f.flag
	}
	if c.Ordering != OrderingPartition && c.Ordering != OrderingGlobal {
		bad("--ordering", c.Ordering, "must be partition or global")
	}
	switch {
	case c.StandbyReplicas < 0:
		bad("--standby-replicas", c.StandbyReplicas, "must be 0 or more")
	case c.StandbyReplicas > 0 && c.Ordering == OrderingGlobal:
		bad("--standby-replicas", c.StandbyReplicas, "applies to --ordering partition: with --ordering global every member that owns nothing already keeps all partitions warm; remove the flag")
	}
	if c.WindowMaxEvents < 1 {
		bad("--window-max-events", c.WindowMaxEvents, "must be at least 1")
	}
	if c.WindowMaxWait <= 0 {
		bad("--window-max-wait", c.WindowMaxWait, "must be positive")
	}
	if c.WindowMaxBytes < max(1, c.Intake.MaxEventBytes) {
		bad("--window-max-bytes", c.WindowMaxBytes, "must be at least --max-event-bytes (%d)", c.Intake.MaxEventBytes)
	}
	if c.FetchMaxBytes < 1 {
		bad("FetchMaxBytes", c.FetchMaxBytes, "must be positive")
	}
	if c.TransactionTimeout < time.Second {
		bad("--transaction-timeout", c.TransactionTimeout, "must be at least 1s")
	}
	if c.WindowMaxWait >= c.TransactionTimeout {
		bad("--window-max-wait", c.WindowMaxWait, "must be shorter than --transaction-timeout (%s)", c.TransactionTimeout)
	}
	if c.SessionTimeout < 2*time.Second {
		bad("--session-timeout", c.SessionTimeout, "must be at least 2s")
	}
	if c.ShutdownTimeout <= 0 {
		bad("--shutdown-timeout", c.ShutdownTimeout, "must be positive")
	}
	if c.RetryBackoff <= 0 {
		bad("--retry-backoff", c.RetryBackoff, "must be positive")
	}
	if c.RetryBackoffMax < c.RetryBackoff {
		bad("--retry-backoff-max", c.RetryBackoffMax, "must be at least --retry-backoff (%s)", c.RetryBackoff)
	}
	if c.ReplicationFactor < -1 || c.ReplicationFactor == 0 {
		bad("--replication-factor", c.ReplicationFactor, "must be -1 (the broker's default) or at least 1")
	}
	if c.MinInSyncReplicas < -1 || c.MinInSyncReplicas == 0 {
		bad("--min-insync-replicas", c.MinInSyncReplicas, "must be -1 (the broker's default) or at least 1")
	}
	if c.ReplicationFactor > 0 && c.MinInSyncReplicas > int(c.ReplicationFactor) {
		bad("--min-insync-replicas", c.MinInSyncReplicas, "must not exceed --replication-factor (%d): no write could succeed", c.ReplicationFactor)
	}
	if c.MaxRetries < 0 {
		bad("--max-retries", c.MaxRetries, "must not be negative (0 gives up at the first failed window)")
	}
	if c.RestoreTimeout <= 0 {
		bad("RestoreTimeout", c.RestoreTimeout, "must be positive")
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
