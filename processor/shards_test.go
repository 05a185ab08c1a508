package processor

import (
	"fmt"
	"slices"
	"testing"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
)

// TestPipelineShardCounts checks that the number of shards a window is
// split over changes nothing: with 1, 2, 3 and 5 shards (runs of unequal
// length included) every window produces the same records in the same
// order, byte for byte except the wall-clock field and the changelog's
// map order, window after window.
func TestPipelineShardCounts(t *testing.T) {
	recs, _ := benchWindow(6 * parallelMin)
	run := func(shards int) [][]string {
		t.Helper()
		p, err := newPipeline(topics{Input: "in", Output: "out", DLQ: "dlq", Changelog: "state"}, intake.Config{}.WithDefaults(), enrich.Config{}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.setShards(shards, intake.Config{}.WithDefaults()); err != nil {
			t.Fatal(err)
		}
		p.setGroup("g")
		states := map[int32]*partitionState{}
		state := func(part int32) *partitionState {
			if states[part] == nil {
				states[part] = newPartitionState()
			}
			return states[part]
		}
		var windows [][]string
		for w := 0; w < 3; w++ {
			res := p.process(recs[w*2*parallelMin:(w+1)*2*parallelMin], state, "w", nil)
			if !slices.ContainsFunc(res.records, func(o kafkaio.OutRecord) bool { return o.Topic == "state" }) {
				t.Fatalf("%d shards, window %d: no changelog records", shards, w)
			}
			windows = append(windows, windowDigest(res))
			p.commit()
		}
		return windows
	}
	want := run(1)
	for _, shards := range []int{2, 3, 5} {
		got := run(shards)
		for w := range want {
			if len(got[w]) != len(want[w]) {
				t.Fatalf("%d shards, window %d: %d records, 1 shard: %d", shards, w, len(got[w]), len(want[w]))
			}
			for i := range want[w] {
				if got[w][i] != want[w][i] {
					t.Fatalf("%d shards, window %d record %d differs:\n got %s\nwant %s", shards, w, i, got[w][i], want[w][i])
				}
			}
		}
	}
}

// TestShardsFor checks how many shards windows of several sizes use.
func TestShardsFor(t *testing.T) {
	p := &pipeline{parallel: true, decoders: make([]decodeShard, 4)}
	for _, tt := range []struct{ n, want int }{
		{0, 1}, {1, 1}, {parallelMin - 1, 1}, {parallelMin, 2}, {3 * parallelMin / 2, 3}, {10 * parallelMin, 4},
	} {
		if got := p.shardsFor(tt.n); got != tt.want {
			t.Errorf("shardsFor(%d) with 4 shards = %d, want %d", tt.n, got, tt.want)
		}
	}
	p.parallel = false
	if got := p.shardsFor(10 * parallelMin); got != 1 {
		t.Errorf("shardsFor without parallel = %d, want 1", got)
	}
	// Runs cover the records exactly once, in order.
	for _, n := range []int{7, 1000, 1001} {
		for k := 1; k <= 5; k++ {
			next := 0
			for i := range k {
				lo, hi := shardBounds(n, k, i)
				if lo != next || hi < lo {
					t.Fatalf("shardBounds(%d, %d, %d) = [%d, %d), want start %d", n, k, i, lo, hi, next)
				}
				next = hi
			}
			if next != n {
				t.Fatalf("shardBounds(%d, %d, ·) end at %d", n, k, next)
			}
		}
	}
}

// TestChangelogOneRecordPerTouchedSource checks that a window writes one
// changelog record per source it touched (not per event) plus one
// checkpoint per input partition.
func TestChangelogOneRecordPerTouchedSource(t *testing.T) {
	recs, _ := benchWindow(4 * parallelMin)
	p, err := newPipeline(topics{Input: "in", Output: "out", DLQ: "dlq", Changelog: "state"}, intake.Config{}.WithDefaults(), enrich.Config{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	states := map[int32]*partitionState{}
	res := p.process(recs, func(part int32) *partitionState {
		if states[part] == nil {
			states[part] = newPartitionState()
		}
		return states[part]
	}, "w", nil)
	touched := map[string]bool{}
	partitions := map[int32]bool{}
	for i := range recs {
		partitions[recs[i].Partition] = true
	}
	for i := range p.items {
		touched[fmt.Sprint(recs[p.items[i].rec].Partition, "/", string(p.items[i].ev.SourceID))] = true
	}
	changelog := 0
	for _, o := range res.records {
		if o.Topic == "state" {
			changelog++
		}
	}
	if want := len(touched) + len(partitions); changelog != want || changelog >= res.accepted {
		t.Fatalf("%d changelog records for %d accepted events, %d touched sources on %d partitions: want %d", changelog, res.accepted, len(touched), len(partitions), want)
	}
}
