package intake

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// TestDecodeRejects covers every reason code with each form that must
// produce it, and checks the field and message name the culprit.
func TestDecodeRejects(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	deepObj := func(n int) string { // n nested objects: {"a":{"a":…{}}}
		return strings.Repeat(`{"a":`, n-1) + "{}" + strings.Repeat("}", n-1)
	}
	tests := []struct {
		name   string
		cfg    Config
		input  string
		reason event.Reason
		field  string // "" = not checked
		msg    string // substring of Msg; "" = not checked
	}{
		// too_large: by length, before anything else.
		{"too large by one", Config{MaxEventBytes: 64}, withBase() + strings.Repeat(" ", 64-len(withBase())+1), event.ReasonTooLarge, "", "--max-event-bytes 64"},
		{"too large even if invalid", Config{MaxEventBytes: 8}, "xxxxxxxxx", event.ReasonTooLarge, "", ""},

		// invalid_json: empty, truncated, trailing data, bad tokens.
		{"tombstone (nil)", Config{}, "\x00nil", event.ReasonInvalidJSON, "", "empty value"},
		{"empty", Config{}, "", event.ReasonInvalidJSON, "", "empty value"},
		{"only white space", Config{}, " \n\t ", event.ReasonInvalidJSON, "", "empty value"},
		{"unclosed object", Config{}, "{", event.ReasonInvalidJSON, "", "end of input"},
		{"truncated member", Config{}, `{"event_id":`, event.ReasonInvalidJSON, "event_id", "end of input"},
		{"missing value", Config{}, `{"event_id":}`, event.ReasonInvalidJSON, "event_id", "unexpected"},
		{"trailing garbage", Config{}, withBase() + " x", event.ReasonInvalidJSON, "", "after the top-level value"},
		{"two objects", Config{}, withBase() + "{}", event.ReasonInvalidJSON, "", "after the top-level value"},
		{"trailing garbage after array", Config{}, "[1] 2", event.ReasonInvalidJSON, "", "after"},
		{"NaN literal", Config{}, withBase(`"load_indicator":NaN`), event.ReasonInvalidJSON, "load_indicator", ""},
		{"Infinity literal", Config{}, withBase(`"x":Infinity`), event.ReasonInvalidJSON, "x", ""},
		{"-Infinity literal", Config{}, withBase(`"metadata":{"a":-Infinity}`), event.ReasonInvalidJSON, "metadata", "invalid number"},
		{"leading zero", Config{}, withBase(`"x":01`), event.ReasonInvalidJSON, "x", ""},
		{"bare fraction", Config{}, withBase(`"x":.5`), event.ReasonInvalidJSON, "x", ""},
		{"trailing point", Config{}, withBase(`"x":1.`), event.ReasonInvalidJSON, "x", "invalid number"},
		{"plus sign", Config{}, withBase(`"x":+1`), event.ReasonInvalidJSON, "x", ""},
		{"empty exponent", Config{}, withBase(`"x":1e`), event.ReasonInvalidJSON, "x", "invalid number"},
		{"single quotes", Config{}, `{'event_id':'e1'}`, event.ReasonInvalidJSON, "", "expected a string key"},
		{"trailing comma in object", Config{}, `{"event_id":"e1",}`, event.ReasonInvalidJSON, "", "expected a string key"},
		{"trailing comma in array", Config{}, withBase(`"x":[1,]`), event.ReasonInvalidJSON, "x", ""},
		{"missing colon", Config{}, `{"event_id" "e1"}`, event.ReasonInvalidJSON, "event_id", "expected ':'"},
		{"unterminated string", Config{}, `{"event_id":"e1`, event.ReasonInvalidJSON, "event_id", "end of input"},
		{"bad escape", Config{}, withBase(`"x":"\x41"`), event.ReasonInvalidJSON, "x", "escape"},
		{"short unicode escape", Config{}, withBase(`"x":"\u12"`), event.ReasonInvalidJSON, "x", "escape"},
		{"raw newline in string", Config{}, withBase("\"x\":\"a\nb\""), event.ReasonInvalidJSON, "x", "control character"},
		{"invalid UTF-8 in value", Config{}, withBase("\"x\":\"\xff\""), event.ReasonInvalidJSON, "x", "UTF-8"},
		{"invalid UTF-8 in id", Config{}, "{\"event_id\":\"e\xc3\",\"source_id\":\"s\",\"timestamp\":1}", event.ReasonInvalidJSON, "event_id", "UTF-8"},
		{"invalid UTF-8 in key", Config{}, withBase("\"k\xfe\":1"), event.ReasonInvalidJSON, "", "UTF-8"},
		{"invalid UTF-8 in metadata key", Config{}, withBase("\"metadata\":{\"\xc0\xaf\":1}"), event.ReasonInvalidJSON, "metadata", "UTF-8"},
		{"UTF-8 encoded surrogate", Config{}, withBase("\"x\":\"\xed\xa0\x80\""), event.ReasonInvalidJSON, "x", "UTF-8"},
		{"truncated multi-byte", Config{}, withBase("\"x\":\"\xe2\x82\""), event.ReasonInvalidJSON, "x", "UTF-8"},
		{"invalid UTF-8 outside strings", Config{}, "{\xff}", event.ReasonInvalidJSON, "", ""},
		{"byte order mark", Config{}, "\xef\xbb\xbf" + withBase(), event.ReasonInvalidJSON, "", ""},
		{"comment", Config{}, "{// c\n" + baseMembers + "}", event.ReasonInvalidJSON, "", ""},
		{"bad literal", Config{}, withBase(`"x":tru`), event.ReasonInvalidJSON, "x", "literal"},
		{"capitalised literal", Config{}, withBase(`"x":True`), event.ReasonInvalidJSON, "x", ""},
		{"invalid non-object", Config{}, "[1,]", event.ReasonInvalidJSON, "", ""},
		{"syntax error beats earlier invalid field", Config{}, `{"event_id":true,"source_id":"s","timestamp":1,"x":[}`, event.ReasonInvalidJSON, "x", ""},
		{"syntax error beats earlier duplicate", Config{}, withBase(`"event_id":"e2"`, `"x":}`), event.ReasonInvalidJSON, "x", ""},

		// not_an_object: valid JSON of another kind.
		{"array", Config{}, `[1,2]`, event.ReasonNotAnObject, "", "JSON array"},
		{"empty array", Config{}, ` [] `, event.ReasonNotAnObject, "", "array"},
		{"string", Config{}, `"event"`, event.ReasonNotAnObject, "", "string"},
		{"number", Config{}, `42`, event.ReasonNotAnObject, "", "number"},
		{"true", Config{}, `true`, event.ReasonNotAnObject, "", "boolean"},
		{"null text", Config{}, `null`, event.ReasonNotAnObject, "", "null"},

		// too_deep: the top-level object is depth 1, limit anywhere.
		{"array nesting beyond limit", Config{MaxDepth: 4}, deep(5), event.ReasonTooDeep, "", "--max-depth 4"},
		{"1 MB of open brackets", Config{}, strings.Repeat("[", 1<<20), event.ReasonTooDeep, "", "--max-depth 32"},
		{"metadata beyond limit", Config{MaxDepth: 4}, withBase(`"metadata":` + deepObj(4)), event.ReasonTooDeep, "metadata", ""},
		{"payload beyond limit", Config{MaxDepth: 4}, withBase(`"p":` + deep(4)), event.ReasonTooDeep, "p", ""},
		{"id beyond limit", Config{MaxDepth: 3}, `{"event_id":[[[1]]]}`, event.ReasonTooDeep, "event_id", ""},
		{"too deep beats later syntax error", Config{MaxDepth: 3}, `{"x":[[[[}`, event.ReasonTooDeep, "x", ""},

		// missing_field: absent, null or "".
		{"empty object", Config{}, `{}`, event.ReasonMissingField, "event_id", "missing"},
		{"event_id absent", Config{}, `{"source_id":"s","timestamp":1}`, event.ReasonMissingField, "event_id", "event_id: missing"},
		{"source_id absent", Config{}, `{"event_id":"e","timestamp":1}`, event.ReasonMissingField, "source_id", "source_id: missing"},
		{"timestamp absent", Config{}, `{"event_id":"e","source_id":"s"}`, event.ReasonMissingField, "timestamp", "timestamp: missing"},
		{"event_id null", Config{}, `{"event_id":null,"source_id":"s","timestamp":1}`, event.ReasonMissingField, "event_id", "null"},
		{"source_id null", Config{}, `{"event_id":"e","source_id":null,"timestamp":1}`, event.ReasonMissingField, "source_id", "null"},
		{"timestamp null", Config{}, `{"event_id":"e","source_id":"s","timestamp":null}`, event.ReasonMissingField, "timestamp", "null"},
		{"event_id empty", Config{}, `{"event_id":"","source_id":"s","timestamp":1}`, event.ReasonMissingField, "event_id", "empty string"},
		{"source_id empty", Config{}, `{"event_id":"e","source_id":"","timestamp":1}`, event.ReasonMissingField, "source_id", "empty string"},
		{"timestamp empty", Config{}, `{"event_id":"e","source_id":"s","timestamp":""}`, event.ReasonMissingField, "timestamp", "empty string"},
		{"key case matters", Config{}, `{"Event_ID":"e","source_id":"s","timestamp":1}`, event.ReasonMissingField, "event_id", ""},

		// invalid_field: present but not convertible.
		{"event_id bool", Config{}, `{"event_id":true,"source_id":"s","timestamp":1}`, event.ReasonInvalidField, "event_id", "boolean, want a non-empty string or a number"},
		{"event_id object", Config{}, `{"event_id":{"a":1},"source_id":"s","timestamp":1}`, event.ReasonInvalidField, "event_id", "object"},
		{"event_id array", Config{}, `{"event_id":["e"],"source_id":"s","timestamp":1}`, event.ReasonInvalidField, "event_id", "array"},
		{"source_id bool", Config{}, `{"event_id":"e","source_id":false,"timestamp":1}`, event.ReasonInvalidField, "source_id", "boolean"},
		{"source_id array", Config{}, `{"event_id":"e","source_id":[],"timestamp":1}`, event.ReasonInvalidField, "source_id", "array"},
		{"event_id number overflow", Config{}, `{"event_id":1e400,"source_id":"s","timestamp":1}`, event.ReasonInvalidField, "event_id", "out of the float64 range"},
		{"timestamp word", Config{}, `{"event_id":"e","source_id":"s","timestamp":"abc"}`, event.ReasonInvalidField, "timestamp", `timestamp: "abc" is not a number, numeric string or RFC 3339 time`},
		{"timestamp NaN string", Config{}, `{"event_id":"e","source_id":"s","timestamp":"NaN"}`, event.ReasonInvalidField, "timestamp", ""},
		{"timestamp Inf string", Config{}, `{"event_id":"e","source_id":"s","timestamp":"Inf"}`, event.ReasonInvalidField, "timestamp", ""},
		{"timestamp hex string", Config{}, `{"event_id":"e","source_id":"s","timestamp":"0x10"}`, event.ReasonInvalidField, "timestamp", ""},
		{"timestamp blank string", Config{}, `{"event_id":"e","source_id":"s","timestamp":"  "}`, event.ReasonInvalidField, "timestamp", ""},
		{"timestamp bad date", Config{}, `{"event_id":"e","source_id":"s","timestamp":"2023-02-30T00:00:00Z"}`, event.ReasonInvalidField, "timestamp", ""},
		{"timestamp date without zone", Config{}, `{"event_id":"e","source_id":"s","timestamp":"2023-11-14T22:13:20"}`, event.ReasonInvalidField, "timestamp", ""},
		{"timestamp bool", Config{}, `{"event_id":"e","source_id":"s","timestamp":true}`, event.ReasonInvalidField, "timestamp", "boolean"},
		{"timestamp object", Config{}, `{"event_id":"e","source_id":"s","timestamp":{}}`, event.ReasonInvalidField, "timestamp", "object"},
		{"priority unknown", Config{}, withBase(`"priority":"urgent"`), event.ReasonInvalidField, "priority", `"urgent" is not one of LOW, MEDIUM, HIGH, CRITICAL`},
		{"priority empty", Config{}, withBase(`"priority":""`), event.ReasonInvalidField, "priority", ""},
		{"priority number", Config{}, withBase(`"priority":3`), event.ReasonInvalidField, "priority", "got a JSON number"},
		{"priority bool", Config{}, withBase(`"priority":true`), event.ReasonInvalidField, "priority", "boolean"},
		{"priority array", Config{}, withBase(`"priority":["HIGH"]`), event.ReasonInvalidField, "priority", "array"},
		{"load word", Config{}, withBase(`"load_indicator":"high"`), event.ReasonInvalidField, "load_indicator", "not a number or numeric string"},
		{"load NaN string", Config{}, withBase(`"load_indicator":"NaN"`), event.ReasonInvalidField, "load_indicator", ""},
		{"load Infinity string", Config{}, withBase(`"load_indicator":"Infinity"`), event.ReasonInvalidField, "load_indicator", ""},
		{"load -Inf string", Config{}, withBase(`"load_indicator":"-Inf"`), event.ReasonInvalidField, "load_indicator", ""},
		{"load hex float string", Config{}, withBase(`"load_indicator":"0x1p-2"`), event.ReasonInvalidField, "load_indicator", ""},
		{"load underscore string", Config{}, withBase(`"load_indicator":"1_0"`), event.ReasonInvalidField, "load_indicator", ""},
		{"load bool", Config{}, withBase(`"load_indicator":false`), event.ReasonInvalidField, "load_indicator", "boolean"},
		{"load object", Config{}, withBase(`"load_indicator":{}`), event.ReasonInvalidField, "load_indicator", "object"},
		{"metadata array", Config{}, withBase(`"metadata":[]`), event.ReasonInvalidField, "metadata", "got a JSON array, want an object"},
		{"metadata string", Config{}, withBase(`"metadata":"{}"`), event.ReasonInvalidField, "metadata", "string"},
		{"metadata number", Config{}, withBase(`"metadata":1`), event.ReasonInvalidField, "metadata", "number"},
		{"duplicate known key", Config{}, withBase(`"event_id":"e2"`), event.ReasonInvalidField, "event_id", "duplicate key"},
		{"duplicate known key after null", Config{}, withBase(`"priority":null`, `"priority":"HIGH"`), event.ReasonInvalidField, "priority", "duplicate key"},
		{"duplicate metadata", Config{}, withBase(`"metadata":{}`, `"metadata":{}`), event.ReasonInvalidField, "metadata", "duplicate key"},
		{"duplicate payload key", Config{}, withBase(`"x":1`, `"y":2`, `"x":3`), event.ReasonInvalidField, "x", "duplicate key"},
		{"duplicate payload key by escape", Config{}, withBase(`"x":1`, `"\u0078":2`), event.ReasonInvalidField, "x", "duplicate key"},
		{"duplicate known key by escape", Config{}, withBase(`"event\u005fid":"e2"`), event.ReasonInvalidField, "event_id", "duplicate key"},
		{"duplicate key in metadata", Config{}, withBase(`"metadata":{"a":1,"b":2,"a":1}`), event.ReasonInvalidField, "metadata", `duplicate key "a"`},
		{"duplicate key nested in metadata", Config{}, withBase(`"metadata":{"o":[{"k":1,"k":2}]}`), event.ReasonInvalidField, "metadata", `duplicate key "k"`},
		{"duplicate key among many in metadata", Config{}, withBase(`"metadata":{` + manyMembers(40) + `,"m07":0}`), event.ReasonInvalidField, "metadata", `"m07"`},
		{"invalid field beats absent field", Config{}, `{"event_id":true}`, event.ReasonInvalidField, "event_id", ""},
		{"null field first in input order wins", Config{}, `{"event_id":null,"source_id":true,"timestamp":1}`, event.ReasonMissingField, "event_id", ""},
		{"invalid field first in input order wins", Config{}, `{"source_id":true,"event_id":"","timestamp":1}`, event.ReasonInvalidField, "source_id", ""},
		{"in-order problem beats duplicate payload key", Config{}, withBase(`"x":1`, `"x":2`, `"priority":"x"`), event.ReasonInvalidField, "priority", ""},
		{"first invalid field wins", Config{}, `{"priority":"x","event_id":true,"source_id":"s","timestamp":1}`, event.ReasonInvalidField, "priority", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := []byte(tt.input)
			if tt.input == "\x00nil" {
				input = nil
			}
			d := newTestDecoder(t, tt.cfg)
			var ev event.Event
			err := d.Decode(input, testReceivedAt, &ev)
			if err == nil {
				t.Fatalf("Decode(%.80q) accepted, want %s", tt.input, tt.reason)
			}
			if got := reasonOf(t, err); got != tt.reason {
				t.Fatalf("Decode(%.80q) reason %s, want %s (%v)", tt.input, got, tt.reason, err)
			}
			var ve *ValidationError
			errors.As(err, &ve)
			if tt.field != "" && ve.Field != tt.field {
				t.Errorf("field %q, want %q (%v)", ve.Field, tt.field, err)
			}
			if tt.msg != "" && !strings.Contains(ve.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", ve.Msg, tt.msg)
			}
			if tt.field != "" && tt.reason != event.ReasonInvalidJSON && tt.reason != event.ReasonTooDeep &&
				!strings.Contains(ve.Msg, tt.field) {
				t.Errorf("message %q does not name field %q", ve.Msg, tt.field)
			}
			if ev.EventID != nil || ev.Metadata != nil || ev.Timestamp != 0 {
				t.Errorf("rejected decode left data in the event: %+v", ev)
			}
		})
	}
}

// manyMembers returns n members "m00":0 … for objects that exceed the
// insertion-sort size, in descending key order so they must be sorted.
func manyMembers(n int) string {
	var b strings.Builder
	for i := n - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"m`)
		b.WriteByte(byte('0' + i/10))
		b.WriteByte(byte('0' + i%10))
		b.WriteString(`":0`)
	}
	return b.String()
}

// TestDecodeLimitsAtBoundary checks that the limits are inclusive: a value
// of exactly MaxEventBytes and nesting of exactly MaxDepth are accepted.
func TestDecodeLimitsAtBoundary(t *testing.T) {
	t.Run("size exactly at limit", func(t *testing.T) {
		input := withBase()
		input += strings.Repeat(" ", 100-len(input))
		if _, err := decodeOne(t, Config{MaxEventBytes: 100}, input); err != nil {
			t.Fatalf("len %d at limit 100: %v", len(input), err)
		}
		if _, err := decodeOne(t, Config{MaxEventBytes: 99}, input); reasonOf(t, err) != event.ReasonTooLarge {
			t.Fatalf("len %d at limit 99: %v, want too_large", len(input), err)
		}
	})
	for _, maxDepth := range []int{2, 3, 8, 32} {
		// metadata is depth 2; an array chain inside reaches maxDepth exactly.
		inner := strings.Repeat("[", maxDepth-2) + strings.Repeat("]", maxDepth-2)
		if maxDepth == 2 {
			inner = "1"
		}
		atLimit := withBase(`"metadata":{"a":` + inner + `}`)
		t.Run("metadata depth exactly at limit "+strconv.Itoa(maxDepth), func(t *testing.T) {
			ev, err := decodeOne(t, Config{MaxDepth: maxDepth}, atLimit)
			if err != nil {
				t.Fatalf("depth %d: %v", maxDepth, err)
			}
			if want := maxDepth - 1; ev.Summary.MaxDepth != want {
				t.Errorf("Summary.MaxDepth %d, want %d", ev.Summary.MaxDepth, want)
			}
		})
		t.Run("payload depth exactly at limit "+strconv.Itoa(maxDepth), func(t *testing.T) {
			p := strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1)
			if _, err := decodeOne(t, Config{MaxDepth: maxDepth}, withBase(`"p":`+p)); err != nil {
				t.Fatalf("depth %d: %v", maxDepth, err)
			}
			p = "[" + p + "]"
			if _, err := decodeOne(t, Config{MaxDepth: maxDepth}, withBase(`"p":`+p)); reasonOf(t, err) != event.ReasonTooDeep {
				t.Fatalf("depth %d+1: %v, want too_deep", maxDepth, err)
			}
		})
		t.Run("non-object depth exactly at limit "+strconv.Itoa(maxDepth), func(t *testing.T) {
			arr := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
			if _, err := decodeOne(t, Config{MaxDepth: maxDepth}, arr); reasonOf(t, err) != event.ReasonNotAnObject {
				t.Fatalf("depth %d array: %v, want not_an_object", maxDepth, err)
			}
		})
	}
}
