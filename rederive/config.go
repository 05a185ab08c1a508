package rederive

import (
	"errors"

	"github.com/eventproc/eventproc/event"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/rules"
)

// Config holds every processing setting that changes a derived value: it
// must equal the processor's for a replay to reproduce its outputs.
type Config struct {
	Intake         intake.Config
	Enrich         enrich.Config
	RedactMetadata bool
	// Rules are the classification rules (--rules); nil means the
	// compiled-in rules. Non-zero anomaly settings in Enrich override
	// the rules' own, as in the processor.
	Rules *rules.Rules
}

// effectiveRules are the rules the processor runs with for c.
func (c Config) effectiveRules() rules.Rules {
	r := rules.Default()
	if c.Rules != nil {
		r = *c.Rules
	}
	return r.WithAnomaly(c.Enrich)
}

// WithDefaults returns c with every zero setting at its default, as the
// processor applies them.
func (c Config) WithDefaults() Config {
	c.Intake = c.Intake.WithDefaults()
	if c.Rules != nil {
		// the rules hold the anomaly settings that flags did not set
		r := c.effectiveRules()
		c.Enrich.Alpha, c.Enrich.WarmUp, c.Enrich.ZThreshold = r.Alpha, r.WarmUp, r.ZThreshold
	}
	c.Enrich = c.Enrich.WithDefaults()
	return c
}

// Validate reports every out-of-range setting, naming its flag. Call it on
// a config that went through WithDefaults.
func (c Config) Validate() error {
	return errors.Join(c.Intake.Validate(), c.Enrich.Validate())
}

// BrokerRefused reports whether a dead letter with reason, for an input
// value of valueSize bytes that intake accepts, is one the broker refused
// rather than one intake rejected: reason unpublishable, or too_large for
// a value within --max-event-bytes (the enriched output was too large for
// the topic). Such an input consumes no sequence number and leaves its
// source's state unchanged, as a rejected one does.
func (c Config) BrokerRefused(reason string, valueSize int) bool {
	switch reason {
	case event.ReasonUnpublishable.String():
		return true
	case event.ReasonTooLarge.String():
		return valueSize <= c.WithDefaults().Intake.MaxEventBytes
	}
	return false
}
