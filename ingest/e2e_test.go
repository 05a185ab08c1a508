package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/ingest"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/testbroker"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/processor"
)

// stack is a broker (testbroker: real Kafka with KAFKA_BROKERS, else the
// embedded one), the ingest HTTP server in front of its input topic and,
// optionally, a processor behind it.
type stack struct {
	t                  *testing.T
	client             kafkaio.ClientConfig
	input, output, dlq string
	url                string
	handler            *ingest.Handler
	stopServe          context.CancelFunc
	served             chan error
	producer           *kafkaio.IngestProducer
}

// wrapProducer lets a test stand between the handler and the broker.
type wrapProducer func(ingest.Producer) ingest.Producer

func newStack(t *testing.T, cfg ingest.Config, wrap wrapProducer) *stack {
	t.Helper()
	b := testbroker.Start(t)
	s := &stack{
		t:      t,
		client: kafkaio.ClientConfig{Brokers: b.Addrs},
		input:  testbroker.UniqueName(t, "in"),
		output: testbroker.UniqueName(t, "out"),
		dlq:    testbroker.UniqueName(t, "dlq"),
		served: make(chan error, 1),
	}
	b.CreateTopic(t, s.input, 3, nil)
	p, err := kafkaio.NewIngestProducer(kafkaio.IngestProducerConfig{Client: s.client, Topic: s.input, DeliveryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.producer = p
	t.Cleanup(p.Close)
	var prod ingest.Producer = p
	if wrap != nil {
		prod = wrap(p)
	}
	cfg.Ready = p.Ready
	cfg.Registerer = prometheus.NewRegistry()
	s.handler, err = ingest.NewHandler(cfg, prod, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	s.stopServe = cancel
	go func() {
		s.served <- ingest.Serve(ctx, ln, s.handler, ingest.ServerConfig{ShutdownTimeout: 30 * time.Second})
	}() // ends with ctx
	t.Cleanup(func() {
		cancel()
		if err := <-s.served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		s.served <- nil
	})
	return s
}

// runProcessor runs one processor member over the stack's topics until the test ends.
func (s *stack) runProcessor() {
	s.t.Helper()
	cfg := processor.Config{
		Client: s.client, InputTopic: s.input, OutputTopic: s.output, DLQTopic: s.dlq,
		Group: testbroker.UniqueName(s.t, "g"), InstanceID: "a", CreateTopics: true,
		WindowMaxEvents: 1000, WindowMaxWait: 20 * time.Millisecond,
		TransactionTimeout: 3 * time.Second, SessionTimeout: 6 * time.Second, ShutdownTimeout: 20 * time.Second,
		RetryBackoff: 50 * time.Millisecond, RetryBackoffMax: 500 * time.Millisecond,
		Registerer: prometheus.NewRegistry(), Health: processor.NewHealth(),
	}.WithDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- processor.Run(ctx, cfg) }() // ends with ctx
	s.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			s.t.Errorf("processor.Run: %v", err)
		}
	})
}

type answer struct {
	status   int
	replayed bool
	body     string
}

func (s *stack) post(contentType, body string, headers ...string) answer {
	s.t.Helper()
	a, err := s.tryPost(contentType, body, headers...)
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// tryPost is post without t: safe from other goroutines.
func (s *stack) tryPost(contentType, body string, headers ...string) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, s.url+ingest.PathEvents, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, replayed: resp.Header.Get(ingest.HeaderReplayed) == "true", body: string(b)}, nil
}

// snapshot reads the committed records of the stack's topics.
func (s *stack) snapshot(topics ...string) map[string][]kafkaio.InRecord {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := kafkatool.Snapshot(ctx, s.client, topics...)
	if err != nil {
		s.t.Fatal(err)
	}
	return got
}

// awaitProcessed waits until outputs and dead letters add up to n. The
// processor creates the output and DLQ topics itself, so until it has
// (and every broker knows them) reading them fails: that is "not yet".
func (s *stack) awaitProcessed(n int) map[string][]kafkaio.InRecord {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		got, err := kafkatool.Snapshot(ctx, s.client, s.input, s.output, s.dlq)
		cancel()
		if err == nil && len(got[s.output])+len(got[s.dlq]) >= n {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d outputs + %d dead letters, want %d (last read: %v)", len(got[s.output]), len(got[s.dlq]), n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func event(id, source int) string {
	return fmt.Sprintf(`{"event_id":"e-%d","source_id":"src-%d","timestamp":%d,"priority":"HIGH","load_indicator":0.5,"metadata":{"n":%d}}`,
		id, source, time.Now().Unix(), id)
}

func batch(from, n int, ndjson bool) (string, []string) {
	var events []string
	for i := range n {
		events = append(events, event(from+i, (from+i)%7))
	}
	if ndjson {
		return strings.Join(events, "\n") + "\n", events
	}
	return "[" + strings.Join(events, ",") + "]", events
}

// assertInputHolds checks the input topic holds exactly want, once each,
// keyed by source_id, byte for byte as sent.
func assertInputHolds(t *testing.T, in []kafkaio.InRecord, want []string) {
	t.Helper()
	seen := make(map[string]int)
	for _, r := range in {
		var e struct {
			SourceID string `json:"source_id"`
		}
		if err := json.Unmarshal(r.Value, &e); err != nil || string(r.Key) != e.SourceID {
			t.Errorf("record %s/%d: key %q, value %s", r.Topic, r.Offset, r.Key, r.Value)
		}
		seen[string(r.Value)]++
	}
	for _, w := range want {
		if seen[w] != 1 {
			t.Errorf("input holds %d copies of %s", seen[w], w)
		}
	}
	if len(in) != len(want) {
		t.Fatalf("input holds %d records, %d were accepted", len(in), len(want))
	}
}

func TestIngestThroughProcessorExactlyOnce(t *testing.T) {
	s := newStack(t, ingest.Config{}, nil)
	s.runProcessor()

	var accepted []string
	one, ev := batch(0, 1, false)
	if a := s.post("application/json", one[1:len(one)-1]); a.status != 202 || a.body != "{\"accepted\":1}\n" {
		t.Fatalf("single event: %d %s", a.status, a.body)
	}
	accepted = append(accepted, ev...)
	arr, ev := batch(1, 100, false)
	if a := s.post("application/json", arr, ingest.HeaderIdempotencyKey, "batch-1"); a.status != 202 {
		t.Fatalf("array: %d %s", a.status, a.body)
	}
	accepted = append(accepted, ev...)
	// The client timed out and retries: not produced twice.
	if a := s.post("application/json", arr, ingest.HeaderIdempotencyKey, "batch-1"); a.status != 202 || !a.replayed {
		t.Fatalf("retry: %d replayed=%v %s", a.status, a.replayed, a.body)
	}
	nd, ev := batch(101, 200, true)
	if a := s.post("application/x-ndjson", nd); a.status != 202 || a.body != "{\"accepted\":200}\n" {
		t.Fatalf("ndjson: %d %s", a.status, a.body)
	}
	accepted = append(accepted, ev...)
	// One unkeyable event refuses the whole batch.
	badBatch, _ := batch(301, 50, false)
	badBatch = strings.Replace(badBatch, `"source_id":"src-3"`, `"source_id":""`, 1)
	if a := s.post("application/json", badBatch); a.status != 400 || !strings.Contains(a.body, `"index":3`) || !strings.Contains(a.body, `"reason":"missing_field"`) {
		t.Fatalf("malformed batch: %d %s", a.status, a.body)
	}
	// Keyable but invalid: accepted here, dead-lettered by the processor.
	invalid := `{"event_id":"bad-ts","source_id":"src-1","timestamp":"yesterday"}`
	if a := s.post("application/json", invalid); a.status != 202 {
		t.Fatalf("keyable invalid event: %d %s", a.status, a.body)
	}
	accepted = append(accepted, invalid)

	got := s.awaitProcessed(len(accepted))
	assertInputHolds(t, got[s.input], accepted)
	rep := audit.Check(kafkatool.AuditRecords(got[s.input]), kafkatool.AuditRecords(got[s.output]), kafkatool.AuditRecords(got[s.dlq]),
		audit.Options{InputTopic: s.input})
	if !rep.OK() {
		var b bytes.Buffer
		_ = rep.WriteText(&b)
		t.Fatalf("exactly-once audit failed:\n%s", b.String())
	}
	outIDs := make(map[string]int)
	for _, r := range got[s.output] {
		var e struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatalf("output %s: %v", r.Value, err)
		}
		outIDs[e.EventID]++
	}
	for i := range 301 {
		if n := outIDs[fmt.Sprintf("e-%d", i)]; n != 1 {
			t.Errorf("event e-%d came out %d times", i, n)
		}
	}
	if len(got[s.output]) != 301 || len(got[s.dlq]) != 1 {
		t.Fatalf("%d outputs and %d dead letters, want 301 and 1", len(got[s.output]), len(got[s.dlq]))
	}
}

// gate holds every ProduceAll until opened, counting the calls waiting.
type gate struct {
	inner   ingest.Producer
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 10000), open: make(chan struct{})} }

func (g *gate) wrap(p ingest.Producer) ingest.Producer { g.inner = p; return g }

func (g *gate) ProduceAll(ctx context.Context, rs []ingest.Record) error {
	g.entered <- struct{}{}
	<-g.open
	return g.inner.ProduceAll(ctx, rs)
}

func TestIngestFloodGets429AndLosesNothing(t *testing.T) {
	const clients, requests, perRequest = 16, 5, 50
	body, _ := batch(0, perRequest, false)
	g := newGate()
	// Room for two requests in flight.
	s := newStack(t, ingest.Config{MaxRequestBytes: int64(len(body) + 1000), MaxInflightBytes: int64(2*len(body) + 2000)}, g.wrap)

	var (
		mu        sync.Mutex
		accepted  []string
		refusals  int
		firstBusy = make(chan struct{})
		busyOnce  sync.Once
		wg        sync.WaitGroup
		errs      = make(chan error, clients)
	)
	for c := range clients {
		wg.Add(1)
		go func() { // each client retries a 429 until it is accepted
			defer wg.Done()
			for r := range requests {
				body, events := batch((c*requests+r)*perRequest, perRequest, false)
				for {
					a, err := s.tryPost("application/json", body)
					if err != nil {
						errs <- err
						return
					}
					if a.status == http.StatusAccepted {
						mu.Lock()
						accepted = append(accepted, events...)
						mu.Unlock()
						break
					}
					if a.status != http.StatusTooManyRequests {
						errs <- fmt.Errorf("status %d: %s", a.status, a.body)
						return
					}
					mu.Lock()
					refusals++
					mu.Unlock()
					busyOnce.Do(func() { close(firstBusy) })
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	<-firstBusy // the budget is full: now let the held requests through
	close(g.open)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if refusals == 0 {
		t.Fatal("no request was refused with 429")
	}
	if len(accepted) != clients*requests*perRequest {
		t.Fatalf("%d events accepted, want %d", len(accepted), clients*requests*perRequest)
	}
	assertInputHolds(t, s.snapshot(s.input)[s.input], accepted)
	t.Logf("%d requests refused with 429 before all %d were accepted", refusals, clients*requests)
}

func TestIngestShutdownFinishesRequestsInFlight(t *testing.T) {
	g := newGate()
	s := newStack(t, ingest.Config{}, g.wrap)
	const inFlight = 3
	answers := make(chan answer, inFlight)
	var want []string
	for i := range inFlight {
		body, events := batch(i*10, 10, true)
		want = append(want, events...)
		go func() { // ends when the request is answered
			a, err := s.tryPost("application/x-ndjson", body)
			if err != nil {
				a = answer{body: err.Error()}
			}
			answers <- a
		}()
	}
	for range inFlight {
		<-g.entered
	}
	s.stopServe() // SIGTERM
	// Wait until the listener is closed: the shutdown has begun.
	addr := strings.TrimPrefix(s.url, "http://")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still open 10s after shutdown began")
		}
	}
	close(g.open)
	for range inFlight {
		if a := <-answers; a.status != http.StatusAccepted {
			t.Fatalf("in-flight request answered %d %s", a.status, a.body)
		}
	}
	if err := <-s.served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	s.served <- nil
	assertInputHolds(t, s.snapshot(s.input)[s.input], want)
}
