package main

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

// seedTail writes to topic: a committed transaction, an aborted one, a
// committed one holding a non-UTF-8 value and a DLQ-style record, and an
// aborted one at the end. It returns the committed records in order.
func seedTail(t *testing.T, addr, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kafkaio.NewClient(kafkaio.ClientConfig{Brokers: []string{addr}}, kgo.TransactionalID("tail-seed"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rec := func(key, value string, headers ...string) *kgo.Record {
		r := &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(value)}
		for i := 0; i+1 < len(headers); i += 2 {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: headers[i], Value: []byte(headers[i+1])})
		}
		return r
	}
	txn := func(commit bool, rs ...*kgo.Record) {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(t.Context(), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(t.Context(), kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	committed := []*kgo.Record{
		rec("src-1", `{"event_id":"a1","source_id":"src-1","metadata":{"n":[1,2]}}`),
		rec("src-2", `{"event_id":"a2","source_id":"src-2"}`),
		rec("src-3", "\xff\xfe not utf-8 {", "__eventproc.errors.reason", "invalid_json",
			"__eventproc.errors.message", "value is not valid UTF-8"),
		rec("src-4", `[1,2,3]`, "__eventproc.errors.reason", "not_an_object"),
	}
	txn(true, committed[0], committed[1])
	txn(false, rec("src-9", `{"event_id":"aborted-1"}`), rec("src-9", `{"event_id":"aborted-2"}`))
	txn(true, committed[2], committed[3])
	txn(false, rec("src-9", `{"event_id":"aborted-3"}`))
	return committed
}

func TestTailRawPrintsCommittedValuesByteExact(t *testing.T) {
	addr := startKfakeForCLI(t, 1, "out")
	committed := seedTail(t, addr, "out")
	out, errOut, code := runCLI(t, t.Context(), "tail", "--brokers", addr, "--topic", "out",
		"--from-beginning", "--stop-at-end", "--raw")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var want strings.Builder
	for _, r := range committed {
		want.Write(r.Value)
		want.WriteByte('\n')
	}
	if out != want.String() {
		t.Fatalf("raw output:\n%q\nwant:\n%q", out, want.String())
	}
}

func TestTailPrettyShowsMetadataAndHeaders(t *testing.T) {
	addr := startKfakeForCLI(t, 1, "out")
	seedTail(t, addr, "out")
	out, errOut, code := runCLI(t, t.Context(), "tail", "--brokers", addr, "--topic", "out",
		"--from-beginning", "--stop-at-end")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"--- out [0] @0  key src-1  ",
		"--- out [0] @1  key src-2  ",
		"{\n  \"event_id\": \"a1\",\n  \"source_id\": \"src-1\",\n  \"metadata\": {\n    \"n\": [\n      1,\n      2\n    ]\n  }\n}\n",
		"  __eventproc.errors.reason: invalid_json\n  __eventproc.errors.message: value is not valid UTF-8\n",
		`(not JSON, 14 bytes) "\xff\xfe not utf-8 {"`,
		"[\n  1,\n  2,\n  3\n]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pretty output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "aborted") {
		t.Errorf("pretty output shows an aborted record:\n%s", out)
	}
	if got := strings.Count(out, "--- out "); got != 4 {
		t.Errorf("%d records printed, want 4", got)
	}
	if !strings.Contains(errOut, "4 record(s) from out") {
		t.Errorf("stderr lacks the count: %q", errOut)
	}
}

func TestTailDLQAndCount(t *testing.T) {
	addr := startKfakeForCLI(t, 1, "my.dlq", "events.out")
	seedTail(t, addr, "my.dlq")
	out, errOut, code := runCLI(t, t.Context(), "tail", "--brokers", addr, "--dlq", "--dlq-topic", "my.dlq",
		"--from-beginning", "--count", "3", "--raw")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[2], "\xff\xfe") {
		t.Fatalf("--dlq --count 3 printed %q", out)
	}
}

func TestTailPartitions(t *testing.T) {
	addr := startKfakeForCLI(t, 3, "out")
	cl, err := kafkaio.NewClient(kafkaio.ClientConfig{Brokers: []string{addr}}, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for p, v := range []string{"zero", "one", "two"} {
		if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: "out", Partition: int32(p), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := runCLI(t, t.Context(), "tail", "--brokers", addr, "--topic", "out", "--partitions", "2,0",
		"--from-beginning", "--stop-at-end", "--raw")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Fields(out)
	if len(lines) != 2 || strings.Contains(out, "one") {
		t.Fatalf("--partitions 2,0 printed %q", out)
	}
}
