package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eventproc/eventproc/event"
)

// Encode writes r as a complete rules file, with comments, that Parse
// reads back to the same rules (and so the same hash).
func (r Rules) Encode() []byte {
	var b strings.Builder
	c := &r.Classify
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	fmt.Fprintf(&b, "# eventproc classification rules (rules_version %s)\n", r.Version())
	b.WriteString("\n# Classification: each factor spreads its weight over the categories;\n# the weights must sum to 1.\n")
	fmt.Fprintf(&b, "weights:\n  priority: %s\n  load: %s\n  complexity: %s\n  source: %s\n",
		num(c.PriorityWeight), num(c.LoadWeight), num(c.ComplexityWeight), num(c.SourceWeight))
	b.WriteString("\n# load_indicator above saturated points at MONITORING and ALERT,\n# above busy (up to saturated) at SYSTEM.\n")
	fmt.Fprintf(&b, "load:\n  busy: %s\n  saturated: %s\n", num(c.LoadBusy), num(c.LoadSaturated))
	b.WriteString("\n# Metadata complexity (0..1) between low and high moves the complexity\n# factor from no evidence to TRANSACTION.\n")
	fmt.Fprintf(&b, "complexity:\n  low: %s\n  high: %s\n", num(c.ComplexityLow), num(c.ComplexityHigh))
	b.WriteString("\n# Source keywords: a keyword occurring anywhere in source_id (ignoring\n# case) is evidence for its category.\ncategories:\n")
	for cat := event.Category(0); cat < event.NumCategories; cat++ {
		fmt.Fprintf(&b, "  %s:\n    keywords: [%s]\n", cat, strings.Join(quoteAll(c.Keywords[cat]), ", "))
	}
	b.WriteString("\n# Risk score = (priority + load + complexity + category bonus) / 4.\nrisk:\n  category_bonus:\n")
	for cat := event.Category(0); cat < event.NumCategories; cat++ {
		fmt.Fprintf(&b, "    %s: %s\n", cat, num(r.CategoryBonus[cat]))
	}
	b.WriteString("\n# Anomaly detection against each source's EWMA baseline.\n")
	fmt.Fprintf(&b, "anomaly:\n  alpha: %s\n  warmup: %d\n  z_threshold: %s\n", num(r.Alpha), r.WarmUp, num(r.ZThreshold))
	return []byte(b.String())
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = strconv.Quote(w)
	}
	return out
}
