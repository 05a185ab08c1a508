package ordering

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/eventproc/eventproc/event"
)

func TestCompare(t *testing.T) {
	k := func(p event.Priority, src string, seq uint64) Key {
		return Key{Priority: p, SourceID: []byte(src), Sequence: seq}
	}
	tests := []struct {
		name string
		a, b Key
		want int // sign
	}{
		{"critical before high", k(event.PriorityCritical, "z", 9), k(event.PriorityHigh, "a", 1), -1},
		{"high before medium", k(event.PriorityHigh, "z", 9), k(event.PriorityMedium, "a", 1), -1},
		{"medium before low", k(event.PriorityMedium, "z", 9), k(event.PriorityLow, "a", 1), -1},
		{"low after critical", k(event.PriorityLow, "a", 1), k(event.PriorityCritical, "z", 9), 1},
		{"source byte-wise ascending", k(event.PriorityLow, "a", 9), k(event.PriorityLow, "b", 1), -1},
		{"upper case sorts before lower case", k(event.PriorityLow, "Z", 1), k(event.PriorityLow, "a", 1), -1},
		{"prefix sorts first", k(event.PriorityLow, "ab", 5), k(event.PriorityLow, "abc", 1), -1},
		{"bytes, not runes", k(event.PriorityLow, "\xff", 1), k(event.PriorityLow, "é", 1), 1},
		{"empty source first", k(event.PriorityLow, "", 7), k(event.PriorityLow, "a", 1), -1},
		{"sequence ascending", k(event.PriorityLow, "a", 2), k(event.PriorityLow, "a", 10), -1},
		{"sequence descending", k(event.PriorityLow, "a", 10), k(event.PriorityLow, "a", 2), 1},
		{"equal", k(event.PriorityHigh, "a", 3), k(event.PriorityHigh, "a", 3), 0},
		{"nil and empty source equal", Key{Priority: event.PriorityLow}, k(event.PriorityLow, "", 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sign(Compare(tt.a, tt.b)); got != tt.want {
				t.Errorf("Compare(%v, %v) sign = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// randomKey draws from a small domain so that ties on every component are
// frequent: the interesting cases for an ordering.
func randomKey(r *rand.Rand, sources int, maxSeq uint64) Key {
	return Key{
		Priority: event.Priority(r.IntN(event.NumPriorities)),
		SourceID: []byte(fmt.Sprintf("src-%02d", r.IntN(sources))),
		Sequence: 1 + r.Uint64N(maxSeq),
	}
}

// TestCompareIsStrictWeakOrder checks on random triples that Compare is
// reflexive-equal, antisymmetric and transitive (for < and for ==), the
// properties a sort relies on.
func TestCompareIsStrictWeakOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		a, b, c := randomKey(r, 3, 3), randomKey(r, 3, 3), randomKey(r, 3, 3)
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(a, a) != 0 for %v", a)
		}
		if sign(Compare(a, b)) != -sign(Compare(b, a)) {
			t.Fatalf("not antisymmetric: %v, %v", a, b)
		}
		ab, bc, ac := sign(Compare(a, b)), sign(Compare(b, c)), sign(Compare(a, c))
		if ab < 0 && bc < 0 && ac >= 0 {
			t.Fatalf("< not transitive: %v < %v < %v but Compare(a, c) = %d", a, b, c, ac)
		}
		if ab == 0 && bc == 0 && ac != 0 {
			t.Fatalf("== not transitive: %v, %v, %v", a, b, c)
		}
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("<= not transitive: %v, %v, %v", a, b, c)
		}
	}
}

// windowItem is a test element: a key plus its position in the input, to
// observe permutation and stability.
type windowItem struct {
	key   Key
	input int
}

func itemKey(it *windowItem) Key { return it.key }

func randomWindow(r *rand.Rand, n, sources int, maxSeq uint64) []windowItem {
	w := make([]windowItem, n)
	for i := range w {
		w[i] = windowItem{key: randomKey(r, sources, maxSeq), input: i}
	}
	return w
}

// TestSortProperties sorts random windows (sizes around the insertion
// block and the merge boundaries, many ties) and checks that the result is
// a permutation of the input, in merge order, stable for equal keys, and
// identical to the standard library's stable sort used as an oracle.
func TestSortProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sizes := []int{0, 1, 2, 19, 20, 21, 39, 40, 41, 77, 160, 1000, 4099}
	for _, n := range sizes {
		for round := 0; round < 5; round++ {
			t.Run(fmt.Sprintf("n=%d/round=%d", n, round), func(t *testing.T) {
				w := randomWindow(r, n, 1+r.IntN(8), 1+r.Uint64N(6))
				oracle := slices.Clone(w)
				slices.SortStableFunc(oracle, func(a, b windowItem) int { return Compare(a.key, b.key) })

				Sort(w, itemKey)

				seen := make([]bool, n)
				for i, it := range w {
					if seen[it.input] {
						t.Fatalf("input %d appears twice", it.input)
					}
					seen[it.input] = true
					if i == 0 {
						continue
					}
					prev := w[i-1]
					switch c := Compare(prev.key, it.key); {
					case c > 0:
						t.Fatalf("position %d: %v sorted before %v", i, prev.key, it.key)
					case c == 0 && prev.input > it.input:
						t.Fatalf("position %d: equal keys %v out of input order (%d before %d)", i, it.key, prev.input, it.input)
					}
				}
				if !slices.Equal(inputs(w), inputs(oracle)) {
					t.Fatalf("differs from slices.SortStableFunc")
				}
			})
		}
	}
}

// TestSortDeterministic: with unique keys (as in a real window, where
// (source, sequence) is unique) the result does not depend on the order
// the events arrived in.
func TestSortDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	base := uniqueWindow(r, 500, 17)
	want := slices.Clone(base)
	Sort(want, itemKey)
	for round := 0; round < 20; round++ {
		w := slices.Clone(base)
		r.Shuffle(len(w), func(i, j int) { w[i], w[j] = w[j], w[i] })
		Sort(w, itemKey)
		for i := range w {
			if Compare(w[i].key, want[i].key) != 0 {
				t.Fatalf("round %d: position %d is %v, want %v", round, i, w[i].key, want[i].key)
			}
		}
	}
}

// uniqueWindow builds n events of the given number of sources, each
// source numbered 1, 2, 3, …, with random priorities.
func uniqueWindow(r *rand.Rand, n, sources int) []windowItem {
	next := make([]uint64, sources)
	w := make([]windowItem, n)
	for i := range w {
		s := r.IntN(sources)
		next[s]++
		w[i] = windowItem{input: i, key: Key{
			Priority: event.Priority(r.IntN(event.NumPriorities)),
			SourceID: []byte(fmt.Sprintf("source-%03d", s)),
			Sequence: next[s],
		}}
	}
	return w
}

func TestSortDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	base := uniqueWindow(r, 1000, 50)
	w := make([]windowItem, len(base))
	allocs := testing.AllocsPerRun(20, func() {
		copy(w, base)
		Sort(w, itemKey)
	})
	if allocs != 0 {
		t.Errorf("Sort allocated %.1f times per call, want 0", allocs)
	}
}

// pendingEvent resembles what the processor buffers per window: the event
// and its derived values, sorted by value.
type pendingEvent struct {
	ev      *event.Event
	derived event.Derived
}

func pendingKey(p *pendingEvent) Key {
	return Key{Priority: p.ev.Priority, SourceID: p.ev.SourceID, Sequence: p.derived.SequenceNumber}
}

// BenchmarkSort sorts a full default window (10k events) of ~100
// sources with random priorities. Each iteration restores the unsorted
// window first (a 10k-element copy, included in the time).
func BenchmarkSort(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, sources = 10000, 100
	events := make([]event.Event, sources)
	for i := range events {
		events[i].SourceID = []byte(fmt.Sprintf("service-%03d", i))
	}
	next := make([]uint64, sources)
	base := make([]pendingEvent, n)
	for i := range base {
		s := r.IntN(sources)
		next[s]++
		ev := events[s] // a copy per event, like a decoded window
		ev.Priority = event.Priority(r.IntN(event.NumPriorities))
		base[i] = pendingEvent{ev: &ev, derived: event.Derived{SequenceNumber: next[s]}}
	}

	b.Run("values", func(b *testing.B) {
		w := make([]pendingEvent, n)
		b.ReportAllocs()
		for b.Loop() {
			copy(w, base)
			Sort(w, pendingKey)
		}
	})
	b.Run("pointers", func(b *testing.B) {
		ptrs := make([]*pendingEvent, n)
		w := make([]*pendingEvent, n)
		for i := range base {
			ptrs[i] = &base[i]
		}
		b.ReportAllocs()
		for b.Loop() {
			copy(w, ptrs)
			Sort(w, func(p **pendingEvent) Key { return pendingKey(*p) })
		}
	})
}

func sign(c int) int { return cmp.Compare(c, 0) }

func inputs(w []windowItem) []int {
	out := make([]int, len(w))
	for i, it := range w {
		out[i] = it.input
	}
	return out
}
