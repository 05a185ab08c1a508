package intake

import (
	"errors"
	"time"

	"github.com/eventproc/eventproc/internal/config"
)

// Defaults of the contract (section 3 and section 2).
const (
	DefaultMaxEventBytes = 1 << 20
	DefaultMaxDepth      = 32
	DefaultMaxClockSkew  = 5 * time.Minute

	// maxMaxEventBytes bounds --max-event-bytes well above any sane Kafka
	// max.message.bytes while keeping offsets comfortably inside int32-free
	// arithmetic on 32-bit platforms.
	maxMaxEventBytes = 1 << 30
	// maxMaxDepth matches encoding/json's own nesting limit, so that a
	// value json.Valid rejects for depth is always rejected here as too_deep
	// first, and so that the decoder's depth stack stays small.
	maxMaxDepth = 10000
	// minMaxDepth keeps room for the metadata object under the top-level
	// object (depth 1 is the event itself).
	minMaxDepth = 2
)

// Config holds the decoder's limits. Build it with every field set, or call
// WithDefaults to fill the fields left zero; NewDecoder uses it as given.
type Config struct {
	// MaxEventBytes rejects longer values as too_large (--max-event-bytes).
	MaxEventBytes int
	// MaxDepth rejects values nested deeper as too_deep; the top-level
	// object is depth 1 (--max-depth).
	MaxDepth int
	// MaxClockSkew is how far a timestamp may lie after the record's broker
	// timestamp before it is corrected (--max-clock-skew). Zero tolerates
	// no skew: any timestamp after the broker timestamp is corrected.
	MaxClockSkew time.Duration
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.MaxEventBytes == 0 {
		c.MaxEventBytes = DefaultMaxEventBytes
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.MaxClockSkew == 0 {
		c.MaxClockSkew = DefaultMaxClockSkew
	}
	return c
}

// Validate reports every out-of-range limit as a *config.FieldError
// naming the flag to fix (joined with errors.Join), or nil. It checks c as
// given: zero MaxEventBytes and MaxDepth are rejected, zero MaxClockSkew is
// valid.
func (c Config) Validate() error {
	var errs []error
	if c.MaxEventBytes < 1 || c.MaxEventBytes > maxMaxEventBytes {
		errs = append(errs, config.Errorf("--max-event-bytes", c.MaxEventBytes, "must be between 1 and %d", maxMaxEventBytes))
	}
	if c.MaxDepth < minMaxDepth || c.MaxDepth > maxMaxDepth {
		errs = append(errs, config.Errorf("--max-depth", c.MaxDepth, "must be between %d and %d", minMaxDepth, maxMaxDepth))
	}
	if c.MaxClockSkew < 0 {
		errs = append(errs, config.Errorf("--max-clock-skew", c.MaxClockSkew, "must not be negative"))
	}
	return errors.Join(errs...)
}
