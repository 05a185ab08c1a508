package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestReceivedAt(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  time.Time
		ok    bool
	}{
		{"contract example", `{"event_id":"e","source_id":"s","timestamp":1670000000.0,"received_at":1670000000.012,"priority":"HIGH"}`,
			time.UnixMilli(1670000000012), true},
		{"last field", `{"timestamp":1.0,"received_at":1700000000.5}`, time.UnixMilli(1700000000500), true},
		{"exponent form", `{"a":1,"received_at":1.7e+09}`, time.Unix(1700000000, 0), true},
		{"inside a string is not the field", `{"event_id":"x\",\"received_at\":5","timestamp":1}`, time.Time{}, false},
		{"absent", `{"timestamp":1}`, time.Time{}, false},
		{"null", `{"a":1,"received_at":null}`, time.Time{}, false},
		{"empty", ``, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ReceivedAt([]byte(tt.value))
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("ReceivedAt = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestReportJSONKeys(t *testing.T) {
	b, err := json.Marshal(Report{Mode: ModePeak, Phases: []Phase{{Name: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// The keys scripts rely on.
	for _, k := range []string{"events", "events_per_sec", "passthrough_events_per_sec", "ratio", "p50_ms", "p90_ms", "p99_ms", "max_ms", "max_rss_mb", "mode", "broker", "pipeline_cpu_us_per_event", "cpu_over_parts",
		"second_half_p50_ms", "second_half_p99_ms", "passthrough_second_half_p50_ms", "passthrough_second_half_p99_ms"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
}

func TestReportWriteText(t *testing.T) {
	r := Report{
		Mode: ModePeak, Broker: "embedded", Events: 1000, Partitions: 6, WindowMaxEvents: 10000, WindowMaxWaitMS: 50,
		EventsPerSec: 900, PassthroughEventsPerSec: 1000, Ratio: 0.9, LatencyOfferedRate: 450, P99MS: 12.5, MaxRSSMB: 99,
		LatencyEvents: 990, SecondHalfP50MS: 4, SecondHalfP99MS: 8.5, PassthroughSecondHalfP50MS: 3, PassthroughSecondHalfP99MS: 6.25,
		Phases: []Phase{
			{Name: "peak eventproc", System: "eventproc", Events: 1000, Seconds: 1.1, EventsPerSec: 900, CPUMicrosPerEvent: 9},
			{Name: "peak passthrough", System: "passthrough", Events: 1000, Seconds: 1, EventsPerSec: 1000, CPUMicrosPerEvent: 2.5,
				LatencyEvents: 980, P50MS: 3.25, P99MS: 7.5, MaxMS: 9, MaxRSSMB: 80},
			{Name: "pipeline alone", System: "pipeline", Events: 4000, Seconds: 0.5, EventsPerSec: 8000, CPUMicrosPerEvent: 5.5},
		},
	}
	r.setCPUParts(r.Phases[0], r.Phases[1], Phase{CPUMicrosPerEvent: 5.5})
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	seen := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "peak passthrough ") && len(f) == 10:
			seen++
			if got := strings.Join(f[6:], " "); got != "3.2 7.5 9.0 80.0" {
				t.Errorf("passthrough latency and RSS columns %q, want 3.2 7.5 9.0 80.0:\n%s", got, out)
			}
		case strings.HasPrefix(line, "pipeline alone ") && len(f) == 11:
			seen++
			if got := strings.Join(f[2:4], " ") + " " + strings.Join(f[7:], " "); got != "no Kafka - - - -" {
				t.Errorf("pipeline-alone offered, latency and RSS columns %q, want no Kafka - - - -:\n%s", got, out)
			}
		}
	}
	if seen != 2 {
		t.Errorf("found %d of the passthrough's and the pipeline-alone phase's rows in the phase table, want 2:\n%s", seen, out)
	}
	for _, want := range []string{"ratio 0.90", "offered 450 events/s", "p99 12.5 ms", "embedded broker", "peak eventproc", "backlog",
		"eventproc 9.00 µs; passthrough 2.50 + pipeline alone 5.50 = 8.00 µs; eventproc / (passthrough + pipeline) 1.12",
		"second half (past start-up): p50 4.0 ms, p99 8.5 ms; passthrough p50 3.0 ms, p99 6.2 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func BenchmarkReceivedAt(b *testing.B) {
	v := []byte(`{"event_id":"service-a-000001","source_id":"service-a","timestamp":1670000000.0,"received_at":1670000000.012,"priority":"HIGH","category":"SYSTEM","load_indicator":0.75,"metadata":{"user_id":"user-123"}}`)
	for b.Loop() {
		if _, ok := ReceivedAt(v); !ok {
			b.Fatal("no received_at")
		}
	}
}
