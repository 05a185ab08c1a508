package intake

import (
	"bytes"
	"crypto/sha256"
	"math"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// TestDecodeNormalises covers every accepted form of every field and the
// normalisation applied to it.
func TestDecodeNormalises(t *testing.T) {
	const recv = testReceivedSeconds
	type want struct {
		eventID, sourceID string
		timestamp         float64
		corrected         bool
		priority          event.Priority
		load              float64
		metadata          string // raw; "" = "{}"
		payload           string // "" = nil
	}
	base := want{eventID: "e1", sourceID: "s1", timestamp: 1700000000, priority: event.PriorityMedium}
	with := func(mod func(*want)) want { w := base; mod(&w); return w }
	ids := func(e, s string) string {
		return `{"event_id":` + e + `,"source_id":` + s + `,"timestamp":1700000000}`
	}
	ts := func(v string) string { return `{"event_id":"e1","source_id":"s1","timestamp":` + v + `}` }
	tests := []struct {
		name  string
		input string
		want  want
	}{
		{"minimal", withBase(), base},
		{"white space everywhere", " \n{ \"event_id\" : \"e1\" ,\t\"source_id\":\"s1\" , \"timestamp\" : 1700000000 } \r\n", base},

		// identifiers
		{"plain ids", ids(`"evt-001"`, `"service-a"`), with(func(w *want) { w.eventID, w.sourceID = "evt-001", "service-a" })},
		{"escapes in id", ids(`"a\"b\\c\/d\n\t\b\f\r"`, `"s"`), with(func(w *want) { w.eventID, w.sourceID = "a\"b\\c/d\n\t\b\f\r", "s" })},
		{"literal unicode id", ids(`"héllo-世界"`, `"s"`), with(func(w *want) { w.eventID, w.sourceID = "héllo-世界", "s" })},
		{"unicode escape id", ids(`"\u00e9\u4E16"`, `"s"`), with(func(w *want) { w.eventID, w.sourceID = "é世", "s" })},
		{"surrogate pair id", ids(`"\ud83d\ude00"`, `"s"`), with(func(w *want) { w.eventID, w.sourceID = "😀", "s" })},
		{"lone surrogate id", ids(`"a\ud800b"`, `"\udc00"`), with(func(w *want) { w.eventID, w.sourceID = "a\ufffdb", "\ufffd" })},
		{"high surrogate then non-low escape", ids(`"\ud800\u0041"`, `"s"`), with(func(w *want) { w.eventID, w.sourceID = "\ufffdA", "s" })},
		{"NUL escape id", ids(`"\u0000"`, `"s"`), with(func(w *want) { w.eventID, w.sourceID = "\x00", "s" })},
		{"blank id is not empty", ids(`" "`, `"s"`), with(func(w *want) { w.eventID, w.sourceID = " ", "s" })},
		{"integer ids", ids(`123`, `-5`), with(func(w *want) { w.eventID, w.sourceID = "123", "-5" })},
		{"zero ids keep digits", ids(`0`, `-0`), with(func(w *want) { w.eventID, w.sourceID = "0", "-0" })},
		{"big integer id keeps digits", ids(`123456789012345678901234567890`, `18446744073709551617`), with(func(w *want) {
			w.eventID, w.sourceID = "123456789012345678901234567890", "18446744073709551617"
		})},
		{"fractional id", ids(`1.5`, `1.50`), with(func(w *want) { w.eventID, w.sourceID = "1.5", "1.5" })},
		{"exponent ids", ids(`1e3`, `1.0`), with(func(w *want) { w.eventID, w.sourceID = "1000", "1" })},
		{"tiny id", ids(`2.5e-7`, `-1E2`), with(func(w *want) { w.eventID, w.sourceID = "0.00000025", "-100" })},
		{"escaped known key", `{"event\u005fid":"e1","source_id":"s1","timestamp":1700000000}`, base},

		// timestamp
		{"fractional timestamp", ts(`1700000000.5`), with(func(w *want) { w.timestamp = 1700000000.5 })},
		{"exponent timestamp", ts(`1.7e9`), with(func(w *want) { w.timestamp = 1.7e9 })},
		{"numeric string timestamp", ts(`"1700000000.5"`), with(func(w *want) { w.timestamp = 1700000000.5 })},
		{"padded numeric string timestamp", ts(`" 1700000000 "`), with(func(w *want) { w.timestamp = 1700000000 })},
		{"escaped numeric string timestamp", ts(`"\u0031700000000"`), with(func(w *want) { w.timestamp = 1700000000 })},
		{"RFC 3339 UTC", ts(`"2023-11-14T22:13:20Z"`), with(func(w *want) { w.timestamp = 1700000000 })},
		{"RFC 3339 offset", ts(`"2023-11-14T23:13:20+01:00"`), with(func(w *want) { w.timestamp = 1700000000 })},
		{"RFC 3339 fraction", ts(`"2023-11-14T22:13:20.5Z"`), with(func(w *want) { w.timestamp = 1700000000.5 })},
		{"exactly 2000-01-01", ts(`"2000-01-01T00:00:00Z"`), with(func(w *want) { w.timestamp = 946684800 })},
		{"future within skew", ts(`1700000299`), with(func(w *want) { w.timestamp = 1700000299 })},
		{"future exactly at skew", ts(`1700000300.25`), with(func(w *want) { w.timestamp = 1700000300.25 })},
		{"future beyond skew corrected", ts(`1700000300.26`), with(func(w *want) { w.timestamp, w.corrected = recv, true })},
		{"far future RFC 3339 corrected", ts(`"2099-01-01T00:00:00Z"`), with(func(w *want) { w.timestamp, w.corrected = recv, true })},
		{"milliseconds are far future, corrected", ts(`1700000000000`), with(func(w *want) { w.timestamp, w.corrected = recv, true })},
		{"overflowing number corrected", ts(`1e400`), with(func(w *want) { w.timestamp, w.corrected = recv, true })},
		{"pre-2000 corrected", ts(`"1999-12-31T23:59:59Z"`), with(func(w *want) { w.timestamp, w.corrected = recv, true })},
		{"zero corrected", ts(`0`), with(func(w *want) { w.timestamp, w.corrected = recv, true })},
		{"negative corrected", ts(`"-5"`), with(func(w *want) { w.timestamp, w.corrected = recv, true })},

		// priority
		{"priority upper", withBase(`"priority":"HIGH"`), with(func(w *want) { w.priority = event.PriorityHigh })},
		{"priority lower", withBase(`"priority":"low"`), with(func(w *want) { w.priority = event.PriorityLow })},
		{"priority mixed case padded", withBase(`"priority":" CriTical\t"`), with(func(w *want) { w.priority = event.PriorityCritical })},
		{"priority escaped", withBase(`"priority":"\u0048igh"`), with(func(w *want) { w.priority = event.PriorityHigh })},
		{"priority null is default", withBase(`"priority":null`), base},

		// load_indicator
		{"load number", withBase(`"load_indicator":0.75`), with(func(w *want) { w.load = 0.75 })},
		{"load numeric string", withBase(`"load_indicator":"0.25"`), with(func(w *want) { w.load = 0.25 })},
		{"load padded string", withBase(`"load_indicator":" 1 "`), with(func(w *want) { w.load = 1 })},
		{"load clamped low", withBase(`"load_indicator":-1`), base},
		{"load clamped high", withBase(`"load_indicator":2`), with(func(w *want) { w.load = 1 })},
		{"load string clamped", withBase(`"load_indicator":"5e0"`), with(func(w *want) { w.load = 1 })},
		{"load overflow clamped", withBase(`"load_indicator":1e400`), with(func(w *want) { w.load = 1 })},
		{"load negative overflow clamped", withBase(`"load_indicator":-1e400`), base},
		{"load negative zero", withBase(`"load_indicator":-0.0`), base},
		{"load null is default", withBase(`"load_indicator":null`), base},

		// metadata and payload
		{"metadata raw preserved", withBase(`"metadata": { "b" : 1, "a":[1, 2.0] }`), with(func(w *want) { w.metadata = `{ "b" : 1, "a":[1, 2.0] }` })},
		{"metadata null is default", withBase(`"metadata":null`), base},
		{"metadata empty", withBase(`"metadata":{}`), with(func(w *want) { w.metadata = `{}` })},
		{"payload in input order, raw", `{"z":1,"event_id":"e1","a":{"x": [1, 2]},"source_id":"s1","m":"\u00e9","timestamp":1700000000,"n":null}`,
			with(func(w *want) { w.payload = `{"z":1,"a":{"x": [1, 2]},"m":"\u00e9","n":null}` })},
		{"payload key escapes kept", withBase(`"k\u00e9y":true`), with(func(w *want) { w.payload = `{"k\u00e9y":true}` })},
		{"payload key differing by case", withBase(`"Priority":"x"`), with(func(w *want) { w.payload = `{"Priority":"x"}` })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := decodeOne(t, Config{}, tt.input)
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.input, err)
			}
			w := tt.want
			if string(ev.EventID) != w.eventID || string(ev.SourceID) != w.sourceID {
				t.Errorf("ids %q, %q; want %q, %q", ev.EventID, ev.SourceID, w.eventID, w.sourceID)
			}
			if ev.Timestamp != w.timestamp || ev.TimestampCorrected != w.corrected {
				t.Errorf("timestamp %v corrected=%v; want %v corrected=%v", ev.Timestamp, ev.TimestampCorrected, w.timestamp, w.corrected)
			}
			if ev.ReceivedAt != recv {
				t.Errorf("ReceivedAt %v, want %v", ev.ReceivedAt, recv)
			}
			if ev.Priority != w.priority {
				t.Errorf("priority %s, want %s", ev.Priority, w.priority)
			}
			if ev.Load != w.load || math.Signbit(ev.Load) {
				t.Errorf("load %v, want %v", ev.Load, w.load)
			}
			wantMeta := w.metadata
			if wantMeta == "" {
				wantMeta = "{}"
			}
			if string(ev.Metadata) != wantMeta {
				t.Errorf("metadata %q, want %q", ev.Metadata, wantMeta)
			}
			if w.payload == "" && ev.Payload != nil {
				t.Errorf("payload %q, want nil", ev.Payload)
			}
			if w.payload != "" && string(ev.Payload) != w.payload {
				t.Errorf("payload %q, want %q", ev.Payload, w.payload)
			}
		})
	}
}

// TestAbsentMetadataDefaults checks the {} default and its hash/summary.
func TestAbsentMetadataDefaults(t *testing.T) {
	ev, err := decodeOne(t, Config{}, withBase())
	if err != nil {
		t.Fatal(err)
	}
	if ev.MetadataHash != sha256.Sum256([]byte("{}")) {
		t.Errorf("hash of absent metadata is not sha256(\"{}\")")
	}
	present, err := decodeOne(t, Config{}, withBase(`"metadata": { }`))
	if err != nil {
		t.Fatal(err)
	}
	if present.MetadataHash != ev.MetadataHash || present.Summary != ev.Summary {
		t.Errorf("absent metadata %+v differs from {}: %+v", ev.Summary, present.Summary)
	}
	want := event.MetadataSummary{ByteSize: 2, StructureHash: ev.Summary.StructureHash}
	if ev.Summary != want || want.StructureHash == 0 {
		t.Errorf("summary %+v, want %+v", ev.Summary, want)
	}
}

// TestDecoderReuse checks that a decoder's buffers do not leak one event
// into the next: decoding A, B, A gives the same A.
func TestDecoderReuse(t *testing.T) {
	a := withBase(`"metadata":{"b":[1,{"y":2,"x":1}],"a":"\u00e9"}`, `"p":1`)
	b := `{"event_id":"\u0062b","source_id":2.5,"timestamp":"2023-11-14T22:13:20Z","priority":"low","metadata":{"z":{"k":"v"}}}`
	d := newTestDecoder(t, Config{})
	var ev event.Event
	if err := d.Decode([]byte(a), testReceivedAt, &ev); err != nil {
		t.Fatal(err)
	}
	first := ev.Clone()
	if err := d.Decode([]byte(b), testReceivedAt, &ev); err != nil {
		t.Fatal(err)
	}
	if string(ev.EventID) != "bb" || string(ev.SourceID) != "2.5" || ev.Payload != nil {
		t.Fatalf("second event wrong: %q %q %q", ev.EventID, ev.SourceID, ev.Payload)
	}
	if err := d.Decode([]byte("[1"), testReceivedAt, &ev); err == nil {
		t.Fatal("invalid value accepted")
	}
	if err := d.Decode([]byte(a), testReceivedAt, &ev); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ev.EventID, first.EventID) || ev.MetadataHash != first.MetadataHash ||
		ev.Summary != first.Summary || !bytes.Equal(ev.Payload, first.Payload) {
		t.Errorf("re-decoding A gave %+v, first time %+v", ev, first)
	}
}
