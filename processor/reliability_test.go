package processor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/testbroker"
	"github.com/eventproc/eventproc/kafkaio"
)

// newSizedHarness is newHarness with configs on the input topic, and the
// broker (to pre-create or alter topics).
func newSizedHarness(t *testing.T, partitions int32, inputConfigs map[string]*string) (*harness, *testbroker.Broker) {
	t.Helper()
	b := testbroker.Start(t)
	h := &harness{
		t:      t,
		client: kafkaio.ClientConfig{Brokers: b.Addrs},
		input:  testbroker.UniqueName(t, "in"),
		output: testbroker.UniqueName(t, "out"),
		dlq:    testbroker.UniqueName(t, "dlq"),
		group:  testbroker.UniqueName(t, "g"),
		gen:    gen.New(gen.Config{Sources: 10, MalformedRatio: 0.05, Seed: 3}),
	}
	b.CreateTopic(t, h.input, partitions, inputConfigs)
	return h, b
}

// produceRecords writes recs to the input topic, on their partitions,
// with a client that admits records up to 12 MB.
func (h *harness) produceRecords(recs ...*kgo.Record) {
	h.t.Helper()
	cl, err := kafkaio.NewClient(h.client, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(12<<20))
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, r := range recs {
		r.Topic = h.input
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		h.t.Fatalf("produce: %v", err)
	}
	h.inputs += len(recs)
}

func randomHex(t *testing.T, n int) []byte {
	t.Helper()
	raw := make([]byte, n/2)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return hex.AppendEncode(nil, raw)
}

func strPtr(s string) *string { return &s }

func goodEvent(id, source string) []byte {
	return []byte(`{"event_id":"` + id + `","source_id":"` + source + `","timestamp":` + strconv.FormatInt(time.Now().Unix(), 10) + `,"priority":"low"}`)
}

// TestRunOversizedRecordGoesToDLQAndNothingStalls: an input topic that
// admits 10 MB records, a 5 MB value among small ones. eventproc creates
// the DLQ large enough, dead-letters the record whole (too_large) and
// publishes everything behind it.
func TestRunOversizedRecordGoesToDLQAndNothingStalls(t *testing.T) {
	h, _ := newSizedHarness(t, 1, map[string]*string{"max.message.bytes": strPtr("10485760")})
	h.produce(200)
	big := bytes.Repeat([]byte("x"), 5<<20)
	h.produceRecords(&kgo.Record{Key: []byte("big"), Value: big})
	h.bad++
	h.produce(200)
	m := h.start("a")
	s := h.awaitAll(120 * time.Second)
	h.assertExactlyOnce(s)
	found := false
	for _, d := range s.dlq {
		if len(d.Value) == len(big) {
			found = true
			if got := header(d.Headers, event.HeaderErrorReason); got != "too_large" {
				t.Fatalf("5 MB dead letter has reason %q, want too_large", got)
			}
		}
	}
	if !found {
		t.Fatal("the 5 MB record is not in the DLQ whole")
	}
	if err := m.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func header[H interface {
	~struct {
		Key   string
		Value []byte
	}
}](hs []H, key string) string {
	for _, h := range hs {
		hh := struct {
			Key   string
			Value []byte
		}(h)
		if hh.Key == key {
			return string(hh.Value)
		}
	}
	return ""
}

// TestRunRefusesDLQTooSmallForInput: a pre-created DLQ whose limit is
// below the input's is refused at start, naming the topic, both numbers
// and the command that fixes it.
func TestRunRefusesDLQTooSmallForInput(t *testing.T) {
	h, b := newSizedHarness(t, 1, map[string]*string{"max.message.bytes": strPtr("10485760")})
	b.CreateTopic(t, h.dlq, 1, map[string]*string{"max.message.bytes": strPtr(strconv.Itoa(1<<20 + 64<<10))})
	m := h.start("a")
	err := m.wait(t, 60*time.Second)
	want := []string{h.dlq, "max.message.bytes " + strconv.Itoa(1<<20+64<<10), "at least 10485760",
		"kafka-configs.sh", "--entity-name " + h.dlq, "--add-config max.message.bytes=" + strconv.Itoa(10485760+kafkaio.HeaderAllowance)}
	if err == nil {
		t.Fatal("Run started with a DLQ too small for the input's records")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not name %q", err, w)
		}
	}
}

// TestRunRefusedRecordsBecomeDeadLettersThenTruncated: an output record
// the broker refuses (its input carries 100 KB of headers, the output
// admits 66 KB) is dead-lettered as too_large without consuming a
// sequence number; once the DLQ's limit is lowered below the dead
// letters, they are published truncated. Every input is accounted for
// exactly once, and the good events keep gap-free sequence numbers.
func TestRunRefusedRecordsBecomeDeadLettersThenTruncated(t *testing.T) {
	h, b := newSizedHarness(t, 1, map[string]*string{"max.message.bytes": strPtr(strconv.Itoa(3 << 20))})
	const maxEvent = 2000
	b.CreateTopic(t, h.output, 1, map[string]*string{"max.message.bytes": strPtr(strconv.Itoa(maxEvent + kafkaio.HeaderAllowance))})
	m := h.start("a", func(c *Config) { c.Intake.MaxEventBytes = maxEvent; c.WindowMaxBytes = 1 << 20 })
	waitReady(t, m)
	// Lower the DLQ's limit under the member's feet: its dead letters of
	// more than 100 KB are now refused by the broker.
	adm := kadm.NewClient(b.NewClient(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const dlqLimit = 100 << 10
	resp, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "max.message.bytes", Value: strPtr(strconv.Itoa(dlqLimit))}}, h.dlq)
	if err == nil {
		_, err = resp.On(h.dlq, nil)
	}
	if err != nil {
		t.Fatalf("alter DLQ config: %v", err)
	}
	time.Sleep(2 * time.Second) // a real broker applies topic configs asynchronously

	// Incompressible bytes: the producer compresses batches, and the
	// broker's limit applies to the compressed batch.
	heavy := []kgo.RecordHeader{{Key: "big", Value: randomHex(t, 100<<10)}}
	invalid := append([]byte("{"), randomHex(t, 150<<10)...) // too_large for intake, refused by the DLQ
	var recs []*kgo.Record
	for i := 0; i < 10; i++ {
		recs = append(recs, &kgo.Record{Key: []byte("s1"), Value: goodEvent("e"+strconv.Itoa(i), "s1")})
		if i == 3 {
			recs = append(recs, &kgo.Record{Key: []byte("s1"), Value: goodEvent("heavy", "s1"), Headers: heavy})
		}
		if i == 6 {
			recs = append(recs, &kgo.Record{Key: []byte("s1"), Value: invalid})
		}
	}
	h.produceRecords(recs...)
	s := h.awaitAll(120 * time.Second)
	if len(s.out) != 10 || len(s.dlq) != 2 {
		t.Fatalf("got %d outputs and %d dead letters, want 10 and 2", len(s.out), len(s.dlq))
	}
	// The independent audit accepts the refused record's dead letter and
	// the truncations, and re-derives every output's content.
	rcfg := h.replayConfig(func(c *Config) { c.Intake.MaxEventBytes = maxEvent })
	if rep := audit.Check(s.in, s.out, s.dlq, audit.Options{InputTopic: h.input, Rederive: &rcfg}); !rep.OK() {
		var b writerBuf
		_ = rep.WriteText(&b)
		t.Fatalf("audit of refused and truncated records failed:\n%s", b.String())
	}
	// Exactly once by lineage: every input offset appears once.
	seen := map[string]int{}
	for _, o := range s.out {
		seen[header(o.Headers, event.HeaderSourceOffset)]++
		if g := header(o.Headers, event.HeaderGroup); g != h.group {
			t.Fatalf("output carries group header %q, want %q", g, h.group)
		}
	}
	for _, d := range s.dlq {
		seen[header(d.Headers, event.HeaderErrorOffset)]++
	}
	for off := 0; off < len(recs); off++ {
		if seen[strconv.Itoa(off)] != 1 {
			t.Fatalf("input offset %d is published %d times (seen %v)", off, seen[strconv.Itoa(off)], seen)
		}
	}
	// The refused record consumed no sequence number: 1..10 gap-free.
	for i, o := range s.out {
		out, err := event.ParseOutput(o.Value)
		if err != nil {
			t.Fatal(err)
		}
		if out.SequenceNumber != uint64(i+1) {
			t.Fatalf("output %d has sequence number %d, want %d", i, out.SequenceNumber, i+1)
		}
	}
	byOffset := map[string]int{}
	for i, r := range s.rawIn {
		byOffset[strconv.FormatInt(r.Offset, 10)] = i
	}
	for _, d := range s.dlq {
		orig := s.rawIn[byOffset[header(d.Headers, event.HeaderErrorOffset)]]
		if reason := header(d.Headers, event.HeaderErrorReason); reason != "too_large" {
			t.Fatalf("dead letter of offset %d has reason %q, want too_large", orig.Offset, reason)
		}
		if header(d.Headers, event.HeaderErrorTruncated) != "true" {
			t.Fatalf("dead letter of offset %d (%d bytes) not marked truncated", orig.Offset, len(orig.Value))
		}
		sum := sha256.Sum256(orig.Value)
		if header(d.Headers, event.HeaderErrorOriginalSHA256) != hex.EncodeToString(sum[:]) ||
			header(d.Headers, event.HeaderErrorOriginalSize) != strconv.Itoa(len(orig.Value)) {
			t.Fatalf("truncated dead letter headers do not describe the original: %v", d.Headers)
		}
		if !bytes.HasPrefix(orig.Value, d.Value) || len(d.Value)+len(d.Key) > dlqLimit {
			t.Fatalf("truncated dead letter value (%d bytes) is not a fitting prefix of the input", len(d.Value))
		}
	}
	if got := metricSum(t, m.reg, "eventproc_dead_letters_truncated_total"); got != 2 {
		t.Fatalf("truncated counter %v, want 2", got)
	}
}

// TestRunKeyMismatchCounted: thirty null-keyed events of one source over
// two partitions are processed, counted as key mismatches per partition.
func TestRunKeyMismatchCounted(t *testing.T) {
	h, _ := newSizedHarness(t, 2, nil)
	var recs []*kgo.Record
	for i := 0; i < 30; i++ {
		recs = append(recs, &kgo.Record{Partition: int32(i % 2), Value: goodEvent("k"+strconv.Itoa(i), "one-source")})
	}
	h.produceRecords(recs...)
	var logs lockedBuffer
	m := h.start("a", func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	s := h.awaitAll(60 * time.Second)
	// Processed as usual, though the split source's sequence numbers
	// repeat (which the audit reports): that is what the counter warns of.
	if len(s.out) != 30 || len(s.dlq) != 0 {
		t.Fatalf("got %d outputs and %d dead letters, want 30 and 0", len(s.out), len(s.dlq))
	}
	if got := metricSum(t, m.reg, "eventproc_key_mismatch_total"); got != 30 {
		t.Fatalf("key mismatch counter %v, want 30", got)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "key is not their source_id") || !strings.Contains(out, "source_id=one-source") {
		t.Fatalf("no key-mismatch warning naming the source in the log:\n%s", out)
	}
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "arrives on two input partitions") {
		t.Fatalf("no error for a source on two partitions in the log:\n%s", out)
	}
}

// lockedBuffer is a log destination safe for the member's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunSecondGroupOnSameOutputRefused: once group A published to the
// output, a member of group B refuses to start, naming A and the
// override; with --allow-shared-output it starts.
func TestRunSecondGroupOnSameOutputRefused(t *testing.T) {
	h := newHarness(t, 2)
	h.produce(300)
	a := h.start("a")
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	other := testbroker.UniqueName(t, "other")
	b := h.start("b", func(c *Config) { c.Group = other })
	err := b.wait(t, 60*time.Second)
	if err == nil || !strings.Contains(err.Error(), h.group) || !strings.Contains(err.Error(), "--allow-shared-output") {
		t.Fatalf("second group: got %v, want a refusal naming %s and --allow-shared-output", err, h.group)
	}
	c := h.start("c", func(c *Config) { c.Group = other; c.AllowSharedOutput = true })
	waitReady(t, c)
}

// TestRunFailingMemberIsNotReady: while windows keep failing, /readyz
// says so with the last error, and the lag gauge exists without any
// commit.
func TestRunFailingMemberIsNotReady(t *testing.T) {
	h, c := newFaultHarness(t, 2)
	h.produce(400)
	failEndTxn(c, -1, nil)
	m := h.start("a", smallWindows, func(cfg *Config) { cfg.MaxRetries = 1000 })
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, reason := m.health.Ready()
		if !ok && strings.Contains(reason, "consecutive windows failed") && strings.Contains(reason, "INVALID_TXN_STATE") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readiness after failing windows: ok=%v %q", ok, reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := metricSum(t, m.reg, "eventproc_consumer_lag"); got <= 0 {
		t.Fatalf("consumer lag %v before any commit, want the backlog", got)
	}
}

// TestRunIdleMemberSaysWhyItIsNotReady: a member that joins a group whose
// only partition another member owns is not ready, and its reason says
// why and for how long a departed member may keep partitions.
func TestRunIdleMemberSaysWhyItIsNotReady(t *testing.T) {
	h := newHarness(t, 1)
	h.produce(100)
	a := h.start("a", smallWindows)
	waitReady(t, a)
	b := h.start("b", smallWindows)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, reason := b.health.Ready()
		if !ok && strings.Contains(reason, "no partitions assigned yet") && strings.Contains(reason, "session timeout (6s here)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readiness of a member without partitions: ok=%v %q", ok, reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.assertExactlyOnce(h.awaitAll(60 * time.Second))
}
