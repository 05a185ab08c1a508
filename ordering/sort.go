package ordering

import (
	"bytes"

	"github.com/eventproc/eventproc/event"
)

// Key is an event's place in the global merge order: priority (CRITICAL
// first) > source_id (byte-wise ascending) > sequence (ascending).
//
// Within a window every (SourceID, Sequence) pair is unique, so keys of
// distinct events never compare equal and the order is total.
type Key struct {
	Priority event.Priority
	SourceID []byte
	Sequence uint64
}

// Compare returns a negative number when a is published before b, a
// positive number when b is published before a, and 0 when the keys are
// equal. It is a strict weak ordering (in fact a total order on keys).
func Compare(a, b Key) int {
	// A higher priority value is more urgent and goes first.
	if a.Priority != b.Priority {
		if a.Priority > b.Priority {
			return -1
		}
		return 1
	}
	if c := bytes.Compare(a.SourceID, b.SourceID); c != 0 {
		return c
	}
	switch {
	case a.Sequence < b.Sequence:
		return -1
	case a.Sequence > b.Sequence:
		return 1
	}
	return 0
}

// Sort sorts items into merge order, keeping the input order of items with
// equal keys (stable). key must return the key of the item it is given and
// must not retain the pointer.
//
// Sort works in place and allocates nothing. It does not wrap
// slices.SortStableFunc on purpose: that comparator receives items by value,
// and handing &a to the opaque key func makes every comparison allocate two
// copies of T on the heap. Here key is only ever given pointers into items.
// The algorithm is the one slices.SortStableFunc uses (insertion-sorted
// blocks merged with SymMerge): O(n log n) comparisons, O(n log² n) swaps.
func Sort[T any](items []T, key func(*T) Key) {
	s := sorter[T]{items: items, key: key}
	s.stable()
}

// sorter carries the slice and key func through the sort's helpers. It
// lives on Sort's stack: key is only called, never stored beyond the call.
type sorter[T any] struct {
	items []T
	key   func(*T) Key
}

// less reports whether items[i] is published strictly before items[j].
func (s *sorter[T]) less(i, j int) bool {
	return Compare(s.key(&s.items[i]), s.key(&s.items[j])) < 0
}

func (s *sorter[T]) swap(i, j int) { s.items[i], s.items[j] = s.items[j], s.items[i] }

// insertionBlock is the size of the runs sorted by insertion before
// merging; the value slices.SortStableFunc uses.
const insertionBlock = 20

func (s *sorter[T]) stable() {
	n := len(s.items)
	a, b := 0, insertionBlock
	for b <= n {
		s.insertionSort(a, b)
		a, b = b, b+insertionBlock
	}
	s.insertionSort(a, n)

	for block := insertionBlock; block < n; block *= 2 {
		a, b = 0, 2*block
		for b <= n {
			s.symMerge(a, a+block, b)
			a, b = b, b+2*block
		}
		if m := a + block; m < n {
			s.symMerge(a, m, n)
		}
	}
}

func (s *sorter[T]) insertionSort(a, b int) {
	for i := a + 1; i < b; i++ {
		for j := i; j > a && s.less(j, j-1); j-- {
			s.swap(j, j-1)
		}
	}
}

// symMerge merges the sorted runs items[a:m] and items[m:b] stably
// (Kim & Kutzner, "Stable Minimum Storage Merging by Symmetric
// Comparisons", ESA 2004), as in the standard library. It assumes
// a < m && m < b.
func (s *sorter[T]) symMerge(a, m, b int) {
	if m-a == 1 {
		// Insert items[a] before the first element of items[m:b] that is
		// not less than it.
		i, j := m, b
		for i < j {
			h := int(uint(i+j) >> 1)
			if s.less(h, a) {
				i = h + 1
			} else {
				j = h
			}
		}
		for k := a; k < i-1; k++ {
			s.swap(k, k+1)
		}
		return
	}
	if b-m == 1 {
		// Insert items[m] after the last element of items[a:m] that is not
		// greater than it.
		i, j := a, m
		for i < j {
			h := int(uint(i+j) >> 1)
			if !s.less(m, h) {
				i = h + 1
			} else {
				j = h
			}
		}
		for k := m; k > i; k-- {
			s.swap(k, k-1)
		}
		return
	}

	mid := int(uint(a+b) >> 1)
	n := mid + m
	var start, r int
	if m > mid {
		start, r = n-b, mid
	} else {
		start, r = a, m
	}
	p := n - 1
	for start < r {
		c := int(uint(start+r) >> 1)
		if !s.less(p-c, c) {
			start = c + 1
		} else {
			r = c
		}
	}

	end := n - start
	if start < m && m < end {
		s.rotate(start, m, end)
	}
	if a < start && start < mid {
		s.symMerge(a, start, mid)
	}
	if mid < end && end < b {
		s.symMerge(mid, end, b)
	}
}

// rotate turns the adjacent blocks u = items[a:m], v = items[m:b] into
// v u, with at most b-a swaps. It assumes a < m && m < b.
func (s *sorter[T]) rotate(a, m, b int) {
	i, j := m-a, b-m
	for i != j {
		if i > j {
			s.swapRange(m-i, m, j)
			i -= j
		} else {
			s.swapRange(m-i, m+j-i, i)
			j -= i
		}
	}
	s.swapRange(m-i, m, i)
}

func (s *sorter[T]) swapRange(a, b, n int) {
	for i := 0; i < n; i++ {
		s.swap(a+i, b+i)
	}
}
