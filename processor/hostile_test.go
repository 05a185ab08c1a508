package processor

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
)

// TestRunHostileInput sends records a hostile or careless producer could
// write — null and binary keys, headers that imitate eventproc's own,
// tombstones, empty and oversized values, JSON bombs — through a real
// member, and checks that each lands where the contract says (output, or
// DLQ with the right reason), byte for byte for dead letters, with the
// exactly-once audit clean.
func TestRunHostileInput(t *testing.T) {
	h := newHarness(t, 1)
	now := float64(time.Now().Unix())
	good := func(id string) []byte {
		return []byte(`{"event_id":"` + id + `","source_id":"hostile","timestamp":` + ftoa(now) + `}`)
	}
	fake := []kafkaio.Header{
		{Key: event.HeaderSourceOffset, Value: []byte("999999")},
		{Key: event.HeaderErrorReason, Value: []byte("not_a_reason")},
	}
	type tc struct {
		name    string
		key     []byte
		value   []byte
		headers []kafkaio.Header
		reason  string // "" = accepted
	}
	cases := []tc{
		{name: "null key, good value", key: nil, value: good("e1")},
		{name: "binary key", key: []byte{0, 0xff, 0xfe}, value: good("e2")},
		{name: "headers imitating eventproc's", key: []byte("hostile"), value: good("e3"), headers: fake},
		{name: "tombstone", key: []byte("hostile"), value: nil, reason: "invalid_json"},
		{name: "empty value", key: []byte("hostile"), value: []byte{}, reason: "invalid_json"},
		{name: "dead letter keeps imitating headers", key: nil, value: []byte("{"), headers: fake, reason: "invalid_json"},
		{name: "over --max-event-bytes", key: []byte("hostile"), value: []byte(`{"event_id":"big","source_id":"hostile","timestamp":1,"pad":"` + strings.Repeat("x", 70<<10) + `"}`), reason: "too_large"},
		{name: "nesting bomb", key: []byte("hostile"), value: []byte(`{"event_id":"n","source_id":"hostile","timestamp":1,"metadata":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "}"), reason: "too_deep"},
		{name: "many keys", key: []byte("hostile"), value: manyKeys(2000), reason: ""},
		{name: "huge string in metadata", key: []byte("hostile"), value: []byte(`{"event_id":"s","source_id":"hostile","timestamp":` + ftoa(now) + `,"metadata":{"blob":"` + strings.Repeat("y", 50<<10) + `"}}`)},
		{name: "duplicate keys", key: []byte("hostile"), value: []byte(`{"event_id":"d","event_id":"d2","source_id":"hostile","timestamp":1}`), reason: "invalid_field"},
		{name: "NaN literal", key: []byte("hostile"), value: []byte(`{"event_id":"x","source_id":"hostile","timestamp":NaN}`), reason: "invalid_json"},
		{name: "invalid UTF-8", key: []byte("hostile"), value: []byte("{\"event_id\":\"\xff\",\"source_id\":\"hostile\",\"timestamp\":1}"), reason: "invalid_json"},
		{name: "huge number", key: []byte("hostile"), value: []byte(`{"event_id":"h","source_id":"hostile","timestamp":1` + strings.Repeat("0", 400) + `}`)},
	}
	recs := make([]kafkaio.OutRecord, len(cases))
	for i, c := range cases {
		recs[i] = kafkaio.OutRecord{Topic: h.input, Partition: 0, Key: c.key, Value: c.value, Headers: c.headers}
		if c.reason != "" {
			h.bad++
		}
	}
	cl, err := kafkaio.NewClient(h.client)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := kafkaio.ProduceSync(ctx, cl, recs...); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	h.inputs += len(recs)

	h.start("a", func(c *Config) { c.Intake.MaxEventBytes = 64 << 10 })
	s := h.awaitAll(60 * time.Second)
	h.assertExactlyOnce(s)

	reasons := map[string]string{} // input offset → reason header
	for _, d := range s.dlq {
		var off, reason string
		for _, hd := range d.Headers {
			switch hd.Key {
			case event.HeaderErrorOffset:
				off = string(hd.Value)
			case event.HeaderErrorReason:
				reason = string(hd.Value)
			}
		}
		reasons[off] = reason
	}
	for i, c := range cases {
		got, dead := reasons[itoa(i)]
		switch {
		case c.reason == "" && dead:
			t.Errorf("%s: dead-lettered as %s, want accepted", c.name, got)
		case c.reason != "" && got != c.reason:
			t.Errorf("%s: reason %q, want %q", c.name, got, c.reason)
		}
	}
}

func manyKeys(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"event_id":"m","source_id":"hostile","timestamp":` + ftoa(float64(time.Now().Unix())) + `,"metadata":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + itoa(i) + `":` + itoa(i))
	}
	b.WriteString("}}")
	return []byte(b.String())
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
