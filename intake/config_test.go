package intake

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
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
		if _, err := NewDecoder(b.cfg); err == nil {
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
