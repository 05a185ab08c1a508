package classify

import (
	"fmt"

	"github.com/eventproc/eventproc/event"
)

// Factor is one factor's part in a classification.
type Factor struct {
	Name string // priority, load, complexity, source
	// Evidence says in words what the factor saw.
	Evidence string
	Weight   float64
	// Distribution is how the factor spread its weight, per category;
	// Contribution is Weight×Distribution.
	Distribution, Contribution [event.NumCategories]float64
}

// Explain classifies f like Classify and also returns each factor's part,
// for `eventproc rules --explain`. It allocates; it is not for the hot path.
func (c *Classifier) Explain(f Features) (Result, [4]Factor) {
	cfg := &c.cfg
	var fs [4]Factor
	fs[0] = Factor{Name: "priority", Weight: cfg.PriorityWeight, Distribution: *priorityDistribution(f.Priority),
		Evidence: "priority " + f.Priority.String()}
	load := "no evidence (at or below busy " + num(cfg.LoadBusy) + ")"
	switch {
	case f.Load > cfg.LoadSaturated:
		load = "above saturated " + num(cfg.LoadSaturated)
	case f.Load > cfg.LoadBusy:
		load = "above busy " + num(cfg.LoadBusy)
	}
	fs[1] = Factor{Name: "load", Weight: cfg.LoadWeight, Distribution: *c.loadDistribution(f.Load),
		Evidence: "load_indicator " + num(f.Load) + ": " + load}
	cx := Complexity(f.Summary)
	fs[2] = Factor{Name: "complexity", Weight: cfg.ComplexityWeight, Distribution: c.complexityDistribution(cx),
		Evidence: fmt.Sprintf("metadata complexity %.4f on the scale %s..%s", cx, num(cfg.ComplexityLow), num(cfg.ComplexityHigh))}
	var words []string
	for i := range f.SourceID {
		for _, k := range c.byFirstByte[lowerASCII(f.SourceID[i])] {
			if kw := &c.keywords[k]; hasPrefixFold(f.SourceID[i:], kw.word) {
				words = append(words, fmt.Sprintf("%q (%s)", kw.word, kw.category))
			}
		}
	}
	src := "no keyword matches"
	if len(words) > 0 {
		src = fmt.Sprintf("keywords %v", words)
	}
	fs[3] = Factor{Name: "source", Weight: cfg.SourceWeight, Distribution: c.sourceDistribution(f.SourceID),
		Evidence: fmt.Sprintf("source_id %q: %s", f.SourceID, src)}
	for i := range fs {
		addFactor(&fs[i].Contribution, fs[i].Weight, &fs[i].Distribution)
	}
	return c.Classify(f), fs
}

func num(f float64) string { return fmt.Sprintf("%g", f) }
