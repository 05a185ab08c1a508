package kafkaio

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestAppendNextOffsets(t *testing.T) {
	recs := []InRecord{
		{Partition: 0, Offset: 4, LeaderEpoch: 1},
		{Partition: 1, Offset: 9, LeaderEpoch: 2},
		{Partition: 0, Offset: 5, LeaderEpoch: 3},
	}
	got := AppendNextOffsets(nil, recs)
	want := map[int32]NextOffset{0: {Offset: 6, LeaderEpoch: 3}, 1: {Offset: 10, LeaderEpoch: 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// commitRequest is a TxnOffsetCommit as franz-go builds it: one entry per
// partition polled, at the offset after the last record polled.
func commitRequest(topics map[string]map[int32]int64) *kmsg.TxnOffsetCommitRequest {
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	for _, name := range []string{"in", "other"} {
		parts, ok := topics[name]
		if !ok {
			continue
		}
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = name
		for p := int32(0); p < 8; p++ {
			if o, ok := parts[p]; ok {
				rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
				rp.Partition, rp.Offset, rp.LeaderEpoch = p, o, 7
				rt.Partitions = append(rt.Partitions, rp)
			}
		}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// commitOffsets renders a request's offsets as topic[partition]=offset@epoch.
func commitOffsets(req *kmsg.TxnOffsetCommitRequest) string {
	var b strings.Builder
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			fmt.Fprintf(&b, "%s[%d]=%d@%d ", t.Topic, p.Partition, p.Offset, p.LeaderEpoch)
		}
	}
	return strings.TrimSpace(b.String())
}

func TestRestrictCommit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		polled  map[string]map[int32]int64
		through map[int32]NextOffset
		want    string
		err     string
	}{
		{
			name:    "the window consumed everything polled",
			polled:  map[string]map[int32]int64{"in": {0: 10, 1: 20}},
			through: map[int32]NextOffset{0: {10, 1}, 1: {20, 2}},
			want:    "in[0]=10@1 in[1]=20@2",
		},
		{
			name:    "records polled for the next window stay uncommitted",
			polled:  map[string]map[int32]int64{"in": {0: 15, 1: 20}},
			through: map[int32]NextOffset{0: {10, 1}, 1: {20, 2}},
			want:    "in[0]=10@1 in[1]=20@2",
		},
		{
			name:    "a partition only the next window read is left out",
			polled:  map[string]map[int32]int64{"in": {0: 10, 1: 20, 2: 5}},
			through: map[int32]NextOffset{0: {10, 1}},
			want:    "in[0]=10@1",
		},
		{
			name:    "other topics are left as they are",
			polled:  map[string]map[int32]int64{"in": {0: 10}, "other": {3: 4}},
			through: map[int32]NextOffset{0: {9, 1}},
			want:    "in[0]=9@1 other[3]=4@7",
		},
		{
			name:    "an offset beyond what was polled is refused",
			polled:  map[string]map[int32]int64{"in": {0: 10}},
			through: map[int32]NextOffset{0: {11, 1}},
			err:     "only 10 was polled",
		},
		{
			name:    "a partition the client does not track is refused",
			polled:  map[string]map[int32]int64{"in": {0: 10}},
			through: map[int32]NextOffset{0: {10, 1}, 4: {3, 1}},
			err:     "consumed from 2 partitions, but the client tracks 1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := commitRequest(tc.polled)
			err := restrictCommit(req, "in", tc.through)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := commitOffsets(req); got != tc.want {
				t.Fatalf("commit %q, want %q", got, tc.want)
			}
		})
	}
}
