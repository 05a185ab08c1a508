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
	if rep.Mode != ModePeak || len(rep.Phases) != 3 {
		t.Fatalf("mode %q with %d phases, want peak with eventproc, passthrough and the pipeline alone", rep.Mode, len(rep.Phases))
	}
	for _, ph := range rep.Phases[:2] {
		if ph.Events != 2000 || ph.EventsPerSec <= 0 {
			t.Errorf("phase %s: %d events at %v/s", ph.Name, ph.Events, ph.EventsPerSec)
		}
	}
	if rep.Phases[1].System != "passthrough" {
		t.Errorf("second phase is %q, want the passthrough", rep.Phases[1].System)
	}
	alone := rep.Phases[2]
	if alone.System != "pipeline" || alone.Events != 2000*pipelineAloneRounds || alone.CPUMicrosPerEvent <= 0 {
		t.Errorf("third phase %+v, want the pipeline alone over %d events with its CPU per event", alone, 2000*pipelineAloneRounds)
	}
	parts := rep.Phases[1].CPUMicrosPerEvent + alone.CPUMicrosPerEvent
	if rep.PipelineCPUMicrosPerEvent != alone.CPUMicrosPerEvent || math.Abs(rep.CPUOverParts-rep.Phases[0].CPUMicrosPerEvent/parts) > 1e-9 {
		t.Errorf("pipeline CPU %v, CPU over parts %v; want %v and %v", rep.PipelineCPUMicrosPerEvent, rep.CPUOverParts, alone.CPUMicrosPerEvent, rep.Phases[0].CPUMicrosPerEvent/parts)
	}
	if got := rep.EventsPerSec / rep.PassthroughEventsPerSec; math.Abs(got-rep.Ratio) > 1e-9 {
		t.Errorf("ratio %v, want %v", rep.Ratio, got)
	}
}
