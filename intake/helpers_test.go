package intake

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
)

// testReceivedAt is the broker timestamp every test decodes with:
// 1700000000.25 epoch seconds.
var testReceivedAt = time.Unix(1700000000, 250_000_000).UTC()

const testReceivedSeconds = 1700000000.25

// baseMembers are the required members of a minimal valid event.
const baseMembers = `"event_id":"e1","source_id":"s1","timestamp":1700000000`

// withBase returns a JSON object of the base members followed by extra.
func withBase(extra ...string) string {
	if len(extra) == 0 {
		return "{" + baseMembers + "}"
	}
	return "{" + baseMembers + "," + strings.Join(extra, ",") + "}"
}

// newTestDecoder returns a decoder for cfg with its zero fields defaulted.
func newTestDecoder(t testing.TB, cfg Config) *Decoder {
	t.Helper()
	cfg = cfg.WithDefaults()
	d, err := NewDecoder(cfg)
	if err != nil {
		t.Fatalf("NewDecoder(%+v): %v", cfg, err)
	}
	return d
}

// decodeOne decodes input with a fresh decoder and returns a clone of the
// event (so it outlives the decoder's buffers).
func decodeOne(t testing.TB, cfg Config, input string) (*event.Event, error) {
	t.Helper()
	d := newTestDecoder(t, cfg)
	var ev event.Event
	err := d.Decode([]byte(input), testReceivedAt, &ev)
	return ev.Clone(), err
}

// reasonOf returns the reason of a Decode error and checks the error's
// shape: a *ValidationError whose Unwrap is the reason's sentinel.
func reasonOf(t testing.TB, err error) event.Reason {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	if ve.Reason >= event.NumReasons {
		t.Fatalf("reason %d outside the closed set", ve.Reason)
	}
	if !errors.Is(err, SentinelFor(ve.Reason)) {
		t.Fatalf("errors.Is(%v, sentinel of %s) is false", err, ve.Reason)
	}
	if ve.Msg == "" {
		t.Fatalf("rejection %s has an empty message", ve.Reason)
	}
	return ve.Reason
}
