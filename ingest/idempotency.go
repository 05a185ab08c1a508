package ingest

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// response is what a request was answered, kept to replay it.
type response struct {
	status int
	body   []byte
}

// remembered is one Idempotency-Key: the hash of the request it was
// first used with and, once that request finished, its response. done is
// closed when the response is set.
type remembered struct {
	key     string
	hash    [sha256.Size]byte
	created time.Time
	done    chan struct{}
	resp    response
	elem    *list.Element
}

// idempotencyWindow remembers responses by Idempotency-Key for a bounded
// time and a bounded number of keys (the oldest key goes first), so a
// client retrying after a timeout gets the original answer instead of a
// second copy of its events. It is safe for concurrent use.
type idempotencyWindow struct {
	ttl  time.Duration
	max  int
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*remembered
	// order lists keys oldest first (by creation), for expiry and eviction.
	order *list.List
}

func newIdempotencyWindow(ttl time.Duration, max int, now func() time.Time) *idempotencyWindow {
	return &idempotencyWindow{ttl: ttl, max: max, now: now, keys: make(map[string]*remembered), order: list.New()}
}

// claimOutcome says what to do with a request carrying a key.
type claimOutcome uint8

const (
	claimNew      claimOutcome = iota // first use: process it, then finish
	claimReplay                       // same key, same body: replay entry's response (wait for done)
	claimConflict                     // same key, different body: 422
)

// claim looks key up. A new key is remembered as in progress; the caller
// must then call finish or forget on the returned entry.
func (w *idempotencyWindow) claim(key string, hash [sha256.Size]byte) (*remembered, claimOutcome) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	w.expire(now)
	if r, ok := w.keys[key]; ok {
		if r.hash != hash {
			return r, claimConflict
		}
		return r, claimReplay
	}
	for len(w.keys) >= w.max {
		w.drop(w.order.Front().Value.(*remembered))
	}
	r := &remembered{key: key, hash: hash, created: now, done: make(chan struct{})}
	r.elem = w.order.PushBack(r)
	w.keys[key] = r
	return r, claimNew
}

// finish stores the response of a claimed key and releases its waiters.
func (w *idempotencyWindow) finish(r *remembered, resp response) {
	w.mu.Lock()
	r.resp = resp
	w.mu.Unlock()
	close(r.done)
}

// forget drops a claimed key whose request was not carried out (refused
// for load or a broker failure), so a retry is processed afresh; waiters
// get resp.
func (w *idempotencyWindow) forget(r *remembered, resp response) {
	w.mu.Lock()
	if w.keys[r.key] == r {
		w.drop(r)
	}
	r.resp = resp
	w.mu.Unlock()
	close(r.done)
}

// result returns a finished entry's response; call after done is closed.
func (w *idempotencyWindow) result(r *remembered) response {
	w.mu.Lock()
	defer w.mu.Unlock()
	return r.resp
}

// len is the number of remembered keys.
func (w *idempotencyWindow) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.keys)
}

// expire drops keys older than the window; w.mu is held.
func (w *idempotencyWindow) expire(now time.Time) {
	for e := w.order.Front(); e != nil; e = w.order.Front() {
		r := e.Value.(*remembered)
		if now.Sub(r.created) < w.ttl {
			return
		}
		w.drop(r)
	}
}

// drop removes r; w.mu is held. Waiters holding r still get its response.
func (w *idempotencyWindow) drop(r *remembered) {
	w.order.Remove(r.elem)
	delete(w.keys, r.key)
}
