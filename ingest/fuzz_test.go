package ingest

import (
	"bytes"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

// FuzzKeyOf checks keyOf against the processor's decoder. Invariants: it
// never panics; whenever the decoder accepts a value, keyOf accepts it
// with the decoder's source_id as key; a value keyOf refuses carries an
// intake reason code; an accepted key is never empty.
func FuzzKeyOf(f *testing.F) {
	for _, s := range []string{
		`{"event_id":"e","source_id":"s","timestamp":1700000000}`,
		`{"event_id":null,"source_id":12.50}`, `{"source_id":""}`, `{"source_id":[1]}`, `[1]`, `{`,
		`{"event_id":"e","source_id":"\u00e9","timestamp":"x","metadata":{"a":[[[[1]]]]}}`,
		`{"source_id":"a","source_id":"b"}`, "{\"source_id\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	d, err := intake.NewDecoder(intake.Config{MaxDepth: 4}.WithDefaults())
	if err != nil {
		f.Fatal(err)
	}
	ref, _ := intake.NewDecoder(intake.Config{MaxDepth: 4}.WithDefaults())
	now := time.Unix(1700000100, 0)
	f.Fuzz(func(t *testing.T, value []byte) {
		key, ve := keyOf(d, value, now)
		var ev event.Event
		refErr := ref.Decode(value, now, &ev)
		if refErr == nil && (ve != nil || !bytes.Equal(key, ev.SourceID)) {
			t.Fatalf("%q: decoder key %q, keyOf %q %v", value, ev.SourceID, key, ve)
		}
		if ve != nil && intake.SentinelFor(ve.Reason) == nil {
			t.Fatalf("%q: reason %v outside the closed set", value, ve.Reason)
		}
		if ve == nil && len(key) == 0 {
			t.Fatalf("%q: accepted with an empty key", value)
		}
	})
}

// FuzzSplitArray: every element splitArray returns is a slice of the body
// that is valid on its own for encoding/json's boundaries, and splitting
// never panics.
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{`[]`, `[{"a":1}, {"b":[1,2]}]`, `[1,`, `[{"a":"]"}] x`, ` [ {} ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, bad := splitArray(body)
		if bad != nil {
			return
		}
		for _, e := range events {
			if len(e) == 0 || !bytes.Contains(body, e) {
				t.Fatalf("%q: element %q is not a slice of the body", body, e)
			}
		}
	})
}
