package event

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Record header names of the contract (docs/contract.md: dead letters, output records). They are wire names:
// kafkaio writes them, the audit and `eventproc verify` read them.
const (
	// Lineage headers on every output record.
	HeaderSourceTopic     = "__eventproc.source.topic"
	HeaderSourcePartition = "__eventproc.source.partition"
	HeaderSourceOffset    = "__eventproc.source.offset"
	// HeaderGroup names the consumer group whose member published the
	// record (outputs and dead letters), so a second group writing the
	// same topics is detected at start and by the audit.
	HeaderGroup = "__eventproc.group"

	// Error headers on every dead-letter record.
	HeaderErrorReason    = "__eventproc.errors.reason"
	HeaderErrorMessage   = "__eventproc.errors.message"
	HeaderErrorTopic     = "__eventproc.errors.topic"
	HeaderErrorPartition = "__eventproc.errors.partition"
	HeaderErrorOffset    = "__eventproc.errors.offset"

	// Extra headers on a truncated dead letter: one the broker refused
	// whole, published as the longest prefix of the input value that fits.
	HeaderErrorTruncated      = "__eventproc.errors.truncated"
	HeaderErrorOriginalSize   = "__eventproc.errors.original_size"
	HeaderErrorOriginalSHA256 = "__eventproc.errors.original_sha256"
)

// OutputOptions are the per-window choices of output encoding.
type OutputOptions struct {
	// WindowID is the derived_fields.window_id of every event of the
	// window being published.
	WindowID string
	// RedactMetadata omits the metadata member (--redact-metadata); the
	// metadata_hash and derived values stay.
	RedactMetadata bool
	// RulesVersion is the derived_fields.rules_version of every event:
	// the hash of the classification rules that produced it.
	RulesVersion string
}

// AppendOutput appends the output JSON object (docs/contract.md) for ev
// with derived values d to dst and returns the extended slice. It
// allocates only when dst has to grow, so a reused buffer makes encoding
// allocation-free.
//
// Encoding choices (the contract shows the shape, not these details):
//   - Members appear in the contract example's order; the object is
//     compact (no white space outside the copied metadata/payload).
//   - Numbers that are floats always carry a '.' or an exponent, so
//     1670000000 is written 1670000000.0 and reads as a float in every
//     consumer; see appendFloat. Integers (sequence_number,
//     global_publish_sequence) are plain decimals.
//   - metadata and payload are copied verbatim from the input (the decoder
//     has validated them); payload is {} when the event has none, and
//     metadata {} when empty, so both members always hold an object.
//   - Strings are escaped as JSON requires and no more: ", \ and control
//     characters; < > & and non-ASCII are written as they are; invalid
//     UTF-8 (which the decoder never lets through) becomes U+FFFD so the
//     output is valid JSON whatever the input.
//   - anomaly_reasons lists wire names in the AnomalyReason enum order (the
//     order of AnomalyReasons.Each), [] when the set is empty.
func AppendOutput(dst []byte, ev *Event, d *Derived, opt OutputOptions) []byte {
	dst = append(dst, `{"event_id":`...)
	dst = AppendJSONString(dst, ev.EventID)
	dst = append(dst, `,"source_id":`...)
	dst = AppendJSONString(dst, ev.SourceID)
	dst = append(dst, `,"timestamp":`...)
	dst = appendFloat(dst, ev.Timestamp)
	dst = append(dst, `,"received_at":`...)
	dst = appendFloat(dst, ev.ReceivedAt)
	dst = append(dst, `,"priority":"`...)
	dst = append(dst, ev.Priority.String()...)
	dst = append(dst, `","category":"`...)
	dst = append(dst, d.Category.String()...)
	dst = append(dst, `","load_indicator":`...)
	dst = appendFloat(dst, ev.Load)
	if !opt.RedactMetadata {
		dst = append(dst, `,"metadata":`...)
		dst = appendObject(dst, ev.Metadata)
	}
	dst = append(dst, `,"metadata_hash":"`...)
	dst = hex.AppendEncode(dst, ev.MetadataHash[:])
	dst = append(dst, `","sequence_number":`...)
	dst = strconv.AppendUint(dst, d.SequenceNumber, 10)
	dst = append(dst, `,"payload":`...)
	dst = appendObject(dst, ev.Payload)

	dst = append(dst, `,"derived_fields":{"intake_latency_ms":`...)
	dst = appendFloat(dst, d.IntakeLatencyMs)
	dst = append(dst, `,"total_processing_time_ms":`...)
	dst = appendFloat(dst, d.TotalProcessingTimeMs)
	dst = append(dst, `,"risk_score":`...)
	dst = appendFloat(dst, d.RiskScore)
	dst = append(dst, `,"category_confidence":`...)
	dst = appendFloat(dst, d.CategoryConfidence)
	dst = append(dst, `,"is_anomaly":`...)
	dst = strconv.AppendBool(dst, d.IsAnomaly)
	dst = append(dst, `,"anomaly_reasons":[`...)
	first := true
	for r := AnomalyReason(0); r < numAnomalyReasons; r++ {
		if !d.AnomalyReasons.Has(r) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, r.String()...)
		dst = append(dst, '"')
	}
	dst = append(dst, `],"timestamp_corrected":`...)
	dst = strconv.AppendBool(dst, ev.TimestampCorrected)
	dst = append(dst, `,"processing_signature":"`...)
	dst = hex.AppendEncode(dst, d.Signature[:])
	dst = append(dst, `","global_publish_sequence":`...)
	dst = strconv.AppendUint(dst, d.GlobalPublishSequence, 10)
	dst = append(dst, `,"window_id":`...)
	dst = AppendJSONString(dst, opt.WindowID)
	dst = append(dst, `,"rules_version":`...)
	dst = AppendJSONString(dst, opt.RulesVersion)
	return append(dst, "}}"...)
}

// appendObject appends a raw JSON object, or {} when there is none.
func appendObject(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "{}"...)
	}
	return append(dst, raw...)
}

// appendFloat appends f as a JSON number that round-trips to the same
// float64 (strconv's shortest representation).
//
// It uses plain decimal notation for 1e-6 <= |f| < 1e21, as
// encoding/json and JavaScript do, so epoch timestamps never turn into
// 1.67e+09, and exponent notation outside that range so that tiny values do
// not become hundreds of zeros. A decimal without a fraction gets ".0"
// (12 → 12.0) so the value reads as a float, as in the contract example.
// JSON has no NaN or infinity: those (which no stage should produce) are
// written as null rather than as invalid JSON; -0 is written as 0.0.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return append(dst, "null"...)
	case f == 0:
		return append(dst, "0.0"...)
	}
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		// 'e' gives e.g. 1e-07 and 1e+21: valid JSON numbers.
		return strconv.AppendFloat(dst, f, 'e', -1, 64)
	}
	if out, ok := appendDecimal(dst, f); ok {
		return out
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if bytes.IndexByte(dst[start:], '.') < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

// Fixed-point forms appendFloat tries before strconv's shortest-digits
// search: millisecond multiples (broker timestamps, durations, most
// scores) and microsecond multiples (epoch timestamps that producers write
// to the microsecond). Each limit keeps the float's spacing (ulp) below
// the unit, so at most one multiple of the unit reads back as the float,
// and keeps f·scale an exact integer.
const (
	milliLimit = 1 << 40
	microLimit = 1 << 33
)

// appendDecimal writes f as appendFloat would when f is a multiple of
// 0.001 or 0.000001 as read from decimal: integer arithmetic instead of
// the shortest-digits search. Below a form's limit the float's rounding
// interval holds at most one multiple of its unit, so when d/scale reads
// back as f it is the shortest representation, trailing zeros trimmed. ok
// is false for any other f, which the caller formats with strconv.
func appendDecimal(dst []byte, f float64) (_ []byte, ok bool) {
	a := math.Abs(f)
	if a >= milliLimit {
		return dst, false
	}
	if d := math.Round(a * 1e3); d/1e3 == a { // correctly rounded, as parsing "d/1e3" would be
		n := uint64(d)
		return appendFixed(appendSign(dst, f), n/1e3, n%1e3, false), true
	}
	if a >= microLimit {
		return dst, false
	}
	if d := math.Round(a * 1e6); d/1e6 == a {
		n := uint64(d)
		return appendFixed(appendSign(dst, f), n/1e6, n%1e6, true), true
	}
	return dst, false
}

func appendSign(dst []byte, f float64) []byte {
	if f < 0 {
		return append(dst, '-')
	}
	return dst
}

// appendFixed appends whole.frac, frac written as three digits (six with
// micro), trailing zeros trimmed, and whole.0 when frac is 0. The digits
// come from divisions by constants, which compile to multiplications.
func appendFixed(dst []byte, whole, frac uint64, micro bool) []byte {
	dst = strconv.AppendUint(dst, whole, 10)
	if frac == 0 {
		return append(dst, ".0"...)
	}
	dst = append(dst, '.')
	if micro {
		dst = appendThreeDigits(dst, frac/1e3)
		frac %= 1e3
	}
	dst = appendThreeDigits(dst, frac)
	end := len(dst)
	for dst[end-1] == '0' { // a digit after the '.' is not 0
		end--
	}
	return dst[:end]
}

func appendThreeDigits(dst []byte, n uint64) []byte {
	return append(dst, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string escaped the way RFC 8785
// (JCS) canonicalises strings: only '"', '\\' and control characters are
// escaped, with the short forms \b \f \n \r \t where they exist and \u00xx
// (lower-case hex) otherwise; all else is literal UTF-8. Each invalid
// UTF-8 byte becomes the escape \ufffd (as encoding/json writes it), so the
// result is always valid JSON. Output encoding and
// intake's canonical metadata form both use it.
func AppendJSONString[S string | []byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending, to be copied unescaped
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		// The conversion of at most utf8.UTFMax bytes does not escape,
		// so it does not allocate.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Output is the decoded form of an output record, for tests, `eventproc
// tail` and `eventproc verify`. It is not on the hot path: ParseOutput uses
// encoding/json.
type Output struct {
	EventID        string          `json:"event_id"`
	SourceID       string          `json:"source_id"`
	Timestamp      float64         `json:"timestamp"`
	ReceivedAt     float64         `json:"received_at"`
	Priority       string          `json:"priority"`
	Category       string          `json:"category"`
	LoadIndicator  float64         `json:"load_indicator"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	MetadataHash   string          `json:"metadata_hash"`
	SequenceNumber uint64          `json:"sequence_number"`
	Payload        json.RawMessage `json:"payload"`
	Derived        OutputDerived   `json:"derived_fields"`
}

// OutputDerived is the derived_fields member of an output record.
type OutputDerived struct {
	IntakeLatencyMs       float64  `json:"intake_latency_ms"`
	TotalProcessingTimeMs float64  `json:"total_processing_time_ms"`
	RiskScore             float64  `json:"risk_score"`
	CategoryConfidence    float64  `json:"category_confidence"`
	IsAnomaly             bool     `json:"is_anomaly"`
	AnomalyReasons        []string `json:"anomaly_reasons"`
	TimestampCorrected    bool     `json:"timestamp_corrected"`
	ProcessingSignature   string   `json:"processing_signature"`
	GlobalPublishSequence uint64   `json:"global_publish_sequence"`
	WindowID              string   `json:"window_id"`
	// RulesVersion is empty in outputs written before rules files existed.
	RulesVersion string `json:"rules_version,omitempty"`
}

// RulesVersionLen is the length of derived_fields.rules_version: 8 bytes
// of the rules hash in hex.
const RulesVersionLen = 16

// ErrInvalidOutput is wrapped by every ParseOutput error.
var ErrInvalidOutput = errors.New("invalid output record")

// ParseOutput decodes an output record value and checks what a consumer
// may rely on: a single JSON object with no unknown members, non-empty ids
// and window_id, a rules_version of RulesVersionLen hex digits when present
// (outputs written before rules files existed have none), a known priority, category and anomaly reasons, sequence
// numbers from 1, a 32-byte metadata_hash and 6-byte processing_signature
// in hex, and a payload object. A missing number or boolean member is not
// detected (it decodes as zero), except the two sequences, which cannot be
// zero.
func ParseOutput(b []byte) (Output, error) {
	var o Output
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Output{}, fmt.Errorf("%w: %w", ErrInvalidOutput, err)
	}
	if dec.More() {
		return Output{}, fmt.Errorf("%w: data after the JSON object", ErrInvalidOutput)
	}
	if err := o.validate(); err != nil {
		return Output{}, fmt.Errorf("%w: %s", ErrInvalidOutput, err)
	}
	return o, nil
}

func (o *Output) validate() error {
	switch {
	case o.EventID == "":
		return errors.New("event_id is missing or empty")
	case o.SourceID == "":
		return errors.New("source_id is missing or empty")
	case o.Derived.WindowID == "":
		return errors.New("derived_fields.window_id is missing or empty")
	case o.SequenceNumber == 0:
		return errors.New("sequence_number is missing or 0")
	case o.Derived.GlobalPublishSequence == 0:
		return errors.New("derived_fields.global_publish_sequence is missing or 0")
	case !isHex(o.MetadataHash, 2*len(Event{}.MetadataHash)):
		return fmt.Errorf("metadata_hash %q is not %d hex digits", o.MetadataHash, 2*len(Event{}.MetadataHash))
	case !isHex(o.Derived.ProcessingSignature, 2*len(Derived{}.Signature)):
		return fmt.Errorf("processing_signature %q is not %d hex digits", o.Derived.ProcessingSignature, 2*len(Derived{}.Signature))
	case o.Derived.RulesVersion != "" && !isHex(o.Derived.RulesVersion, RulesVersionLen):
		return fmt.Errorf("derived_fields.rules_version %q is not %d hex digits", o.Derived.RulesVersion, RulesVersionLen)
	case !isObject(o.Payload):
		return errors.New("payload is missing or not an object")
	case o.Metadata != nil && !isObject(o.Metadata):
		return errors.New("metadata is not an object")
	}
	if !knownPriority(o.Priority) {
		return fmt.Errorf("unknown priority %q", o.Priority)
	}
	if _, ok := ParseCategory(o.Category); !ok {
		return fmt.Errorf("unknown category %q", o.Category)
	}
	for _, name := range o.Derived.AnomalyReasons {
		if !knownAnomalyReason(name) {
			return fmt.Errorf("unknown anomaly reason %q", name)
		}
	}
	return nil
}

// knownPriority accepts only the upper-case wire form AppendOutput writes;
// ParsePriority is lenient, as input decoding must be.
func knownPriority(s string) bool {
	for p := Priority(0); p < NumPriorities; p++ {
		if p.String() == s {
			return true
		}
	}
	return false
}

func knownAnomalyReason(name string) bool {
	for r := AnomalyReason(0); r < numAnomalyReasons; r++ {
		if r.String() == name {
			return true
		}
	}
	return false
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}
