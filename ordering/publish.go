package ordering

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PublishCounter hands out one output partition's global_publish_sequence
// values: 1, 2, 3, … continuing from the durable value Last, which is the
// sequence of the last event published (0 before the first).
//
// The counter is advanced while a window is assigned its sequences; the
// processor persists it in the state changelog inside the window's
// transaction, so an aborted window's numbers are reused, never skipped.
type PublishCounter struct {
	Last uint64
}

// Next returns the next publish sequence and records it as Last.
func (c *PublishCounter) Next() uint64 {
	c.Last++
	return c.Last
}

// publishCounterV1 is the changelog encoding's first version:
// one version byte, then Last as 8 bytes big-endian.
const (
	publishCounterV1    byte = 1
	publishCounterV1Len      = 1 + 8
)

// Errors of DecodePublishCounter.
var (
	// ErrPublishCounterVersion: the changelog value was written by an
	// encoding this build does not know (for instance a newer release).
	ErrPublishCounterVersion = errors.New("publish counter: unknown encoding version")
	// ErrPublishCounterLength: the value is truncated or has trailing bytes.
	ErrPublishCounterLength = errors.New("publish counter: wrong encoded length")
)

// AppendBinary appends the versioned changelog encoding of c to dst.
// The version byte lets a later release change the layout and still read
// changelogs written by this one.
func (c PublishCounter) AppendBinary(dst []byte) []byte {
	dst = append(dst, publishCounterV1)
	return binary.BigEndian.AppendUint64(dst, c.Last)
}

// DecodePublishCounter decodes a value written by AppendBinary.
func DecodePublishCounter(b []byte) (PublishCounter, error) {
	if len(b) == 0 {
		return PublishCounter{}, fmt.Errorf("%w: empty value", ErrPublishCounterLength)
	}
	if b[0] != publishCounterV1 {
		return PublishCounter{}, fmt.Errorf("%w %d", ErrPublishCounterVersion, b[0])
	}
	if len(b) != publishCounterV1Len {
		return PublishCounter{}, fmt.Errorf("%w: %d bytes, version 1 has %d", ErrPublishCounterLength, len(b), publishCounterV1Len)
	}
	return PublishCounter{Last: binary.BigEndian.Uint64(b[1:])}, nil
}
