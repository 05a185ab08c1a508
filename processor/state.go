package processor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/ordering"
)

// partitionState is everything durable that belongs to one input
// partition: the state of every source seen on it and the publish counter
// of the output partition with the same number. It is written to the
// changelog partition with the same number.
type partitionState struct {
	sources map[string]enrich.SourceState
	publish ordering.PublishCounter
	// nextOffset is the input offset after the last committed window that
	// consumed from this partition (-1 before the first).
	nextOffset int64
	// rules is the hash of the rules the partition's last checkpoint was
	// written under; rulesKnown is false before the first checkpoint and
	// for checkpoints of builds that did not record it.
	rules      [8]byte
	rulesKnown bool
}

func newPartitionState() *partitionState {
	return &partitionState{sources: make(map[string]enrich.SourceState), nextOffset: -1}
}

// checkpointKeyPrefix starts the reserved changelog key of a partition's
// checkpoint. 0xFF never occurs in valid UTF-8, and source ids are decoded
// JSON strings (always valid UTF-8), so the key cannot collide with a
// source_id key.
const checkpointKeyPrefix = "\xffpartition/"

func checkpointKey(p int32) []byte {
	return strconv.AppendInt([]byte(checkpointKeyPrefix), int64(p), 10)
}

func isCheckpointKey(k []byte) bool {
	return len(k) >= len(checkpointKeyPrefix) && string(k[:len(checkpointKeyPrefix)]) == checkpointKeyPrefix
}

// A checkpoint value is the publish counter's own versioned encoding
// followed by the next input offset, 8 bytes big-endian, then a rules
// trailer: checkpointRulesV1 and the 8-byte rules hash. Checkpoints
// written before the trailer existed have none and decode with the rules
// unknown.
func appendCheckpoint(dst []byte, pc ordering.PublishCounter, nextOffset int64, rulesHash [8]byte) []byte {
	dst = pc.AppendBinary(dst)
	dst = binary.BigEndian.AppendUint64(dst, uint64(nextOffset))
	dst = append(dst, checkpointRulesV1)
	return append(dst, rulesHash[:]...)
}

// The rules trailer of a checkpoint.
const (
	checkpointRulesV1       byte = 1
	checkpointRulesTrailer       = 1 + 8
	checkpointWithoutRules       = 1 + 8 + 8 // publish counter v1, next offset
	checkpointWithRulesSize      = checkpointWithoutRules + checkpointRulesTrailer
)

// splitRulesTrailer separates a checkpoint's rules trailer, if it has one.
func splitRulesTrailer(b []byte) (rest []byte, hash [8]byte, known bool) {
	if len(b) == checkpointWithRulesSize && b[checkpointWithoutRules] == checkpointRulesV1 {
		copy(hash[:], b[checkpointWithoutRules+1:])
		return b[:checkpointWithoutRules], hash, true
	}
	return b, hash, false
}

var errCheckpoint = errors.New("state changelog: bad partition checkpoint")

func decodeCheckpoint(b []byte) (ordering.PublishCounter, int64, error) {
	if len(b) < 8 {
		return ordering.PublishCounter{}, 0, fmt.Errorf("%w: %d bytes", errCheckpoint, len(b))
	}
	pc, err := ordering.DecodePublishCounter(b[:len(b)-8])
	if err != nil {
		return pc, 0, fmt.Errorf("%w: %w", errCheckpoint, err)
	}
	return pc, int64(binary.BigEndian.Uint64(b[len(b)-8:])), nil
}

// apply folds one changelog record into the state, as restore reads them.
func (ps *partitionState) apply(key, value []byte) error {
	if isCheckpointKey(key) {
		rest, hash, known := splitRulesTrailer(value)
		pc, next, err := decodeCheckpoint(rest)
		if err != nil {
			return err
		}
		ps.publish, ps.nextOffset = pc, next
		ps.rules, ps.rulesKnown = hash, known
		return nil
	}
	if value == nil {
		delete(ps.sources, string(key))
		return nil
	}
	st, err := enrich.DecodeSourceState(value)
	if err != nil {
		return fmt.Errorf("state changelog: source %q: %w", key, err)
	}
	ps.sources[string(key)] = st
	return nil
}
