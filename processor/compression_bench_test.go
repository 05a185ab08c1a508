package processor

import (
	"bytes"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
)

// BenchmarkOutputCompression measures the producer's batch codecs on what
// eventproc produces: one window of 10,000 generated records is processed,
// its records (outputs, dead letters, changelog) are laid out as each
// partition's record batches would hold them (key, value, header keys and
// values, batches of at most 1 MiB as franz-go's default producer cuts
// them), and every batch is compressed with franz-go's compressor. It
// reports the producer CPU per input event and the compressed share of
// the bytes (what the broker stores).
func BenchmarkOutputCompression(b *testing.B) {
	const window = 10000
	recs, _ := benchWindow(window)
	p, err := newPipeline(topics{Input: "events.in", Output: "events.out", DLQ: "events.dlq", Changelog: "g-state"}, intake.Config{}.WithDefaults(), enrich.Config{}, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	p.setGroup("eventproc")
	states := map[int32]*partitionState{}
	res := p.process(recs, func(part int32) *partitionState {
		if states[part] == nil {
			states[part] = newPartitionState()
		}
		return states[part]
	}, "bench-window", nil)

	type key struct {
		topic string
		part  int32
	}
	open := map[key]*bytes.Buffer{}
	var batches [][]byte
	raw := 0
	for _, o := range res.records {
		k := key{o.Topic, o.Partition}
		buf := open[k]
		if buf == nil || buf.Len() >= 1<<20 {
			if buf != nil {
				batches = append(batches, buf.Bytes())
			}
			buf = new(bytes.Buffer)
			open[k] = buf
		}
		buf.Write(o.Key)
		buf.Write(o.Value)
		for _, h := range o.Headers {
			buf.WriteString(h.Key)
			buf.Write(h.Value)
		}
	}
	for _, buf := range open {
		batches = append(batches, buf.Bytes())
	}
	for _, bt := range batches {
		raw += len(bt)
	}

	for _, c := range []struct {
		name  string
		codec kgo.CompressionCodec
	}{
		{"none", kgo.NoCompression()}, {"snappy", kgo.SnappyCompression()}, {"lz4", kgo.Lz4Compression()}, {"zstd", kgo.ZstdCompression()},
	} {
		b.Run(c.name, func(b *testing.B) {
			comp, err := kgo.DefaultCompressor(c.codec)
			if err != nil {
				b.Fatal(err)
			}
			var dst bytes.Buffer
			stored := 0
			b.SetBytes(int64(raw))
			b.ResetTimer()
			for b.Loop() {
				stored = 0
				for _, bt := range batches {
					if comp == nil { // no compression: the batch is stored as it is
						stored += len(bt)
						continue
					}
					dst.Reset()
					out, _ := comp.Compress(&dst, bt)
					stored += len(out)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*window), "ns/event")
			b.ReportMetric(float64(stored)/float64(raw), "stored/raw")
			b.ReportMetric(float64(stored)/window, "stored-B/event")
		})
	}
}
