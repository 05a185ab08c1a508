package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

// recordingProducer keeps what it was asked to produce; err, if set,
// fails every call.
type recordingProducer struct {
	mu      sync.Mutex
	calls   int
	records []Record
	err     error
}

func (p *recordingProducer) ProduceAll(_ context.Context, rs []Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.err != nil {
		return p.err
	}
	p.records = append(p.records, rs...)
	return nil
}

func (p *recordingProducer) produced() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Record(nil), p.records...)
}

func newTestHandler(t *testing.T, cfg Config, p Producer) (*Handler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	h, err := NewHandler(cfg, p, reg)
	if err != nil {
		t.Fatal(err)
	}
	return h, reg
}

type reply struct {
	status  int
	header  http.Header
	body    string
	errBody errorDetail
}

func post(t *testing.T, h http.Handler, contentType, body string, headers ...string) reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, PathEvents, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := reply{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	if r.status >= 400 {
		var eb errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil {
			t.Fatalf("error body %q is not JSON: %v", r.body, err)
		}
		r.errBody = eb.Error
	}
	return r
}

func ev(id, source string) string {
	return `{"event_id":"` + id + `","source_id":` + source + `,"timestamp":1700000000}`
}

func TestAcceptsEveryBodyForm(t *testing.T) {
	a, b, c := ev("a", `"s1"`), ev("b", `42`), ev("c", `"s\u0033"`)
	tests := []struct {
		name, contentType, body string
		want                    []Record
	}{
		{"single object", "application/json", "  " + a + "\n", []Record{{Key: []byte("s1"), Value: []byte(a)}}},
		{"no content type", "", a, []Record{{Key: []byte("s1"), Value: []byte(a)}}},
		{"array", "application/json; charset=utf-8", "[" + a + ",\n " + b + " , " + c + "]",
			[]Record{{Key: []byte("s1"), Value: []byte(a)}, {Key: []byte("42"), Value: []byte(b)}, {Key: []byte("s3"), Value: []byte(c)}}},
		{"ndjson with blank and CRLF lines", "application/x-ndjson", a + "\r\n\n" + b + "\n" + c,
			[]Record{{Key: []byte("s1"), Value: []byte(a)}, {Key: []byte("42"), Value: []byte(b)}, {Key: []byte("s3"), Value: []byte(c)}}},
		{"empty array", "application/json", "[ ]", nil},
		// Keyable events that break another rule go through: the processor dead-letters them.
		{"missing event_id is accepted", "application/json", `{"source_id":"s9"}`, []Record{{Key: []byte("s9"), Value: []byte(`{"source_id":"s9"}`)}}},
		{"null event_id before source_id", "application/json", `{"event_id":null,"source_id":7.50,"timestamp":"x"}`,
			[]Record{{Key: []byte("7.5"), Value: []byte(`{"event_id":null,"source_id":7.50,"timestamp":"x"}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &recordingProducer{}
			h, reg := newTestHandler(t, Config{}, p)
			r := post(t, h, tt.contentType, tt.body)
			if r.status != http.StatusAccepted {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var got struct{ Accepted int }
			if err := json.Unmarshal([]byte(r.body), &got); err != nil || got.Accepted != len(tt.want) {
				t.Fatalf("body %q, want accepted %d", r.body, len(tt.want))
			}
			recs := p.produced()
			if len(recs) != len(tt.want) {
				t.Fatalf("produced %d records, want %d", len(recs), len(tt.want))
			}
			for i, w := range tt.want {
				if string(recs[i].Key) != string(w.Key) || string(recs[i].Value) != string(w.Value) {
					t.Errorf("record %d = %q/%q, want %q/%q", i, recs[i].Key, recs[i].Value, w.Key, w.Value)
				}
			}
			if n := value(t, h.metrics.accepted); n != float64(len(tt.want)) {
				t.Errorf("accepted counter %v", n)
			}
			if n := value(t, h.metrics.requests.WithLabelValues("202")); n != 1 {
				t.Errorf("requests{code=202} %v", n)
			}
			if n := histogramCount(t, reg, "eventproc_ingest_request_duration_seconds"); n != 1 {
				t.Errorf("latency histogram counted %d requests, want 1", n)
			}
		})
	}
}

// intakeMessage is what the processor's decoder says about value.
func intakeMessage(t *testing.T, value string) *intake.ValidationError {
	t.Helper()
	d, err := intake.NewDecoder(intake.Config{}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	var ve *intake.ValidationError
	if !errors.As(d.Decode([]byte(value), time.Now(), &e), &ve) {
		t.Fatalf("intake accepts %s", value)
	}
	return ve
}

func TestRefusesUnkeyableBatchWhole(t *testing.T) {
	good := ev("ok", `"s1"`)
	tests := []struct {
		name, contentType, body string
		index                   int
		reason                  event.Reason
		intakeSays              string // value whose intake rejection is the expected message
	}{
		{"not JSON", "application/json", `{"source_id":`, 0, event.ReasonInvalidJSON, `{"source_id":`},
		{"invalid UTF-8 in an array element", "application/json", "[" + good + `,{"source_id":"a` + "\xff" + `"}]`, 1, event.ReasonInvalidJSON, `{"source_id":"a` + "\xff" + `"}`},
		{"not an object", "application/json", "[" + good + ",3]", 1, event.ReasonNotAnObject, "3"},
		{"absent source_id", "application/x-ndjson", good + "\n" + `{"event_id":"x","timestamp":1700000000}`, 1, event.ReasonMissingField, `{"event_id":"x","timestamp":1700000000}`},
		{"null source_id", "application/json", "[" + good + "," + ev("x", "null") + "]", 1, event.ReasonMissingField, ev("x", "null")},
		{"empty source_id", "application/json", ev("x", `""`), 0, event.ReasonMissingField, ev("x", `""`)},
		{"boolean source_id", "application/json", "[" + good + "," + good + "," + ev("x", "true") + "]", 2, event.ReasonInvalidField, ev("x", "true")},
		{"object source_id", "application/json", ev("x", `{"a":1}`), 0, event.ReasonInvalidField, ev("x", `{"a":1}`)},
		// event_id is at fault first, but the refusal is about source_id.
		{"bad source_id after another fault", "application/json", `{"event_id":null,"source_id":[1]}`, 0, event.ReasonInvalidField, `{"event_id":"e","source_id":[1],"timestamp":1700000000}`},
		{"missing source_id after another fault", "application/json", `{"event_id":""}`, 0, event.ReasonMissingField, `{"event_id":"e","timestamp":1700000000}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &recordingProducer{}
			h, _ := newTestHandler(t, Config{}, p)
			r := post(t, h, tt.contentType, tt.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			if p.calls != 0 {
				t.Fatalf("producer called %d times for a refused request", p.calls)
			}
			d := r.errBody
			if d.Index == nil || *d.Index != tt.index || d.Reason != tt.reason.String() {
				t.Fatalf("error %+v, want index %d reason %s", d, tt.index, tt.reason)
			}
			if want := intakeMessage(t, tt.intakeSays); d.Message != want.Msg && tt.reason != event.ReasonInvalidJSON {
				t.Errorf("message %q, want intake's %q", d.Message, want.Msg)
			}
			if n := value(t, h.metrics.rejected.WithLabelValues(tt.reason.String())); n != 1 {
				t.Errorf("rejected{reason=%s} = %v", tt.reason, n)
			}
		})
	}
}

func TestRefusalsBeforeProducing(t *testing.T) {
	token := []byte("s3cret-token")
	tests := []struct {
		name        string
		cfg         Config
		contentType string
		body        string
		headers     []string
		status      int
		reason      string
	}{
		{"too large", Config{MaxRequestBytes: 10, MaxInflightBytes: 10}, "application/json", ev("a", `"s"`), nil, http.StatusRequestEntityTooLarge, codeBodyTooLarge},
		{"unsupported content type", Config{}, "text/plain", ev("a", `"s"`), nil, http.StatusUnsupportedMediaType, codeUnsupportedType},
		{"no token", Config{AuthToken: token}, "application/json", ev("a", `"s"`), nil, http.StatusUnauthorized, codeUnauthorized},
		{"wrong token", Config{AuthToken: token}, "application/json", ev("a", `"s"`), []string{"Authorization", "Bearer s3cret-tokem"}, http.StatusUnauthorized, codeUnauthorized},
		{"token prefix", Config{AuthToken: token}, "application/json", ev("a", `"s"`), []string{"Authorization", "Bearer s3cret"}, http.StatusUnauthorized, codeUnauthorized},
		{"basic auth", Config{AuthToken: token}, "application/json", ev("a", `"s"`), []string{"Authorization", "Basic czNjcmV0LXRva2Vu"}, http.StatusUnauthorized, codeUnauthorized},
		{"key too long", Config{}, "application/json", ev("a", `"s"`), []string{HeaderIdempotencyKey, strings.Repeat("k", 256)}, http.StatusBadRequest, codeInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &recordingProducer{}
			h, _ := newTestHandler(t, tt.cfg, p)
			r := post(t, h, tt.contentType, tt.body, tt.headers...)
			if r.status != tt.status || r.errBody.Reason != tt.reason {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tt.status, tt.reason)
			}
			if p.calls != 0 {
				t.Errorf("producer called")
			}
			if strings.Contains(r.body, string(token)) {
				t.Errorf("response reveals the token: %s", r.body)
			}
		})
	}
	t.Run("right token", func(t *testing.T) {
		p := &recordingProducer{}
		h, _ := newTestHandler(t, Config{AuthToken: token}, p)
		if r := post(t, h, "", ev("a", `"s"`), "Authorization", "Bearer s3cret-token"); r.status != http.StatusAccepted {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}

func TestBrokerFailureIs503WithRetryAfter(t *testing.T) {
	p := &recordingProducer{err: errors.New("broker down")}
	h, _ := newTestHandler(t, Config{RetryAfter: 3 * time.Second}, p)
	r := post(t, h, "", ev("a", `"s"`), HeaderIdempotencyKey, "k1")
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "3" || r.errBody.Reason != codeUnavailable {
		t.Fatalf("got %d Retry-After=%q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	// The failure is not remembered: the retry is produced.
	p.mu.Lock()
	p.err = nil
	p.mu.Unlock()
	if r := post(t, h, "", ev("a", `"s"`), HeaderIdempotencyKey, "k1"); r.status != http.StatusAccepted || r.header.Get(HeaderReplayed) != "" {
		t.Fatalf("retry after 503: %d replayed=%q", r.status, r.header.Get(HeaderReplayed))
	}
	if n := len(p.produced()); n != 1 {
		t.Fatalf("produced %d, want 1", n)
	}
}

func TestIdempotencyKey(t *testing.T) {
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { return now }
	p := &recordingProducer{}
	h, _ := newTestHandler(t, Config{IdempotencyWindow: time.Minute, IdempotencyKeys: 2, Now: clock}, p)
	batch := "[" + ev("a", `"s"`) + "," + ev("b", `"t"`) + "]"

	first := post(t, h, "", batch, HeaderIdempotencyKey, "k1")
	again := post(t, h, "", batch, HeaderIdempotencyKey, "k1")
	if first.status != http.StatusAccepted || again.status != http.StatusAccepted || again.body != first.body || again.header.Get(HeaderReplayed) != "true" {
		t.Fatalf("first %d %q, retry %d %q replayed=%q", first.status, first.body, again.status, again.body, again.header.Get(HeaderReplayed))
	}
	if n := len(p.produced()); n != 2 {
		t.Fatalf("a retry produced again: %d records", n)
	}
	if r := post(t, h, "", "["+ev("c", `"s"`)+"]", HeaderIdempotencyKey, "k1"); r.status != http.StatusUnprocessableEntity || r.errBody.Reason != codeKeyConflict {
		t.Fatalf("same key, other body: %d %s", r.status, r.body)
	}
	// A refused body is remembered too: the retry gets the same 400.
	bad := post(t, h, "", `[{"source_id":null}]`, HeaderIdempotencyKey, "k2")
	if again := post(t, h, "", `[{"source_id":null}]`, HeaderIdempotencyKey, "k2"); bad.status != 400 || again.body != bad.body || again.header.Get(HeaderReplayed) != "true" {
		t.Fatalf("refused body replay: %d %q / %q", bad.status, bad.body, again.body)
	}

	// Bounded by count: a third key evicts the oldest (k1).
	post(t, h, "", ev("x", `"s"`), HeaderIdempotencyKey, "k3")
	if h.window.len() != 2 {
		t.Fatalf("window holds %d keys, bound is 2", h.window.len())
	}
	if r := post(t, h, "", batch, HeaderIdempotencyKey, "k1"); r.header.Get(HeaderReplayed) != "" {
		t.Fatalf("evicted key replayed")
	}
	// Bounded by time: after the window the key is new again.
	before := len(p.produced())
	now = now.Add(time.Minute)
	if r := post(t, h, "", ev("x", `"s"`), HeaderIdempotencyKey, "k3"); r.status != http.StatusAccepted || r.header.Get(HeaderReplayed) != "" {
		t.Fatalf("expired key: %d replayed=%q", r.status, r.header.Get(HeaderReplayed))
	}
	if len(p.produced()) != before+1 {
		t.Fatalf("expired key not produced")
	}
	if n := value(t, h.metrics.replays); n != 2 {
		t.Errorf("replays counter %v, want 2", n)
	}
}

// gatedProducer blocks every ProduceAll until open is closed.
type gatedProducer struct {
	recordingProducer
	entered chan struct{}
	open    chan struct{}
}

func newGatedProducer() *gatedProducer {
	return &gatedProducer{entered: make(chan struct{}, 1000), open: make(chan struct{})}
}

func (g *gatedProducer) ProduceAll(ctx context.Context, rs []Record) error {
	g.entered <- struct{}{}
	<-g.open
	return g.recordingProducer.ProduceAll(ctx, rs)
}

func TestConcurrentRetryWaitsForTheOriginal(t *testing.T) {
	g := newGatedProducer()
	h, _ := newTestHandler(t, Config{}, g)
	body := ev("a", `"s"`)
	replies := make(chan reply, 2)
	go func() { replies <- post(t, h, "", body, HeaderIdempotencyKey, "k") }()
	<-g.entered
	go func() { replies <- post(t, h, "", body, HeaderIdempotencyKey, "k") }()
	close(g.open)
	a, b := <-replies, <-replies
	if a.status != http.StatusAccepted || b.status != http.StatusAccepted || a.body != b.body {
		t.Fatalf("replies %d %q, %d %q", a.status, a.body, b.status, b.body)
	}
	if n := len(g.produced()); n != 1 {
		t.Fatalf("produced %d, want 1", n)
	}
}

func TestInflightBudgetRefusesWith429(t *testing.T) {
	body := ev("a", `"s"`)
	g := newGatedProducer()
	// Room for two requests' bytes, not three.
	h, _ := newTestHandler(t, Config{MaxRequestBytes: int64(len(body)), MaxInflightBytes: int64(2*len(body) + 1)}, g)
	replies := make(chan reply, 2)
	for range 2 {
		go func() { replies <- post(t, h, "", body) }()
		<-g.entered
	}
	r := post(t, h, "", body)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || r.errBody.Reason != codeOverloaded {
		t.Fatalf("third request: %d Retry-After=%q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if got := h.budget.inUse(); got != int64(2*len(body)) {
		t.Fatalf("in-flight bytes %d, want %d", got, 2*len(body))
	}
	close(g.open)
	for range 2 {
		if r := <-replies; r.status != http.StatusAccepted {
			t.Fatalf("held request: %d", r.status)
		}
	}
	if got := h.budget.inUse(); got != 0 {
		t.Fatalf("in-flight bytes %d after all answered", got)
	}
	if r := post(t, h, "", body); r.status != http.StatusAccepted {
		t.Fatalf("after the flood: %d", r.status)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{MaxRequestBytes: -1},
		{MaxRequestBytes: 100, MaxInflightBytes: 99},
		{IdempotencyWindow: -time.Second},
		{IdempotencyKeys: -1},
		{Intake: intake.Config{MaxDepth: 1}},
	}
	for _, c := range bad {
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		} else if !strings.Contains(err.Error(), "--") {
			t.Errorf("%v does not name a flag", err)
		}
	}
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestReadyz(t *testing.T) {
	var readyErr error
	h, _ := newTestHandler(t, Config{Ready: func() error { return readyErr }}, &recordingProducer{})
	get := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	if get(PathReadyz) != 200 || get(PathHealthz) != 200 || get(PathMetrics) != 200 {
		t.Fatal("probes not 200")
	}
	readyErr = errors.New("no broker")
	if get(PathReadyz) != 503 {
		t.Fatal("readyz ignores the broker")
	}
	readyErr = nil
	h.Drain()
	if get(PathReadyz) != 503 || get(PathHealthz) != 200 {
		t.Fatal("draining handler still ready")
	}
	if r := post(t, h, "", ev("a", `"s"`)); r.status != http.StatusServiceUnavailable || r.errBody.Reason != codeShuttingDown {
		t.Fatalf("post while draining: %d", r.status)
	}
}

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	switch {
	case out.Counter != nil:
		return out.Counter.GetValue()
	case out.Gauge != nil:
		return out.Gauge.GetValue()
	}
	t.Fatalf("not a counter or gauge")
	return 0
}

// histogramCount returns the sample count of histogram family name.
func histogramCount(t *testing.T, g prometheus.Gatherer, name string) uint64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}
