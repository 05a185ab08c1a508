package kafkaio

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Header is a record header. It aliases franz-go's header type so that
// handing headers between packages copies no bytes.
type Header = kgo.RecordHeader

// InRecord is a consumed input record, detached from *kgo.Record. Its byte
// slices alias the fetch buffers: they are valid until the record's window
// ends.
type InRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	// LeaderEpoch is the partition leader's epoch when the record was
	// written; a commit of the offset after it carries it.
	LeaderEpoch int32
	Timestamp   time.Time
	Key         []byte
	Value       []byte
	Headers     []Header
}

// OutRecord is a record to produce inside the current transaction.
type OutRecord struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Headers   []Header
	// Input is the index in its window of the input record this record
	// was made from, or -1 (state changelog); a refusal reports it.
	Input int32
}

func fromKgo(r *kgo.Record) InRecord {
	return InRecord{
		Topic:       r.Topic,
		Partition:   r.Partition,
		Offset:      r.Offset,
		LeaderEpoch: r.LeaderEpoch,
		Timestamp:   r.Timestamp,
		Key:         r.Key,
		Value:       r.Value,
		Headers:     r.Headers,
	}
}

func toKgo(o OutRecord) *kgo.Record {
	r := new(kgo.Record)
	setKgo(r, o)
	return r
}

// setKgo makes r the record to produce for o; every other field is zero.
func setKgo(r *kgo.Record, o OutRecord) {
	*r = kgo.Record{
		Topic:     o.Topic,
		Partition: o.Partition,
		Key:       o.Key,
		Value:     o.Value,
		Headers:   o.Headers,
	}
}

// recordSlab hands out records to produce from chunks allocated
// recordSlabChunk at a time: one allocation per chunk instead of one per
// record, and with reuse none at all once a transaction's worth exists.
// Records handed out stay valid until reset.
type recordSlab struct {
	chunks [][]kgo.Record
	// chunk and used locate the next free record.
	chunk, used int
}

const recordSlabChunk = 1024

// next returns a free record (its fields are stale: overwrite them all).
func (s *recordSlab) next() *kgo.Record {
	if s.chunk < len(s.chunks) && s.used == len(s.chunks[s.chunk]) {
		s.chunk, s.used = s.chunk+1, 0
	}
	if s.chunk == len(s.chunks) {
		s.chunks = append(s.chunks, make([]kgo.Record, recordSlabChunk))
	}
	r := &s.chunks[s.chunk][s.used]
	s.used++
	return r
}

// reset makes every record free again; with reuse false, the records
// handed out may still be in use, so they are dropped, not reused.
func (s *recordSlab) reset(reuse bool) {
	if !reuse {
		s.chunks = nil
	}
	s.chunk, s.used = 0, 0
}

// ProduceSync writes records (non-transactionally) and waits for every
// acknowledgement; ctx bounds the wait. For tests and tools that need
// exact records, headers and null keys, which the generator does not make.
func ProduceSync(ctx context.Context, cl *kgo.Client, recs ...OutRecord) error {
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = toKgo(r)
	}
	return cl.ProduceSync(ctx, krs...).FirstErr()
}
