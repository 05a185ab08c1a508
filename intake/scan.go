package intake

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/eventproc/eventproc/event"
)

// This file holds the byte-level JSON scanner shared by every part of
// decoding. Its functions return the index just past what they scanned, or
// -1 after recording the failure in the decoder (d.fail), which keeps the
// accepting path free of error values and allocations.
//
// Nesting is tracked with an explicit stack (Decoder.frames, MaxDepth+2
// entries) instead of recursion, so input depth never reaches the goroutine
// stack: a 1 MiB "[[[[…" fails as too_deep after MaxDepth bytes.

// syntaxProblem says what was wrong with an invalid value.
type syntaxProblem uint8

const (
	problemNone syntaxProblem = iota
	problemEmpty
	problemEOF
	problemUnexpected
	problemBadEscape
	problemControlChar
	problemBadUTF8
	problemBadNumber
	problemBadLiteral
	problemTrailing
	problemWantKey
	problemWantColon
	problemTooDeep
)

func (p syntaxProblem) describe() string {
	switch p {
	case problemNone:
		return "no problem"
	case problemEmpty:
		return "empty value (tombstone or empty record), want a JSON object"
	case problemEOF:
		return "unexpected end of input"
	case problemUnexpected:
		return "unexpected character"
	case problemBadEscape:
		return "invalid escape sequence in string"
	case problemControlChar:
		return "unescaped control character in string"
	case problemBadUTF8:
		return "invalid UTF-8"
	case problemBadNumber:
		return "invalid number"
	case problemBadLiteral:
		return "invalid literal (only true, false and null; no NaN or Infinity)"
	case problemTrailing:
		return "unexpected data after the top-level value"
	case problemWantKey:
		return "expected a string key"
	case problemWantColon:
		return "expected ':' after key"
	case problemTooDeep:
		return "nesting too deep"
	}
	return "unknown problem"
}

// scanFailure records the first syntax (or depth) failure of a Decode.
type scanFailure struct {
	problem syntaxProblem
	pos     int
}

// fail records a syntax failure at pos and returns -1 for the caller to
// pass up.
func (d *Decoder) fail(p syntaxProblem, pos int) int {
	d.failure = scanFailure{problem: p, pos: pos}
	return -1
}

// failureError turns the recorded failure into the rejection.
func (d *Decoder) failureError(v []byte) *ValidationError {
	f := d.failure
	field := ""
	where := ""
	if d.curKey != nil {
		field = string(d.curKey)
		where = " in member " + strconv.Quote(field)
	}
	if f.problem == problemTooDeep {
		return reject(event.ReasonTooDeep, field, "nesting deeper than --max-depth "+
			strconv.Itoa(d.cfg.MaxDepth)+" (the event object is depth 1) at byte "+strconv.Itoa(f.pos)+where)
	}
	msg := f.problem.describe() + " at byte " + strconv.Itoa(f.pos)
	if f.pos < len(v) && f.problem != problemBadUTF8 {
		msg += " (" + strconv.QuoteRune(rune(v[f.pos])) + ")"
	}
	return reject(event.ReasonInvalidJSON, field, msg+where)
}

// isSpace reports JSON insignificant white space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(v []byte, i int) int {
	for i < len(v) && isSpace(v[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// plainStringByte marks bytes that may appear in a JSON string as they are:
// printable ASCII except '"' and '\\'. Everything else needs a closer look.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

var hexValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-'a'+'A'] = int8(c - 'a' + 10)
	}
	return t
}()

// specialBytes flags (high bit of the byte) every byte of the little-endian
// word x that is not plain string content: '"', '\\', a control character
// or a non-ASCII byte. The lowest flag is exact (SWAR "has zero byte"
// tricks may also flag bytes above the first hit, which is harmless since
// only the first is used).
func specialBytes(x uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	hasZero := func(y uint64) uint64 { return (y - ones) & ^y & highs }
	control := (x - 0x20*ones) & ^x & highs // bytes < 0x20 (and with x's high bit clear)
	return x&highs | control | hasZero(x^('"'*ones)) | hasZero(x^('\\'*ones))
}

// scanString scans the string whose opening quote is v[i]. It returns the
// index past the closing quote and whether the string contains escapes
// (when it does not, its content can be used in place).
func (d *Decoder) scanString(v []byte, i int) (int, bool) {
	escaped := false
	i++
	for {
		// The common case: runs of plain ASCII, eight bytes per step.
		for i+8 <= len(v) {
			if m := specialBytes(binary.LittleEndian.Uint64(v[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(v) && plainStringByte[v[i]] {
			i++
		}
		if i >= len(v) {
			return d.fail(problemEOF, i), false
		}
		switch c := v[i]; {
		case c == '"':
			return i + 1, escaped
		case c == '\\':
			escaped = true
			if i+1 >= len(v) {
				return d.fail(problemEOF, i+1), false
			}
			switch v[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(v) {
					return d.fail(problemEOF, len(v)), false
				}
				if hexValue[v[i+2]]|hexValue[v[i+3]]|hexValue[v[i+4]]|hexValue[v[i+5]] < 0 {
					return d.fail(problemBadEscape, i), false
				}
				i += 6
			default:
				return d.fail(problemBadEscape, i), false
			}
		case c < 0x20:
			return d.fail(problemControlChar, i), false
		default: // c >= 0x80: must start a valid UTF-8 sequence
			r, size := utf8.DecodeRune(v[i:])
			if r == utf8.RuneError && size <= 1 {
				return d.fail(problemBadUTF8, i), false
			}
			i += size
		}
	}
}

// scanNumber scans the number starting at v[i] ('-' or a digit) by the
// JSON grammar. isInt is true when it has neither fraction nor exponent.
func (d *Decoder) scanNumber(v []byte, i int) (end int, isInt bool) {
	end = scanNumberGrammar(v, i)
	if end < 0 {
		return d.fail(problemBadNumber, -end-1), false
	}
	isInt = true
	for _, c := range v[i:end] {
		if c == '.' || c == 'e' || c == 'E' {
			isInt = false
			break
		}
	}
	return end, isInt
}

// scanNumberGrammar returns the end of the JSON number at v[i], or
// -(pos+1) for the position where the grammar breaks. It is also how
// numeric strings are recognised, so "NaN", "Inf", "0x10" or "1_000" (which
// strconv.ParseFloat would take) are never numbers here.
func scanNumberGrammar(v []byte, i int) int {
	if i < len(v) && v[i] == '-' {
		i++
	}
	switch {
	case i >= len(v):
		return -(i + 1)
	case v[i] == '0':
		i++
	case '1' <= v[i] && v[i] <= '9':
		i++
		for i < len(v) && isDigit(v[i]) {
			i++
		}
	default:
		return -(i + 1)
	}
	if i < len(v) && v[i] == '.' {
		i++
		if i >= len(v) || !isDigit(v[i]) {
			return -(i + 1)
		}
		for i < len(v) && isDigit(v[i]) {
			i++
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if i >= len(v) || !isDigit(v[i]) {
			return -(i + 1)
		}
		for i < len(v) && isDigit(v[i]) {
			i++
		}
	}
	return i
}

// scanLiteral scans true, false or null at v[i].
func (d *Decoder) scanLiteral(v []byte, i int, word string) int {
	if len(v)-i < len(word) || string(v[i:i+len(word)]) != word {
		return d.fail(problemBadLiteral, i)
	}
	return i + len(word)
}

// valueKind is the JSON kind of a scanned value.
type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindObject
	kindArray
)

func (k valueKind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindTrue, kindFalse:
		return "boolean"
	case kindNull:
		return "null"
	case kindObject:
		return "object"
	case kindArray:
		return "array"
	}
	return "unknown"
}

// scannedValue describes one value scanned by scanValue.
type scannedValue struct {
	kind    valueKind
	start   int  // first byte of the value
	end     int  // index past the value
	escaped bool // string with escapes
	isInt   bool // number without fraction or exponent
}

// content returns a string's content between the quotes, or the whole
// value otherwise.
func (s scannedValue) content(v []byte) []byte {
	if s.kind == kindString {
		return v[s.start+1 : s.end-1]
	}
	return v[s.start:s.end]
}

// scanValue scans any value at v[i] (white space already skipped) that sits
// at depth (the depth of its enclosing container).
func (d *Decoder) scanValue(v []byte, i, depth int) (scannedValue, bool) {
	s := scannedValue{start: i}
	if i >= len(v) {
		d.fail(problemEOF, i)
		return s, false
	}
	switch c := v[i]; {
	case c == '"':
		s.kind = kindString
		s.end, s.escaped = d.scanString(v, i)
	case c == '-' || isDigit(c):
		s.kind = kindNumber
		s.end, s.isInt = d.scanNumber(v, i)
	case c == 't':
		s.kind, s.end = kindTrue, d.scanLiteral(v, i, "true")
	case c == 'f':
		s.kind, s.end = kindFalse, d.scanLiteral(v, i, "false")
	case c == 'n':
		s.kind, s.end = kindNull, d.scanLiteral(v, i, "null")
	case c == '{':
		s.kind, s.end = kindObject, d.skipValue(v, i, depth)
	case c == '[':
		s.kind, s.end = kindArray, d.skipValue(v, i, depth)
	default:
		s.end = d.fail(problemUnexpected, i)
	}
	return s, s.end >= 0
}

// frameKind is what an open container on the depth stack is.
type frameKind uint8

const (
	frameObject frameKind = iota
	frameArray
)

// skipValue validates the value at v[i] (white space skipped), enclosed at
// depth, without producing anything, and returns the index past it.
func (d *Decoder) skipValue(v []byte, i, depth int) int {
	base := depth
	frames := d.frames
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
			closer := byte('}')
			frames[depth].kind = frameObject
			if c == '[' {
				closer = ']'
				frames[depth].kind = frameArray
			}
			i = skipSpace(v, i+1)
			if i < len(v) && v[i] == closer {
				i++
				depth--
				break // an empty container is a complete value
			}
			if c == '{' {
				if i = d.skipKey(v, i); i < 0 {
					return -1
				}
			}
			continue // scan the first element
		case c == '"':
			if i, _ = d.scanString(v, i); i < 0 {
				return -1
			}
		case c == '-' || isDigit(c):
			if i, _ = d.scanNumber(v, i); i < 0 {
				return -1
			}
		case c == 't':
			if i = d.scanLiteral(v, i, "true"); i < 0 {
				return -1
			}
		case c == 'f':
			if i = d.scanLiteral(v, i, "false"); i < 0 {
				return -1
			}
		case c == 'n':
			if i = d.scanLiteral(v, i, "null"); i < 0 {
				return -1
			}
		default:
			return d.fail(problemUnexpected, i)
		}
		// A value is complete: close containers until one wants more.
		for {
			if depth == base {
				return i
			}
			i = skipSpace(v, i)
			if i >= len(v) {
				return d.fail(problemEOF, i)
			}
			c := v[i]
			if frames[depth].kind == frameObject {
				if c == ',' {
					if i = d.skipKey(v, skipSpace(v, i+1)); i < 0 {
						return -1
					}
					break
				}
				if c == '}' {
					i++
					depth--
					continue
				}
			} else {
				if c == ',' {
					i++
					break
				}
				if c == ']' {
					i++
					depth--
					continue
				}
			}
			return d.fail(problemUnexpected, i)
		}
	}
}

// skipKey scans `"key" :` at v[i] and returns the index past the colon.
func (d *Decoder) skipKey(v []byte, i int) int {
	if i >= len(v) {
		return d.fail(problemEOF, i)
	}
	if v[i] != '"' {
		return d.fail(problemWantKey, i)
	}
	if i, _ = d.scanString(v, i); i < 0 {
		return -1
	}
	return d.expectColon(v, i)
}

func (d *Decoder) expectColon(v []byte, i int) int {
	i = skipSpace(v, i)
	if i >= len(v) {
		return d.fail(problemEOF, i)
	}
	if v[i] != ':' {
		return d.fail(problemWantColon, i)
	}
	return i + 1
}
