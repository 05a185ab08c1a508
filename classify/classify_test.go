package classify

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// richSummary is metadata well above complexityHigh.
var richSummary = event.MetadataSummary{
	FieldCount: 16, MaxDepth: 5, LeafCount: 40,
	Kinds:    event.KindCounts{Strings: 20, Numbers: 14, Bools: 5, Nulls: 1, Objects: 6, Arrays: 2},
	ByteSize: 1500,
}

func TestClassifyRules(t *testing.T) {
	tests := []struct {
		name     string
		features Features
		want     event.Category
	}{
		{"no evidence falls to the lowest category", Features{Priority: event.PriorityMedium, Load: 0.2, SourceID: []byte("svc-a")}, event.CategorySystem},
		{"CRITICAL means ALERT", Features{Priority: event.PriorityCritical, SourceID: []byte("svc-a")}, event.CategoryAlert},
		{"HIGH means SYSTEM", Features{Priority: event.PriorityHigh, SourceID: []byte("svc-a")}, event.CategorySystem},
		{"load above 0.8 alone ties MONITORING and ALERT, MONITORING wins", Features{Priority: event.PriorityMedium, Load: 0.9, SourceID: []byte("svc-a")}, event.CategoryMonitoring},
		{"load above 0.8 with CRITICAL is ALERT", Features{Priority: event.PriorityCritical, Load: 0.9, SourceID: []byte("svc-a")}, event.CategoryAlert},
		{"load above 0.5 means SYSTEM", Features{Priority: event.PriorityLow, Load: 0.6, SourceID: []byte("svc-a")}, event.CategorySystem},
		{"load exactly 0.8 is busy, not saturated", Features{Priority: event.PriorityMedium, Load: 0.8, SourceID: []byte("monitor")}, event.CategorySystem},
		{"rich metadata means TRANSACTION", Features{Priority: event.PriorityMedium, Load: 0.1, SourceID: []byte("svc-a"), Summary: richSummary}, event.CategoryTransaction},
		{"source keyword user", Features{Priority: event.PriorityMedium, SourceID: []byte("user-service")}, event.CategoryUser},
		{"source keyword case-insensitive", Features{Priority: event.PriorityMedium, SourceID: []byte("UserService")}, event.CategoryUser},
		{"source keyword monitor", Features{Priority: event.PriorityMedium, SourceID: []byte("k8s-Monitoring")}, event.CategoryMonitoring},
		{"source keyword alert", Features{Priority: event.PriorityMedium, SourceID: []byte("alertmanager")}, event.CategoryAlert},
		{"source keyword system", Features{Priority: event.PriorityLow, SourceID: []byte("SYSTEMD")}, event.CategorySystem},
		{"source keyword payment", Features{Priority: event.PriorityMedium, SourceID: []byte("payment-gw")}, event.CategoryTransaction},
		{"source keyword order", Features{Priority: event.PriorityLow, SourceID: []byte("ORDERS")}, event.CategoryTransaction},
		{"source keyword txn", Features{Priority: event.PriorityMedium, SourceID: []byte("txn-42")}, event.CategoryTransaction},
		{"source keyword checkout", Features{Priority: event.PriorityMedium, SourceID: []byte("web.Checkout")}, event.CategoryTransaction},
		{"source keyword invoice", Features{Priority: event.PriorityMedium, SourceID: []byte("invoices")}, event.CategoryTransaction},
		{"source keyword billing", Features{Priority: event.PriorityMedium, SourceID: []byte("eu-billing-2")}, event.CategoryTransaction},
		{"two keywords split and tie: lowest category wins", Features{Priority: event.PriorityMedium, SourceID: []byte("user-alerts")}, event.CategoryUser},
		{"priority outweighs source", Features{Priority: event.PriorityCritical, SourceID: []byte("user-service")}, event.CategoryAlert},
		{"source breaks the saturated-load tie", Features{Priority: event.PriorityMedium, Load: 0.95, SourceID: []byte("alert-bridge")}, event.CategoryAlert},
		{"undefined priority carries no evidence", Features{Priority: event.Priority(9), SourceID: []byte("user")}, event.CategoryUser},
		// Equal evidence through different factors (busy load: 0.25 on
		// SYSTEM; rich metadata: 0.25 on TRANSACTION) is a tie even if the
		// sums differ in the last bit.
		{"cross-factor tie goes to the lowest category", Features{Priority: event.PriorityMedium, Load: 0.6, SourceID: []byte("svc"), Summary: richSummary}, event.CategorySystem},
		{"source breaks the cross-factor tie", Features{Priority: event.PriorityMedium, Load: 0.6, SourceID: []byte("billing"), Summary: richSummary}, event.CategoryTransaction},
		{"NaN load carries no evidence", Features{Priority: event.PriorityMedium, Load: math.NaN(), SourceID: []byte("svc")}, event.CategorySystem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.features)
			if got.Category != tt.want {
				t.Fatalf("Category = %v, want %v (scores %v)", got.Category, tt.want, got.Scores)
			}
			checkResultInvariants(t, got)
		})
	}
}

func TestClassifyConfidence(t *testing.T) {
	tests := []struct {
		name     string
		features Features
		want     float64
	}{
		// Every factor uniform: the winner has exactly its 1/5 share.
		{"no evidence", Features{Priority: event.PriorityMedium, SourceID: []byte("svc")}, 0.2},
		// Every factor fully behind ALERT.
		{"unanimous", Features{Priority: event.PriorityCritical, Load: 0.9, SourceID: []byte("alert")}, 0.3 + 0.125 + 0.05 + 0.2},
		// Priority fully behind ALERT, the other three factors uniform.
		{"priority only", Features{Priority: event.PriorityCritical, SourceID: []byte("svc")}, 0.3 + 0.7*0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.features).Confidence
			if math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("Confidence = %v, want %v", got, tt.want)
			}
		})
	}
	more := Classify(Features{Priority: event.PriorityCritical, Load: 0.9, SourceID: []byte("alert")}).Confidence
	less := Classify(Features{Priority: event.PriorityCritical, Load: 0.9, SourceID: []byte("svc")}).Confidence
	if !(more > less) {
		t.Fatalf("agreeing source should raise confidence: %v <= %v", more, less)
	}
}

func TestComplexity(t *testing.T) {
	tests := []struct {
		name     string
		summary  event.MetadataSummary
		min, max float64
	}{
		{"empty", event.MetadataSummary{}, 0, 0},
		{"flat few strings", event.MetadataSummary{FieldCount: 3, MaxDepth: 1, LeafCount: 3, Kinds: event.KindCounts{Strings: 3, Objects: 1}, ByteSize: 60}, 0.05, 0.15},
		{"seed example (one nested object)", event.MetadataSummary{FieldCount: 3, MaxDepth: 2, LeafCount: 3, Kinds: event.KindCounts{Strings: 3, Objects: 2}, ByteSize: 75}, 0.15, 0.25},
		{"saturated", richSummary, 1, 1},
		{"negative counts are zero", event.MetadataSummary{FieldCount: -5, MaxDepth: -1, LeafCount: -2, ByteSize: -9}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Complexity(tt.summary)
			if got < tt.min || got > tt.max {
				t.Fatalf("Complexity = %v, want in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
	// Monotone in each count.
	base := event.MetadataSummary{FieldCount: 2, MaxDepth: 1, LeafCount: 2, ByteSize: 40}
	grown := base
	grown.MaxDepth = 3
	if !(Complexity(grown) > Complexity(base)) {
		t.Fatalf("deeper metadata should be more complex")
	}
}

func TestMatchSourceKeywords(t *testing.T) {
	tests := []struct {
		source string
		want   []event.Category
	}{
		{"", nil},
		{"svc-a", nil},
		{"us", nil}, // a keyword prefix at the end is not a match
		{"user", []event.Category{event.CategoryUser}},
		{"xxUSERxx", []event.Category{event.CategoryUser}},
		{"payments-and-alerts", []event.Category{event.CategoryTransaction, event.CategoryAlert}},
		{"sys-monitor-user-txn-alert", []event.Category{event.CategoryUser, event.CategoryTransaction, event.CategoryMonitoring, event.CategoryAlert}},
		{"operating-system", []event.Category{event.CategorySystem}},
		{"border-patrol", []event.Category{event.CategoryTransaction}}, // documented substring false hit
		{"\xff\x00monitor", []event.Category{event.CategoryMonitoring}},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			got := matchSourceKeywords([]byte(tt.source))
			var want [event.NumCategories]bool
			for _, c := range tt.want {
				want[c] = true
			}
			if got != want {
				t.Fatalf("matchSourceKeywords(%q) = %v, want %v", tt.source, got, want)
			}
		})
	}
}

// TestKeywordIndexCoversEveryKeyword guards the first-byte index: every
// keyword must be reachable and lower-case, or it would silently never match.
func TestKeywordIndexCoversEveryKeyword(t *testing.T) {
	for _, kw := range sourceKeywords {
		for i := 0; i < len(kw.word); i++ {
			if lowerASCII(kw.word[i]) != kw.word[i] {
				t.Errorf("keyword %q is not lower case", kw.word)
			}
		}
		if got := matchSourceKeywords([]byte(kw.word)); !got[kw.category] {
			t.Errorf("keyword %q does not match itself", kw.word)
		}
	}
}

// TestClassifyPropertiesRandom checks the Result invariants over random
// features, including out-of-range and non-finite loads and counts.
func TestClassifyPropertiesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	loads := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 0, 0.5, 0.8, 0.80000001, 1, 2}
	words := []string{"user", "ALERT", "monitor", "system", "payment", "x", "", "Order", "txn"}
	for i := 0; i < 20000; i++ {
		load := rng.Float64()*1.4 - 0.2
		if rng.IntN(4) == 0 {
			load = loads[rng.IntN(len(loads))]
		}
		var src []byte
		for n := rng.IntN(4); n > 0; n-- {
			src = append(src, words[rng.IntN(len(words))]...)
			src = append(src, '-')
		}
		f := Features{
			Priority: event.Priority(rng.IntN(6)),
			Load:     load,
			SourceID: src,
			Summary: event.MetadataSummary{
				FieldCount: rng.IntN(40) - 5, MaxDepth: rng.IntN(10) - 1, LeafCount: rng.IntN(80),
				Kinds:    event.KindCounts{Strings: rng.IntN(3), Numbers: rng.IntN(3), Bools: rng.IntN(2), Nulls: rng.IntN(2), Objects: rng.IntN(3), Arrays: rng.IntN(2)},
				ByteSize: rng.IntN(3000),
			},
		}
		r := Classify(f)
		checkResultInvariants(t, r)
		if c := Complexity(f.Summary); !(c >= 0 && c <= 1) {
			t.Fatalf("Complexity(%+v) = %v, outside [0, 1]", f.Summary, c)
		}
		if again := Classify(f); again != r {
			t.Fatalf("Classify is not deterministic: %+v vs %+v", r, again)
		}
	}
}

// FuzzClassify checks, for arbitrary features: Category is the lowest
// category with the maximal score, Confidence and every score are in [0, 1],
// the scores sum to 1, and Classify never panics.
func FuzzClassify(f *testing.F) {
	f.Add(uint8(3), 0.9, []byte("alert"), 3, 2, 5, 100)
	f.Add(uint8(0), math.NaN(), []byte("USER-payments"), -1, -1, -1, -1)
	f.Add(uint8(200), math.Inf(1), []byte{}, 1<<40, 1<<40, 1<<40, 1<<40)
	f.Fuzz(func(t *testing.T, priority uint8, load float64, source []byte, fields, depth, leaves, size int) {
		r := Classify(Features{
			Priority: event.Priority(priority), Load: load, SourceID: source,
			Summary: event.MetadataSummary{FieldCount: fields, MaxDepth: depth, LeafCount: leaves, ByteSize: size},
		})
		checkResultInvariants(t, r)
	})
}

func checkResultInvariants(t *testing.T, r Result) {
	t.Helper()
	if !(r.Confidence >= 0 && r.Confidence <= 1) {
		t.Fatalf("Confidence %v outside [0, 1]", r.Confidence)
	}
	if r.Category >= event.NumCategories {
		t.Fatalf("Category %d undefined", r.Category)
	}
	sum := 0.0
	for c, s := range r.Scores {
		if !(s >= 0 && s <= 1) {
			t.Fatalf("score[%v] = %v outside [0, 1]", event.Category(c), s)
		}
		sum += s
		if event.Category(c) < r.Category && s >= r.Scores[r.Category]-tieTolerance {
			t.Fatalf("tie-break broken: %v scores %v, tied with winner %v's %v", event.Category(c), s, r.Category, r.Scores[r.Category])
		}
		if s > r.Scores[r.Category]+tieTolerance {
			t.Fatalf("%v scores %v > winner %v's %v", event.Category(c), s, r.Category, r.Scores[r.Category])
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("scores sum to %v, want 1", sum)
	}
	if math.Abs(r.Confidence-r.Scores[r.Category]) > 1e-9 {
		t.Fatalf("Confidence %v != winner's share %v", r.Confidence, r.Scores[r.Category])
	}
}
