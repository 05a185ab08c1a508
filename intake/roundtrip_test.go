package intake

import (
	"bytes"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// sameEvent reports how two decoded events differ in what AppendInputJSON
// must preserve ("" when they agree).
func sameEvent(a, b *event.Event) string {
	switch {
	case !bytes.Equal(a.EventID, b.EventID):
		return "event_id"
	case !bytes.Equal(a.SourceID, b.SourceID):
		return "source_id"
	case a.Timestamp != b.Timestamp:
		return "timestamp"
	case a.ReceivedAt != b.ReceivedAt:
		return "received_at"
	case a.Priority != b.Priority:
		return "priority"
	case a.Load != b.Load:
		return "load"
	case a.MetadataHash != b.MetadataHash:
		return "metadata hash"
	case a.Summary != b.Summary:
		return "summary"
	case !bytes.Equal(a.Payload, b.Payload):
		return "payload"
	}
	return ""
}

func TestAppendInputJSONRoundTrip(t *testing.T) {
	inputs := []string{
		withBase(),
		`{"event_id":"a\"b\\c\n\u0001é😀","source_id":12345678901234567890123,"timestamp":"2023-11-14T22:13:20.123Z","priority":" low ","load_indicator":"0.3333333333333333","metadata":{"b":[1, 2.50],"a":{"\u0078":null}},"z":{"k": [true]},"\u00e9":"x"}`,
		`{"event_id":1.25,"source_id":"s","timestamp":1e400,"load_indicator":7,"x":1}`,
		`{"event_id":"e","source_id":"s","timestamp":1699999999.999999,"priority":"CRITICAL","load_indicator":1e-9}`,
	}
	d := newTestDecoder(t, Config{})
	for _, in := range inputs {
		var ev event.Event
		if err := d.Decode([]byte(in), testReceivedAt, &ev); err != nil {
			t.Fatalf("Decode(%s): %v", in, err)
		}
		first := ev.Clone()
		out := AppendInputJSON(nil, first)
		if err := d.Decode(out, testReceivedAt, &ev); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if diff := sameEvent(first, &ev); diff != "" {
			t.Errorf("round trip of %s via %s changed %s", in, out, diff)
		}
	}
}

// TestAppendInputJSONHandBuilt: a hand-built event (empty metadata,
// invalid UTF-8 in an id) still encodes to valid, decodable JSON.
func TestAppendInputJSONHandBuilt(t *testing.T) {
	ev := &event.Event{EventID: []byte("id\xff"), SourceID: []byte("src"), Timestamp: 1700000000, Priority: event.PriorityHigh, Load: 0.5}
	out := AppendInputJSON([]byte("prefix:"), ev)
	const want = `prefix:{"event_id":"id\ufffd","source_id":"src","timestamp":1700000000,"priority":"HIGH","load_indicator":0.5,"metadata":{}}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	var back event.Event
	if err := newTestDecoder(t, Config{}).Decode(out[len("prefix:"):], testReceivedAt, &back); err != nil {
		t.Fatal(err)
	}
}
