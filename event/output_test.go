package event

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/internal/golden"
)

// contractExample is the event of the contract's (docs/contract.md) example.
func contractExample() (*Event, *Derived, OutputOptions) {
	ev := &Event{
		EventID:    []byte("evt-001"),
		SourceID:   []byte("service-a"),
		Timestamp:  1670000000.0,
		ReceivedAt: 1670000000.012,
		Priority:   PriorityHigh,
		Load:       0.75,
		Metadata:   []byte(`{"user_id": "user-123"}`),
		Payload:    []byte(`{"custom_field_1": "any value"}`),
	}
	for i := range ev.MetadataHash {
		ev.MetadataHash[i] = byte(0x9f - i)
	}
	d := &Derived{
		Category:              CategorySystem,
		CategoryConfidence:    0.85,
		SequenceNumber:        17,
		IntakeLatencyMs:       12.0,
		TotalProcessingTimeMs: 3.1,
		RiskScore:             0.725,
		Signature:             [6]byte{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6},
		GlobalPublishSequence: 142,
	}
	return ev, d, OutputOptions{WindowID: "g1-inst-a-000000000123", RulesVersion: "5d41402abc4b2a76"}
}

func TestAppendOutputGolden(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Event, *Derived, *OutputOptions)
	}{
		{"contract_example", func(*Event, *Derived, *OutputOptions) {}},
		{"redacted", func(_ *Event, _ *Derived, o *OutputOptions) { o.RedactMetadata = true }},
		{"no_payload_no_metadata", func(e *Event, _ *Derived, _ *OutputOptions) { e.Payload, e.Metadata = nil, nil }},
		{"anomalous_corrected", func(e *Event, d *Derived, _ *OutputOptions) {
			e.TimestampCorrected = true
			e.Timestamp = e.ReceivedAt
			e.Priority = PriorityCritical
			d.Category = CategoryAlert
			d.IsAnomaly = true
			d.AnomalyReasons = d.AnomalyReasons.Add(AnomalyOutOfOrder).Add(AnomalyLoadSpike).Add(AnomalyTimestampCorrected)
		}},
		{"tricky_strings", func(e *Event, _ *Derived, o *OutputOptions) {
			e.EventID = []byte("quote\" back\\slash\ttab\nnl\x00nul\x1fus <b>&amp;</b>")
			e.SourceID = []byte("ünïcødé-日本-😀-\u2028-\x7f")
			o.WindowID = "w\"1\\\x01"
		}},
		{"extreme_floats", func(e *Event, d *Derived, _ *OutputOptions) {
			e.Timestamp = 946684800
			e.ReceivedAt = 1e21
			e.Load = 1e-7
			d.IntakeLatencyMs = 5e-324
			d.TotalProcessingTimeMs = math.MaxFloat64
			d.RiskScore = 0
			d.CategoryConfidence = 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, d, opt := contractExample()
			tt.modify(ev, d, &opt)
			got := append(AppendOutput(nil, ev, d, opt), '\n')
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			golden.Compare(t, filepath.Join("testdata", "output_"+tt.name+".golden.json"), got)
		})
	}
}

// TestAppendOutputMemberOrder pins the member order of the contract
// example independently of the golden files.
func TestAppendOutputMemberOrder(t *testing.T) {
	ev, d, opt := contractExample()
	top, values := objectKeys(t, AppendOutput(nil, ev, d, opt))
	derived, _ := objectKeys(t, values["derived_fields"])
	want := []string{"event_id", "source_id", "timestamp", "received_at", "priority", "category",
		"load_indicator", "metadata", "metadata_hash", "sequence_number", "payload", "derived_fields"}
	if !slices.Equal(top, want) {
		t.Errorf("member order:\n got %v\nwant %v", top, want)
	}
	want = []string{"intake_latency_ms", "total_processing_time_ms", "risk_score", "category_confidence",
		"is_anomaly", "anomaly_reasons", "timestamp_corrected", "processing_signature",
		"global_publish_sequence", "window_id", "rules_version"}
	if !slices.Equal(derived, want) {
		t.Errorf("derived_fields member order:\n got %v\nwant %v", derived, want)
	}
}

// objectKeys returns the member names of a JSON object in document order,
// and their raw values.
func objectKeys(t *testing.T, obj []byte) ([]string, map[string]json.RawMessage) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", obj)
	}
	var keys []string
	values := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
		values[key] = v
	}
	return keys, values
}

func TestAppendOutputRoundTrip(t *testing.T) {
	ev, d, opt := contractExample()
	d.IsAnomaly = true
	d.AnomalyReasons = d.AnomalyReasons.Add(AnomalyInterArrival).Add(AnomalyLoadSpike)
	ev.TimestampCorrected = true
	ev.Priority = PriorityCritical
	d.Category = CategoryTransaction

	o, err := ParseOutput(AppendOutput(nil, ev, d, opt))
	if err != nil {
		t.Fatal(err)
	}
	assertRoundTrip(t, o, ev, d, opt)
	if got, want := o.Derived.AnomalyReasons, []string{"load_spike", "inter_arrival"}; !slices.Equal(got, want) {
		t.Errorf("anomaly_reasons = %v, want %v (enum order)", got, want)
	}
}

// assertRoundTrip checks every member of o against what was encoded.
func assertRoundTrip(t *testing.T, o Output, ev *Event, d *Derived, opt OutputOptions) {
	t.Helper()
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("event_id", o.EventID, jsonOracle(string(ev.EventID)))
	check("source_id", o.SourceID, jsonOracle(string(ev.SourceID)))
	check("timestamp", o.Timestamp, ev.Timestamp)
	check("received_at", o.ReceivedAt, ev.ReceivedAt)
	check("priority", o.Priority, ev.Priority.String())
	check("category", o.Category, d.Category.String())
	check("load_indicator", o.LoadIndicator, ev.Load)
	if opt.RedactMetadata {
		check("metadata present", o.Metadata != nil, false)
	} else {
		check("metadata", string(o.Metadata), string(orEmptyObject(ev.Metadata)))
	}
	check("metadata_hash", o.MetadataHash, hex.EncodeToString(ev.MetadataHash[:]))
	check("sequence_number", o.SequenceNumber, d.SequenceNumber)
	check("payload", string(o.Payload), string(orEmptyObject(ev.Payload)))
	check("intake_latency_ms", o.Derived.IntakeLatencyMs, d.IntakeLatencyMs)
	check("total_processing_time_ms", o.Derived.TotalProcessingTimeMs, d.TotalProcessingTimeMs)
	check("risk_score", o.Derived.RiskScore, d.RiskScore)
	check("category_confidence", o.Derived.CategoryConfidence, d.CategoryConfidence)
	check("is_anomaly", o.Derived.IsAnomaly, d.IsAnomaly)
	var reasons []string
	d.AnomalyReasons.Each(func(r AnomalyReason) { reasons = append(reasons, r.String()) })
	if o.Derived.AnomalyReasons == nil || !slices.Equal(o.Derived.AnomalyReasons, reasons) {
		t.Errorf("anomaly_reasons = %#v, want %v", o.Derived.AnomalyReasons, reasons)
	}
	check("timestamp_corrected", o.Derived.TimestampCorrected, ev.TimestampCorrected)
	check("processing_signature", o.Derived.ProcessingSignature, hex.EncodeToString(d.Signature[:]))
	check("global_publish_sequence", o.Derived.GlobalPublishSequence, d.GlobalPublishSequence)
	check("window_id", o.Derived.WindowID, jsonOracle(opt.WindowID))
	check("rules_version", o.Derived.RulesVersion, opt.RulesVersion)
}

func orEmptyObject(b []byte) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

// jsonOracle is what encoding/json makes of s after a round trip: s itself
// when it is valid UTF-8, else s with each invalid byte replaced by U+FFFD
// (which is what appendJSONString writes too).
func jsonOracle(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "service-a", `"service-a"`},
		{"empty", "", `""`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short escapes", "\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"other controls", "\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"DEL is not escaped", "\x7f", "\"\x7f\""},
		{"html is not escaped", "<a>&</a>", `"<a>&</a>"`},
		{"unicode kept", "日本😀é", `"日本😀é"`},
		{"line separators kept", "\u2028\u2029", "\"\u2028\u2029\""},
		{"invalid byte", "a\xffb", `"a\ufffdb"`},
		{"truncated rune at end", "ab\xe6\x97", `"ab\ufffd\ufffd"`},
		{"surrogate half", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, got := range [][]byte{AppendJSONString(nil, tt.in), AppendJSONString(nil, []byte(tt.in))} {
				if string(got) != tt.want {
					t.Errorf("got %s, want %s", got, tt.want)
				}
				if !json.Valid(got) {
					t.Errorf("invalid JSON %s", got)
				}
				var back string
				if err := json.Unmarshal(got, &back); err != nil || back != jsonOracle(tt.in) {
					t.Errorf("decodes to %q (%v), want %q", back, err, jsonOracle(tt.in))
				}
			}
		})
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1670000000, "1670000000.0"},
		{1670000000.012, "1670000000.012"},
		{12, "12.0"},
		{0.725, "0.725"},
		{0.1, "0.1"},
		{-1.5, "-1.5"},
		{0, "0.0"},
		{math.Copysign(0, -1), "0.0"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{-1e21, "-1e+21"},
		{1e-6, "0.000001"},
		{1e-7, "1e-07"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{123456789012345678, "123456789012345680.0"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{math.Inf(-1), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := appendFloat(nil, tt.in)
			if string(got) != tt.want {
				t.Fatalf("appendFloat(%v) = %s, want %s", tt.in, got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON %s", got)
			}
			if math.IsNaN(tt.in) || math.IsInf(tt.in, 0) {
				return
			}
			var back float64
			if err := json.Unmarshal(got, &back); err != nil || back != tt.in {
				t.Fatalf("%s decodes to %v (%v), want %v", got, back, err, tt.in)
			}
		})
	}
}

func TestAppendOutputRedact(t *testing.T) {
	ev, d, opt := contractExample()
	opt.RedactMetadata = true
	out := AppendOutput(nil, ev, d, opt)
	if bytes.Contains(out, []byte(`"metadata":`)) || bytes.Contains(out, []byte("user-123")) {
		t.Fatalf("redacted output still holds metadata: %s", out)
	}
	o, err := ParseOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	assertRoundTrip(t, o, ev, d, opt)
	if o.MetadataHash != hex.EncodeToString(ev.MetadataHash[:]) {
		t.Fatalf("metadata_hash = %q after redaction", o.MetadataHash)
	}
}

func TestAppendOutputAppendsToDst(t *testing.T) {
	ev, d, opt := contractExample()
	one := AppendOutput(nil, ev, d, opt)
	both := AppendOutput([]byte("prefix"), ev, d, opt)
	if !bytes.Equal(both, append([]byte("prefix"), one...)) {
		t.Fatalf("AppendOutput did not append: %s", both)
	}
}

func TestAppendOutputDoesNotAllocate(t *testing.T) {
	ev, d, opt := contractExample()
	ev.SourceID = []byte("ünïcødé\xff-日本-\"quoted\"")
	d.AnomalyReasons = d.AnomalyReasons.Add(AnomalyLoadSpike).Add(AnomalyOutOfOrder)
	dst := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		dst = AppendOutput(dst[:0], ev, d, opt)
	})
	if allocs != 0 {
		t.Fatalf("AppendOutput allocated %.1f times with a reused buffer, want 0", allocs)
	}
}

// TestParseOutputAcceptsOutputWithoutRulesVersion: outputs written before
// rules files existed carry no rules_version and must still parse.
func TestParseOutputAcceptsOutputWithoutRulesVersion(t *testing.T) {
	ev, d, opt := contractExample()
	old := strings.Replace(string(AppendOutput(nil, ev, d, opt)), `,"rules_version":"5d41402abc4b2a76"`, "", 1)
	if strings.Contains(old, "rules_version") {
		t.Fatal("could not remove rules_version")
	}
	o, err := ParseOutput([]byte(old))
	if err != nil || o.Derived.RulesVersion != "" {
		t.Fatalf("ParseOutput(old output) = %q, %v", o.Derived.RulesVersion, err)
	}
}

func TestParseOutputRejects(t *testing.T) {
	ev, d, opt := contractExample()
	valid := string(AppendOutput(nil, ev, d, opt))
	if _, err := ParseOutput([]byte(valid)); err != nil {
		t.Fatalf("valid output rejected: %v", err)
	}
	replace := func(old, new string) string {
		if !strings.Contains(valid, old) {
			t.Fatalf("test bug: %q not in output", old)
		}
		return strings.Replace(valid, old, new, 1)
	}
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"not JSON", "{"},
		{"an array", "[]"},
		{"trailing data", valid + " {}"},
		{"unknown member", replace(`{"event_id"`, `{"extra":1,"event_id"`)},
		{"empty event_id", replace(`"evt-001"`, `""`)},
		{"empty source_id", replace(`"service-a"`, `""`)},
		{"lower-case priority", replace(`"HIGH"`, `"high"`)},
		{"unknown category", replace(`"SYSTEM"`, `"OTHER"`)},
		{"sequence 0", replace(`"sequence_number":17`, `"sequence_number":0`)},
		{"negative sequence", replace(`"sequence_number":17`, `"sequence_number":-1`)},
		{"publish sequence 0", replace(`"global_publish_sequence":142`, `"global_publish_sequence":0`)},
		{"short hash", replace(`"metadata_hash":"9f`, `"metadata_hash":"`)},
		{"upper-case signature", replace(`"a1b2c3d4e5f6"`, `"A1B2C3D4E5F6"`)},
		{"no payload", replace(`"payload":{"custom_field_1": "any value"},`, ``)},
		{"metadata not an object", replace(`{"user_id": "user-123"}`, `["user-123"]`)},
		{"unknown anomaly reason", replace(`"anomaly_reasons":[]`, `"anomaly_reasons":["bogus"]`)},
		{"empty window_id", replace(`"g1-inst-a-000000000123"`, `""`)},
		{"short rules_version", replace(`"5d41402abc4b2a76"`, `"5d41402abc"`)},
		{"upper-case rules_version", replace(`"5d41402abc4b2a76"`, `"5D41402ABC4B2A76"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseOutput([]byte(tt.in)); !errors.Is(err, ErrInvalidOutput) {
				t.Fatalf("ParseOutput(%s) error = %v, want ErrInvalidOutput", tt.in, err)
			}
		})
	}
}

// FuzzAppendOutput encodes events with arbitrary ids, window ids and
// float values. Invariants: the output is always valid JSON; and whenever
// the values are ones the pipeline can produce (non-empty ids and window
// id, sequences from 1, finite floats), ParseOutput accepts it and returns
// every field unchanged (strings as encoding/json would round-trip them).
func FuzzAppendOutput(f *testing.F) {
	f.Add("evt-001", "service-a", "w-1", 1670000000.0, 1670000000.012, 0.75, 0.5, uint64(1), uint64(1), uint16(0), false)
	f.Add("q\"\\\x00", "日本\xff", "", 1e21, 5e-324, math.Inf(1), math.NaN(), uint64(0), uint64(math.MaxUint64), uint16(0xffff), true)
	f.Fuzz(func(t *testing.T, eventID, sourceID, windowID string, ts, recv, load, risk float64,
		seq, gps uint64, reasons uint16, redact bool) {
		ev, d, opt := contractExample()
		ev.EventID, ev.SourceID, opt.WindowID = []byte(eventID), []byte(sourceID), windowID
		ev.Timestamp, ev.ReceivedAt, ev.Load, d.RiskScore = ts, recv, load, risk
		d.SequenceNumber, d.GlobalPublishSequence = seq, gps
		d.AnomalyReasons = AnomalyReasons(reasons) & (1<<NumAnomalyReasons - 1)
		d.IsAnomaly = !d.AnomalyReasons.Empty()
		opt.RedactMetadata = redact

		out := AppendOutput(nil, ev, d, opt)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		for _, f := range []float64{ts, recv, load, risk} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return
			}
		}
		if eventID == "" || sourceID == "" || windowID == "" || seq == 0 || gps == 0 {
			return
		}
		o, err := ParseOutput(out)
		if err != nil {
			t.Fatalf("ParseOutput(%s): %v", out, err)
		}
		assertRoundTrip(t, o, ev, d, opt)
	})
}

func BenchmarkAppendOutput(b *testing.B) {
	ev, d, opt := contractExample()
	d.AnomalyReasons = d.AnomalyReasons.Add(AnomalyLoadSpike)
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendOutput(dst[:0], ev, d, opt)
	}
	b.SetBytes(int64(len(dst)))
}
