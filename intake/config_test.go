package intake

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/config"
)

func TestConfigDefaultsAndValidate(t *testing.T) {
	got := Config{}.WithDefaults()
	want := Config{MaxEventBytes: 1 << 20, MaxDepth: 32, MaxClockSkew: 5 * time.Minute}
	if got != want {
		t.Fatalf("WithDefaults() = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	kept := Config{MaxEventBytes: 10, MaxDepth: 3, MaxClockSkew: time.Second}.WithDefaults()
	if kept != (Config{MaxEventBytes: 10, MaxDepth: 3, MaxClockSkew: time.Second}) {
		t.Fatalf("WithDefaults overwrote set fields: %+v", kept)
	}
	bad := []struct {
		cfg  Config
		flag string
	}{
		{Config{MaxEventBytes: -1}, "--max-event-bytes"},
		{Config{MaxEventBytes: 1<<30 + 1}, "--max-event-bytes"},
		{Config{MaxDepth: 1}, "--max-depth"},
		{Config{MaxDepth: -3}, "--max-depth"},
		{Config{MaxDepth: 10001}, "--max-depth"},
		{Config{MaxClockSkew: -time.Second}, "--max-clock-skew"},
	}
	for _, b := range bad {
		err := b.cfg.WithDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), b.flag) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", b.cfg, err, b.flag)
		}
		if _, err := NewDecoder(b.cfg.WithDefaults()); err == nil {
			t.Errorf("NewDecoder(%+v) accepted an invalid config", b.cfg)
		}
	}
}

func TestSentinels(t *testing.T) {
	seen := map[error]bool{}
	for _, r := range event.Reasons() {
		s := SentinelFor(r)
		if s == nil || seen[s] {
			t.Fatalf("reason %s: sentinel %v missing or shared", r, s)
		}
		seen[s] = true
		if s.Error() != r.String() {
			t.Errorf("sentinel text %q, want the reason code %q", s, r)
		}
		err := error(&ValidationError{Reason: r, Field: "f", Msg: "f: broken"})
		if !errors.Is(err, s) || err.Error() != r.String()+": f: broken" {
			t.Errorf("ValidationError(%s): Is=%v Error=%q", r, errors.Is(err, s), err)
		}
	}
	if SentinelFor(event.Reason(event.NumReasons)) != nil {
		t.Error("a reason outside the set has a sentinel")
	}
}

// TestZeroClockSkewMeansNone: --max-clock-skew 0 tolerates no skew at all;
// it is not replaced by the 5-minute default.
func TestZeroClockSkewMeansNone(t *testing.T) {
	cfg := Config{MaxEventBytes: DefaultMaxEventBytes, MaxDepth: DefaultMaxDepth, MaxClockSkew: 0}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: zero skew rejected: %v", err)
	}
	d, err := NewDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Config().MaxClockSkew; got != 0 {
		t.Fatalf("decoder uses skew %s, want 0", got)
	}
	recv := float64(testReceivedAt.UnixNano()) / 1e9
	for _, tt := range []struct {
		offset    float64
		corrected bool
	}{{0, false}, {-1, false}, {0.5, true}, {60, true}} {
		in := fmt.Sprintf(`{"event_id":"e","source_id":"s","timestamp":%f}`, recv+tt.offset)
		var ev event.Event
		if err := d.Decode([]byte(in), testReceivedAt, &ev); err != nil {
			t.Fatalf("Decode(%s): %v", in, err)
		}
		if ev.TimestampCorrected != tt.corrected {
			t.Errorf("timestamp received_at%+gs: corrected=%v, want %v", tt.offset, ev.TimestampCorrected, tt.corrected)
		}
	}
}

// TestZeroLimitsRejected: zero --max-event-bytes and --max-depth mean
// nothing, so Validate rejects them naming the flag instead of defaulting.
func TestZeroLimitsRejected(t *testing.T) {
	err := Config{MaxClockSkew: time.Second}.Validate()
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Validate(zero limits) = %v, want *config.FieldError", err)
	}
	for _, flag := range []string{"--max-event-bytes", "--max-depth"} {
		if !strings.Contains(err.Error(), flag) {
			t.Errorf("Validate(zero limits) = %v, want it to name %s", err, flag)
		}
	}
	if _, err := NewDecoder(Config{}); err == nil {
		t.Error("NewDecoder(Config{}) accepted zero limits")
	}
}
