package rules

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eventproc/eventproc/event"
)

// ErrInvalidRules is wrapped by every *Error.
var ErrInvalidRules = errors.New("invalid rules file")

// Error is one mistake in a rules file, at a line and column.
type Error struct {
	File         string
	Line, Column int
	// Path is the dotted key path, e.g. "weights.priority".
	Path string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidRules) hold.
func (e *Error) Unwrap() error { return ErrInvalidRules }

// parser collects every mistake of one file.
type parser struct {
	file string
	errs []error
}

func (p *parser) fail(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: p.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// Parse reads a rules file. Every section is optional (a missing one keeps
// the defaults), but a section that is present must be complete; unknown
// and duplicate keys, wrong types and out-of-range values are errors. All
// mistakes are reported, joined, each with its line and column.
func Parse(file string, data []byte) (Rules, error) {
	p := &parser{file: file}
	r := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Rules{}, &Error{File: file, Msg: err.Error()}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return r, nil // empty file: the defaults
	}
	top := p.mapping(doc.Content[0], "", []string{"weights", "load", "complexity", "categories", "risk", "anomaly"}, false)
	c := &r.Classify
	if n, ok := top["weights"]; ok {
		m := p.mapping(n, "weights", []string{"priority", "load", "complexity", "source"}, true)
		p.unit(m, "weights", "priority", &c.PriorityWeight)
		p.unit(m, "weights", "load", &c.LoadWeight)
		p.unit(m, "weights", "complexity", &c.ComplexityWeight)
		p.unit(m, "weights", "source", &c.SourceWeight)
		if len(m) == 4 {
			if sum := c.PriorityWeight + c.LoadWeight + c.ComplexityWeight + c.SourceWeight; math.Abs(sum-1) > 1e-9 {
				p.fail(n, "weights", "the four weights must sum to 1, they sum to %s", strconv.FormatFloat(sum, 'g', -1, 64))
			}
		}
	}
	if n, ok := top["load"]; ok {
		m := p.mapping(n, "load", []string{"busy", "saturated"}, true)
		p.unit(m, "load", "busy", &c.LoadBusy)
		p.unit(m, "load", "saturated", &c.LoadSaturated)
		if len(m) == 2 && !(c.LoadBusy < c.LoadSaturated) {
			p.fail(n, "load", "busy (%v) must be below saturated (%v)", c.LoadBusy, c.LoadSaturated)
		}
	}
	if n, ok := top["complexity"]; ok {
		m := p.mapping(n, "complexity", []string{"low", "high"}, true)
		p.unit(m, "complexity", "low", &c.ComplexityLow)
		p.unit(m, "complexity", "high", &c.ComplexityHigh)
		if len(m) == 2 && !(c.ComplexityLow < c.ComplexityHigh) {
			p.fail(n, "complexity", "low (%v) must be below high (%v)", c.ComplexityLow, c.ComplexityHigh)
		}
	}
	if n, ok := top["categories"]; ok {
		m := p.mapping(n, "categories", categoryNames(), true)
		for cat := event.Category(0); cat < event.NumCategories; cat++ {
			if cn, ok := m[cat.String()]; ok {
				c.Keywords[cat] = p.keywords(cn, "categories."+cat.String())
			}
		}
	}
	if n, ok := top["risk"]; ok {
		m := p.mapping(n, "risk", []string{"category_bonus"}, true)
		if bn, ok := m["category_bonus"]; ok {
			bm := p.mapping(bn, "risk.category_bonus", categoryNames(), true)
			for cat := event.Category(0); cat < event.NumCategories; cat++ {
				p.unit(bm, "risk.category_bonus", cat.String(), &r.CategoryBonus[cat])
			}
		}
	}
	if n, ok := top["anomaly"]; ok {
		m := p.mapping(n, "anomaly", []string{"alpha", "warmup", "z_threshold"}, true)
		if v, ok := m["alpha"]; ok {
			if f, ok := p.float(v, "anomaly.alpha"); ok {
				if !(f > 0 && f <= 1) {
					p.fail(v, "anomaly.alpha", "must be in (0, 1], got %v", f)
				}
				r.Alpha = f
			}
		}
		if v, ok := m["warmup"]; ok {
			if u, err := strconv.ParseUint(v.Value, 10, 64); err != nil || v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
				p.fail(v, "anomaly.warmup", "must be a whole number of events, at least 1, got %q", v.Value)
			} else if u < 1 {
				p.fail(v, "anomaly.warmup", "must be at least 1, got %d", u)
			} else {
				r.WarmUp = u
			}
		}
		if v, ok := m["z_threshold"]; ok {
			if f, ok := p.float(v, "anomaly.z_threshold"); ok {
				if !(f > 0) || math.IsInf(f, 1) {
					p.fail(v, "anomaly.z_threshold", "must be a positive finite number, got %v", f)
				}
				r.ZThreshold = f
			}
		}
	}
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b error) int { return a.(*Error).Line - b.(*Error).Line })
		return Rules{}, errors.Join(p.errs...)
	}
	// Anything the checks above cannot place on a line (none expected).
	if err := r.Validate(); err != nil {
		return Rules{}, &Error{File: file, Msg: err.Error()}
	}
	return r, nil
}

func categoryNames() []string {
	names := make([]string, event.NumCategories)
	for c := event.Category(0); c < event.NumCategories; c++ {
		names[c] = c.String()
	}
	return names
}

// mapping returns the values of n's keys. Unknown and duplicate keys are
// errors; with complete, so is a missing key.
func (p *parser) mapping(n *yaml.Node, path string, known []string, complete bool) map[string]*yaml.Node {
	out := make(map[string]*yaml.Node)
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "must be a mapping of %s", strings.Join(known, ", "))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		switch {
		case !contains(known, k.Value):
			p.fail(k, kp, "unknown key (known: %s)", strings.Join(known, ", "))
		case out[k.Value] != nil:
			p.fail(k, kp, "duplicate key (first at line %d)", keyLine(n, k.Value))
		default:
			out[k.Value] = v
		}
	}
	if complete {
		var missing []string
		for _, k := range known {
			if out[k] == nil {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			p.fail(n, path, "missing %s (a section that is present must be complete)", strings.Join(missing, ", "))
		}
	}
	return out
}

func keyLine(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return 0
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// float decodes a numeric scalar.
func (p *parser) float(n *yaml.Node, path string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
		p.fail(n, path, "must be a number, got %q", n.Value)
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) {
		p.fail(n, path, "must be a number, got %q", n.Value)
		return 0, false
	}
	return f, true
}

// unit decodes m[key] into *dst when present, requiring a number in [0, 1].
func (p *parser) unit(m map[string]*yaml.Node, path, key string, dst *float64) {
	n, ok := m[key]
	if !ok {
		return
	}
	kp := join(path, key)
	f, ok := p.float(n, kp)
	if !ok {
		return
	}
	if !(f >= 0 && f <= 1) {
		p.fail(n, kp, "must be in [0, 1], got %v", f)
		return
	}
	*dst = f
}

// keywords decodes a category's {keywords: [...]} mapping. Keywords are
// matched ignoring ASCII case and stored lower-case.
func (p *parser) keywords(n *yaml.Node, path string) []string {
	m := p.mapping(n, path, []string{"keywords"}, true)
	kn, ok := m["keywords"]
	if !ok {
		return nil
	}
	kp := path + ".keywords"
	if kn.Kind != yaml.SequenceNode {
		p.fail(kn, kp, "must be a list of words")
		return nil
	}
	if len(kn.Content) == 0 {
		p.fail(kn, kp, "must not be empty: a category needs at least one keyword")
		return nil
	}
	var words []string
	seen := map[string]int{}
	for _, w := range kn.Content {
		if w.Kind != yaml.ScalarNode || w.Tag != "!!str" {
			p.fail(w, kp, "keyword %q must be a string", w.Value)
			continue
		}
		word := strings.ToLower(w.Value)
		if msg := keywordProblem(word); msg != "" {
			p.fail(w, kp, "keyword %q %s", w.Value, msg)
			continue
		}
		if line, dup := seen[word]; dup {
			p.fail(w, kp, "duplicate keyword %q (first at line %d)", w.Value, line)
			continue
		}
		seen[word] = w.Line
		words = append(words, word)
	}
	return words
}

func keywordProblem(w string) string {
	if w == "" {
		return "is empty"
	}
	if len(w) > 256 {
		return "is longer than 256 bytes"
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 0x21 || w[i] > 0x7e {
			return "must be printable ASCII without spaces"
		}
	}
	return ""
}
