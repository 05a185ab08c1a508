package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header is a record header. It has the shape of kgo.RecordHeader, so a
// caller converts with Header(h).
type Header struct {
	Key   string
	Value []byte
}

// Record is one record of an audited topic.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	// Key and Value keep Kafka's distinction between null (nil) and empty.
	Key, Value []byte
	Headers    []Header
	// Timestamp is the broker timestamp: an input's received_at.
	Timestamp time.Time
}

// Ref names one record: where a violation can be looked at.
type Ref struct {
	Topic     string
	Partition int32
	Offset    int64
}

func (r Ref) String() string { return fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset) }

func (r *Record) ref() Ref { return Ref{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset} }

// position is an input record's place in the input topic.
type position struct {
	partition int32
	offset    int64
}

// header returns the value of the last header named key. The last one
// wins because eventproc appends its own headers after the inherited input
// headers, and an input may itself carry eventproc headers from an
// upstream pipeline.
func header(hs []Header, key string) ([]byte, bool) {
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].Key == key {
			return hs[i].Value, true
		}
	}
	return nil, false
}

// tracePosition reads the topic/partition/offset triple of headers named
// topicKey, partitionKey and offsetKey. problem is empty when all three are
// present and well formed.
func tracePosition(hs []Header, topicKey, partitionKey, offsetKey string) (topic string, pos position, problem string) {
	t, okT := header(hs, topicKey)
	p, okP := header(hs, partitionKey)
	o, okO := header(hs, offsetKey)
	switch {
	case !okT:
		return "", pos, "header " + topicKey + " is missing"
	case !okP:
		return "", pos, "header " + partitionKey + " is missing"
	case !okO:
		return "", pos, "header " + offsetKey + " is missing"
	}
	partition, err := strconv.ParseInt(string(p), 10, 32)
	if err != nil || partition < 0 {
		return "", pos, fmt.Sprintf("header %s is %q, not a partition number", partitionKey, p)
	}
	offset, err := strconv.ParseInt(string(o), 10, 64)
	if err != nil || offset < 0 {
		return "", pos, fmt.Sprintf("header %s is %q, not an offset", offsetKey, o)
	}
	return string(t), position{partition: int32(partition), offset: offset}, ""
}

// headersPreserved reports whether every input header appears in got, in
// the same relative order (got may interleave other headers). Order
// matters because Kafka headers may repeat a key.
func headersPreserved(input, got []Header) bool {
	j := 0
	for _, h := range input {
		for j < len(got) && !sameHeader(h, got[j]) {
			j++
		}
		if j == len(got) {
			return false
		}
		j++
	}
	return true
}

// onlyEventprocHeaders reports whether every header is one of eventproc's
// own (named __eventproc.*).
func onlyEventprocHeaders(hs []Header) bool {
	for _, h := range hs {
		if !strings.HasPrefix(h.Key, "__eventproc.") {
			return false
		}
	}
	return true
}

func sameHeader(a, b Header) bool { return a.Key == b.Key && string(a.Value) == string(b.Value) }

// sameBytes is byte-for-byte equality that also tells null from empty.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && string(a) == string(b) }
