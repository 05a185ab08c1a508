package enrich

import (
	"encoding/binary"
	"math"

	"github.com/cespare/xxhash/v2"

	"github.com/eventproc/eventproc/event"
)

// signatureVersion is hashed first, so a change of the signature's inputs
// changes every signature instead of silently colliding with old ones.
const signatureVersion = 1

// signatureInputSize is the size of the signature input (see signature).
const signatureInputSize = 1 + 3*8 + 8 + 8 + 1 + 1 + 8 + 32 + 8 + 1 + 8 + 8 + 8 + 2 + 8

// signature is the processing signature: the first 6 bytes (big-endian) of
// the XXH64 digest of the event's content and its derived values. Inputs,
// in order: signatureVersion; the XXH64 digests of EventID, SourceID and
// Payload (fixed-width stand-ins, so field boundaries are unambiguous);
// Timestamp, ReceivedAt, TimestampCorrected, Priority, Load, MetadataHash,
// SequenceNumber, Category, CategoryConfidence, IntakeLatencyMs, RiskScore
// and AnomalyReasons; then, for rules other than the compiled-in ones, the
// 8-byte rules hash (so the compiled-in rules sign exactly as a build
// without rules files did, and other rules sign differently). Floats enter as their IEEE-754 bits, integers little-
// endian. No wall-clock value is an input, so reprocessing the same event
// from the same state reproduces the signature. XXH64 rather than SHA-256:
// it is an integrity fingerprint, not a security boundary, and it costs a
// few nanoseconds.
func signature(ev *event.Event, d *event.Derived, rulesHash *[8]byte) [6]byte {
	var input [signatureInputSize]byte
	b := input[:0]
	le := binary.LittleEndian
	b = append(b, signatureVersion)
	b = le.AppendUint64(b, xxhash.Sum64(ev.EventID))
	b = le.AppendUint64(b, xxhash.Sum64(ev.SourceID))
	b = le.AppendUint64(b, xxhash.Sum64(ev.Payload))
	b = le.AppendUint64(b, math.Float64bits(ev.Timestamp))
	b = le.AppendUint64(b, math.Float64bits(ev.ReceivedAt))
	b = append(b, boolByte(ev.TimestampCorrected), byte(ev.Priority))
	b = le.AppendUint64(b, math.Float64bits(ev.Load))
	b = append(b, ev.MetadataHash[:]...)
	b = le.AppendUint64(b, d.SequenceNumber)
	b = append(b, byte(d.Category))
	b = le.AppendUint64(b, math.Float64bits(d.CategoryConfidence))
	b = le.AppendUint64(b, math.Float64bits(d.IntakeLatencyMs))
	b = le.AppendUint64(b, math.Float64bits(d.RiskScore))
	b = le.AppendUint16(b, uint16(d.AnomalyReasons))
	if rulesHash != nil {
		b = append(b, rulesHash[:]...)
	}

	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], xxhash.Sum64(b))
	var sig [6]byte
	copy(sig[:], sum[:6])
	return sig
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
