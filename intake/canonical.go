package intake

import (
	"bytes"
	"slices"

	"github.com/cespare/xxhash/v2"

	"github.com/eventproc/eventproc/event"
)

// Canonical metadata: the form MetadataHash digests and Summary.ByteSize
// measures. It is produced while the metadata object is scanned, in the
// decoder's canon buffer:
//
//   - no white space;
//   - object members sorted byte-wise by their decoded key;
//   - strings (keys and values) decoded, then re-escaped canonically
//     (event.AppendJSONString: RFC 8785 escaping);
//   - numbers canonicalised exactly (number.go);
//   - true, false, null as they are; arrays in order.
//
// Members are written in input order as they are scanned; when an object
// closes its member spans are sorted (insertion sort for the usual handful,
// pdqsort beyond) and, only if they were out of order, moved into place.
// Nested objects are sorted before their parent, so the parent only moves
// whole, already canonical members.

// member is one object member in the canon buffer: key is the decoded key
// (aliasing the input or the keys scratch), [start, end) its `"k":v` text.
type member struct {
	key        []byte
	start, end int
}

// canonFrame is an open container during canonicalisation.
type canonFrame struct {
	kind       frameKind
	memberBase int // first index of this object's members in d.members
	keyBase    int // length of d.keys when the object opened
	open       int // offset of the '{' in d.canon
}

// insertionSortMax is the member count up to which insertion sort is used.
const insertionSortMax = 12

// canonMetadata validates and canonicalises the metadata object at v[i]
// (which is '{'), enclosed at depth 1, into d.canon, counting its summary
// into d.summary. It returns the index past the object. Duplicate keys are
// a deferred invalid_field (recorded in d.deferred), not a scan failure.
func (d *Decoder) canonMetadata(v []byte, i int) int {
	const base = 1
	depth := base
	out := d.canon[:0]
	frames := d.frames
	sum := &d.summary
	maxRel := 0
	for {
		i = skipSpace(v, i)
		if i >= len(v) {
			return d.fail(problemEOF, i)
		}
		switch c := v[i]; {
		case c == '{' || c == '[':
			depth++
			if depth > d.cfg.MaxDepth {
				return d.fail(problemTooDeep, i)
			}
			if rel := depth - base; rel > maxRel {
				maxRel = rel
			}
			f := &frames[depth]
			f.open = len(out)
			out = append(out, c)
			if c == '[' {
				f.kind = frameArray
				sum.Kinds.Arrays++
				i = skipSpace(v, i+1)
				if i < len(v) && v[i] == ']' {
					out = append(out, ']')
					i++
					depth--
					break
				}
				continue
			}
			f.kind = frameObject
			f.memberBase = len(d.members)
			f.keyBase = len(d.keys)
			if depth > base+1 { // the metadata object itself is not counted
				sum.Kinds.Objects++
			}
			i = skipSpace(v, i+1)
			if i < len(v) && v[i] == '}' {
				out = append(out, '}')
				i++
				depth--
				break
			}
			if i, out = d.canonKey(v, i, out); i < 0 {
				return -1
			}
			continue
		case c == '"':
			start := i
			var escaped bool
			if i, escaped = d.scanString(v, i); i < 0 {
				return -1
			}
			if escaped {
				d.str = appendUnescaped(d.str[:0], v[start+1:i-1])
				out = event.AppendJSONString(out, d.str)
			} else {
				out = append(out, v[start:i]...)
			}
			sum.Kinds.Strings++
			sum.LeafCount++
		case c == '-' || isDigit(c):
			start := i
			var isInt bool
			if i, isInt = d.scanNumber(v, i); i < 0 {
				return -1
			}
			out, d.digits = appendCanonicalNumber(out, v[start:i], isInt, d.digits)
			sum.Kinds.Numbers++
			sum.LeafCount++
		case c == 't' || c == 'f':
			word := "true"
			if c == 'f' {
				word = "false"
			}
			if i = d.scanLiteral(v, i, word); i < 0 {
				return -1
			}
			out = append(out, word...)
			sum.Kinds.Bools++
			sum.LeafCount++
		case c == 'n':
			if i = d.scanLiteral(v, i, "null"); i < 0 {
				return -1
			}
			out = append(out, "null"...)
			sum.Kinds.Nulls++
			sum.LeafCount++
		default:
			return d.fail(problemUnexpected, i)
		}
		// A value is complete: close containers until one wants more.
		for {
			if depth == base {
				d.canon = out
				if len(out) > 2 { // anything but {}: MaxDepth is 0 for {}
					sum.MaxDepth = maxRel
				}
				return i
			}
			i = skipSpace(v, i)
			if i >= len(v) {
				return d.fail(problemEOF, i)
			}
			c := v[i]
			f := &frames[depth]
			if f.kind == frameObject {
				if c == ',' || c == '}' {
					d.members[len(d.members)-1].end = len(out)
				}
				if c == ',' {
					out = append(out, ',')
					if i, out = d.canonKey(v, skipSpace(v, i+1), out); i < 0 {
						return -1
					}
					break
				}
				if c == '}' {
					if depth == base+1 {
						sum.FieldCount = len(d.members) - f.memberBase
					}
					out = d.sortMembers(out, f)
					out = append(out, '}')
					i++
					depth--
					continue
				}
			} else {
				if c == ',' {
					out = append(out, ',')
					i++
					break
				}
				if c == ']' {
					out = append(out, ']')
					i++
					depth--
					continue
				}
			}
			return d.fail(problemUnexpected, i)
		}
	}
}

// canonKey scans `"key" :` at v[i], starts a member for it and appends its
// canonical `"key":`.
func (d *Decoder) canonKey(v []byte, i int, out []byte) (int, []byte) {
	if i >= len(v) {
		return d.fail(problemEOF, i), out
	}
	if v[i] != '"' {
		return d.fail(problemWantKey, i), out
	}
	start := i
	end, escaped := d.scanString(v, i)
	if end < 0 {
		return -1, out
	}
	m := member{start: len(out)}
	if escaped {
		kb := len(d.keys)
		d.keys = appendUnescaped(d.keys, v[start+1:end-1])
		m.key = d.keys[kb:len(d.keys):len(d.keys)]
		out = event.AppendJSONString(out, m.key)
	} else {
		m.key = v[start+1 : end-1]
		out = append(out, v[start:end]...)
	}
	d.members = append(d.members, m)
	if i = d.expectColon(v, end); i < 0 {
		return -1, out
	}
	return i, append(out, ':')
}

// sortMembers puts the members of the object f (whose text runs from
// f.open+1 to len(out)) in key order, records the first duplicate key, and
// pops the object's members and keys.
func (d *Decoder) sortMembers(out []byte, f *canonFrame) []byte {
	ms := d.members[f.memberBase:]
	sorted := true
	for k := 1; k < len(ms); k++ {
		if bytes.Compare(ms[k-1].key, ms[k].key) >= 0 {
			sorted = false
			break
		}
	}
	if !sorted {
		if len(ms) <= insertionSortMax {
			for k := 1; k < len(ms); k++ {
				for j := k; j > 0 && bytes.Compare(ms[j-1].key, ms[j].key) > 0; j-- {
					ms[j-1], ms[j] = ms[j], ms[j-1]
				}
			}
		} else {
			slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
		}
		for k := 1; k < len(ms); k++ {
			if bytes.Equal(ms[k-1].key, ms[k].key) {
				d.deferReject(event.ReasonInvalidField, fieldMetadata,
					"metadata: duplicate key "+quoteString(ms[k].key)+" in an object (ambiguous; keys must be unique)")
				break
			}
		}
		tmp := d.tmp[:0]
		for k, m := range ms {
			if k > 0 {
				tmp = append(tmp, ',')
			}
			tmp = append(tmp, out[m.start:m.end]...)
		}
		copy(out[f.open+1:], tmp)
		d.tmp = tmp
	}
	d.members = d.members[:f.memberBase]
	d.keys = d.keys[:f.keyBase]
	return out
}

// appendShape appends the shape of a canonical metadata text: brackets,
// braces and keys (with their colon), in canonical order, skipping every
// scalar value. StructureHash is xxhash64 of it, so objects with the same
// keys and nesting share it, whatever their values and key order. (xxhash
// rather than byte-wise FNV: the shape is hashed per event and FNV's
// multiply chain cost ~100 ns here.)
func appendShape(dst, canon []byte) []byte {
	for i := 0; i < len(canon); {
		switch c := canon[i]; c {
		case '{', '}', '[', ']':
			dst = append(dst, c)
			i++
		case '"':
			j := i + 1
			for {
				j += bytes.IndexByte(canon[j:], '"')
				backslashes := 0
				for canon[j-1-backslashes] == '\\' {
					backslashes++
				}
				if backslashes%2 == 0 {
					break
				}
				j++
			}
			if j+1 < len(canon) && canon[j+1] == ':' {
				dst = append(dst, canon[i:j+2]...)
				i = j + 2
			} else {
				i = j + 1
			}
		default:
			i++
		}
	}
	return dst
}

// structureHash is the StructureHash of a canonical metadata text.
func (d *Decoder) structureHash(canon []byte) uint64 {
	d.shape = appendShape(d.shape[:0], canon)
	return xxhash.Sum64(d.shape)
}
