package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/kafkaio"
)

// verifyReport is the part of `verify --json` the tests read.
type verifyReport struct {
	OK          bool           `json:"ok"`
	Inputs      int            `json:"inputs"`
	Outputs     int            `json:"outputs"`
	DeadLetters int            `json:"dead_letters"`
	Counts      map[string]int `json:"violation_counts"`
	Violations  []struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Field   string `json:"field"`
		Refs    []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Offset    int64  `json:"offset"`
		} `json:"refs"`
	} `json:"violations"`
}

// names reports whether the report has a violation of kind that names
// the record want ("topic/partition@offset").
func (r verifyReport) names(kind, want string) bool {
	for _, v := range r.Violations {
		if v.Kind != kind {
			continue
		}
		for _, ref := range v.Refs {
			if fmt.Sprintf("%s/%d@%d", ref.Topic, ref.Partition, ref.Offset) == want {
				return true
			}
		}
	}
	return false
}

// plantedTopics are the processed records of one test case, as they are
// copied into the case's own output and DLQ topics.
type plantedTopics struct {
	out, dlq []kafkaio.InRecord
}

// A plant case breaks one invariant in a copy of a correctly processed
// output and DLQ and says which violation must name which record. Copies
// keep every record's partition and relative order; offsets in a copy are
// positions within its partition (plain produce, no transaction markers).
type plantCase struct {
	name string
	// plant edits the copy and returns the kind and the record
	// ("topic/partition@offset", topics named "in", "out" and "dlq" for
	// the case's input, output and DLQ topics) the report must name.
	plant func(t *testing.T, p *plantedTopics) (kind, ref string)
	// field, when set, is the field the violation must name.
	field string
}

// hasField reports whether the report has a violation of kind on field.
func (r verifyReport) hasField(kind, field string) bool {
	for _, v := range r.Violations {
		if v.Kind == kind && v.Field == field {
			return true
		}
	}
	return false
}

// editOutput rewrites member name of an output value: old must occur.
func editOutput(t *testing.T, v []byte, name string, edit func(old string) string) []byte {
	t.Helper()
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(name) + `":("[^"]*"|[-0-9.eE+]+|true|false)`)
	m := re.FindSubmatchIndex(v)
	if m == nil {
		t.Fatalf("no member %s in %s", name, v)
	}
	out := append([]byte(nil), v[:m[2]]...)
	out = append(out, edit(string(v[m[2]:m[3]]))...)
	return append(out, v[m[3]:]...)
}

// forge replaces an output's value by an invented event that keeps the
// real one's ids, sequence numbers and lineage headers.
func forge(t *testing.T, v []byte) []byte {
	t.Helper()
	o, err := event.ParseOutput(v)
	if err != nil {
		t.Fatal(err)
	}
	o.Category, o.Payload = "ALERT", json.RawMessage(`{"invented":true}`)
	o.Derived.ProcessingSignature, o.Derived.WindowID = "000000000000", "made-up-window"
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	sequenceMember = regexp.MustCompile(`"sequence_number":([0-9]+)`)
	publishMember  = regexp.MustCompile(`"global_publish_sequence":([0-9]+)`)
)

// bump returns value with the number of member re increased by one.
func bump(t *testing.T, re *regexp.Regexp, value []byte) []byte {
	t.Helper()
	m := re.FindSubmatchIndex(value)
	if m == nil {
		t.Fatalf("no %s in %s", re, value)
	}
	n, err := strconv.ParseUint(string(value[m[2]:m[3]]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), value[:m[2]]...)
	out = strconv.AppendUint(out, n+1, 10)
	return append(out, value[m[3]:]...)
}

// lastIn returns the index of the last record of partition p.
func lastIn(t *testing.T, rs []kafkaio.InRecord, p int32) int {
	t.Helper()
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Partition == p {
			return i
		}
	}
	t.Fatalf("no record in partition %d", p)
	return -1
}

// sameSourcePair returns the indexes of the first two records of one
// source (key) in partition p.
func sameSourcePair(t *testing.T, rs []kafkaio.InRecord, p int32) (first, second int) {
	t.Helper()
	seen := map[string]int{}
	for i, r := range rs {
		if r.Partition != p {
			continue
		}
		if j, ok := seen[string(r.Key)]; ok {
			return j, i
		}
		seen[string(r.Key)] = i
	}
	t.Fatalf("no source with two records in partition %d", p)
	return 0, 0
}

// positionInPartition is the offset record i gets in a copy.
func positionInPartition(rs []kafkaio.InRecord, i int) int64 {
	n := int64(0)
	for j := range i {
		if rs[j].Partition == rs[i].Partition {
			n++
		}
	}
	return n
}

// lineage returns "in/partition@offset" from an output's lineage headers.
func lineage(t *testing.T, r kafkaio.InRecord, input string) string {
	t.Helper()
	var p, o string
	for _, h := range r.Headers {
		switch h.Key {
		case event.HeaderSourcePartition:
			p = string(h.Value)
		case event.HeaderSourceOffset:
			o = string(h.Value)
		}
	}
	if p == "" || o == "" {
		t.Fatalf("output %s/%d@%d has no lineage headers", r.Topic, r.Partition, r.Offset)
	}
	return input + "/" + p + "@" + o
}

func withHeader(hs []kafkaio.Header, key, value string) []kafkaio.Header {
	out := make([]kafkaio.Header, 0, len(hs))
	for _, h := range hs {
		if h.Key == key {
			h.Value = []byte(value)
		}
		out = append(out, h)
	}
	return out
}

func header(hs []kafkaio.Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func plantCases(input string) []plantCase {
	return []plantCase{
		{name: "loss", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			// The last output of a partition: dropping it leaves no gap
			// in any sequence, only the loss.
			i := lastIn(t, p.out, 0)
			ref := lineage(t, p.out[i], input)
			p.out = append(p.out[:i:i], p.out[i+1:]...)
			return "loss", ref
		}},
		{name: "duplicate", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			for _, r := range p.out {
				if r.Partition == 1 {
					p.out = append(p.out, r)
					return "duplicate", lineage(t, r, input)
				}
			}
			t.Fatal("no output in partition 1")
			return "", ""
		}},
		{name: "sequence gap", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			// A source's outputs share a partition, so the partition's
			// last output is its source's last: a number is skipped.
			i := lastIn(t, p.out, 2)
			p.out[i].Value = bump(t, sequenceMember, p.out[i].Value)
			return "sequence_gap", fmt.Sprintf("out/2@%d", positionInPartition(p.out, i))
		}},
		{name: "publish sequence gap", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := lastIn(t, p.out, 0)
			p.out[i].Value = bump(t, publishMember, p.out[i].Value)
			return "publish_sequence", fmt.Sprintf("out/0@%d", positionInPartition(p.out, i))
		}},
		{name: "reorder outputs", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			// Swap a source's first two outputs in partition 1: each
			// still carries its own input's sequence number, but the
			// partition's publish sequence no longer runs in offset order.
			i, j := sameSourcePair(t, p.out, 1)
			p.out[i], p.out[j] = p.out[j], p.out[i]
			return "publish_sequence", ""
		}},
		{name: "reorder sequence numbers", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			// Swap the sequence numbers of a source's first two outputs in
			// partition 2: the numbers no longer follow the input order.
			i, j := sameSourcePair(t, p.out, 2)
			si, sj := sequenceMember.Find(p.out[i].Value), sequenceMember.Find(p.out[j].Value)
			p.out[i].Value = bytes.Replace(p.out[i].Value, si, sj, 1)
			p.out[j].Value = bytes.Replace(p.out[j].Value, sj, si, 1)
			return "sequence_order", fmt.Sprintf("out/2@%d", positionInPartition(p.out, j))
		}},
		{name: "wrong reason", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			// A known reason code, but not the one the value has.
			got := header(p.dlq[0].Headers, event.HeaderErrorReason)
			wrong := event.ReasonInvalidJSON.String()
			if got == wrong {
				wrong = event.ReasonNotAnObject.String()
			}
			p.dlq[0].Headers = withHeader(p.dlq[0].Headers, event.HeaderErrorReason, wrong)
			return "dlq_headers", fmt.Sprintf("dlq/%d@0", p.dlq[0].Partition)
		}},
		{name: "unknown reason", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			p.dlq[0].Headers = withHeader(p.dlq[0].Headers, event.HeaderErrorReason, "mystery")
			return "dlq_headers", fmt.Sprintf("dlq/%d@0", p.dlq[0].Partition)
		}},
		{name: "forged output", field: "payload", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := lastIn(t, p.out, 1)
			p.out[i].Value = forge(t, p.out[i].Value)
			return "content", fmt.Sprintf("out/1@%d", positionInPartition(p.out, i))
		}},
		{name: "altered category", field: "category", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := lastIn(t, p.out, 0)
			p.out[i].Value = editOutput(t, p.out[i].Value, "category", func(old string) string {
				if old == `"ALERT"` {
					return `"NORMAL"`
				}
				return `"ALERT"`
			})
			return "content", fmt.Sprintf("out/0@%d", positionInPartition(p.out, i))
		}},
		{name: "altered risk score", field: "derived_fields.risk_score", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := lastIn(t, p.out, 2)
			p.out[i].Value = editOutput(t, p.out[i].Value, "risk_score", func(string) string { return "0.123" })
			return "content", fmt.Sprintf("out/2@%d", positionInPartition(p.out, i))
		}},
		{name: "altered signature", field: "derived_fields.processing_signature", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := lastIn(t, p.out, 0)
			p.out[i].Value = editOutput(t, p.out[i].Value, "processing_signature", func(string) string { return `"000000000000"` })
			return "content", fmt.Sprintf("out/0@%d", positionInPartition(p.out, i))
		}},
		{name: "altered metadata hash", field: "metadata_hash", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := lastIn(t, p.out, 1)
			p.out[i].Value = editOutput(t, p.out[i].Value, "metadata_hash", func(string) string { return `"` + strings.Repeat("ab", 32) + `"` })
			return "content", fmt.Sprintf("out/1@%d", positionInPartition(p.out, i))
		}},
		{name: "altered sequence number", field: "sequence_number", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := lastIn(t, p.out, 2)
			p.out[i].Value = bump(t, sequenceMember, p.out[i].Value)
			return "content", fmt.Sprintf("out/2@%d", positionInPartition(p.out, i))
		}},
		{name: "altered dead letter", plant: func(t *testing.T, p *plantedTopics) (string, string) {
			i := len(p.dlq) - 1
			v := append([]byte(nil), p.dlq[i].Value...)
			v[len(v)/2] ^= 0x20
			p.dlq[i].Value = v
			return "dlq_altered", fmt.Sprintf("dlq/%d@%d", p.dlq[i].Partition, positionInPartition(p.dlq, i))
		}},
	}
}

// caseTopic names a plant case's copy of the output ("out") or DLQ.
func caseTopic(kind, caseName string) string {
	return kind + "-" + strings.ReplaceAll(caseName, " ", "-")
}

// TestVerifyPassesAProcessedRunAndCatchesEveryPlantedViolation runs the
// real pipeline (produce, then the run command) into "out" and "dlq",
// requires verify to pass it, then plants one violation per case into a
// copy of those topics and requires verify to exit 1 naming the kind and
// the offending record.
func TestVerifyPassesAProcessedRunAndCatchesEveryPlantedViolation(t *testing.T) {
	const partitions, count = 3, 1500
	cases := plantCases("in")
	topics := []string{"in", "out", "dlq"}
	for _, c := range cases {
		topics = append(topics, caseTopic("out", c.name), caseTopic("dlq", c.name))
	}
	addr := startKfakeForCLI(t, partitions, topics...)

	_, errOut, code := runCLI(t, t.Context(), "produce", "--brokers", addr, "--topic", "in", "--count", strconv.Itoa(count),
		"--seed", "11", "--sources", "30", "--malformed-ratio", "0.08", "--progress-interval", "1h")
	if code != exitOK {
		t.Fatalf("produce exit %d: %s", code, errOut)
	}
	processed := runUntilProcessed(t, addr, count)

	out, errOut, code := runCLI(t, t.Context(), "verify", "--brokers", addr, "--input-topic", "in", "--output-topic", "out", "--dlq-topic", "dlq")
	if code != exitOK {
		t.Fatalf("verify of a correct run exited %d:\n%s\n%s", code, out, errOut)
	}
	if want := fmt.Sprintf("audit: %d input records, %d outputs, %d dead letters: OK", count, len(processed.out), len(processed.dlq)); !strings.Contains(out, want) {
		t.Fatalf("verify output lacks %q:\n%s", want, out)
	}
	if len(processed.dlq) == 0 || len(processed.out) == 0 {
		t.Fatalf("%d outputs and %d dead letters: the planted cases need both", len(processed.out), len(processed.dlq))
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := plantedTopics{out: append([]kafkaio.InRecord(nil), processed.out...), dlq: append([]kafkaio.InRecord(nil), processed.dlq...)}
			kind, ref := c.plant(t, &p)
			outTopic, dlqTopic := caseTopic("out", c.name), caseTopic("dlq", c.name)
			copyRecords(t, addr, outTopic, p.out)
			copyRecords(t, addr, dlqTopic, p.dlq)

			stdout, stderr, code := runCLI(t, t.Context(), "verify", "--brokers", addr, "--json",
				"--input-topic", "in", "--output-topic", outTopic, "--dlq-topic", dlqTopic)
			if code != exitFailure {
				t.Fatalf("verify exited %d, want %d:\n%s\n%s", code, exitFailure, stdout, stderr)
			}
			var rep verifyReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
			}
			if rep.OK || rep.Counts[kind] == 0 {
				t.Fatalf("report has no %s violation: %+v", kind, rep.Counts)
			}
			ref = strings.NewReplacer("out/", outTopic+"/", "dlq/", dlqTopic+"/").Replace(ref)
			if ref != "" && !rep.names(kind, ref) {
				t.Errorf("no %s violation names %s:\n%s", kind, ref, stdout)
			}
			if c.field != "" && !rep.hasField(kind, c.field) {
				t.Errorf("no %s violation on field %s:\n%s", kind, c.field, stdout)
			}
			if !strings.Contains(stderr, "exactly-once violations found: ") || !strings.Contains(stderr, kind+" ") {
				t.Errorf("stderr does not name the kind %s: %q", kind, stderr)
			}

			// The readable report names the kind too.
			text, _, code := runCLI(t, t.Context(), "verify", "--brokers", addr,
				"--input-topic", "in", "--output-topic", outTopic, "--dlq-topic", dlqTopic)
			if code != exitFailure || !strings.Contains(text, "\n"+kind+": ") {
				t.Errorf("text report (exit %d) does not list %s:\n%s", code, kind, text)
			}
			if c.field != "" && !strings.Contains(text, "  - "+c.field+" is ") {
				t.Errorf("text report does not name the field %s:\n%s", c.field, text)
			}
		})
	}
}

// runUntilProcessed runs the run command on in/out/dlq until every one of
// count input records is in the output or the DLQ, stops it as SIGTERM
// would and returns the processed topics.
func runUntilProcessed(t *testing.T, addr string, count int, extraArgs ...string) plantedTopics {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() { // ends when ctx is cancelled
		done <- runApp(ctx, append([]string{"eventproc", "run", "--brokers", addr, "--input-topic", "in", "--output-topic", "out",
			"--dlq-topic", "dlq", "--group", "verify-test", "--instance-id", "a", "--metrics-addr", "",
			"--window-max-events", "200", "--log-format", "json"}, extraArgs...), &bytes.Buffer{}, &errOut)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		snap, err := kafkatool.Snapshot(t.Context(), kafkaio.ClientConfig{Brokers: []string{addr}}, "out", "dlq")
		if err == nil && len(snap["out"])+len(snap["dlq"]) >= count {
			cancel()
			if code := <-done; code != exitOK {
				t.Fatalf("run exited %d", code)
			}
			return plantedTopics{out: snap["out"], dlq: snap["dlq"]}
		}
		select {
		case code := <-done:
			t.Fatalf("run exited %d before processing everything: %s", code, errOut.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not processed after 2m (last error %v)", err)
		}
	}
}

// copyRecords produces rs to topic, each to its partition, in order.
func copyRecords(t *testing.T, addr, topic string, rs []kafkaio.InRecord) {
	t.Helper()
	cl, err := kafkaio.NewClient(kafkaio.ClientConfig{Brokers: []string{addr}}, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(rs))
	for i, r := range rs {
		recs[i] = &kgo.Record{Topic: topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: r.Headers}
	}
	if err := cl.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatalf("copy to %s: %v", topic, err)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"verify", "--input-topic", "a", "--output-topic", "a", "--dlq-topic", "b"},
		{"verify", "--dlq-topic", ""},
		{"verify", "--timeout", "0s"},
		{"verify", "--max-depth", "1"},
		{"verify", "--brokers", "nohostport"},
		{"verify", "--ordering", "total"},
	} {
		if _, errOut, code := runCLI(t, t.Context(), args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
	}
}

// TestVerifyUsesRunsConfigFile: verify reads run's configuration file
// (keys it has no use for included), so it re-derives outputs with the
// settings the service used; without them the redacted metadata is a
// content violation.
func TestVerifyUsesRunsConfigFile(t *testing.T) {
	const count = 600
	addr := startKfakeForCLI(t, 2, "in", "out", "dlq")
	if _, errOut, code := runCLI(t, t.Context(), "produce", "--brokers", addr, "--topic", "in", "--count", strconv.Itoa(count),
		"--seed", "5", "--sources", "12", "--malformed-ratio", "0.05", "--progress-interval", "1h"); code != exitOK {
		t.Fatalf("produce exit %d: %s", code, errOut)
	}
	config := filepath.Join(t.TempDir(), "eventproc.yaml")
	if err := os.WriteFile(config, []byte("redact-metadata: true\nanomaly-warmup: 5\nwindow-max-events: 150\ngroup: verify-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runUntilProcessed(t, addr, count, "--config", config)

	args := []string{"verify", "--brokers", addr, "--input-topic", "in", "--output-topic", "out", "--dlq-topic", "dlq"}
	out, errOut, code := runCLI(t, t.Context(), append(args, "--config", config, "--wait-quiet", "300ms")...)
	if code != exitOK || !strings.Contains(out, ": OK") {
		t.Fatalf("verify --config exited %d:\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "waiting until group verify-test has been quiet for 300ms") {
		t.Errorf("stderr does not say it waits: %q", errOut)
	}
	out, _, code = runCLI(t, t.Context(), append(args, "--json")...)
	var rep verifyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if code != exitFailure || !rep.hasField("content", "metadata") {
		t.Fatalf("verify without the service's settings exited %d, want metadata content violations: %+v", code, rep.Counts)
	}
}
