package classify

import (
	"errors"
	"fmt"
	"math"

	"github.com/eventproc/eventproc/event"
)

// Config is the tunable part of classification: the factor weights, the
// load thresholds, the complexity scale and the source keywords of each
// category. DefaultConfig is the compiled-in behaviour; operators replace
// it with a rules file (package rules).
type Config struct {
	// Weights of the four factors; they must sum to 1.
	PriorityWeight, LoadWeight, ComplexityWeight, SourceWeight float64
	// LoadSaturated: above it the load points at MONITORING and ALERT;
	// LoadBusy: above it (up to LoadSaturated) at SYSTEM.
	LoadBusy, LoadSaturated float64
	// ComplexityLow, ComplexityHigh: between them TRANSACTION evidence
	// grows linearly from 0 to 1.
	ComplexityLow, ComplexityHigh float64
	// Keywords are, per category, lower-case ASCII words whose occurrence
	// anywhere in a source id (ignoring case) is evidence for it.
	Keywords [event.NumCategories][]string
}

// DefaultConfig returns the compiled-in classification rules.
func DefaultConfig() Config {
	c := Config{
		PriorityWeight: priorityWeight, LoadWeight: loadWeight,
		ComplexityWeight: complexityWeight, SourceWeight: sourceWeight,
		LoadBusy: loadSystemThreshold, LoadSaturated: loadAlertThreshold,
		ComplexityLow: complexityLow, ComplexityHigh: complexityHigh,
	}
	for _, kw := range sourceKeywords {
		c.Keywords[kw.category] = append(c.Keywords[kw.category], kw.word)
	}
	return c
}

// Limits on keywords: the first-byte index stores 16-bit keyword indexes,
// and a source id longer than a keyword can never contain it.
const (
	MaxKeywords      = 4096
	MaxKeywordLength = 256
)

// weightSumTolerance allows decimal weights such as 0.3+0.25+0.25+0.2,
// whose float64 sum is not exactly 1.
const weightSumTolerance = 1e-9

// ErrInvalidConfig is wrapped by every Validate error.
var ErrInvalidConfig = errors.New("invalid classification rules")

// Validate reports every invalid field (joined), or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...)))
	}
	sum := 0.0
	for _, w := range []struct {
		name string
		v    float64
	}{{"priority weight", c.PriorityWeight}, {"load weight", c.LoadWeight}, {"complexity weight", c.ComplexityWeight}, {"source weight", c.SourceWeight}} {
		if !(w.v >= 0 && w.v <= 1) {
			bad("%s must be in [0, 1], got %v", w.name, w.v)
		}
		sum += w.v
	}
	if math.Abs(sum-1) > weightSumTolerance {
		bad("factor weights must sum to 1, got %v", sum)
	}
	if !(c.LoadBusy >= 0 && c.LoadBusy < c.LoadSaturated && c.LoadSaturated <= 1) {
		bad("load thresholds must satisfy 0 <= busy < saturated <= 1, got busy %v, saturated %v", c.LoadBusy, c.LoadSaturated)
	}
	if !(c.ComplexityLow >= 0 && c.ComplexityLow < c.ComplexityHigh && c.ComplexityHigh <= 1) {
		bad("complexity scale must satisfy 0 <= low < high <= 1, got low %v, high %v", c.ComplexityLow, c.ComplexityHigh)
	}
	n := 0
	for cat, words := range c.Keywords {
		for _, w := range words {
			n++
			if w == "" || len(w) > MaxKeywordLength {
				bad("%s keyword %q must have 1 to %d bytes", event.Category(cat), w, MaxKeywordLength)
				continue
			}
			for i := 0; i < len(w); i++ {
				if w[i] >= 0x80 || lowerASCII(w[i]) != w[i] || w[i] < 0x20 {
					bad("%s keyword %q must be printable lower-case ASCII", event.Category(cat), w)
					break
				}
			}
		}
	}
	if n > MaxKeywords {
		bad("at most %d keywords, got %d", MaxKeywords, n)
	}
	return errors.Join(errs...)
}

// Classifier classifies events under one Config. It is immutable and safe
// for concurrent use.
type Classifier struct {
	cfg      Config
	keywords []sourceKeyword
	// byFirstByte lists, for each lower-case first byte, the indexes into
	// keywords that start with it (an array, not a map: no hashing on the
	// hot path).
	byFirstByte [256][]uint16
}

// NewClassifier validates cfg and builds its keyword index.
func NewClassifier(cfg Config) (*Classifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Classifier{cfg: cfg}
	for cat, words := range cfg.Keywords {
		for _, w := range words {
			c.keywords = append(c.keywords, sourceKeyword{word: w, category: event.Category(cat)})
		}
	}
	for i, kw := range c.keywords {
		c.byFirstByte[kw.word[0]] = append(c.byFirstByte[kw.word[0]], uint16(i))
	}
	return c, nil
}

// Config returns the classifier's rules.
func (c *Classifier) Config() Config { return c.cfg }

// defaultClassifier serves Classify.
var defaultClassifier = func() *Classifier {
	c, err := NewClassifier(DefaultConfig())
	if err != nil {
		panic("classify: compiled-in rules are invalid: " + err.Error())
	}
	return c
}()

// Default returns the classifier of the compiled-in rules.
func Default() *Classifier { return defaultClassifier }
