package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

// Body forms, chosen by Content-Type.
type bodyForm uint8

const (
	formJSON   bodyForm = iota // one object or an array of objects
	formNDJSON                 // one object per line
)

// EventError is why a request was refused because of one of its events:
// the event's position in the batch (0 for a single object; lines count
// from 0 in NDJSON, blank lines excluded) and the intake rejection.
type EventError struct {
	Index int
	*intake.ValidationError
}

// splitBody returns the events of body, each a slice of body, or the
// syntax error of the first event that is not JSON.
func splitBody(body []byte, form bodyForm) ([][]byte, *EventError) {
	switch form {
	case formNDJSON:
		return splitLines(body), nil
	case formJSON:
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{trimmed}, nil // one event; intake judges its syntax
	}
	return splitArray(body)
}

// splitLines splits NDJSON on '\n', dropping blank lines and a trailing
// '\r' (CRLF senders).
func splitLines(body []byte) [][]byte {
	var events [][]byte
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			events = append(events, line)
		}
	}
	return events
}

// splitArray returns the elements of a JSON array, as slices of body.
// encoding/json finds the element boundaries; each element's own syntax
// and content are judged again by intake (UTF-8, limits), like every
// other event.
func splitArray(body []byte) ([][]byte, *EventError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	syntax := func(i int, err error) *EventError {
		return &EventError{Index: i, ValidationError: &intake.ValidationError{
			Reason: event.ReasonInvalidJSON, Msg: "batch element " + strconv.Itoa(i) + " is not valid JSON: " + err.Error(),
		}}
	}
	if _, err := dec.Token(); err != nil { // '['
		return nil, syntax(0, err)
	}
	var events [][]byte
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntax(len(events), err)
		}
		end := int(dec.InputOffset())
		events = append(events, body[end-len(raw):end])
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, syntax(len(events), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, syntax(len(events), errors.New("data after the closing ]"))
	}
	return events, nil
}

// keyOf returns the partition key of one event: its source_id normalised
// as the processor normalises it. It refuses exactly the events that
// cannot be keyed: not JSON, not an object, larger than the event limit
// (the broker would refuse it), or without a usable source_id. An event
// that breaks another rule (say, a missing event_id) is keyed and left to
// the processor, which dead-letters it.
func keyOf(d *intake.Decoder, value []byte, now time.Time) ([]byte, *intake.ValidationError) {
	var ev event.Event
	err := d.Decode(value, now, &ev)
	if err == nil {
		return bytes.Clone(ev.SourceID), nil
	}
	var ve *intake.ValidationError
	if !errors.As(err, &ve) {
		return nil, &intake.ValidationError{Reason: event.ReasonInvalidJSON, Msg: err.Error()}
	}
	switch ve.Reason {
	case event.ReasonInvalidJSON, event.ReasonNotAnObject, event.ReasonTooLarge:
		return nil, ve
	case event.ReasonMissingField, event.ReasonInvalidField, event.ReasonTooDeep, event.ReasonUnpublishable:
	}
	if ve.Field == sourceIDField {
		return nil, ve
	}
	return probeSourceID(d, value, now, ve)
}

const sourceIDField = "source_id"

// probeSourceID judges source_id alone, for an event the decoder refused
// for another reason first: it decodes a minimal event holding only the
// original source_id member, so the rule and the message are intake's.
func probeSourceID(d *intake.Decoder, value []byte, now time.Time, first *intake.ValidationError) ([]byte, *intake.ValidationError) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(value, &members); err != nil {
		return nil, first // not keyable by any reading
	}
	probe := []byte(`{"event_id":"probe","timestamp":1700000000`)
	if raw, ok := members[sourceIDField]; ok {
		probe = append(append(append(probe, `,"source_id":`...), raw...), '}')
	} else {
		probe = append(probe, '}')
	}
	var ev event.Event
	if err := d.Decode(probe, now, &ev); err != nil {
		var ve *intake.ValidationError
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, first
	}
	return bytes.Clone(ev.SourceID), nil
}
