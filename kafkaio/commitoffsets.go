package kafkaio

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// NextOffset is where a partition's consumption resumes after a
// transaction: the offset after the last record it consumed there, with
// that record's leader epoch.
type NextOffset struct {
	Offset      int64
	LeaderEpoch int32
}

// AppendNextOffsets records in dst, for each partition of recs, the offset
// after its last record (recs of a partition are in offset order), and
// returns dst (allocated when nil).
func AppendNextOffsets(dst map[int32]NextOffset, recs []InRecord) map[int32]NextOffset {
	if dst == nil {
		dst = make(map[int32]NextOffset)
	}
	for i := range recs {
		r := &recs[i]
		if n, ok := dst[r.Partition]; !ok || r.Offset+1 > n.Offset {
			dst[r.Partition] = NextOffset{Offset: r.Offset + 1, LeaderEpoch: r.LeaderEpoch}
		}
	}
	return dst
}

// restrictCommit makes a transaction's offset commit carry exactly the
// offsets of through for topic, the input. franz-go builds the request
// from every record polled since the last commit; records polled for the
// next window, while this one's transaction was still open, must not be
// committed by it. Partitions of topic without an entry in through are
// left out: this transaction consumed nothing there. An entry beyond what
// was polled, or one the request lacks, is an error: the commit is not
// sent and the transaction aborts.
func restrictCommit(req *kmsg.TxnOffsetCommitRequest, topic string, through map[int32]NextOffset) error {
	seen := 0
	topics := req.Topics[:0]
	for _, t := range req.Topics {
		if t.Topic != topic {
			topics = append(topics, t)
			continue
		}
		kept := t.Partitions[:0]
		for _, p := range t.Partitions {
			n, ok := through[p.Partition]
			if !ok {
				continue
			}
			if n.Offset > p.Offset {
				return fmt.Errorf("offset commit of %s[%d]: the transaction consumed up to offset %d, but only %d was polled", topic, p.Partition, n.Offset, p.Offset)
			}
			p.Offset, p.LeaderEpoch = n.Offset, n.LeaderEpoch
			kept = append(kept, p)
			seen++
		}
		if len(kept) > 0 {
			t.Partitions = kept
			topics = append(topics, t)
		}
	}
	if seen != len(through) {
		return fmt.Errorf("offset commit of %s: the transaction consumed from %d partitions, but the client tracks %d of them", topic, len(through), seen)
	}
	req.Topics = topics
	return nil
}
