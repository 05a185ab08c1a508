package enrich

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// SourceState is one source's durable state: its sequence counter and its
// anomaly baselines. It is a plain value; Apply is a pure transition on it.
// The zero value is the state of a source that has sent nothing yet.
type SourceState struct {
	// LastSequence is the sequence number of the source's latest event
	// (0: none yet).
	LastSequence uint64

	// Count is how many load samples the load baseline has absorbed.
	Count uint64
	// LoadMean and LoadVar are the EWMA mean and variance of load.
	LoadMean, LoadVar float64

	// GapCount is how many inter-arrival gaps the gap baseline has
	// absorbed. It differs from Count because the first event, corrected
	// timestamps and out-of-order events contribute no gap.
	GapCount uint64
	// GapMean and GapVar are the EWMA mean and variance of the
	// inter-arrival gap in seconds.
	GapMean, GapVar float64

	// LastTimestamp is the latest (highest) reliable event timestamp seen,
	// epoch seconds; 0 means none yet. It is a high-water mark: an
	// out-of-order event does not lower it, so the events after it are
	// measured against the stream's real progress.
	LastTimestamp float64
}

// State encoding, format version 1: fixed-size, little-endian.
//
//	offset size field
//	     0    1 format version (1)
//	     1    8 LastSequence   uint64
//	     9    8 Count          uint64
//	    17    8 LoadMean       float64 bits
//	    25    8 LoadVar        float64 bits
//	    33    8 GapCount       uint64
//	    41    8 GapMean        float64 bits
//	    49    8 GapVar         float64 bits
//	    57    8 LastTimestamp  float64 bits
//
// A new layout gets a new version byte; DecodeSourceState rejects versions
// it does not know rather than guessing.
const (
	// StateFormatVersion is the first byte of every encoded SourceState.
	StateFormatVersion byte = 1
	// EncodedStateSize is the length of a version-1 encoding.
	EncodedStateSize = 1 + 8*8
)

// AppendBinary appends the version-1 encoding of s to dst. It does not
// allocate when dst has EncodedStateSize bytes of spare capacity.
func (s SourceState) AppendBinary(dst []byte) []byte {
	dst = append(dst, StateFormatVersion)
	dst = binary.LittleEndian.AppendUint64(dst, s.LastSequence)
	dst = binary.LittleEndian.AppendUint64(dst, s.Count)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.LoadMean))
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.LoadVar))
	dst = binary.LittleEndian.AppendUint64(dst, s.GapCount)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.GapMean))
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.GapVar))
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.LastTimestamp))
	return dst
}

// Sentinels wrapped by *StateDecodeError.
var (
	ErrUnknownStateVersion = errors.New("unknown source state format version")
	ErrStateLength         = errors.New("wrong source state length")
)

// StateDecodeError says why an encoded SourceState was rejected.
type StateDecodeError struct {
	// Version is the first byte of the input (0 when the input is empty).
	Version byte
	// Length is the input length.
	Length int
	// Err is ErrUnknownStateVersion or ErrStateLength.
	Err error
}

func (e *StateDecodeError) Error() string {
	return "decode source state (version " + strconv.Itoa(int(e.Version)) +
		", " + strconv.Itoa(e.Length) + " bytes): " + e.Err.Error()
}

func (e *StateDecodeError) Unwrap() error { return e.Err }

// DecodeSourceState is the inverse of AppendBinary. It returns a
// *StateDecodeError for an empty input, an unknown version or a length other
// than EncodedStateSize. Float fields are restored bit for bit.
func DecodeSourceState(b []byte) (SourceState, error) {
	if len(b) == 0 {
		return SourceState{}, &StateDecodeError{Length: 0, Err: ErrStateLength}
	}
	if b[0] != StateFormatVersion {
		return SourceState{}, &StateDecodeError{Version: b[0], Length: len(b), Err: ErrUnknownStateVersion}
	}
	if len(b) != EncodedStateSize {
		return SourceState{}, &StateDecodeError{Version: b[0], Length: len(b), Err: ErrStateLength}
	}
	le := binary.LittleEndian
	return SourceState{
		LastSequence:  le.Uint64(b[1:]),
		Count:         le.Uint64(b[9:]),
		LoadMean:      math.Float64frombits(le.Uint64(b[17:])),
		LoadVar:       math.Float64frombits(le.Uint64(b[25:])),
		GapCount:      le.Uint64(b[33:]),
		GapMean:       math.Float64frombits(le.Uint64(b[41:])),
		GapVar:        math.Float64frombits(le.Uint64(b[49:])),
		LastTimestamp: math.Float64frombits(le.Uint64(b[57:])),
	}, nil
}
