package intake

import (
	"math"
	"strconv"

	"github.com/eventproc/eventproc/event"
)

// AppendInputJSON appends ev as an input JSON object: the known fields,
// "metadata" as its raw bytes, then the payload members at top level. It
// is the inverse of Decode: decoding the result with the same receivedAt
// yields the same ids, timestamp, priority, load, metadata (hash and
// summary) and payload. The load generator and tests use it to build
// records.
//
// Ids are written as JSON strings; numbers as the shortest text that
// parses back to the same float64. Metadata is written as is (nil or empty
// means {}), and so are payload members: both must already be valid JSON
// objects, as they are in a decoded event.
func AppendInputJSON(dst []byte, ev *event.Event) []byte {
	dst = append(dst, `{"event_id":`...)
	dst = event.AppendJSONString(dst, ev.EventID)
	dst = append(dst, `,"source_id":`...)
	dst = event.AppendJSONString(dst, ev.SourceID)
	dst = append(dst, `,"timestamp":`...)
	dst = appendNumber(dst, ev.Timestamp)
	dst = append(dst, `,"priority":"`...)
	dst = append(dst, ev.Priority.String()...)
	dst = append(dst, `","load_indicator":`...)
	dst = appendNumber(dst, ev.Load)
	dst = append(dst, `,"metadata":`...)
	if len(ev.Metadata) == 0 {
		dst = append(dst, '{', '}')
	} else {
		dst = append(dst, ev.Metadata...)
	}
	if members := trimSpace(ev.Payload); len(members) >= 2 {
		members = trimSpace(members[1 : len(members)-1]) // drop the braces
		if len(members) > 0 {
			dst = append(dst, ',')
			dst = append(dst, members...)
		}
	}
	return append(dst, '}')
}

// appendNumber writes f so that it parses back exactly: plain decimal in
// the usual range, exponent form for huge or tiny magnitudes. NaN and ±Inf
// have no JSON form and are written as 0 (a decoded event never holds
// them).
func appendNumber(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return append(dst, '0')
	case f == 0 || (math.Abs(f) >= 1e-6 && math.Abs(f) < 1e21):
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}
