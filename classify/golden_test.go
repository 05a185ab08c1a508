package classify

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/eventproc/eventproc/internal/golden"

	"github.com/eventproc/eventproc/event"
)

// goldenCorpus is a fixed set of hand-built features covering every rule,
// tie and edge (about 40 cases). Changing the scoring changes the golden
// file, which makes every behaviour change visible in review.
func goldenCorpus() []Features {
	flat := event.MetadataSummary{FieldCount: 3, MaxDepth: 1, LeafCount: 3, Kinds: event.KindCounts{Strings: 2, Numbers: 1, Objects: 1}, ByteSize: 58}
	nested := event.MetadataSummary{FieldCount: 3, MaxDepth: 2, LeafCount: 3, Kinds: event.KindCounts{Strings: 3, Objects: 2}, ByteSize: 75}
	medium := event.MetadataSummary{FieldCount: 8, MaxDepth: 3, LeafCount: 14, Kinds: event.KindCounts{Strings: 8, Numbers: 5, Bools: 1, Objects: 3}, ByteSize: 420}
	txn := event.MetadataSummary{FieldCount: 12, MaxDepth: 3, LeafCount: 24, Kinds: event.KindCounts{Strings: 12, Numbers: 10, Bools: 2, Objects: 4, Arrays: 1}, ByteSize: 640}
	var empty event.MetadataSummary
	f := func(p event.Priority, load float64, source string, s event.MetadataSummary) Features {
		return Features{Priority: p, Load: load, SourceID: []byte(source), Summary: s}
	}
	const (
		low  = event.PriorityLow
		med  = event.PriorityMedium
		high = event.PriorityHigh
		crit = event.PriorityCritical
	)
	return []Features{
		f(med, 0, "service-a", empty),
		f(low, 0, "service-a", empty),
		f(high, 0, "service-a", empty),
		f(crit, 0, "service-a", empty),
		f(med, 0.5, "service-a", flat),
		f(med, 0.5000001, "service-a", flat),
		f(med, 0.8, "service-a", flat),
		f(med, 0.8000001, "service-a", flat),
		f(med, 1, "service-a", nested),
		f(crit, 0.95, "service-a", nested),
		f(low, 0.95, "service-a", nested),
		f(high, 0.7, "service-a", nested),
		f(med, 0.2, "service-a", medium),
		f(med, 0.2, "service-a", txn),
		f(low, 0.2, "service-a", richSummary),
		f(crit, 0.2, "service-a", richSummary),
		f(med, 0.3, "user-service", flat),
		f(med, 0.3, "UserSessions", flat),
		f(med, 0.3, "login-api", flat),
		f(med, 0.3, "alert-router", flat),
		f(med, 0.3, "PagerAlarm", flat),
		f(med, 0.3, "incident-bot", flat),
		f(med, 0.3, "monitoring-agent", flat),
		f(med, 0.3, "metrics-exporter", flat),
		f(med, 0.3, "healthcheck", flat),
		f(low, 0.3, "system-daemon", flat),
		f(low, 0.3, "kernel-log", flat),
		f(med, 0.3, "payment-gateway", flat),
		f(med, 0.3, "ORDER-SVC", flat),
		f(med, 0.3, "txn-ledger", flat),
		f(med, 0.3, "web-checkout", txn),
		f(med, 0.3, "invoice-pdf", flat),
		f(med, 0.3, "billing-eu", flat),
		f(med, 0.3, "user-billing-alerts", flat),
		f(high, 0.3, "user-billing-alerts", flat),
		f(crit, 0.9, "monitor", medium),
		f(med, 0.9, "monitor", medium),
		f(high, 0.9, "account-system", txn),
		f(med, 0.3, "", flat),
		f(event.Priority(7), 0.3, "svc", flat),
	}
}

type goldenLine struct {
	Source     string                `json:"source"`
	Priority   string                `json:"priority"`
	Load       float64               `json:"load"`
	Summary    event.MetadataSummary `json:"summary"`
	Complexity float64               `json:"complexity"`
	Category   string                `json:"category"`
	Confidence float64               `json:"confidence"`
	Scores     map[string]float64    `json:"scores"`
}

// TestClassifyGolden compares the classification of goldenCorpus with
// testdata/classify.golden.jsonl; run with -update to rewrite it.
func TestClassifyGolden(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, f := range goldenCorpus() {
		r := Classify(f)
		line := goldenLine{
			Source: string(f.SourceID), Priority: f.Priority.String(), Load: f.Load, Summary: f.Summary,
			Complexity: Complexity(f.Summary), Category: r.Category.String(), Confidence: r.Confidence,
			Scores: map[string]float64{},
		}
		for c, s := range r.Scores {
			line.Scores[event.Category(c).String()] = s
		}
		if err := enc.Encode(line); err != nil {
			t.Fatal(err)
		}
	}
	golden.Compare(t, filepath.Join("testdata", "classify.golden.jsonl"), buf.Bytes())
}
