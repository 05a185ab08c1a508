package processor

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/eventproc/eventproc/enrich"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
)

// windowDigest is a window's records as comparable lines: outputs and
// dead letters in transaction order (without the wall-clock field), then
// the changelog records sorted (their order follows map iteration).
func windowDigest(res windowResult) []string {
	var lines, state []string
	for _, o := range res.records {
		line := fmt.Sprintf("%s[%d] %s %s %v", o.Topic, o.Partition, o.Key, wallClock.ReplaceAll(o.Value, nil), o.Headers)
		if o.Topic == "state" {
			state = append(state, line)
			continue
		}
		lines = append(lines, line)
	}
	slices.Sort(state)
	return append(lines, state...)
}

// overlayRig processes windows of one record set under a schedule of
// pipelines, against one committed state.
type overlayRig struct {
	t      *testing.T
	pipes  [2]*pipeline
	states map[int32]*partitionState
}

func newOverlayRig(t *testing.T) *overlayRig {
	rig := &overlayRig{t: t, states: map[int32]*partitionState{}}
	for i := range rig.pipes {
		p, err := newPipeline(topics{Input: "in", Output: "out", DLQ: "dlq", Changelog: "state"}, intake.Config{}.WithDefaults(), enrich.Config{}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		rig.pipes[i] = p
	}
	return rig
}

func (rig *overlayRig) state(part int32) *partitionState {
	if rig.states[part] == nil {
		rig.states[part] = newPartitionState()
	}
	return rig.states[part]
}

// process runs recs through pipeline i on top of under's uncommitted
// window (nil: on the committed state) and returns the window's digest,
// taken at once: the pipeline reuses its buffers.
func (rig *overlayRig) process(i int, under *pipeline, recs []kafkaio.InRecord) []string {
	p := rig.pipes[i]
	p.under = under
	return windowDigest(p.process(recs, rig.state, "w", nil))
}

// snapshot is the committed state, comparable.
func (rig *overlayRig) snapshot() string {
	var b bytes.Buffer
	for _, part := range slices.Sorted(maps.Keys(rig.states)) {
		ps := rig.states[part]
		fmt.Fprintf(&b, "partition %d publish %+v next %d\n", part, ps.publish, ps.nextOffset)
		for _, id := range slices.Sorted(maps.Keys(ps.sources)) {
			fmt.Fprintf(&b, "  %s %+v\n", id, ps.sources[id])
		}
	}
	return b.String()
}

// TestPipelinedWindowsMatchSequential checks the overlays of windows
// processed while the window before is uncommitted: window k+1, processed
// on top of window k's uncommitted changes by the other pipeline, gives
// the same records and, once both commit in order, the same committed
// state as processing them one after another. A window dropped with the
// aborted window under it leaves no trace.
func TestPipelinedWindowsMatchSequential(t *testing.T) {
	recs, _ := benchWindow(3000)
	windows := [][]kafkaio.InRecord{recs[:1000], recs[1000:2000], recs[2000:]}

	seq := newOverlayRig(t)
	var want [][]string
	for _, w := range windows {
		want = append(want, seq.process(0, nil, w))
		seq.pipes[0].commit()
	}

	piped := newOverlayRig(t)
	a, b := piped.pipes[0], piped.pipes[1]
	var got [][]string
	got = append(got, piped.process(0, nil, windows[0]))
	// Window 1 is processed while window 0 is uncommitted, then both are
	// dropped (window 0's transaction aborted): the committed state must
	// be untouched.
	before := piped.snapshot()
	piped.process(1, a, windows[1])
	if after := piped.snapshot(); after != before {
		t.Fatalf("processing on top of an uncommitted window changed the committed state:\nbefore %s\nafter %s", before, after)
	}
	// The retry: window 0 again, window 1 on top of it, window 0
	// commits, window 2 on top of window 1, then windows 1 and 2 commit.
	got[0] = piped.process(0, nil, windows[0])
	got = append(got, piped.process(1, a, windows[1]))
	a.commit()
	got = append(got, piped.process(0, b, windows[2]))
	b.commit()
	a.commit()

	for w := range want {
		if len(got[w]) != len(want[w]) {
			t.Fatalf("window %d: %d records pipelined, %d sequentially", w, len(got[w]), len(want[w]))
		}
		for i := range want[w] {
			if got[w][i] != want[w][i] {
				t.Fatalf("window %d record %d differs:\n pipelined  %s\n sequential %s", w, i, got[w][i], want[w][i])
			}
		}
	}
	if g, w := piped.snapshot(), seq.snapshot(); g != w {
		t.Fatalf("committed state differs:\npipelined %s\nsequential %s", g, w)
	}
}
