package processor

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
)

// TestRunBatchRefusedByPolicyIsBisected: the broker refuses, with
// POLICY_VIOLATION, every output batch that holds one particular event —
// so the refusal names a whole batch of several inputs' records. The
// member halves its windows until the refused window holds that input
// alone, dead-letters it as unpublishable (whole, as the audit checks)
// and publishes everything else, with gap-free sequence numbers.
func TestRunBatchRefusedByPolicyIsBisected(t *testing.T) {
	h, c := newFaultHarness(t, 1)
	marker := []byte("zq9xk-poison-41")
	refused := c.Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Topic: h.output, Err: kerr.PolicyViolation, Count: -1,
		When: func(req kmsg.Request) bool {
			for _, rt := range req.(*kmsg.ProduceRequest).Topics {
				for _, rp := range rt.Partitions {
					// Output batches only: they carry processing_signature.
					raw := batchRecords(rp.Records)
					if bytes.Contains(raw, marker) && bytes.Contains(raw, []byte("processing_signature")) {
						return true
					}
				}
			}
			return false
		},
	})
	h.produce(300)
	h.produceRecords(&kgo.Record{Key: []byte("s-poison"), Value: goodEvent(string(marker), "s-poison")})
	h.bad++
	h.produce(300)
	m := h.start("a")
	s := h.awaitAll(120 * time.Second)
	for _, o := range s.out {
		if bytes.Contains(o.Value, marker) {
			t.Logf("poison in output; hits %d", refused.Hits())
		}
	}
	h.assertExactlyOnce(s)
	var dl *kafkaio.InRecord
	for i := range s.rawIn {
		if bytes.Contains(s.rawIn[i].Value, marker) {
			dl = &s.rawIn[i]
		}
	}
	found := false
	for _, d := range s.dlq {
		if header(d.Headers, event.HeaderErrorOffset) == strconv.FormatInt(dl.Offset, 10) {
			found = true
			if r := header(d.Headers, event.HeaderErrorReason); r != "unpublishable" {
				t.Fatalf("refused record dead-lettered as %q, want unpublishable", r)
			}
		}
	}
	if !found {
		t.Fatal("the refused record is not in the DLQ")
	}
	if refused.Hits() < 2 {
		t.Fatalf("broker refused %d produce requests; the test needs the bisection to have run", refused.Hits())
	}
	if got := metricSum(t, m.reg, "eventproc_dead_letters_truncated_total"); got != 0 {
		t.Fatalf("truncated counter %v, want 0", got)
	}
}

// batchRecords returns a record batch's records, uncompressed (the
// producer's default codec is snappy).
func batchRecords(batch []byte) []byte {
	var b kmsg.RecordBatch
	if err := b.ReadFrom(batch); err != nil {
		return nil
	}
	if b.Attributes&7 == 2 {
		raw, err := s2.Decode(nil, b.Records)
		if err != nil {
			return nil
		}
		return raw
	}
	return b.Records
}

func TestTruncatedPrefix(t *testing.T) {
	rec := &kafkaio.InRecord{Key: []byte("k"), Value: bytes.Repeat([]byte("v"), 1<<20),
		Headers: []kafkaio.Header{{Key: "h", Value: bytes.Repeat([]byte("x"), 10000)}}}
	const limit = 100 << 10
	budget := limit - 1 - truncationMargin - 1024
	for _, tc := range []struct {
		name        string
		rec         *kafkaio.InRecord
		level       int
		want        int
		keepHeaders bool
	}{
		{"first level keeps the input's headers", rec, 1, budget - 10001, true},
		{"second level drops them and halves", rec, 2, budget / 2, false},
		{"third level halves again", rec, 3, budget / 4, false},
		{"never more than the value", &kafkaio.InRecord{Value: []byte("short")}, 1, 5, true},
		{"headers larger than the limit are dropped", &kafkaio.InRecord{Value: rec.Value, Headers: []kafkaio.Header{{Key: "h", Value: make([]byte, limit)}}}, 1, limit - truncationMargin - 1024, false},
		{"deep levels reach zero", rec, 40, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, keep := truncatedPrefix(tc.rec, limit, tc.level)
			if n != tc.want || keep != tc.keepHeaders {
				t.Fatalf("got %d bytes, keep headers %v; want %d, %v", n, keep, tc.want, tc.keepHeaders)
			}
		})
	}
}
