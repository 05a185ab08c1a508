package rules

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/event"
)

// Rules are the tunable decisions of classification and enrichment.
type Rules struct {
	// Classify holds the factor weights, load thresholds, complexity
	// scale and source keywords.
	Classify classify.Config
	// CategoryBonus is the risk score's category term, per category.
	CategoryBonus [event.NumCategories]float64
	// Anomaly thresholds: the EWMA weight, the warm-up sample count and
	// the z-score threshold.
	Alpha      float64
	WarmUp     uint64
	ZThreshold float64
}

// Default returns the compiled-in rules: exactly the behaviour of a member
// started without --rules.
func Default() Rules {
	return Rules{
		Classify:      classify.DefaultConfig(),
		CategoryBonus: enrich.DefaultCategoryBonus(),
		Alpha:         enrich.DefaultAlpha,
		WarmUp:        enrich.DefaultWarmUp,
		ZThreshold:    enrich.DefaultZThreshold,
	}
}

// Validate checks every value (without line numbers; Parse adds them).
func (r Rules) Validate() error {
	if err := r.Classify.Validate(); err != nil {
		return err
	}
	return r.enrichConfig(nil).Validate()
}

// hashVersion is hashed first, so a change of the hash's layout changes
// every hash rather than colliding with old ones.
const hashVersion = "eventproc-rules/1"

// Hash is the first 8 bytes of the SHA-256 of a canonical encoding of the
// rules: every number as its IEEE-754 bits, each category's keywords
// sorted. Files that differ only in layout, comments, key order or keyword
// order have the same hash.
func (r Rules) Hash() [8]byte {
	h := sha256.New()
	b := []byte(hashVersion)
	c := &r.Classify
	for _, f := range []float64{c.PriorityWeight, c.LoadWeight, c.ComplexityWeight, c.SourceWeight,
		c.LoadBusy, c.LoadSaturated, c.ComplexityLow, c.ComplexityHigh} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	for _, f := range r.CategoryBonus {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.Alpha))
	b = binary.BigEndian.AppendUint64(b, r.WarmUp)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.ZThreshold))
	for _, words := range c.Keywords {
		sorted := slices.Sorted(slices.Values(words))
		b = binary.BigEndian.AppendUint32(b, uint32(len(sorted)))
		for _, w := range sorted {
			b = binary.BigEndian.AppendUint32(b, uint32(len(w)))
			b = append(b, w...)
		}
	}
	h.Write(b)
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Version is the hash in hex: the derived_fields.rules_version of every
// output produced under r.
func (r Rules) Version() string {
	h := r.Hash()
	return hex.EncodeToString(h[:])
}

// IsDefault reports whether r are the compiled-in rules.
func (r Rules) IsDefault() bool { return r.Hash() == Default().Hash() }

// WithAnomaly returns r with the non-zero anomaly settings of c (from the
// --anomaly-* flags) replacing its own.
func (r Rules) WithAnomaly(c enrich.Config) Rules {
	if c.Alpha != 0 {
		r.Alpha = c.Alpha
	}
	if c.WarmUp != 0 {
		r.WarmUp = c.WarmUp
	}
	if c.ZThreshold != 0 {
		r.ZThreshold = c.ZThreshold
	}
	return r
}

func (r Rules) enrichConfig(hash *[8]byte) enrich.Config {
	bonus := r.CategoryBonus
	return enrich.Config{Alpha: r.Alpha, WarmUp: r.WarmUp, ZThreshold: r.ZThreshold, CategoryBonus: &bonus, RulesHash: hash}
}

// Stages is a set of rules ready for the stages.
type Stages struct {
	Rules      Rules
	Classifier *classify.Classifier
	// Enrich carries the anomaly thresholds, the category bonuses and,
	// for rules other than the defaults, the rules hash that enters the
	// processing signature.
	Enrich enrich.Config
	// Hash and Version identify the rules (see Rules.Hash).
	Hash    [8]byte
	Version string
}

// Stages validates r and builds the stage configurations.
func (r Rules) Stages() (Stages, error) {
	cl, err := classify.NewClassifier(r.Classify)
	if err != nil {
		return Stages{}, err
	}
	hash := r.Hash()
	var sigHash *[8]byte
	if hash != Default().Hash() {
		sigHash = &hash
	}
	ec := r.enrichConfig(sigHash)
	if err := ec.Validate(); err != nil {
		return Stages{}, err
	}
	return Stages{Rules: r, Classifier: cl, Enrich: ec, Hash: hash, Version: hex.EncodeToString(hash[:])}, nil
}

// LoadStages reads, validates and prepares the rules file at path; an
// empty path means the compiled-in rules. Errors name the file and line.
func LoadStages(path string) (Stages, error) {
	r := Default()
	if path != "" {
		var err error
		if r, err = Load(path); err != nil {
			return Stages{}, err
		}
	}
	return r.Stages()
}

// Load reads and validates the rules file at path.
func Load(path string) (Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("rules file: %w", err)
	}
	return Parse(path, data)
}
