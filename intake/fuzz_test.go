package intake

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eventproc/eventproc/event"
)

// FuzzDecode decodes arbitrary values with the default limits and with
// small ones (MaxDepth 6, MaxEventBytes 512), and checks the invariants:
//
//   - Decode never panics, whatever the input.
//   - A rejection is a *ValidationError with a reason in the closed set,
//     a non-empty message, and Unwrap giving that reason's sentinel.
//   - invalid_json happens exactly when the value is not valid JSON
//     (json.Valid) or not valid UTF-8, except that too_large (by length)
//     and too_deep (found earlier in the scan) may be reported instead.
//     So: invalid input ⇒ invalid_json, too_large or too_deep; valid
//     input ⇒ never invalid_json.
//   - not_an_object only for valid JSON that does not start with '{'.
//   - An accepted event is normalised: non-empty UTF-8 ids, a valid
//     priority, load in [0, 1], a timestamp that is either received_at
//     (corrected) or within [2000-01-01, received_at + skew], metadata that
//     is a JSON object whose hash and ByteSize match an independent
//     encoding/json-based canonicalisation, and a payload that is nil or a
//     JSON object.
//   - An accepted event re-encoded with AppendInputJSON decodes again (same
//     receivedAt) to an equal event: same ids, timestamp, priority, load,
//     metadata hash, summary and payload.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		withBase(),
		`{"event_id":"evt-1","source_id":"svc","timestamp":1700000000.5,"priority":"high","load_indicator":"0.5","metadata":{"b":[1,2.0,{"c":null}],"a":"\u00e9"},"x":{"y":[true]}}`,
		`{"event_id":123456789012345678901234,"source_id":1.5e3,"timestamp":"2023-11-14T22:13:20+01:00","metadata":{"k":"\ud83d\ude00","n":-0.0e0}}`,
		`{"event_id":"e","source_id":"s","timestamp":NaN}`,
		`{"event_id":"e","source_id":"s","timestamp":1,"metadata":{"a":1,"a":2}}`,
		`{"event_id":"e","event_id":"e","source_id":"s","timestamp":1}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		"{\"event_id\":\"\xff\"}",
		`{"event_id":"e","source_id":"s","timestamp":"abc"} trailing`,
		`null`, ``, `"x"`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	full := newTestDecoder(f, Config{})
	small := newTestDecoder(f, Config{MaxDepth: 6, MaxEventBytes: 512})
	f.Fuzz(func(t *testing.T, input []byte) {
		checkDecodeInvariants(t, full, input)
		checkDecodeInvariants(t, small, input)
	})
}

func checkDecodeInvariants(t *testing.T, d *Decoder, input []byte) {
	var ev event.Event
	err := d.Decode(input, testReceivedAt, &ev)
	valid := json.Valid(input) && utf8.Valid(input)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Reason >= event.NumReasons || ve.Msg == "" || !errors.Is(err, SentinelFor(ve.Reason)) {
			t.Fatalf("malformed rejection %#v for %q", err, input)
		}
		switch r := ve.Reason; {
		case r == event.ReasonTooLarge:
			if len(input) <= d.cfg.MaxEventBytes {
				t.Fatalf("too_large for %d bytes (limit %d)", len(input), d.cfg.MaxEventBytes)
			}
		case r == event.ReasonTooDeep:
		case !valid && r != event.ReasonInvalidJSON:
			t.Fatalf("invalid JSON %q rejected as %s: %v", input, r, err)
		case valid && r == event.ReasonInvalidJSON:
			t.Fatalf("valid JSON %q rejected as invalid_json: %v", input, err)
		case r == event.ReasonNotAnObject && strings.HasPrefix(strings.TrimLeft(string(input), " \t\r\n"), "{"):
			t.Fatalf("object %q rejected as not_an_object", input)
		}
		return
	}
	if !valid || len(input) > d.cfg.MaxEventBytes {
		t.Fatalf("accepted invalid or oversized value %q", input)
	}
	checkNormalised(t, d, input, &ev)

	first := ev.Clone()
	out := AppendInputJSON(nil, first)
	if err := d.Decode(out, testReceivedAt, &ev); err != nil {
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTooDeep) {
			return // re-encoding may be longer, or metadata may sit at the limit
		}
		t.Fatalf("re-encoded %q (from %q) rejected: %v", out, input, err)
	}
	if diff := sameEvent(first, &ev); diff != "" {
		t.Fatalf("round trip of %q via %q changed %s", input, out, diff)
	}
}

func checkNormalised(t *testing.T, d *Decoder, input []byte, ev *event.Event) {
	switch {
	case len(ev.EventID) == 0 || !utf8.Valid(ev.EventID):
		t.Fatalf("event_id %q from %q", ev.EventID, input)
	case len(ev.SourceID) == 0 || !utf8.Valid(ev.SourceID):
		t.Fatalf("source_id %q from %q", ev.SourceID, input)
	case !ev.Priority.Valid():
		t.Fatalf("priority %d from %q", ev.Priority, input)
	case !(ev.Load >= 0 && ev.Load <= 1):
		t.Fatalf("load %v from %q", ev.Load, input)
	case ev.TimestampCorrected && ev.Timestamp != ev.ReceivedAt:
		t.Fatalf("corrected timestamp %v != received_at %v", ev.Timestamp, ev.ReceivedAt)
	case !ev.TimestampCorrected && !(ev.Timestamp >= epoch2000 && ev.Timestamp <= ev.ReceivedAt+d.skewSeconds):
		t.Fatalf("unreliable timestamp %v kept, from %q", ev.Timestamp, input)
	case ev.Payload != nil && (!json.Valid(ev.Payload) || ev.Payload[0] != '{'):
		t.Fatalf("payload %q is not an object, from %q", ev.Payload, input)
	case !json.Valid(ev.Metadata) || ev.Metadata[0] != '{':
		t.Fatalf("metadata %q is not an object, from %q", ev.Metadata, input)
	}
	ref := referenceCanonical(t, ev.Metadata)
	if ev.MetadataHash != sha256.Sum256(ref) || ev.Summary.ByteSize != len(ref) {
		t.Fatalf("metadata %q: hash/size disagree with reference canonical form %q", ev.Metadata, ref)
	}
}
