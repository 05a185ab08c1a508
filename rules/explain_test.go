package rules

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/intake"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestExplainGolden explains one event under the default rules and under
// testdata/good/acme.yaml, which classifies it differently.
func TestExplainGolden(t *testing.T) {
	value := []byte(`{"event_id":"evt-7","source_id":"eu-pay-gateway","timestamp":1700000000.5,"priority":"HIGH","load_indicator":0.55,` +
		`"metadata":{"order":{"id":"o-1","lines":[{"sku":"a","qty":2},{"sku":"b","qty":1}]},"amount":12.5,"currency":"EUR","express":true}}`)
	dec, err := intake.NewDecoder(intake.Config{}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	if err := dec.Decode(value, time.Unix(1700000001, 0), &ev); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, rulesFile string }{{"default", ""}, {"acme", "testdata/good/acme.yaml"}} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := LoadStages(tt.rulesFile)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := Explain(&got, st, &ev); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "explain_"+tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("explain output differs from %s (run go test -update if intended):\n%s", golden, got.String())
			}
		})
	}
}

func TestDecodeInput(t *testing.T) {
	now := time.Unix(1700000100, 0)
	ev, err := DecodeInput([]byte(`{"event_id":"e1","source_id":"s1","timestamp":1700000000}`), now)
	if err != nil || string(ev.EventID) != "e1" || string(ev.SourceID) != "s1" {
		t.Errorf("DecodeInput(valid) = %+v, %v", ev, err)
	}
	if _, err := DecodeInput([]byte(`{"event_id":`), now); !errors.Is(err, ErrWouldDeadLetter) {
		t.Errorf("DecodeInput(malformed) err %v, want ErrWouldDeadLetter", err)
	}
}
