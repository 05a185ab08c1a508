package gen

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/eventproc/eventproc/event"
)

// tooDeepNesting is how deep the too_deep defect nests metadata: deeper than
// the default --max-depth of 32 anywhere it is counted from.
const tooDeepNesting = 40

// defect is one way to break a record, with the reason eventproc must give.
//
// too_large is deliberately absent: a value over --max-event-bytes (1 MiB by
// default) costs more to generate, ship and store than the whole rest of a
// typical run, and a broker rejects it anyway unless its message.max.bytes is
// raised. Tests of that rule build such a value directly.
type defect struct {
	name   string
	reason event.Reason
	// nilKey drops the record key, as a careless producer would.
	nilKey bool
	// build returns the broken value; good is a valid event of the same
	// source, to derive near-miss variants from.
	build func(g *Generator, good []byte) []byte
}

// defects is cycled round-robin, so a run with any malformed records quickly
// covers every reason and every variant.
var defects = []defect{
	{name: "truncated", reason: event.ReasonInvalidJSON, build: func(_ *Generator, good []byte) []byte {
		return good[:len(good)/2]
	}},
	{name: "invalid_utf8", reason: event.ReasonInvalidJSON, build: func(_ *Generator, good []byte) []byte {
		// Invalid UTF-8 inside the source_id string: well-formed JSON
		// syntax, but not text.
		return bytes.Replace(good, []byte(`"source_id":"`), []byte("\"source_id\":\"\xff\xfe"), 1)
	}},
	{name: "empty_value", reason: event.ReasonInvalidJSON, build: func(*Generator, []byte) []byte {
		return []byte{}
	}},
	{name: "tombstone", reason: event.ReasonInvalidJSON, nilKey: false, build: func(*Generator, []byte) []byte {
		return nil
	}},
	{name: "array", reason: event.ReasonNotAnObject, build: func(_ *Generator, good []byte) []byte {
		return append(append([]byte{'['}, good...), ']')
	}},
	{name: "string", reason: event.ReasonNotAnObject, nilKey: true, build: func(*Generator, []byte) []byte {
		return []byte(`"service restarted"`)
	}},
	{name: "number", reason: event.ReasonNotAnObject, nilKey: true, build: func(*Generator, []byte) []byte {
		return []byte(`42`)
	}},
	{name: "event_id_absent", reason: event.ReasonMissingField, build: func(_ *Generator, good []byte) []byte {
		return removeMember(good, "event_id")
	}},
	{name: "source_id_absent", reason: event.ReasonMissingField, build: func(_ *Generator, good []byte) []byte {
		return removeMember(good, "source_id")
	}},
	{name: "timestamp_absent", reason: event.ReasonMissingField, build: func(_ *Generator, good []byte) []byte {
		return removeMember(good, "timestamp")
	}},
	{name: "event_id_null", reason: event.ReasonMissingField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "event_id", "null")
	}},
	{name: "source_id_empty", reason: event.ReasonMissingField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "source_id", `""`)
	}},
	{name: "timestamp_null", reason: event.ReasonMissingField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "timestamp", "null")
	}},
	{name: "timestamp_unparseable", reason: event.ReasonInvalidField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "timestamp", `"yesterday at noon"`)
	}},
	{name: "priority_unknown", reason: event.ReasonInvalidField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "priority", `"URGENT"`)
	}},
	{name: "load_not_numeric", reason: event.ReasonInvalidField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "load_indicator", `"very high"`)
	}},
	{name: "metadata_array", reason: event.ReasonInvalidField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "metadata", `["user-1","user-2"]`)
	}},
	{name: "event_id_bool", reason: event.ReasonInvalidField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "event_id", "true")
	}},
	{name: "source_id_object", reason: event.ReasonInvalidField, build: func(_ *Generator, good []byte) []byte {
		return replaceMember(good, "source_id", `{"name":"order-api"}`)
	}},
	{name: "too_deep", reason: event.ReasonTooDeep, build: func(_ *Generator, good []byte) []byte {
		deep := strings.Repeat(`{"a":`, tooDeepNesting) + "1" + strings.Repeat("}", tooDeepNesting)
		return replaceMember(good, "metadata", deep)
	}},
}

// malformed builds the defect d on top of a fresh valid event of src. The
// valid event is generated with priority, load and metadata all present so
// every defect has a member to break.
func (g *Generator) malformed(src *source, d defect) Record {
	good := g.appendComplete(nil, src)
	rec := Record{Value: d.build(g, good), Malformed: true, Reason: d.reason}
	if !d.nilKey {
		rec.Key = []byte(src.id)
	}
	return rec
}

// appendComplete is appendGood with every optional member forced present.
func (g *Generator) appendComplete(b []byte, src *source) []byte {
	for {
		b = g.appendGood(b[:0], src)
		if bytes.Contains(b, []byte(`"priority":`)) &&
			bytes.Contains(b, []byte(`"load_indicator":`)) &&
			bytes.Contains(b, []byte(`"metadata":`)) {
			return b
		}
	}
}

// memberSpan finds the top-level member name in an event built by
// appendGood and returns the byte range of `,"name":value` (or of
// `"name":value,` when it is the first member). Generated events have no
// white space and no member name inside string values, which keeps this a
// scan rather than a parser.
func memberSpan(v []byte, name string) (start, end int, ok bool) {
	key := []byte(strconv.Quote(name) + ":")
	i := bytes.Index(v, key)
	if i < 0 {
		return 0, 0, false
	}
	valStart := i + len(key)
	valEnd := skipValue(v, valStart)
	if v[i-1] == ',' {
		return i - 1, valEnd, true
	}
	// First member: take the following comma instead.
	if valEnd < len(v) && v[valEnd] == ',' {
		valEnd++
	}
	return i, valEnd, true
}

// skipValue returns the index just past the JSON value starting at i.
func skipValue(v []byte, i int) int {
	depth, inString := 0, false
	for j := i; j < len(v); j++ {
		c := v[j]
		switch {
		case inString:
			if c == '\\' {
				j++
			} else if c == '"' {
				inString = false
				if depth == 0 {
					return j + 1
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return j // end of the enclosing object
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case c == ',' && depth == 0:
			return j
		}
	}
	return len(v)
}

func removeMember(v []byte, name string) []byte {
	start, end, ok := memberSpan(v, name)
	if !ok {
		return v
	}
	return append(v[:start:start], v[end:]...)
}

func replaceMember(v []byte, name, value string) []byte {
	start, end, ok := memberSpan(v, name)
	if !ok {
		return v
	}
	var out []byte
	out = append(out, v[:start]...)
	if v[start] == ',' {
		out = append(out, ',')
	}
	out = strconv.AppendQuote(out, name)
	out = append(out, ':')
	out = append(out, value...)
	if v[start] != ',' && v[end-1] == ',' {
		out = append(out, ',')
	}
	return append(out, v[end:]...)
}
