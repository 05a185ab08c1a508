package intake

import "strconv"

// Canonical numbers: a number in metadata is rewritten so that every
// spelling of the same decimal value has the same text: 1, 1.0, 1e0, 10e-1
// and 0.1E1 all become "1"; -0 and 0.0e5 become "0". The value is kept
// exactly (no float64 rounding, so two distinct 30-digit integers never
// collide), and the layout follows ECMAScript's Number::toString, as in
// RFC 8785 (JCS), applied to the exact decimal:
//
//   - value = ±D × 10^E with D the significant digits (no leading or
//     trailing zeros), n = len(D), p = n + E the decimal point's position;
//   - E ≥ 0 and p ≤ 21: D then E zeros (an integer: "100");
//   - 0 < p ≤ 21: D with a point after p digits ("1.5");
//   - −6 < p ≤ 0: "0." then −p zeros then D ("0.001");
//   - otherwise scientific: first digit, "." and the rest if any, "e",
//     the sign and |p−1| ("1e+21", "1.5e-7").
//
// An exponent literal with more than 15 significant digits (|exp| ≥ 1e15)
// is kept verbatim: no real producer sends one, and keeping it is still
// collision-free because any text is a valid literal of its own value.
const maxExponentDigits = 15

// appendCanonicalNumber appends the canonical form of the validated JSON
// number lit. digits is scratch space, returned for reuse.
func appendCanonicalNumber(out, lit []byte, isInt bool, digits []byte) ([]byte, []byte) {
	body := lit
	neg := lit[0] == '-'
	if neg {
		body = lit[1:]
	}
	if isInt {
		// Fast path: an integer literal is canonical unless it is (-)0 or
		// long enough for the scientific layout.
		if body[0] == '0' {
			return append(out, '0'), digits
		}
		if len(body) <= 21 {
			return append(out, lit...), digits
		}
	}

	digits = digits[:0]
	i := 0
	for i < len(body) && isDigit(body[i]) {
		digits = append(digits, body[i])
		i++
	}
	fracDigits := 0
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && isDigit(body[i]) {
			digits = append(digits, body[i])
			fracDigits++
			i++
		}
	}
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	sig := digits[lead:]
	if len(sig) == 0 {
		return append(out, '0'), digits
	}
	var exp int64
	if i < len(body) { // 'e' or 'E'
		i++
		expNeg := false
		if body[i] == '+' || body[i] == '-' {
			expNeg = body[i] == '-'
			i++
		}
		for i < len(body)-1 && body[i] == '0' {
			i++
		}
		if len(body)-i > maxExponentDigits {
			return append(out, lit...), digits
		}
		for ; i < len(body); i++ {
			exp = exp*10 + int64(body[i]-'0')
		}
		if expNeg {
			exp = -exp
		}
	}
	trail := len(sig)
	for sig[trail-1] == '0' {
		trail--
	}
	e := exp - int64(fracDigits) + int64(len(sig)-trail)
	sig = sig[:trail]
	n := int64(len(sig))
	p := n + e

	if neg {
		out = append(out, '-')
	}
	switch {
	case e >= 0 && p <= 21:
		out = append(out, sig...)
		for k := int64(0); k < e; k++ {
			out = append(out, '0')
		}
	case 0 < p && p <= 21:
		out = append(out, sig[:p]...)
		out = append(out, '.')
		out = append(out, sig[p:]...)
	case -6 < p && p <= 0:
		out = append(out, '0', '.')
		for k := int64(0); k < -p; k++ {
			out = append(out, '0')
		}
		out = append(out, sig...)
	default:
		out = append(out, sig[0])
		if n > 1 {
			out = append(out, '.')
			out = append(out, sig[1:]...)
		}
		out = append(out, 'e')
		if p-1 > 0 {
			out = append(out, '+')
		}
		out = strconv.AppendInt(out, p-1, 10)
	}
	return out, digits
}
