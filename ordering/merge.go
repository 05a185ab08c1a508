package ordering

import (
	"bytes"
	"slices"

	"github.com/eventproc/eventproc/event"
)

// Merger computes a window's merge order in linear time. It relies on one
// fact of the pipeline: a source's events reach the merge in ascending
// sequence order (enrichment numbers them in input order). A stable sort
// by (priority, source_id) therefore yields the full contract order
// (priority > source_id > sequence), and with sources ranked once per
// window that stable sort is a counting sort over small integers.
//
// A Merger is reused across windows so that steady state allocates only
// for sources it has not seen before. Not safe for concurrent use.
type Merger struct {
	rank    map[string]*int32 // pointers: updating a rank must not re-insert (and allocate) the key
	sources [][]byte
	keys    []int32
	counts  []int32
}

// NewMerger returns an empty Merger.
func NewMerger() *Merger { return &Merger{rank: make(map[string]*int32)} }

// maxRetainedSources bounds the source ranks kept between windows.
const maxRetainedSources = 1 << 16

// Order appends to dst the indices 0..len(prio)-1 in merge order, where
// event i has priority prio[i] and source id src[i], and returns dst.
// Events of one source must be listed in ascending sequence order.
func (m *Merger) Order(dst []int32, prio []event.Priority, src [][]byte) []int32 {
	if len(m.rank) > maxRetainedSources {
		clear(m.rank)
	}
	// Rank the window's distinct sources byte-wise.
	m.sources = m.sources[:0]
	for _, s := range src {
		r, ok := m.rank[string(s)]
		if !ok {
			r = new(int32)
			*r = -1
			m.rank[string(s)] = r
		}
		if *r == -1 {
			*r = -2 // listed
			m.sources = append(m.sources, s)
		}
	}
	slices.SortFunc(m.sources, bytes.Compare)
	for i, s := range m.sources {
		*m.rank[string(s)] = int32(i)
	}
	n := int32(len(m.sources))

	// Key: CRITICAL sources first, each priority's sources by rank.
	m.keys = m.keys[:0]
	for i, s := range src {
		m.keys = append(m.keys, int32(event.PriorityCritical-prio[i])*n+*m.rank[string(s)])
	}
	buckets := int(event.NumPriorities) * int(n)
	m.counts = slices.Grow(m.counts[:0], buckets+1)[:buckets+1]
	clear(m.counts)
	for _, k := range m.keys {
		m.counts[k+1]++
	}
	for i := 1; i <= buckets; i++ {
		m.counts[i] += m.counts[i-1]
	}
	start := len(dst)
	dst = slices.Grow(dst, len(src))[:start+len(src)]
	for i, k := range m.keys {
		dst[start+int(m.counts[k])] = int32(i)
		m.counts[k]++
	}
	// Forget this window's ranks' values but keep the keys allocated: the
	// next window re-ranks, and known sources cost no allocation.
	for _, s := range m.sources {
		*m.rank[string(s)] = -1
	}
	return dst
}
