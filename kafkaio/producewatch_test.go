package kafkaio

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// chunkConn reads its input a few bytes at a time and discards writes.
type chunkConn struct {
	net.Conn
	in    *bytes.Reader
	chunk int
}

func (c *chunkConn) Read(p []byte) (int, error)  { return c.in.Read(p[:min(len(p), c.chunk)]) }
func (c *chunkConn) Write(p []byte) (int, error) { return len(p), nil }

func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func requestFrame(key, version int16, id int32) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(id))
	return frame(append(b, "client-id and request body"...))
}

func produceResponseFrame(version int16, id int32, codes ...int16) []byte {
	resp := kmsg.ProduceResponse{Version: version}
	t := kmsg.ProduceResponseTopic{Topic: "out"}
	for i, c := range codes {
		t.Partitions = append(t.Partitions, kmsg.ProduceResponseTopicPartition{Partition: int32(i), ErrorCode: c})
	}
	resp.Topics = []kmsg.ProduceResponseTopic{t}
	b := binary.BigEndian.AppendUint32(nil, uint32(id))
	if resp.IsFlexible() {
		b = append(b, 0) // no header tags
	}
	return frame(resp.AppendTo(b))
}

// watchExchange writes the requests through a watched connection whose
// peer answers with the response bytes in, read chunk bytes at a time,
// and returns the partitions counted and the requests left unanswered.
func watchExchange(t *testing.T, in []byte, chunk int, requests ...[]byte) (counted, pending int) {
	t.Helper()
	w := watchProduce(&chunkConn{in: bytes.NewReader(in), chunk: chunk}, func(n int) { counted += n })
	for _, r := range requests {
		if _, err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 64)
	for {
		if _, err := w.Read(buf); err != nil {
			break
		}
	}
	return counted, len(w.(*produceWatchConn).awaiting)
}

func TestWatchProduceCountsConcurrentTransactions(t *testing.T) {
	ct, ok := kerr.ConcurrentTransactions.Code, kerr.NotLeaderForPartition.Code
	for _, version := range []int16{7, 9, 11} { // before and after flexible headers
		for _, chunk := range []int{1, 3, 4096} {
			var in []byte
			in = append(in, produceResponseFrame(version, 1, ct, 0, ct)...)
			in = append(in, frame(append(binary.BigEndian.AppendUint32(nil, 2), bytes.Repeat([]byte{0xff}, 5000)...))...) // a fetch response
			in = append(in, produceResponseFrame(version, 3, ok, 0)...)
			in = append(in, produceResponseFrame(version, 4, ct)...)
			got, pending := watchExchange(t, in, chunk, requestFrame(0, version, 1), requestFrame(1, 12, 2), requestFrame(0, version, 3), requestFrame(0, version, 4))
			if got != 3 {
				t.Errorf("produce v%d, reads of %d bytes: counted %d partitions answered CONCURRENT_TRANSACTIONS, want 3", version, chunk, got)
			}
			if pending != 0 {
				t.Errorf("produce v%d: %d requests still awaiting a response", version, pending)
			}
		}
	}
}

func addPartitionsResponseFrame(version int16, id int32, codes ...int16) []byte {
	resp := kmsg.AddPartitionsToTxnResponse{Version: version}
	t := kmsg.AddPartitionsToTxnResponseTopic{Topic: "out"}
	for i, c := range codes {
		t.Partitions = append(t.Partitions, kmsg.AddPartitionsToTxnResponseTopicPartition{Partition: int32(i), ErrorCode: c})
	}
	resp.Topics = []kmsg.AddPartitionsToTxnResponseTopic{t}
	b := binary.BigEndian.AppendUint32(nil, uint32(id))
	if resp.IsFlexible() {
		b = append(b, 0) // no header tags
	}
	return frame(resp.AppendTo(b))
}

// With the explicit add (AddPartitionsToTxn before the first produce to a
// partition), the broker answers CONCURRENT_TRANSACTIONS there: those are
// counted too, produce and add responses interleaved on one connection.
func TestWatchProduceCountsConcurrentAddPartitions(t *testing.T) {
	ct := kerr.ConcurrentTransactions.Code
	for _, version := range []int16{1, 3} { // before and after flexible headers
		for _, chunk := range []int{1, 7, 4096} {
			var in []byte
			in = append(in, addPartitionsResponseFrame(version, 1, ct, ct, 0)...)
			in = append(in, produceResponseFrame(11, 2, ct)...)
			in = append(in, addPartitionsResponseFrame(version, 3, 0)...)
			got, pending := watchExchange(t, in, chunk, requestFrame(24, version, 1), requestFrame(0, 11, 2), requestFrame(24, version, 3))
			if got != 3 || pending != 0 {
				t.Errorf("AddPartitionsToTxn v%d, reads of %d bytes: counted %d partitions answered CONCURRENT_TRANSACTIONS (want 3), %d requests unanswered", version, chunk, got, pending)
			}
		}
	}
}
