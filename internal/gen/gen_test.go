package gen

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/eventproc/eventproc/event"
)

var fixedClock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC) }

// classify is an independent reading of the contract's input and rejection rules (docs/contract.md), written with
// encoding/json: the test oracle for what eventproc must answer for a value.
// ok is true for an acceptable event.
func classify(t *testing.T, v []byte) (reason event.Reason, ok bool) {
	t.Helper()
	if len(v) == 0 || !utf8.Valid(v) || !json.Valid(v) {
		return event.ReasonInvalidJSON, false
	}
	if maxDepth(v) > 32 {
		return event.ReasonTooDeep, false
	}
	var obj map[string]json.RawMessage
	if v[0] != '{' || json.Unmarshal(v, &obj) != nil {
		return event.ReasonNotAnObject, false
	}
	for _, f := range []string{"event_id", "source_id", "timestamp"} {
		raw, present := obj[f]
		if !present || string(raw) == "null" || string(raw) == `""` {
			return event.ReasonMissingField, false
		}
	}
	for _, f := range []string{"event_id", "source_id"} {
		if c := obj[f][0]; c != '"' && c != '-' && (c < '0' || c > '9') {
			return event.ReasonInvalidField, false
		}
	}
	if !validTimestamp(obj["timestamp"]) {
		return event.ReasonInvalidField, false
	}
	if raw, present := obj["priority"]; present {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return event.ReasonInvalidField, false
		}
		if _, ok := event.ParsePriority([]byte(s)); !ok {
			return event.ReasonInvalidField, false
		}
	}
	if raw, present := obj["load_indicator"]; present && !numberOrNumericString(raw) {
		return event.ReasonInvalidField, false
	}
	if raw, present := obj["metadata"]; present && raw[0] != '{' {
		return event.ReasonInvalidField, false
	}
	return 0, true
}

func numberOrNumericString(raw json.RawMessage) bool {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func validTimestamp(raw json.RawMessage) bool {
	if numberOrNumericString(raw) {
		return true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// maxDepth counts object/array nesting outside strings.
func maxDepth(v []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inString && c == '\\':
			i++
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func TestGoodEventsAreValidRealisticAndSized(t *testing.T) {
	g := New(Config{Seed: 1, Clock: fixedClock})
	seenPriority := map[string]int{}
	lastID := map[string]int{}
	const n = 10000
	minLen, maxLen, total := math.MaxInt, 0, 0
	for i := 0; i < n; i++ {
		r := g.Next()
		if r.Malformed {
			t.Fatalf("record %d malformed with ratio 0", i)
		}
		if reason, ok := classify(t, r.Value); !ok {
			t.Fatalf("record %d rejected as %v: %s", i, reason, r.Value)
		}
		if l := len(r.Value); l < 200 || l > 320 {
			t.Errorf("record %d is %d bytes, want 200..320: %s", i, l, r.Value)
		}
		minLen, maxLen, total = min(minLen, len(r.Value)), max(maxLen, len(r.Value)), total+len(r.Value)

		var e struct {
			EventID  string `json:"event_id"`
			SourceID string `json:"source_id"`
			Priority *string
		}
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != e.SourceID {
			t.Fatalf("key %q != source_id %q", r.Key, e.SourceID)
		}
		// Per-source event ids are "<source>-<n>" with n increasing by 1.
		num, err := strconv.Atoi(strings.TrimPrefix(e.EventID, e.SourceID+"-"))
		if err != nil || num != lastID[e.SourceID]+1 {
			t.Fatalf("event_id %q after %d for %s", e.EventID, lastID[e.SourceID], e.SourceID)
		}
		lastID[e.SourceID] = num
		if e.Priority != nil {
			p, _ := event.ParsePriority([]byte(*e.Priority))
			seenPriority[p.String()]++
		}
	}
	if len(lastID) < 40 || len(lastID) > DefaultSources {
		t.Errorf("%d distinct sources, want about %d", len(lastID), DefaultSources)
	}
	want := map[string]float64{"LOW": 0.30, "MEDIUM": 0.40, "HIGH": 0.20, "CRITICAL": 0.10}
	sum := 0
	for _, c := range seenPriority {
		sum += c
	}
	for p, share := range want {
		if got := float64(seenPriority[p]) / float64(sum); math.Abs(got-share) > 0.03 {
			t.Errorf("priority %s share %.3f, want %.2f±0.03", p, got, share)
		}
	}
	t.Logf("sizes: min %d, max %d, mean %d bytes", minLen, maxLen, total/n)
}

func TestGoodEventsUseEveryAcceptedForm(t *testing.T) {
	g := New(Config{Seed: 2, Clock: fixedClock})
	forms := map[string]bool{}
	for i := 0; i < 5000; i++ {
		v := g.Next().Value
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(v, &obj); err != nil {
			t.Fatal(err)
		}
		ts := string(obj["timestamp"])
		switch {
		case strings.HasSuffix(ts, `Z"`):
			forms["timestamp rfc3339"] = true
		case strings.HasPrefix(ts, `"`):
			forms["timestamp numeric string"] = true
		default:
			forms["timestamp number"] = true
		}
		if ts == "1767323045.678" {
			forms["timestamp from clock"] = true
		}
		if p := string(obj["priority"]); p == "" {
			forms["priority absent"] = true
		} else if p != strings.ToUpper(strings.TrimSpace(p)) || strings.Contains(p, " ") {
			forms["priority lower case or padded"] = true
		}
		if l := obj["load_indicator"]; len(l) > 0 && l[0] == '"' {
			forms["load string"] = true
		}
		if string(obj["metadata"]) == "{}" {
			forms["metadata empty"] = true
		}
		if bytes.Contains(obj["metadata"], []byte(`"cart":{"items":`)) {
			forms["metadata nested cart"] = true
		}
		if bytes.Contains(obj["metadata"], []byte(`[`)) {
			forms["metadata array"] = true
		}
		if _, ok := obj["custom_field_1"]; ok {
			forms["unknown field"] = true
		}
	}
	for _, f := range []string{"timestamp rfc3339", "timestamp numeric string", "timestamp number",
		"timestamp from clock", "priority absent", "priority lower case or padded", "load string",
		"metadata empty", "metadata nested cart", "metadata array", "unknown field"} {
		if !forms[f] {
			t.Errorf("no generated event has form %q", f)
		}
	}
}

func TestMalformedRatioAndReasons(t *testing.T) {
	for _, ratio := range []float64{0.05, 0.3, 1} {
		t.Run(strconv.FormatFloat(ratio, 'f', -1, 64), func(t *testing.T) {
			g := New(Config{Seed: 3, MalformedRatio: ratio, Clock: fixedClock})
			const n = 10000
			malformed := 0
			reasons := map[event.Reason]int{}
			for i := 0; i < n; i++ {
				r := g.Next()
				got, ok := classify(t, r.Value)
				if !r.Malformed {
					if !ok {
						t.Fatalf("good record rejected as %v: %s", got, r.Value)
					}
					continue
				}
				malformed++
				if ok {
					t.Fatalf("malformed record (want %v) is acceptable: %q", r.Reason, r.Value)
				}
				if got != r.Reason {
					t.Fatalf("malformed record claims %v, oracle says %v: %q", r.Reason, got, r.Value)
				}
				reasons[r.Reason]++
			}
			if share := float64(malformed) / n; math.Abs(share-ratio) > 0.02 {
				t.Errorf("malformed share %.3f, want %.2f±0.02", share, ratio)
			}
			for _, r := range event.Reasons() {
				if r == event.ReasonTooLarge || r == event.ReasonUnpublishable {
					continue // too_large deliberately not generated (see defects); unpublishable is the broker's verdict, not the input's
				}
				if reasons[r] == 0 {
					t.Errorf("reason %v never produced", r)
				}
			}
		})
	}
}

func TestEveryDefectBreaksAsClaimed(t *testing.T) {
	g := New(Config{Seed: 4, Clock: fixedClock})
	for _, d := range defects {
		t.Run(d.name, func(t *testing.T) {
			for i := 0; i < 50; i++ {
				r := g.malformed(&g.sources[i%len(g.sources)], d)
				got, ok := classify(t, r.Value)
				if ok || got != d.reason {
					t.Fatalf("oracle says ok=%v reason=%v, want %v: %q", ok, got, d.reason, r.Value)
				}
				if (r.Key == nil) != d.nilKey {
					t.Fatalf("key %q, nilKey %v", r.Key, d.nilKey)
				}
			}
		})
	}
}

func TestDeterministicForSeed(t *testing.T) {
	cfg := Config{Seed: 42, MalformedRatio: 0.2, Sources: 7, Clock: fixedClock}
	a, b, c := New(cfg), New(cfg), New(Config{Seed: 43, MalformedRatio: 0.2, Sources: 7, Clock: fixedClock})
	differs := false
	for i := 0; i < 2000; i++ {
		ra, rb, rc := a.Next(), b.Next(), c.Next()
		if !bytes.Equal(ra.Key, rb.Key) || !bytes.Equal(ra.Value, rb.Value) || ra.Malformed != rb.Malformed || ra.Reason != rb.Reason {
			t.Fatalf("record %d differs for the same seed:\n%q\n%q", i, ra.Value, rb.Value)
		}
		differs = differs || !bytes.Equal(ra.Value, rc.Value)
	}
	if !differs {
		t.Error("seeds 42 and 43 generated the same stream")
	}
	if got := len(a.Sources()); got != 7 {
		t.Errorf("Sources() has %d ids, want 7", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"ratio one", Config{MalformedRatio: 1}, true},
		{"negative sources", Config{Sources: -1}, false},
		{"ratio above one", Config{MalformedRatio: 1.5}, false},
		{"negative ratio", Config{MalformedRatio: -0.1}, false},
		{"NaN ratio", Config{MalformedRatio: math.NaN()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func BenchmarkNext(b *testing.B) {
	g := New(Config{Seed: 1, MalformedRatio: 0.05})
	b.ReportAllocs()
	var bytes int64
	for b.Loop() {
		bytes += int64(len(g.Next().Value))
	}
	b.SetBytes(bytes / int64(b.N))
}

func TestInTurnTouchesEverySourceOnce(t *testing.T) {
	const n = 1000
	g := New(Config{Sources: n, InTurn: true, Seed: 3})
	seen := map[string]int{}
	for range n {
		seen[string(g.Next().Key)]++
	}
	if len(seen) != n {
		t.Fatalf("%d records touched %d sources, want all %d", n, len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("source %s got %d records in the first round, want 1", k, c)
		}
	}
	if k := string(g.Next().Key); seen[k] == 0 || k != g.Sources()[0] {
		t.Fatalf("record %d has key %q, want the first source again (%q)", n+1, k, g.Sources()[0])
	}
}
