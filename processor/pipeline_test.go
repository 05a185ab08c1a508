package processor

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
)

// wallClock matches the one output field that may differ between two runs.
var wallClock = regexp.MustCompile(`"total_processing_time_ms":[0-9.e+-]+`)

// TestPipelineParallelMatchesSequential checks that splitting a window's
// decoding and encoding over two goroutines changes nothing: the same
// records (outputs, dead letters, changelog), in the same order, byte for
// byte except the wall-clock field, window after window.
func TestPipelineParallelMatchesSequential(t *testing.T) {
	recs, _ := benchWindow(6 * parallelMin)
	run := func(parallel bool) [][]kafkaio.OutRecord {
		p, err := newPipeline(topics{Input: "in", Output: "out", DLQ: "dlq", Changelog: "state"}, intake.Config{}.WithDefaults(), enrich.Config{}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.parallel = parallel
		states := map[int32]*partitionState{}
		state := func(part int32) *partitionState {
			if states[part] == nil {
				states[part] = newPartitionState()
			}
			return states[part]
		}
		var windows [][]kafkaio.OutRecord
		for w := 0; w < 3; w++ { // the state carries over: later windows continue sequences
			var emitted []kafkaio.OutRecord
			// Copies: the pipeline reuses its buffers in the next window
			// (in production the window has been flushed by then).
			keep := func(o kafkaio.OutRecord) {
				o.Key, o.Value = bytes.Clone(o.Key), bytes.Clone(o.Value)
				hs := make([]kafkaio.Header, len(o.Headers))
				for i, h := range o.Headers {
					hs[i] = kafkaio.Header{Key: h.Key, Value: bytes.Clone(h.Value)}
				}
				o.Headers = hs
				emitted = append(emitted, o)
			}
			res := p.process(recs[w*2*parallelMin:(w+1)*2*parallelMin], state, "w", keep)
			if len(emitted) != len(res.records) {
				t.Fatalf("parallel=%v: emitted %d records, returned %d", parallel, len(emitted), len(res.records))
			}
			windows = append(windows, emitted)
			p.commit()
		}
		return windows
	}
	seq, par := run(false), run(true)
	for w := range seq {
		if len(seq[w]) != len(par[w]) {
			t.Fatalf("window %d: %d records sequentially, %d in parallel", w, len(seq[w]), len(par[w]))
		}
		changelog := 0
		for i := range seq[w] {
			a, b := seq[w][i], par[w][i]
			if a.Topic == "state" {
				changelog++ // map order: compared as a set below
				continue
			}
			if a.Topic != b.Topic || a.Partition != b.Partition || !bytes.Equal(a.Key, b.Key) ||
				!bytes.Equal(wallClock.ReplaceAll(a.Value, nil), wallClock.ReplaceAll(b.Value, nil)) || fmt.Sprint(a.Headers) != fmt.Sprint(b.Headers) {
				t.Fatalf("window %d record %d differs:\n seq %s %d %s\n par %s %d %s", w, i, a.Topic, a.Partition, a.Value, b.Topic, b.Partition, b.Value)
			}
		}
		if changelog == 0 {
			t.Fatalf("window %d wrote no changelog records", w)
		}
		set := map[string]string{}
		for _, o := range seq[w] {
			if o.Topic == "state" {
				set[fmt.Sprint(o.Partition, string(o.Key))] = string(o.Value)
			}
		}
		for _, o := range par[w] {
			if o.Topic == "state" && set[fmt.Sprint(o.Partition, string(o.Key))] != string(o.Value) {
				t.Fatalf("window %d: changelog %q differs", w, o.Key)
			}
		}
	}
}
