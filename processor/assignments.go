package processor

import (
	"slices"
	"sync"
)

// assignments collects partition changes from franz-go's callbacks for the
// loop to apply between windows.
type assignments struct {
	mu      sync.Mutex
	owned   map[int32]bool
	revoked []int32
	changes int
	// joined is set once the session's first join completed (franz-go
	// reports every completed join, with or without new partitions).
	joined bool
}

func (a *assignments) assigned(ps []int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.joined = true
	if len(ps) == 0 {
		return
	}
	for _, p := range ps {
		a.owned[p] = true
	}
	a.changes++
}

func (a *assignments) revoke(ps []int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range ps {
		delete(a.owned, p)
	}
	a.revoked = append(a.revoked, ps...)
	a.changes++
}

// take returns the partitions revoked since the last call, the partitions
// owned now, and how many changes happened.
func (a *assignments) take() (revoked, owned []int32, changes int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	revoked, a.revoked = a.revoked, nil
	for p := range a.owned {
		owned = append(owned, p)
	}
	changes, a.changes = a.changes, 0
	slices.Sort(owned)
	return revoked, owned, changes
}

// changed reports changes not yet taken.
func (a *assignments) changed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changes > 0 // a revoke counts as a change
}

func (a *assignments) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.owned)
	a.revoked = nil
	a.joined = false
}

// inGroup reports whether the session completed a join of the group.
func (a *assignments) inGroup() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.joined
}

// current returns the partitions owned now, leaving the changes for take.
func (a *assignments) current() []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	owned := make([]int32, 0, len(a.owned))
	for p := range a.owned {
		owned = append(owned, p)
	}
	slices.Sort(owned)
	return owned
}
