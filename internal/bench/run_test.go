package bench

import (
	"math"
	"testing"
	"time"

	"github.com/eventproc/eventproc/internal/gen"
)

// One short peak run on the embedded broker: both systems drain the same
// input, every phase counts every event, and the ratio is eventproc's
// rate over the baseline's.
func TestRunPeakOnTheEmbeddedBroker(t *testing.T) {
	rep, err := Run(t.Context(), Config{
		Embedded: true, Events: 2000, Partitions: 2, WindowMaxEvents: 500, WindowMaxWait: 20 * time.Millisecond,
		Gen: gen.Config{Sources: 50, MalformedRatio: 0.02, Seed: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != ModePeak || len(rep.Phases) != 2 {
		t.Fatalf("mode %q with %d phases, want peak with eventproc and passthrough", rep.Mode, len(rep.Phases))
	}
	for _, ph := range rep.Phases {
		if ph.Events != 2000 || ph.EventsPerSec <= 0 {
			t.Errorf("phase %s: %d events at %v/s", ph.Name, ph.Events, ph.EventsPerSec)
		}
	}
	if rep.Phases[1].System != "passthrough" {
		t.Errorf("second phase is %q, want the passthrough", rep.Phases[1].System)
	}
	if got := rep.EventsPerSec / rep.PassthroughEventsPerSec; math.Abs(got-rep.Ratio) > 1e-9 {
		t.Errorf("ratio %v, want %v", rep.Ratio, got)
	}
}
