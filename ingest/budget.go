package ingest

import "sync"

// inflightBudget bounds the bytes of the requests held at once. Bytes
// are reserved before a body is read, so a flood of requests is refused
// (429) instead of growing the heap.
type inflightBudget struct {
	mu   sync.Mutex
	used int64
	max  int64
}

// tryReserve takes n bytes if they fit.
func (b *inflightBudget) tryReserve(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// release gives back n reserved bytes.
func (b *inflightBudget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// inUse returns the bytes currently reserved.
func (b *inflightBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
