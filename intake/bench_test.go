package intake

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
)

// benchEvents returns n realistic input values of about 250 bytes: the
// generator's shape (ids, numeric timestamp, priority, load, a metadata
// object with a nested object and an array, one payload member), with
// varying values and metadata key orders.
func benchEvents(n int) [][]byte {
	priorities := []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"}
	regions := []string{"eu-west-1", "us-east-1", "ap-south-1"}
	out := make([][]byte, n)
	for i := range out {
		meta := fmt.Sprintf(`{"user_id":"user-%d","region":"%s","session":{"id":"s-%05d","attempt":%d},"tags":["auth","mobile"]}`,
			1000+i*37%9000, regions[i%3], i*7919%100000, i%4)
		if i%2 == 1 { // producers do not agree on key order
			meta = fmt.Sprintf(`{"tags":["auth","mobile"],"session":{"attempt":%d,"id":"s-%05d"},"region":"%s","user_id":"user-%d"}`,
				i%4, i*7919%100000, regions[i%3], 1000+i*37%9000)
		}
		out[i] = fmt.Appendf(nil, `{"event_id":"evt-%010d","source_id":"service-%d","timestamp":%d.%03d,"priority":"%s","load_indicator":0.%03d,"metadata":%s,"action":"login"}`,
			i, i%50, 1699999990+i%10, i*13%1000, priorities[i%4], i*97%1000, meta)
	}
	return out
}

func benchBytes(events [][]byte) int64 {
	var sum int
	for _, e := range events {
		sum += len(e)
	}
	return int64(sum / len(events))
}

// BenchmarkDecode measures Decode on realistic ~250-byte events.
func BenchmarkDecode(b *testing.B) {
	events := benchEvents(64)
	d := newTestDecoder(b, Config{})
	var ev event.Event
	for _, e := range events { // every benchmark event must be accepted
		if err := d.Decode(e, testReceivedAt, &ev); err != nil {
			b.Fatalf("%s: %v", e, err)
		}
	}
	b.SetBytes(benchBytes(events))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		if err := d.Decode(events[i&63], testReceivedAt, &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkDecodeShapes measures the less common forms separately.
func BenchmarkDecodeShapes(b *testing.B) {
	shapes := []struct{ name, input string }{
		{"minimal", withBase()},
		{"rfc3339_utc", `{"event_id":"e","source_id":"s","timestamp":"2023-11-14T22:13:20.123Z"}`},
		{"rfc3339_offset", `{"event_id":"e","source_id":"s","timestamp":"2023-11-14T23:13:20+01:00"}`},
		{"escapes", `{"event_id":"\u0065vt-\"1\"","source_id":"s\u00e9","timestamp":1700000000,"metadata":{"k\u00e9y":"v\u00e9\n","a":"\ud83d\ude00"}}`},
		{"metadata_40_keys", withBase(`"metadata":{` + manyMembers(40) + `}`)},
		{"metadata_1MiB_nested", withBase(`"metadata":` + nestedMetadata(30, 900<<10))},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			d := newTestDecoder(b, Config{})
			var ev event.Event
			in := []byte(s.input)
			if err := d.Decode(in, testReceivedAt, &ev); err != nil {
				b.Fatalf("%d bytes: %v", len(in), err)
			}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = d.Decode(in, testReceivedAt, &ev)
			}
		})
	}
}

// BenchmarkDecodeEncodingJSON is the naive baseline for the same job with
// encoding/json: unmarshal into map[string]any, read the known fields,
// re-marshal metadata (map keys come out sorted: a canonical form) and
// hash it, and re-marshal the other members as the payload.
func BenchmarkDecodeEncodingJSON(b *testing.B) {
	events := benchEvents(64)
	b.SetBytes(benchBytes(events))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var sink [32]byte
	for i := 0; b.Loop(); i++ {
		var m map[string]any
		if err := json.Unmarshal(events[i&63], &m); err != nil {
			b.Fatal(err)
		}
		id, _ := m["event_id"].(string)
		src, _ := m["source_id"].(string)
		ts, _ := m["timestamp"].(float64)
		prio, _ := m["priority"].(string)
		if _, ok := event.ParsePriority([]byte(prio)); !ok || id == "" || src == "" || ts == 0 {
			b.Fatal("bad event")
		}
		meta, err := json.Marshal(m["metadata"])
		if err != nil {
			b.Fatal(err)
		}
		sink = sha256.Sum256(meta)
		for _, k := range [...]string{"event_id", "source_id", "timestamp", "priority", "load_indicator", "metadata"} {
			delete(m, k)
		}
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	_ = sink
}

// nestedMetadata builds metadata of about size bytes whose members are
// spread over depth levels in descending key order, so every level must be
// sorted and moved: the decoder's worst case for canonicalisation.
func nestedMetadata(depth, size int) string {
	perLevel := size / depth / len(`"k000000":000000,`)
	var b strings.Builder
	for level := 0; level < depth; level++ {
		b.WriteByte('{')
		for k := perLevel; k > 0; k-- {
			fmt.Fprintf(&b, `"k%06d":%d,`, k, k)
		}
		b.WriteString(`"z":`)
	}
	b.WriteString("0")
	b.WriteString(strings.Repeat("}", depth))
	return b.String()
}
