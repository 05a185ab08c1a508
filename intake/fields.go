package intake

import (
	"math"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
)

// convertField normalises one interpreted, non-null top-level member. A
// value it cannot convert becomes a deferred rejection (the scan goes on,
// because a later syntax error must still win).
func (d *Decoder) convertField(v []byte, s scannedValue, known knownField, name string, f *fields) {
	switch known {
	case knownEventID:
		f.eventID, d.eventID = d.convertID(v, s, name, d.eventID)
	case knownSourceID:
		f.sourceID, d.sourceID = d.convertID(v, s, name, d.sourceID)
	case knownTimestamp:
		f.timestamp = d.convertTimestamp(v, s)
	case knownPriority:
		f.priority = d.convertPriority(v, s)
	case knownLoad:
		f.load = d.convertLoad(v, s)
	case knownMetadata:
		// An object never reaches here (canonMetadata takes it).
		d.deferReject(event.ReasonInvalidField, name,
			"metadata: got a JSON "+s.kind.String()+", want an object")
	}
}

// decoded returns a string value's content, decoded into buf when it has
// escapes (else aliasing v), and the possibly grown buf.
func decoded(v []byte, s scannedValue, buf []byte) ([]byte, []byte) {
	raw := s.content(v)
	if !s.escaped {
		return raw, buf
	}
	buf = appendUnescaped(buf[:0], raw)
	return buf, buf
}

// convertID normalises event_id or source_id: a string is decoded (all
// JSON escapes, surrogate pairs included); an integer literal keeps its
// digits as written (so 64-bit and longer ids survive exactly); any other
// number is strconv.FormatFloat(f, 'f', -1, 64) of its float64 value.
func (d *Decoder) convertID(v []byte, s scannedValue, name string, buf []byte) ([]byte, []byte) {
	switch s.kind {
	case kindString:
		if s.end-s.start == 2 {
			d.deferReject(event.ReasonMissingField, name, name+": is an empty string; "+requiredForm(knownEventID))
			return nil, buf
		}
		return decoded(v, s, buf)
	case kindNumber:
		lit := s.content(v)
		if s.isInt {
			return lit, buf
		}
		x := parseFloat(lit)
		if math.IsInf(x, 0) {
			d.deferReject(event.ReasonInvalidField, name, name+": number "+quoteValue(lit)+" is out of the float64 range")
			return nil, buf
		}
		buf = strconv.AppendFloat(buf[:0], x, 'f', -1, 64)
		return buf, buf
	case kindTrue, kindFalse, kindNull, kindObject, kindArray:
	}
	d.deferReject(event.ReasonInvalidField, name, name+": got a JSON "+s.kind.String()+", want a non-empty string or a number")
	return nil, buf
}

// convertTimestamp reads epoch seconds from a number, a numeric string or
// an RFC 3339 string. Reliability (skew, pre-2000) is judged in commit,
// once receivedAt is known; a number beyond float64 becomes ±Inf and so is
// corrected there too (it is parseable, just absurd).
func (d *Decoder) convertTimestamp(v []byte, s scannedValue) float64 {
	switch s.kind {
	case kindNumber:
		return parseFloat(s.content(v))
	case kindString:
		if s.end-s.start == 2 {
			d.deferReject(event.ReasonMissingField, fieldTimestamp, "timestamp: is an empty string; "+requiredForm(knownTimestamp))
			return 0
		}
		var text []byte
		text, d.fieldBuf = decoded(v, s, d.fieldBuf)
		trimmed := trimSpace(text)
		if isNumericString(trimmed) {
			return parseFloat(trimmed)
		}
		t, err := time.Parse(time.RFC3339, string(trimmed))
		if err != nil {
			d.deferReject(event.ReasonInvalidField, fieldTimestamp, "timestamp: "+quoteString(text)+
				" is not a number, numeric string or RFC 3339 time")
			return 0
		}
		return epochSeconds(t)
	case kindTrue, kindFalse, kindNull, kindObject, kindArray:
	}
	d.deferReject(event.ReasonInvalidField, fieldTimestamp, "timestamp: got a JSON "+s.kind.String()+
		", want epoch seconds as a number or numeric string, or an RFC 3339 time")
	return 0
}

// convertPriority reads LOW, MEDIUM, HIGH or CRITICAL in any letter case,
// surrounding white space ignored.
func (d *Decoder) convertPriority(v []byte, s scannedValue) event.Priority {
	if s.kind != kindString {
		d.deferReject(event.ReasonInvalidField, fieldPriority, "priority: got a JSON "+s.kind.String()+
			", want a string: LOW, MEDIUM, HIGH or CRITICAL")
		return event.PriorityMedium
	}
	var text []byte
	text, d.fieldBuf = decoded(v, s, d.fieldBuf)
	p, ok := event.ParsePriority(text)
	if !ok {
		d.deferReject(event.ReasonInvalidField, fieldPriority, "priority: "+quoteString(text)+
			" is not one of LOW, MEDIUM, HIGH, CRITICAL (any case)")
		return event.PriorityMedium
	}
	return p
}

// convertLoad reads a number or numeric string and clamps it to [0, 1];
// overflow (±Inf) clamps too.
func (d *Decoder) convertLoad(v []byte, s scannedValue) float64 {
	var x float64
	switch s.kind {
	case kindNumber:
		x = parseFloat(s.content(v))
	case kindString:
		var text []byte
		text, d.fieldBuf = decoded(v, s, d.fieldBuf)
		t := trimSpace(text)
		if !isNumericString(t) {
			d.deferReject(event.ReasonInvalidField, fieldLoadIndicator, "load_indicator: "+quoteString(text)+
				" is not a number or numeric string")
			return 0
		}
		x = parseFloat(t)
	case kindTrue, kindFalse, kindNull, kindObject, kindArray:
		d.deferReject(event.ReasonInvalidField, fieldLoadIndicator, "load_indicator: got a JSON "+s.kind.String()+
			", want a number or numeric string")
		return 0
	}
	switch {
	case !(x > 0): // also -0
		return 0
	case x > 1:
		return 1
	}
	return x
}
