package ingest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventproc/eventproc/intake"
)

// Paths served by Handler.
const (
	PathEvents  = "/v1/events"
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathMetrics = "/metrics"
)

// Headers with a meaning to Handler.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderReplayed is set on a response replayed from the window.
	HeaderReplayed = "Idempotent-Replayed"
)

// Error codes of refusals that are not about one event (those carry the
// intake reason code).
const (
	codeUnauthorized      = "unauthorized"
	codeUnsupportedType   = "unsupported_media_type"
	codeBodyTooLarge      = "body_too_large"
	codeUnreadableBody    = "unreadable_body"
	codeOverloaded        = "overloaded"
	codeUnavailable       = "unavailable"
	codeShuttingDown      = "shutting_down"
	codeKeyConflict       = "idempotency_key_reused"
	codeInvalidKey        = "invalid_idempotency_key"
	contentTypeNDJSON     = "application/x-ndjson"
	contentTypeJSON       = "application/json"
	contentTypeNDJSONAlso = "application/ndjson"
)

// Handler serves POST /v1/events, /healthz, /readyz and, given a
// gatherer, /metrics. Build it with NewHandler.
type Handler struct {
	cfg      Config
	producer Producer
	budget   *inflightBudget
	window   *idempotencyWindow
	metrics  *metrics
	mux      *http.ServeMux
	decoders sync.Pool // *intake.Decoder: not safe for concurrent use
	tokenSum [sha256.Size]byte
	draining atomic.Bool
}

// NewHandler returns a handler producing through p. gatherer, if not
// nil, is served on /metrics.
func NewHandler(cfg Config, p Producer, gatherer prometheus.Gatherer) (*Handler, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := intake.NewDecoder(cfg.Intake); err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:      cfg,
		producer: p,
		budget:   &inflightBudget{max: cfg.MaxInflightBytes},
		window:   newIdempotencyWindow(cfg.IdempotencyWindow, cfg.IdempotencyKeys, cfg.Now),
		mux:      http.NewServeMux(),
		tokenSum: sha256.Sum256(cfg.AuthToken),
	}
	h.decoders.New = func() any { d, _ := intake.NewDecoder(cfg.Intake); return d } // config checked above
	h.metrics = newMetrics(cfg.Registerer, h.budget, h.window)
	h.mux.HandleFunc("POST "+PathEvents, h.serveEvents)
	h.mux.HandleFunc("GET "+PathHealthz, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	h.mux.HandleFunc("GET "+PathReadyz, h.serveReady)
	if gatherer != nil {
		h.mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	}
	return h, nil
}

// ServeHTTP routes to the endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Drain makes /readyz fail and new event requests get 503, so a load
// balancer stops sending while in-flight requests finish.
func (h *Handler) Drain() { h.draining.Store(true) }

func (h *Handler) serveReady(w http.ResponseWriter, _ *http.Request) {
	if h.draining.Load() {
		http.Error(w, "not ready: shutting down", http.StatusServiceUnavailable)
		return
	}
	if h.cfg.Ready != nil {
		if err := h.cfg.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = io.WriteString(w, "ready\n")
}

func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	resp := h.handleEvents(w, r)
	if resp.status != 0 {
		writeResponse(w, resp)
	}
	h.metrics.answered(resp.status)
	h.metrics.duration.Observe(time.Since(start).Seconds())
}

// handleEvents decides the response of one event request; a zero status
// means the client went away and nothing is written.
func (h *Handler) handleEvents(w http.ResponseWriter, r *http.Request) response {
	if h.draining.Load() {
		return h.retryLater(w, http.StatusServiceUnavailable, codeShuttingDown, "the server is shutting down; retry on another instance")
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="eventproc"`)
		return errorResponse(http.StatusUnauthorized, codeUnauthorized, "missing or wrong bearer token", nil)
	}
	form, ok := bodyFormOf(r.Header.Get("Content-Type"))
	if !ok {
		return errorResponse(http.StatusUnsupportedMediaType, codeUnsupportedType,
			"Content-Type must be "+contentTypeJSON+" (an object or an array of objects) or "+contentTypeNDJSON, nil)
	}
	key := r.Header.Get(HeaderIdempotencyKey)
	if len(key) > maxIdempotencyKeyBytes {
		return errorResponse(http.StatusBadRequest, codeInvalidKey,
			HeaderIdempotencyKey+" is longer than "+strconv.Itoa(maxIdempotencyKeyBytes)+" bytes", nil)
	}
	if r.ContentLength > h.cfg.MaxRequestBytes {
		return h.tooLarge()
	}
	reserve := h.cfg.MaxRequestBytes
	if r.ContentLength >= 0 {
		reserve = max(r.ContentLength, 1)
	}
	if !h.budget.tryReserve(reserve) {
		return h.retryLater(w, http.StatusTooManyRequests, codeOverloaded,
			"too many request bytes in flight (--max-inflight-bytes "+strconv.FormatInt(h.cfg.MaxInflightBytes, 10)+"); retry later")
	}
	defer h.budget.release(reserve)

	body, err := readBody(w, r, h.cfg.MaxRequestBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return h.tooLarge()
		}
		return errorResponse(http.StatusBadRequest, codeUnreadableBody, "reading the body: "+err.Error(), nil)
	}
	if key == "" {
		return h.produceRequest(r.Context(), w, body, form)
	}

	entry, outcome := h.window.claim(key, requestHash(body, form))
	switch outcome {
	case claimConflict:
		return errorResponse(http.StatusUnprocessableEntity, codeKeyConflict,
			HeaderIdempotencyKey+" was already used with a different body; use a new key for a new batch", nil)
	case claimReplay:
		select {
		case <-entry.done:
		case <-r.Context().Done():
			return response{}
		}
		h.metrics.replays.Inc()
		w.Header().Set(HeaderReplayed, "true")
		return h.window.result(entry)
	case claimNew:
	}
	resp := h.produceRequest(r.Context(), w, body, form)
	if remembers(resp.status) {
		h.window.finish(entry, resp)
	} else {
		h.window.forget(entry, resp)
	}
	return resp
}

// remembers reports whether a response is final for its body: a 202 (the
// events are in) or a refusal of the body itself. Load and broker
// failures are not: a retry must be tried again.
func remembers(status int) bool {
	return status == http.StatusAccepted || status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge
}

// produceRequest keys every event of body and produces them all, or
// refuses the request because of its first unkeyable event.
func (h *Handler) produceRequest(ctx context.Context, w http.ResponseWriter, body []byte, form bodyForm) response {
	events, bad := splitBody(body, form)
	var records []Record
	if bad == nil {
		records, bad = h.keyAll(events)
	}
	if bad != nil {
		h.metrics.rejected.WithLabelValues(bad.Reason.String()).Inc()
		return errorResponse(http.StatusBadRequest, bad.Reason.String(), bad.Msg, bad)
	}
	if len(records) > 0 {
		// Not the request's ctx: cancelling one record would fail the
		// other requests' records batched on its partition.
		if err := h.producer.ProduceAll(context.WithoutCancel(ctx), records); err != nil {
			h.cfg.Logger.Warn("produce failed; answered 503", "events", len(records), "err", err)
			return h.retryLater(w, http.StatusServiceUnavailable, codeUnavailable,
				"the broker did not acknowledge every event: "+err.Error()+"; retry the whole request")
		}
	}
	h.metrics.accepted.Add(float64(len(records)))
	return response{status: http.StatusAccepted, body: acceptedBody(len(records))}
}

func (h *Handler) keyAll(events [][]byte) ([]Record, *EventError) {
	d := h.decoders.Get().(*intake.Decoder)
	defer h.decoders.Put(d)
	now := h.cfg.Now()
	records := make([]Record, len(events))
	for i, value := range events {
		key, ve := keyOf(d, value, now)
		if ve != nil {
			return nil, &EventError{Index: i, ValidationError: ve}
		}
		records[i] = Record{Key: key, Value: value}
	}
	return records, nil
}

// authorized compares the bearer token in constant time (over hashes, so
// not even the token's length leaks).
func (h *Handler) authorized(r *http.Request) bool {
	if len(h.cfg.AuthToken) == 0 {
		return true
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(given)))
	return subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) == 1
}

func (h *Handler) tooLarge() response {
	return errorResponse(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
		"the body is larger than --max-request-bytes "+strconv.FormatInt(h.cfg.MaxRequestBytes, 10)+"; send smaller batches", nil)
}

func (h *Handler) retryLater(w http.ResponseWriter, status int, code, msg string) response {
	w.Header().Set("Retry-After", strconv.Itoa(int(h.cfg.RetryAfter/time.Second)))
	return errorResponse(status, code, msg, nil)
}

// readBody reads at most limit bytes, into one allocation when the
// length is known.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength >= 0 {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(rd)
}

// bodyFormOf maps a Content-Type to a body form; none means JSON.
func bodyFormOf(contentType string) (bodyForm, bool) {
	if contentType == "" {
		return formJSON, true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, false
	}
	switch mt {
	case contentTypeJSON:
		return formJSON, true
	case contentTypeNDJSON, contentTypeNDJSONAlso:
		return formNDJSON, true
	}
	return 0, false
}

// requestHash identifies a request body for the idempotency window.
func requestHash(body []byte, form bodyForm) [sha256.Size]byte {
	s := sha256.New()
	s.Write([]byte{byte(form)})
	s.Write(body)
	var sum [sha256.Size]byte
	s.Sum(sum[:0])
	return sum
}

// errorBody is the JSON of every refusal.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	// Reason is an intake reason code for a refused event, else one of
	// the codes above.
	Reason  string `json:"reason"`
	Message string `json:"message"`
	// Index is the refused event's position in the batch.
	Index *int   `json:"index,omitempty"`
	Field string `json:"field,omitempty"`
}

func errorResponse(status int, code, msg string, bad *EventError) response {
	d := errorDetail{Reason: code, Message: msg}
	if bad != nil {
		idx := bad.Index
		d.Index, d.Field = &idx, bad.Field
	}
	b, _ := json.Marshal(errorBody{Error: d}) // plain strings and ints: cannot fail
	return response{status: status, body: append(b, '\n')}
}

func acceptedBody(n int) []byte {
	return []byte(`{"accepted":` + strconv.Itoa(n) + "}\n")
}

func writeResponse(w http.ResponseWriter, resp response) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}
