package classify

import (
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/unit"
)

// Features is everything classification may see. It holds the metadata
// summary, never raw metadata: the type system enforces the rule that
// classification has no raw access to metadata.
type Features struct {
	Priority event.Priority
	// Load is load_indicator, expected in [0, 1]; NaN counts as 0.
	Load float64
	// SourceID is matched against the source keyword lists; it is only
	// read, never retained.
	SourceID []byte
	Summary  event.MetadataSummary
}

// FeaturesOf extracts the classification features of an event. The result
// aliases ev.SourceID.
func FeaturesOf(ev *event.Event) Features {
	return Features{Priority: ev.Priority, Load: ev.Load, SourceID: ev.SourceID, Summary: ev.Summary}
}

// Result is the outcome of classification.
type Result struct {
	// Category is the argmax of Scores; ties (scores within tieTolerance)
	// go to the lowest Category value.
	Category event.Category
	// Confidence is Scores[Category] divided by the sum of Scores: the share
	// of all evidence that backs the winner, in [0, 1]. Because every factor
	// spreads its whole weight, the sum is 1 and Confidence ranges from 0.2
	// (no factor prefers any category) to 1 (every factor agrees).
	Confidence float64
	// Scores is the weighted evidence per category, indexed by
	// event.Category; the entries sum to 1.
	Scores [event.NumCategories]float64
}

// The default factor weights of the multi-factor scoring. They sum to 1, so
// the scores of a Result sum to 1 and the winner's score is its confidence.
const (
	// priorityWeight: the producer's own urgency claim is the strongest
	// single signal (seed: 30 %).
	priorityWeight = 0.30
	// loadWeight: system load separates monitoring/alert traffic from
	// ordinary traffic (seed: 25 %).
	loadWeight = 0.25
	// complexityWeight: rich, nested metadata is typical of business
	// transactions (seed: 25 %).
	complexityWeight = 0.25
	// sourceWeight: source names are informative but free-form and
	// unreliable, so they count least (seed: 20 %).
	sourceWeight = 0.20
)

// tieTolerance: scores closer than this are a tie, won by the lowest
// event.Category value. Scores are sums of products of short decimals, so
// two categories backed by equal evidence through different factors can
// differ in the last bit; without a tolerance that rounding noise, not the
// documented order, would pick the winner. A genuine difference below
// 1e-9 (continuous complexity evidence can produce one) is far below
// anything the two-decimal weights express, so calling it a tie loses
// nothing.
const tieTolerance = 1e-9

// Default load thresholds.
const (
	// loadAlertThreshold: above it the system is saturated; such events
	// are monitoring or alert traffic (seed: > 0.8).
	loadAlertThreshold = 0.8
	// loadSystemThreshold: above it (up to loadAlertThreshold) the system
	// is busy, which points at system events (seed: > 0.5).
	loadSystemThreshold = 0.5
)

// Complexity thresholds of the complexity factor. Between them the
// TRANSACTION evidence grows linearly; outside it is all or nothing.
const (
	// complexityLow: at or below it metadata is too plain to say anything
	// (a flat object with a few strings scores about 0.1, the contract's
	// example with one nested object about 0.2).
	complexityLow = 0.3
	// complexityHigh: at or above it metadata is as rich as typical
	// transaction payloads (a dozen fields, nested two or three levels).
	complexityHigh = 0.6
)

// distribution is how one factor spreads its weight over the categories,
// indexed by event.Category. Each distribution sums to 1.
type distribution = [event.NumCategories]float64

// uniform is the distribution of a factor with no evidence: it adds the same
// score to every category and so cannot change the ranking.
var uniform = distribution{0.2, 0.2, 0.2, 0.2, 0.2}

// Priority distributions, indexed by event.Category
// (SYSTEM, USER, TRANSACTION, MONITORING, ALERT).
var (
	// LOW priority argues against ALERT and is neutral among the rest.
	priorityLow = distribution{0.25, 0.25, 0.25, 0.25, 0}
	// MEDIUM is the default priority (docs/contract.md): no evidence.
	priorityMedium = uniform
	// HIGH points at SYSTEM (seed), with some weight on ALERT because a
	// high-priority event is closer to an alert than a low one.
	priorityHigh = distribution{0.7, 0, 0, 0, 0.3}
	// CRITICAL points at ALERT (seed).
	priorityCritical = distribution{0, 0, 0, 0, 1}
)

// Load distributions.
var (
	// loadSaturated: > 0.8 splits evenly between MONITORING and ALERT
	// (seed); on a tie the lower category, MONITORING, wins, so high load
	// alone is monitoring and high load plus an alert signal is an alert.
	loadSaturated = distribution{0, 0, 0, 0.5, 0.5}
	// loadBusy: > 0.5 points at SYSTEM (seed).
	loadBusy = distribution{1, 0, 0, 0, 0}
)

// Classify scores f on the four factors under the compiled-in rules and
// returns the winning category. It is deterministic and does not allocate.
func Classify(f Features) Result { return defaultClassifier.Classify(f) }

// Classify scores f on the four factors under c's rules and returns the
// winning category. It is deterministic and does not allocate.
func (c *Classifier) Classify(f Features) Result {
	var r Result
	cfg := &c.cfg
	addFactor(&r.Scores, cfg.PriorityWeight, priorityDistribution(f.Priority))
	addFactor(&r.Scores, cfg.LoadWeight, c.loadDistribution(f.Load))
	complexity := c.complexityDistribution(Complexity(f.Summary))
	addFactor(&r.Scores, cfg.ComplexityWeight, &complexity)
	source := c.sourceDistribution(f.SourceID)
	addFactor(&r.Scores, cfg.SourceWeight, &source)

	total, maxScore := 0.0, 0.0
	for _, s := range r.Scores {
		total += s
		maxScore = max(maxScore, s)
	}
	// The winner is the lowest category within tieTolerance of the maximum.
	for c := event.Category(0); c < event.NumCategories; c++ {
		if r.Scores[c] >= maxScore-tieTolerance {
			r.Category = c
			break
		}
	}
	if total > 0 {
		r.Confidence = unit.Clamp(r.Scores[r.Category] / total)
	}
	return r
}

// addFactor adds weight×d to scores. The explicit float64 conversion stops
// the compiler from fusing the multiply-add (Go allows FMA on arm64, ppc64,
// s390x), so every architecture computes the same bits.
func addFactor(scores *[event.NumCategories]float64, weight float64, d *distribution) {
	for c := range scores {
		scores[c] += float64(weight * d[c])
	}
}

// The distribution functions of fixed tables return pointers to them: the
// tables are never written, and copying 40 bytes per factor per event is
// measurable at this stage's budget.

func priorityDistribution(p event.Priority) *distribution {
	switch p {
	case event.PriorityLow:
		return &priorityLow
	case event.PriorityMedium:
		return &priorityMedium
	case event.PriorityHigh:
		return &priorityHigh
	case event.PriorityCritical:
		return &priorityCritical
	}
	// An undefined priority carries no evidence.
	return &uniform
}

func (c *Classifier) loadDistribution(load float64) *distribution {
	switch {
	case load > c.cfg.LoadSaturated:
		return &loadSaturated
	case load > c.cfg.LoadBusy:
		return &loadBusy
	}
	// Low, NaN or negative load: no evidence.
	return &uniform
}

// complexityDistribution moves weight from uniform to TRANSACTION as
// complexity rises from ComplexityLow to ComplexityHigh.
func (c *Classifier) complexityDistribution(complexity float64) distribution {
	evidence := unit.Clamp((complexity - c.cfg.ComplexityLow) / (c.cfg.ComplexityHigh - c.cfg.ComplexityLow))
	d := uniform
	for c := range d {
		d[c] = float64((1 - evidence) * d[c])
	}
	d[event.CategoryTransaction] += evidence
	return d
}

// sourceDistribution splits the factor evenly over the categories whose
// keywords occur in the source id, or is uniform when none does.
func (c *Classifier) sourceDistribution(sourceID []byte) distribution {
	matched := c.matchSourceKeywords(sourceID)
	n := 0
	for c := range matched {
		if matched[c] {
			n++
		}
	}
	if n == 0 {
		return uniform
	}
	var d distribution
	share := 1 / float64(n)
	for c := range matched {
		if matched[c] {
			d[c] = share
		}
	}
	return d
}
