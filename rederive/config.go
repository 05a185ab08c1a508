package rederive

import (
	"errors"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
)

// Config holds every processing setting that changes a derived value: it
// must equal the processor's for a replay to reproduce its outputs.
type Config struct {
	Intake         intake.Config
	Enrich         enrich.Config
	RedactMetadata bool
}

// WithDefaults returns c with every zero setting at its default, as the
// processor applies them.
func (c Config) WithDefaults() Config {
	c.Intake = c.Intake.WithDefaults()
	c.Enrich = c.Enrich.WithDefaults()
	return c
}

// Validate reports every out-of-range setting, naming its flag. Call it on
// a config that went through WithDefaults.
func (c Config) Validate() error {
	return errors.Join(c.Intake.Validate(), c.Enrich.Validate())
}
