package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/rederive"
)

// processed is a fixture: input records and what a correct processor
// publishes for them, built with the replay itself (the processor's tests
// prove the two agree), one window per partition.
type processed struct {
	in, out, dlq []audit.Record
}

type fixtureInput struct {
	partition int32
	value     string
}

var received = time.Unix(1670000100, 0)

func validEvent(id, source string, load float64) string {
	return fmt.Sprintf(`{"event_id":%q,"source_id":%q,"timestamp":1670000000,"priority":"HIGH","load_indicator":%v,"metadata":{"k":"v"},"extra":1}`, id, source, load)
}

// process runs inputs through the replay as a processor would. refused
// lists input indexes the broker refuses: they become unpublishable dead
// letters and consume nothing.
func process(t *testing.T, cfg rederive.Config, inputs []fixtureInput, group string, refused ...int) processed {
	t.Helper()
	var p processed
	parts := map[int32]*rederive.Partition{}
	offsets := map[int32]int64{}
	publish := map[int32]uint64{}
	dlqOffsets := map[int32]int64{}
	for i, fi := range inputs {
		rp := parts[fi.partition]
		if rp == nil {
			var err error
			if rp, err = rederive.NewPartition(cfg); err != nil {
				t.Fatal(err)
			}
			parts[fi.partition] = rp
		}
		off := offsets[fi.partition]
		offsets[fi.partition]++
		in := audit.Record{Topic: "in", Partition: fi.partition, Offset: off, Key: []byte("k"), Value: []byte(fi.value), Timestamp: received}
		p.in = append(p.in, in)
		o := rp.Derive(in.Value, in.Timestamp)
		isRefused := false
		for _, r := range refused {
			isRefused = isRefused || r == i
		}
		if !o.Accepted || isRefused {
			reason, msg := o.Reason.String(), o.Message
			if isRefused {
				reason, msg = event.ReasonUnpublishable.String(), "the broker refused the output"
			}
			hs := []audit.Header{
				{Key: event.HeaderErrorTopic, Value: []byte("in")},
				{Key: event.HeaderErrorPartition, Value: []byte(strconv.Itoa(int(fi.partition)))},
				{Key: event.HeaderErrorOffset, Value: []byte(strconv.FormatInt(off, 10))},
				{Key: event.HeaderErrorReason, Value: []byte(reason)},
				{Key: event.HeaderErrorMessage, Value: []byte(msg)},
			}
			p.dlq = append(p.dlq, audit.Record{Topic: "dlq", Partition: fi.partition, Offset: dlqOffsets[fi.partition], Key: in.Key, Value: in.Value, Headers: hs})
			dlqOffsets[fi.partition]++
			continue
		}
		rp.Commit(&o)
		publish[fi.partition]++
		hs := []audit.Header{
			{Key: event.HeaderSourceTopic, Value: []byte("in")},
			{Key: event.HeaderSourcePartition, Value: []byte(strconv.Itoa(int(fi.partition)))},
			{Key: event.HeaderSourceOffset, Value: []byte(strconv.FormatInt(off, 10))},
		}
		if group != "" {
			hs = append(hs, audit.Header{Key: event.HeaderGroup, Value: []byte(group)})
		}
		// One window per input record keeps the merge order trivially right.
		window := fmt.Sprintf("%s-a-%012d", group, i)
		p.out = append(p.out, audit.Record{Topic: "out", Partition: fi.partition, Offset: int64(publish[fi.partition] - 1), Key: o.Event.SourceID,
			Value: rp.AppendOutput(nil, &o, window, publish[fi.partition], 0.25), Headers: hs})
	}
	return p
}

func (p processed) check(cfg rederive.Config, partial bool) audit.Report {
	return audit.Check(p.in, p.out, p.dlq, audit.Options{InputTopic: "in", Rederive: &cfg, PartialRange: partial})
}

func standardInputs() []fixtureInput {
	var ins []fixtureInput
	for i := range 30 {
		ins = append(ins, fixtureInput{partition: int32(i % 2), value: validEvent(fmt.Sprintf("e%d", i), fmt.Sprintf("src-%d", i%4), float64(i%7)/10)})
	}
	ins = append(ins, fixtureInput{partition: 0, value: `not json`}, fixtureInput{partition: 1, value: `[1]`})
	return ins
}

func requireClean(t *testing.T, r audit.Report) {
	t.Helper()
	if !r.OK() || len(r.Diagnoses) > 0 {
		var b bytes.Buffer
		_ = r.WriteText(&b)
		t.Fatalf("want a clean report:\n%s", b.String())
	}
}

func TestContentCleanRunPasses(t *testing.T) {
	for _, cfg := range []rederive.Config{{}, {RedactMetadata: true}} {
		p := process(t, cfg, standardInputs(), "g1")
		requireClean(t, p.check(cfg, false))
		if len(p.check(cfg, false).Unchecked) != 0 {
			t.Fatal("complete history reported as unchecked")
		}
	}
}

// replaceMember rewrites the first `"name":<value>` of an output value.
func replaceMember(t *testing.T, v []byte, name, old, new string) []byte {
	t.Helper()
	from := `"` + name + `":` + old
	if !bytes.Contains(v, []byte(from)) {
		t.Fatalf("%s not in %s", from, v)
	}
	return bytes.Replace(v, []byte(from), []byte(`"`+name+`":`+new), 1)
}

func memberValue(t *testing.T, v []byte, name string) string {
	t.Helper()
	o, err := event.ParseOutput(v)
	if err != nil {
		t.Fatal(err)
	}
	switch name {
	case "category":
		return strconv.Quote(o.Category)
	case "risk_score":
		return strconv.FormatFloat(o.Derived.RiskScore, 'g', -1, 64)
	case "processing_signature":
		return strconv.Quote(o.Derived.ProcessingSignature)
	case "metadata_hash":
		return strconv.Quote(o.MetadataHash)
	}
	t.Fatalf("no member %s", name)
	return ""
}

func TestContentPlantedViolations(t *testing.T) {
	cfg := rederive.Config{}
	cases := []struct {
		name, field string
		plant       func(t *testing.T, v []byte) []byte
	}{
		{"payload", "payload", func(t *testing.T, v []byte) []byte {
			return replaceMember(t, v, "payload", `{"extra":1}`, `{"extra":2}`)
		}},
		{"category", "category", func(t *testing.T, v []byte) []byte {
			old := memberValue(t, v, "category")
			forged := `"ALERT"`
			if old == forged {
				forged = `"NORMAL"`
			}
			return replaceMember(t, v, "category", old, forged)
		}},
		{"risk", "derived_fields.risk_score", func(t *testing.T, v []byte) []byte {
			return replaceMember(t, v, "risk_score", memberValue(t, v, "risk_score"), "0.99")
		}},
		{"signature", "derived_fields.processing_signature", func(t *testing.T, v []byte) []byte {
			return replaceMember(t, v, "processing_signature", memberValue(t, v, "processing_signature"), `"000000000000"`)
		}},
		{"hash", "metadata_hash", func(t *testing.T, v []byte) []byte {
			return replaceMember(t, v, "metadata_hash", memberValue(t, v, "metadata_hash"), `"`+strings.Repeat("0", 64)+`"`)
		}},
		{"sequence", "sequence_number", func(t *testing.T, v []byte) []byte {
			return replaceMember(t, v, "sequence_number", "3", "4")
		}},
		{"metadata", "metadata", func(t *testing.T, v []byte) []byte {
			return replaceMember(t, v, "metadata", `{"k":"v"}`, `{"k":"w"}`)
		}},
		{"re-encoded", "(encoding)", func(t *testing.T, v []byte) []byte {
			return replaceMember(t, v, "event_id", `"e8"`, ` "e8"`)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := process(t, cfg, standardInputs(), "g1")
			// The third event of src-0 (partition 0): sequence number 3.
			const target = 8
			o, err := event.ParseOutput(p.out[target].Value)
			if err != nil || o.SourceID != "src-0" || o.SequenceNumber != 3 {
				t.Fatalf("fixture: output %d is %+v (%v)", target, o, err)
			}
			p.out[target].Value = c.plant(t, p.out[target].Value)
			r := p.check(cfg, false)
			want := audit.Ref{Topic: "out", Partition: p.out[target].Partition, Offset: p.out[target].Offset}
			for _, v := range r.Violations {
				if v.Kind == audit.KindContent && v.Field == c.field && v.Refs[0] == want {
					if v.Want == v.Got || !strings.Contains(v.Message, c.field) {
						t.Fatalf("violation %+v does not show the difference", v)
					}
					return
				}
			}
			t.Fatalf("no content violation of %s on %s: %+v", c.field, want, r.Violations)
		})
	}
}

func TestContentOutputForRejectedInput(t *testing.T) {
	cfg := rederive.Config{}
	p := process(t, cfg, standardInputs(), "g1")
	// Point an output at the dead-lettered `not json` input and drop its
	// dead letter: the lineage is well formed, the input cannot yield it.
	var badOffset []byte
	for _, h := range p.dlq[0].Headers {
		if h.Key == event.HeaderErrorOffset {
			badOffset = h.Value
		}
	}
	p.dlq = p.dlq[1:]
	for i, h := range p.out[0].Headers {
		if h.Key == event.HeaderSourceOffset {
			p.out[0].Headers[i].Value = badOffset
		}
	}
	r := p.check(cfg, false)
	for _, v := range r.Violations {
		if v.Kind == audit.KindContent && v.Field == "(outcome)" && strings.Contains(v.Message, "invalid_json") {
			return
		}
	}
	t.Fatalf("no outcome violation: %+v", r.Violations)
}

func TestContentDeadLetterReason(t *testing.T) {
	cfg := rederive.Config{}
	p := process(t, cfg, standardInputs(), "g1")
	for i, h := range p.dlq[0].Headers {
		if h.Key == event.HeaderErrorReason {
			p.dlq[0].Headers[i].Value = []byte(event.ReasonTooDeep.String())
		}
	}
	r := p.check(cfg, false)
	if r.Count(audit.KindDLQHeaders) != 1 || r.Violations[0].Field != "reason" || r.Violations[0].Want != "invalid_json" {
		t.Fatalf("want one reason violation: %+v", r.Violations)
	}
	if len(r.Diagnoses) != 1 || !strings.Contains(r.Diagnoses[0], "reason the replay does not reproduce") {
		t.Fatalf("diagnoses: %q", r.Diagnoses)
	}

	// A valid event dead-lettered as invalid_json is a violation; as
	// unpublishable (the broker refused it) it is not.
	for _, c := range []struct {
		reason string
		ok     bool
	}{{"invalid_json", false}, {"unpublishable", true}, {"too_large", true}} {
		p := process(t, cfg, standardInputs(), "g1", 4)
		for j := range p.dlq {
			for i, h := range p.dlq[j].Headers {
				if h.Key == event.HeaderErrorReason && string(h.Value) == "unpublishable" {
					p.dlq[j].Headers[i].Value = []byte(c.reason)
				}
			}
		}
		if r := p.check(cfg, false); r.OK() != c.ok {
			t.Errorf("valid event dead-lettered as %s: ok %v, want %v: %+v", c.reason, r.OK(), c.ok, r.Violations)
		}
	}
}

// A refused input consumes no sequence number: the source's next output
// has the number the refused one would have had.
func TestContentBrokerRefusedConsumesNothing(t *testing.T) {
	cfg := rederive.Config{}
	p := process(t, cfg, standardInputs(), "g1", 0)
	requireClean(t, p.check(cfg, false))
	// Replaying as if it had been published shifts every later sequence of
	// src-0: the fixture's outputs would no longer match.
	q := process(t, cfg, standardInputs(), "g1")
	p.out = q.out[1:]
	if p.check(cfg, false).Count(audit.KindContent) == 0 {
		t.Fatal("outputs numbered as if the refused input had been published pass")
	}
}

func TestContentTruncatedDeadLetter(t *testing.T) {
	cfg := rederive.Config{}
	long := `{"event_id":"x","source_id":` + strings.Repeat(" ", 100) + `}`
	inputs := append(standardInputs(), fixtureInput{partition: 1, value: long})
	sum := sha256.Sum256([]byte(long))
	for _, c := range []struct {
		name, value, size, sum string
		ok                     bool
	}{
		{"faithful", long[:40], strconv.Itoa(len(long)), hex.EncodeToString(sum[:]), true},
		{"not a prefix", "x" + long[1:40], strconv.Itoa(len(long)), hex.EncodeToString(sum[:]), false},
		{"wrong size", long[:40], "7", hex.EncodeToString(sum[:]), false},
		{"wrong digest", long[:40], strconv.Itoa(len(long)), strings.Repeat("ab", 32), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := process(t, cfg, inputs, "g1")
			last := &p.dlq[len(p.dlq)-1]
			last.Value = []byte(c.value)
			last.Headers = append(last.Headers,
				audit.Header{Key: event.HeaderErrorTruncated, Value: []byte("true")},
				audit.Header{Key: event.HeaderErrorOriginalSize, Value: []byte(c.size)},
				audit.Header{Key: event.HeaderErrorOriginalSHA256, Value: []byte(c.sum)})
			r := p.check(cfg, false)
			if r.OK() != c.ok || (!c.ok && r.Count(audit.KindDLQAltered) != 1) {
				t.Fatalf("ok %v, want %v: %+v", r.OK(), c.ok, r.Violations)
			}
		})
	}
}

func TestContentDiagnosesUnkeyedInput(t *testing.T) {
	cfg := rederive.Config{}
	ins := standardInputs()
	ins = append(ins, fixtureInput{partition: 1, value: validEvent("stray", "src-0", 0.5)}) // src-0 lives in partition 0
	r := process(t, cfg, ins, "g1").check(cfg, false)
	want := `input not keyed by source_id: source "src-0" in partitions 0 and 1`
	if len(r.Diagnoses) == 0 || r.Diagnoses[0] != want {
		t.Fatalf("diagnoses %q, want %q", r.Diagnoses, want)
	}
}

func TestContentDiagnosesTwoGroups(t *testing.T) {
	cfg := rederive.Config{}
	p := process(t, cfg, standardInputs(), "g1")
	q := process(t, cfg, standardInputs(), "g2")
	p.out = append(p.out, q.out...)
	r := p.check(cfg, false)
	if r.Count(audit.KindDuplicate) == 0 {
		t.Fatal("no duplicates")
	}
	found := false
	for _, d := range r.Diagnoses {
		found = found || strings.HasPrefix(d, `outputs from 2 consumer groups in one topic: "g1" (30 records), "g2" (30 records)`)
	}
	if !found {
		t.Fatalf("diagnoses: %q", r.Diagnoses)
	}
}

// When the audited input starts after offset 0, the stateful fields cannot
// be re-derived; the others still are, and the report names the sources.
func TestContentIncompleteHistory(t *testing.T) {
	cfg := rederive.Config{}
	p := process(t, cfg, standardInputs(), "g1")
	// Drop partition 0's first four inputs and their outputs, as retention would.
	var in, out []audit.Record
	for _, r := range p.in {
		if r.Partition != 0 || r.Offset >= 4 {
			in = append(in, r)
		}
	}
	for _, r := range p.out {
		if r.Partition != 0 || r.Offset >= 4 {
			out = append(out, r)
		}
	}
	p.in, p.out = in, out
	r := p.check(cfg, true)
	requireClean(t, r)
	if len(r.Unchecked) != 1 || r.Unchecked[0].Partition != 0 || r.Unchecked[0].FirstOffset != 4 ||
		strings.Join(r.Unchecked[0].Sources, ",") != "src-0,src-2" {
		t.Fatalf("unchecked: %+v", r.Unchecked)
	}
	var b bytes.Buffer
	_ = r.WriteText(&b)
	if !strings.Contains(b.String(), "partition 0 starts at offset 4: sequence numbers, anomaly verdicts and signatures of 2 sources not re-derived") {
		t.Fatalf("text report:\n%s", b.String())
	}
	// A stateless field is still checked.
	i := len(p.out) - 2
	p.out[i].Value = replaceMember(t, p.out[i].Value, "payload", `{"extra":1}`, `{"extra":3}`)
	if r := p.check(cfg, true); r.Count(audit.KindContent) != 1 {
		t.Fatalf("want one content violation: %+v", r.Violations)
	}
}

// A processor that lost its state numbers the sources from 1 again.
func TestContentDiagnosesLostState(t *testing.T) {
	cfg := rederive.Config{}
	ins := standardInputs()
	p := process(t, cfg, ins, "g1")
	// Partition 1's second half as processed from an empty state.
	fresh := process(t, cfg, append([]fixtureInput(nil), ins[16:30]...), "g1")
	n := 0
	for i := range p.out {
		if p.out[i].Partition != 1 || p.out[i].Offset < 8 {
			continue
		}
		for _, f := range fresh.out {
			if f.Partition == 1 && f.Offset == p.out[i].Offset-8 {
				p.out[i].Value = f.Value
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("fixture: nothing replaced")
	}
	r := p.check(cfg, false)
	found := false
	for _, d := range r.Diagnoses {
		found = found || strings.Contains(d, "sources of partition 1 restart their sequence at 1 mid-history")
	}
	if !found || r.Count(audit.KindContent) == 0 {
		t.Fatalf("diagnoses %q", r.Diagnoses)
	}
}
