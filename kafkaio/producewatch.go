package kafkaio

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Right after a transaction commits, a broker may answer the next
// transaction's first request for a partition with CONCURRENT_TRANSACTIONS
// (the previous transaction's markers are still being written there): the
// produce itself when it adds the partition to the transaction (the
// client retries the batch after a metadata refresh), or the
// AddPartitionsToTxn that adds it (retried after a short backoff).
// franz-go's hooks do not see a response's per-partition errors, so a
// session counts them by watching its connections' produce and
// AddPartitionsToTxn requests and responses. The
// watch reads the bytes the client writes and reads, never changes them,
// and stops watching a connection whose bytes it cannot follow.

// dialTimeout is franz-go's default dial timeout, kept for wrapped dials.
const dialTimeout = 10 * time.Second

// wrappedDialer dials like franz-go (with TLS when tc is set, server name
// from the address unless set) and wraps the connection.
func wrappedDialer(tc *tls.Config, wrap func(net.Conn) net.Conn) func(ctx context.Context, network, host string) (net.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	return func(ctx context.Context, network, host string) (net.Conn, error) {
		var conn net.Conn
		var err error
		if tc != nil {
			c := tc.Clone()
			if c.ServerName == "" {
				if c.ServerName, _, err = net.SplitHostPort(host); err != nil {
					return nil, err
				}
			}
			conn, err = (&tls.Dialer{NetDialer: d, Config: c}).DialContext(ctx, network, host)
		} else {
			conn, err = d.DialContext(ctx, network, host)
		}
		if err != nil {
			return nil, err
		}
		return wrap(conn), nil
	}
}

// API keys of the watched requests.
const (
	produceKey            = 0
	addPartitionsToTxnKey = 24
)

// watchedRequest is a request awaiting its response.
type watchedRequest struct {
	key, version int16
}

// watchProduce wraps conn so that onConcurrent is called with the number
// of partitions each produce or AddPartitionsToTxn response answered
// CONCURRENT_TRANSACTIONS.
func watchProduce(conn net.Conn, onConcurrent func(partitions int)) net.Conn {
	w := &produceWatchConn{Conn: conn, onConcurrent: onConcurrent, awaiting: make(map[int32]watchedRequest)}
	w.requests.peek, w.requests.onPeek = 8, w.request
	w.responses.peek, w.responses.onPeek, w.responses.onBody = 4, w.isWatchedResponse, w.response
	return w
}

type produceWatchConn struct {
	net.Conn
	onConcurrent func(int)

	mu sync.Mutex
	// awaiting maps the correlation id of each watched request awaiting
	// its response to the request's key and version.
	awaiting  map[int32]watchedRequest
	requests  frames // written by the client's writer goroutine
	responses frames // read by the client's reader goroutine
}

func (w *produceWatchConn) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	w.requests.feed(p[:n])
	return n, err
}

func (w *produceWatchConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.responses.feed(p[:n])
	return n, err
}

// request notes a watched request's key and version: the body starts
// with the API key, the version and the correlation id.
func (w *produceWatchConn) request(head []byte) bool {
	if key := int16(binary.BigEndian.Uint16(head)); key == produceKey || key == addPartitionsToTxnKey {
		w.mu.Lock()
		w.awaiting[int32(binary.BigEndian.Uint32(head[4:]))] = watchedRequest{key, int16(binary.BigEndian.Uint16(head[2:]))}
		w.mu.Unlock()
	}
	return false
}

// isWatchedResponse reports whether the response (body starting with the
// correlation id) answers a watched request: its body is then kept.
func (w *produceWatchConn) isWatchedResponse(head []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.awaiting[int32(binary.BigEndian.Uint32(head))]
	return ok
}

func (w *produceWatchConn) response(body []byte) {
	id := int32(binary.BigEndian.Uint32(body))
	w.mu.Lock()
	req := w.awaiting[id]
	delete(w.awaiting, id)
	w.mu.Unlock()
	var n int
	switch req.key {
	case produceKey:
		n = concurrentTransactionPartitions(req.version, body[4:])
	case addPartitionsToTxnKey:
		n = concurrentAddPartitions(req.version, body[4:])
	}
	if n > 0 {
		w.onConcurrent(n)
	}
}

// readResponse decodes a response body (after the correlation id) into
// resp, skipping the flexible header's tags; false when it cannot.
func readResponse(resp kmsg.Response, b []byte) bool {
	if resp.IsFlexible() { // the response header has tagged fields
		r := kbin.Reader{Src: b}
		kmsg.SkipTags(&r)
		if r.Complete() != nil {
			return false
		}
		b = r.Src
	}
	return resp.ReadFrom(b) == nil
}

// concurrentTransactionPartitions decodes a produce response (after the
// correlation id) and counts its partitions answered
// CONCURRENT_TRANSACTIONS; 0 for a response it cannot decode.
func concurrentTransactionPartitions(version int16, b []byte) int {
	resp := kmsg.ProduceResponse{Version: version}
	if !readResponse(&resp, b) {
		return 0
	}
	n := 0
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode == kerr.ConcurrentTransactions.Code {
				n++
			}
		}
	}
	return n
}

// concurrentAddPartitions decodes an AddPartitionsToTxn response (after
// the correlation id) and counts its partitions answered
// CONCURRENT_TRANSACTIONS; 0 for a response it cannot decode.
func concurrentAddPartitions(version int16, b []byte) int {
	resp := kmsg.AddPartitionsToTxnResponse{Version: version}
	if !readResponse(&resp, b) {
		return 0
	}
	n := 0
	for _, t := range resp.Topics { // v0-3, the versions clients send
		for _, p := range t.Partitions {
			if p.ErrorCode == kerr.ConcurrentTransactions.Code {
				n++
			}
		}
	}
	for _, txn := range resp.Transactions { // v4+, batched by brokers
		for _, t := range txn.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode == kerr.ConcurrentTransactions.Code {
					n++
				}
			}
		}
	}
	return n
}

// frames follows a stream of size-prefixed Kafka frames: onPeek sees the
// first peek bytes of each frame's body and decides whether the whole
// body goes to onBody. A frame too short to peek stops the watch.
type frames struct {
	peek   int
	onPeek func(head []byte) (keep bool)
	onBody func(body []byte)

	size    [4]byte
	sizeN   int
	total   int // body bytes of the current frame
	left    int // of which still to come
	head    []byte
	keep    bool
	body    []byte
	stopped bool
}

// maxKeptFrame bounds the body kept for decoding (produce responses are
// small: an error code and offsets per partition).
const maxKeptFrame = 1 << 20

func (f *frames) feed(p []byte) {
	for len(p) > 0 && !f.stopped {
		if f.sizeN < 4 {
			c := copy(f.size[f.sizeN:], p)
			f.sizeN += c
			p = p[c:]
			if f.sizeN == 4 {
				f.left = int(int32(binary.BigEndian.Uint32(f.size[:])))
				f.total = f.left
				if f.left < f.peek {
					f.stopped = true
					return
				}
				f.head, f.keep, f.body = f.head[:0], false, f.body[:0]
			}
			continue
		}
		c := min(len(p), f.left)
		chunk := p[:c]
		p, f.left = p[c:], f.left-c
		if need := f.peek - len(f.head); need > 0 {
			h := chunk[:min(need, len(chunk))]
			f.head = append(f.head, h...)
			if len(f.head) == f.peek {
				f.keep = f.onPeek(f.head) && f.onBody != nil && f.total <= maxKeptFrame
				if f.keep {
					f.body = append(f.body, f.head...)
				}
			}
			chunk = chunk[len(h):]
		}
		if f.keep {
			f.body = append(f.body, chunk...)
		}
		if f.left == 0 {
			if f.keep {
				f.onBody(f.body)
			}
			f.sizeN = 0
		}
	}
}
