package processor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
)

// BenchmarkPipelineEncodingJSON is the naive baseline for BenchmarkPipeline,
// over the same window of 10,000 generated records: encoding/json decodes
// each value into a map, the known fields are checked, the metadata is
// re-marshalled (map keys come out sorted: a canonical form) and hashed
// with SHA-256, and the output object (the input's members, the metadata
// hash, a window id and the derived fields as zero values) is marshalled.
// No classification, enrichment, ordering, dead letters or changelog:
// the floor of "decode, hash, re-encode" with the standard library. Run it
// in the same run as BenchmarkPipeline with -cpu 1 and compare ns/event.
func BenchmarkPipelineEncodingJSON(b *testing.B) {
	const window = 10000
	recs, size := benchWindow(window)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	var out []byte
	for b.Loop() {
		accepted := 0
		out = out[:0]
		for i := range recs {
			var m map[string]any
			if err := json.Unmarshal(recs[i].Value, &m); err != nil {
				continue // a dead letter
			}
			id, _ := m["event_id"].(string)
			src, _ := m["source_id"].(string)
			ts, ok := m["timestamp"].(float64)
			if s, isString := m["timestamp"].(string); !ok && isString {
				// The contract allows a numeric string or RFC 3339.
				if ts, _ = strconv.ParseFloat(s, 64); ts == 0 {
					if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
						ts = float64(t.UnixNano()) / 1e9
					}
				}
			}
			prio, hasPrio := m["priority"].(string)
			if _, ok := event.ParsePriority([]byte(prio)); (hasPrio && !ok) || id == "" || src == "" || ts == 0 {
				continue
			}
			meta, err := json.Marshal(m["metadata"])
			if err != nil {
				b.Fatal(err)
			}
			sum := sha256.Sum256(meta)
			m["metadata_hash"] = hex.EncodeToString(sum[:])
			m["derived_fields"] = map[string]any{
				"window_id": "bench-window", "intake_latency_ms": 0.0, "total_processing_time_ms": 0.0,
				"risk_score": 0.0, "category_confidence": 0.0, "is_anomaly": false, "anomaly_reasons": []string{},
			}
			enc, err := json.Marshal(m)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, enc...)
			accepted++
		}
		if accepted < window*9/10 {
			b.Fatalf("accepted %d of %d", accepted, window)
		}
	}
	b.StopTimer()
	events := float64(b.N) * window
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(0, "ns/op")
}
