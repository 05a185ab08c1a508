package intake

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// appendUnescaped appends the decoded content of a JSON string (raw is the
// validated text between the quotes). A lone or mismatched UTF-16 surrogate
// escape (\ud800) decodes to U+FFFD, as encoding/json does, so the result is
// always valid UTF-8.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		// Copy the run up to the next backslash in one go.
		j := i
		for j < len(raw) && raw[j] != '\\' {
			j++
		}
		dst = append(dst, raw[i:j]...)
		if j >= len(raw) {
			break
		}
		i = j + 2 // past the backslash and the escape letter
		switch raw[j+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[j+2:])
			i = j + 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, raw[j+1])
		}
	}
	return dst
}

// hex4 decodes four hex digits already validated by the scanner.
func hex4(b []byte) rune {
	return rune(hexValue[b[0]])<<12 | rune(hexValue[b[1]])<<8 | rune(hexValue[b[2]])<<4 | rune(hexValue[b[3]])
}

// trimSpace drops JSON white space at both ends (numeric strings such as
// " 1.5 " are accepted).
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// isNumericString reports whether b (already trimmed) is exactly one JSON
// number literal: the definition of "numeric string" for timestamp and
// load_indicator. It rejects what strconv.ParseFloat would also take:
// NaN, Inf, Infinity, hex floats, underscores, a leading '+' or '.'.
func isNumericString(b []byte) bool {
	return len(b) > 0 && scanNumberGrammar(b, 0) == len(b)
}

// parseFloat parses a validated JSON number literal. Overflow yields ±Inf
// (strconv's ErrRange is deliberately ignored: the caller decides what a
// huge value means for its field).
func parseFloat(b []byte) float64 {
	f, _ := strconv.ParseFloat(string(b), 64)
	return f
}
