package intake

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eventproc/eventproc/event"
)

// differentialSeeds are valid and nearly valid values whose mutations make
// the differential corpus.
var differentialSeeds = []string{
	`{"event_id":"evt-1","source_id":"svc","timestamp":1700000000.5,"priority":"HIGH","load_indicator":0.5,"metadata":{"a":[1,-2.5e3,{"b":null}],"c":"\u00e9\n"},"x":[true,false]}`,
	`{"event_id":12,"source_id":"s\"q","timestamp":"2023-11-14T22:13:20Z","metadata":{},"p":{"q":{"r":"é"}}}`,
	`[1, "two", {"three": 3}, null]`,
	` "str\\ing" `,
	`-0.5e-3`,
}

// checkJSONDecision asserts that the invalid_json decision agrees with
// encoding/json: a value is invalid_json exactly when json.Valid rejects it
// or it is not UTF-8, unless too_deep was found first.
func checkJSONDecision(t *testing.T, d *Decoder, input []byte) {
	t.Helper()
	var ev event.Event
	err := d.Decode(input, testReceivedAt, &ev)
	valid := json.Valid(input) && utf8.Valid(input)
	reason := event.Reason(255)
	if err != nil {
		reason = reasonOf(t, err)
	}
	switch {
	case reason == event.ReasonTooDeep || reason == event.ReasonTooLarge:
	case valid && reason == event.ReasonInvalidJSON:
		t.Errorf("valid JSON %q rejected as invalid_json: %v", input, err)
	case !valid && reason != event.ReasonInvalidJSON:
		t.Errorf("invalid JSON %q gave %v, want invalid_json", input, err)
	case reason == event.ReasonNotAnObject && strings.HasPrefix(strings.TrimLeft(string(input), " \t\r\n"), "{"):
		t.Errorf("object %q rejected as not_an_object", input)
	}
}

// TestInvalidJSONMatchesEncodingJSON runs the check over every truncation,
// deletion and single-byte substitution of the seeds.
func TestInvalidJSONMatchesEncodingJSON(t *testing.T) {
	d := newTestDecoder(t, Config{})
	subs := []byte{'"', '{', '}', '[', ']', ',', ':', '\\', 'x', 'u', '0', '1', ' ', '\n', 'e', 'E', '-', '+', '.', 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xff}
	n := 0
	for _, seed := range differentialSeeds {
		s := []byte(seed)
		for i := 0; i <= len(s); i++ {
			checkJSONDecision(t, d, s[:i])
			n++
			if i < len(s) {
				del := append(append([]byte{}, s[:i]...), s[i+1:]...)
				checkJSONDecision(t, d, del)
				n++
				for _, c := range subs {
					mut := append([]byte{}, s...)
					mut[i] = c
					checkJSONDecision(t, d, mut)
					n++
				}
			}
		}
	}
	extra := []string{"", " ", "null", "nul", "NaN", "Infinity", "-Infinity", "1e999", "0.0e-0", "\"\\ud800\"",
		"\"\\uDFFF\\uD800\"", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xf0\x9f\x98\x80\"}", "\ufeff{}", "{}\x00", "[]]", "{}}"}
	for _, e := range extra {
		checkJSONDecision(t, d, []byte(e))
		n++
	}
	t.Logf("%d values checked", n)
}
