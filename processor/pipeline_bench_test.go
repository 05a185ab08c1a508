package processor

import (
	"hash/fnv"
	"testing"
	"time"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/kafkaio"
)

// benchWindow builds one window of n generated input records over 6
// partitions: the realistic mix of ~250-byte events with 2 % malformed.
func benchWindow(n int) ([]kafkaio.InRecord, int) {
	g := gen.New(gen.Config{Sources: 100, MalformedRatio: 0.02, Seed: 42})
	recs := make([]kafkaio.InRecord, n)
	bytes := 0
	var offsets [6]int64
	for i := range recs {
		r := g.Next()
		h := fnv.New32a()
		h.Write(r.Key)
		part := int32(h.Sum32() % 6) // keyed like a producer would: a source stays in one partition
		// A broker timestamp: milliseconds, taken after the producer's.
		appended := time.UnixMilli(time.Now().UnixMilli())
		recs[i] = kafkaio.InRecord{Topic: "events.in", Partition: part, Offset: offsets[part], Timestamp: appended, Key: r.Key, Value: r.Value}
		offsets[part]++
		bytes += len(r.Value)
	}
	return recs, bytes
}

// BenchmarkPipeline measures the pure data path of one member: decode →
// validate → summarise → classify → enrich → order → encode (outputs,
// dead letters, changelog) over windows of 10,000 records. Reported as
// events/s; run with -cpu 1 for the per-core figure in BENCHMARKS.md.
func BenchmarkPipeline(b *testing.B) {
	const window = 10000
	recs, size := benchWindow(window)
	p, err := newPipeline(topics{Input: "events.in", Output: "events.out", DLQ: "events.dlq", Changelog: "g-state"}, intake.Config{}.WithDefaults(), enrich.Config{}, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	states := map[int32]*partitionState{}
	state := func(part int32) *partitionState {
		if states[part] == nil {
			states[part] = newPartitionState()
		}
		return states[part]
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := p.process(recs, state, "bench-window", nil)
		if len(res.records) < window {
			b.Fatalf("window produced %d records", len(res.records))
		}
		p.commit()
	}
	b.StopTimer()
	events := float64(b.N) * window
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(0, "ns/op")
}
