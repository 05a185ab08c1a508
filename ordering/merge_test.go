package ordering

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// TestMergerMatchesSort checks, on random windows whose sources list their
// events in ascending sequence order (as the pipeline guarantees), that the
// linear-time Merger yields exactly the order of the reference Sort, and
// that a reused Merger keeps doing so window after window.
func TestMergerMatchesSort(t *testing.T) {
	m := NewMerger()
	rng := rand.New(rand.NewPCG(1, 2))
	for window := 0; window < 300; window++ {
		n := rng.IntN(400)
		sources := 1 + rng.IntN(40)
		prio := make([]event.Priority, n)
		src := make([][]byte, n)
		keys := make([]Key, n)
		seq := map[string]uint64{}
		for i := range n {
			s := fmt.Sprintf("src-%02d", rng.IntN(sources))
			if rng.IntN(10) == 0 {
				s = fmt.Sprintf("new-%d-%d", window, rng.IntN(3)) // sources come and go
			}
			seq[s]++
			prio[i] = event.Priority(rng.IntN(event.NumPriorities))
			src[i] = []byte(s)
			keys[i] = Key{Priority: prio[i], SourceID: src[i], Sequence: seq[s]}
		}
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		Sort(want, func(i *int32) Key { return keys[*i] })
		got := m.Order(nil, prio, src)
		if !slices.Equal(got, want) {
			t.Fatalf("window %d (%d events): merger order differs from Sort\n got %v\nwant %v", window, n, got, want)
		}
	}
}

func TestMergerAppendsToDst(t *testing.T) {
	m := NewMerger()
	got := m.Order([]int32{99}, []event.Priority{event.PriorityLow, event.PriorityCritical}, [][]byte{[]byte("a"), []byte("b")})
	if want := []int32{99, 1, 0}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func BenchmarkMerger(b *testing.B) {
	const n = 10000
	rng := rand.New(rand.NewPCG(3, 4))
	prio := make([]event.Priority, n)
	src := make([][]byte, n)
	for i := range n {
		prio[i] = event.Priority(rng.IntN(event.NumPriorities))
		src[i] = []byte(fmt.Sprintf("source-%03d", rng.IntN(100)))
	}
	m := NewMerger()
	dst := make([]int32, 0, n)
	b.ReportAllocs()
	for b.Loop() {
		dst = m.Order(dst[:0], prio, src)
	}
}
