package enrich

import (
	"errors"
	"math"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/config"
)

// Defaults of Config.
const (
	// DefaultAlpha: an EWMA weight of 0.1 gives the baseline an effective
	// memory of about 1/α = 10 events: quick to settle after a source
	// starts, slow enough that one outlier barely moves it.
	DefaultAlpha = 0.1
	// DefaultWarmUp: 20 samples before z-scores count, so the first events
	// of a source (whose baseline is still mostly its first value) are not
	// flagged.
	DefaultWarmUp = 20
	// DefaultZThreshold: |z| > 3 is the usual "three sigma" outlier rule,
	// about 0.3 % of a normal distribution.
	DefaultZThreshold = 3.0
)

// Config tunes anomaly detection. Build it with every field set, or call
// WithDefaults to fill the fields left zero; zero is never valid here.
type Config struct {
	// Alpha is the EWMA weight of the newest sample, in (0, 1]
	// (--anomaly-alpha).
	Alpha float64
	// WarmUp is how many samples a baseline must have absorbed before its
	// z-scores count, at least 1 (--anomaly-warmup).
	WarmUp uint64
	// ZThreshold is the z-score beyond which a value is anomalous, > 0
	// (--anomaly-z).
	ZThreshold float64
	// CategoryBonus is the risk term of each category, indexed by
	// event.Category, each in [0, 1]; nil means DefaultCategoryBonus.
	CategoryBonus *[event.NumCategories]float64
	// RulesHash identifies rules other than the compiled-in ones; it is
	// part of the processing signature's input, so the same event
	// processed under other rules has another signature. nil means the
	// compiled-in rules, whose signatures are those of a build without
	// a rules file.
	RulesHash *[8]byte
}

// DefaultCategoryBonus returns the compiled-in category risk bonuses.
func DefaultCategoryBonus() [event.NumCategories]float64 {
	var b [event.NumCategories]float64
	for c := event.Category(0); c < event.NumCategories; c++ {
		b[c] = categoryBonus(c)
	}
	return b
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	}
	if c.WarmUp == 0 {
		c.WarmUp = DefaultWarmUp
	}
	if c.ZThreshold == 0 {
		c.ZThreshold = DefaultZThreshold
	}
	return c
}

// Validate reports every invalid field as a *config.FieldError naming its
// flag (joined with errors.Join), or nil. It checks c as given: no field
// of Config has a meaningful zero, so zeros are rejected.
func (c Config) Validate() error {
	var errs []error
	if !(c.Alpha > 0 && c.Alpha <= 1) { // also rejects NaN
		errs = append(errs, config.Errorf("--anomaly-alpha", c.Alpha, "must be in (0, 1]"))
	}
	if c.WarmUp < 1 {
		errs = append(errs, config.Errorf("--anomaly-warmup", c.WarmUp, "must be at least 1"))
	}
	if !(c.ZThreshold > 0) || math.IsInf(c.ZThreshold, 1) {
		errs = append(errs, config.Errorf("--anomaly-z", c.ZThreshold, "must be a positive finite number"))
	}
	if c.CategoryBonus != nil {
		for cat, b := range c.CategoryBonus {
			if !(b >= 0 && b <= 1) {
				errs = append(errs, config.Errorf("risk.category_bonus."+event.Category(cat).String(), b, "must be in [0, 1]"))
			}
		}
	}
	return errors.Join(errs...)
}
