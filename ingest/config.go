package ingest

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/intake"
)

// Defaults of the ingest settings.
const (
	DefaultMaxRequestBytes   = 4 << 20
	DefaultMaxInflightBytes  = 64 << 20
	DefaultIdempotencyWindow = 10 * time.Minute
	DefaultIdempotencyKeys   = 100_000
	DefaultRetryAfter        = time.Second

	// maxIdempotencyKeyBytes bounds one Idempotency-Key header, so that
	// the window's memory is bounded by its number of keys.
	maxIdempotencyKeyBytes = 255
)

// Config holds the handler's limits and collaborators.
type Config struct {
	// MaxRequestBytes refuses larger bodies with 413 (--max-request-bytes).
	MaxRequestBytes int64
	// MaxInflightBytes bounds the request bodies held at once, read or
	// being produced; a request that does not fit is refused with 429
	// (--max-inflight-bytes). It must be at least MaxRequestBytes.
	MaxInflightBytes int64
	// IdempotencyWindow is how long a response is remembered under its
	// Idempotency-Key (--idempotency-window).
	IdempotencyWindow time.Duration
	// IdempotencyKeys bounds how many keys are remembered; the oldest is
	// forgotten first (--idempotency-keys).
	IdempotencyKeys int
	// RetryAfter is the Retry-After of 429 and 503 answers.
	RetryAfter time.Duration
	// AuthToken, when not empty, is the bearer token every POST must
	// carry. It is never logged.
	AuthToken []byte
	// Intake holds the limits shared with the processor's decoder
	// (--max-event-bytes, --max-depth).
	Intake intake.Config

	// Ready reports whether the broker can take records (for /readyz);
	// nil means always ready.
	Ready func() error
	// Now is the clock of the idempotency window; nil is time.Now.
	Now func() time.Time
	// Logger receives request failures; nil discards.
	Logger *slog.Logger
	// Registerer receives the eventproc_ingest_* metrics; nil registers
	// nowhere.
	Registerer prometheus.Registerer
}

// WithDefaults returns c with unset limits and collaborators defaulted.
func (c Config) WithDefaults() Config {
	c.Intake = c.Intake.WithDefaults()
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.MaxInflightBytes == 0 {
		c.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if c.IdempotencyWindow == 0 {
		c.IdempotencyWindow = DefaultIdempotencyWindow
	}
	if c.IdempotencyKeys == 0 {
		c.IdempotencyKeys = DefaultIdempotencyKeys
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	c.Intake = c.Intake.WithDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first out-of-range setting, naming its flag. Call
// it on a config that went through WithDefaults.
func (c Config) Validate() error {
	switch {
	case c.MaxRequestBytes < 1:
		return fmt.Errorf("--max-request-bytes must be positive, got %d", c.MaxRequestBytes)
	case c.MaxInflightBytes < c.MaxRequestBytes:
		return fmt.Errorf("--max-inflight-bytes %d must be at least --max-request-bytes %d, or no request could ever be admitted",
			c.MaxInflightBytes, c.MaxRequestBytes)
	case c.IdempotencyWindow < 0:
		return fmt.Errorf("--idempotency-window must not be negative, got %s", c.IdempotencyWindow)
	case c.IdempotencyKeys < 1:
		return fmt.Errorf("--idempotency-keys must be positive, got %d", c.IdempotencyKeys)
	case c.RetryAfter < time.Second:
		return fmt.Errorf("retry-after must be at least 1s, got %s", c.RetryAfter)
	}
	return c.Intake.Validate()
}

// ReadToken reads the bearer token of --auth-token-file, trimming
// surrounding space (a trailing newline); an empty file is an error. The
// token itself never appears in a message.
func ReadToken(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--auth-token-file: %w", err)
	}
	token := bytes.TrimSpace(b)
	if len(token) == 0 {
		return nil, fmt.Errorf("--auth-token-file %s is empty: write the token into it, or drop the flag to disable authentication", path)
	}
	return token, nil
}
