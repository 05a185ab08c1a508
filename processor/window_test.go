package processor

import (
	"testing"
	"time"

	"github.com/eventproc/eventproc/kafkaio"
)

// TestOverlapAfter checks when the window after k is processed while k's
// transaction ends: while a window's worth of records waits beyond k, or
// while processing took at least overlapMinBusy of the loop's last step;
// otherwise the next window is taken after the commit, so its records go
// out in the very next transaction.
func TestOverlapAfter(t *testing.T) {
	const ms = time.Millisecond
	// k ended at offset 100 of partition 0 and 40 of partition 1.
	through := map[int32]kafkaio.NextOffset{0: {Offset: 100}, 1: {Offset: 40}}
	tests := []struct {
		name     string
		hw       map[int32]int64
		process  time.Duration
		lastStep time.Duration
		want     bool
	}{
		{"first step: nothing measured yet", nil, 0, 0, true},
		{"a window's worth waits (over two partitions)", map[int32]int64{0: 150, 1: 90}, 0, 70 * ms, true},
		{"less than a window waits, idle loop", map[int32]int64{0: 150, 1: 89}, 0, 70 * ms, false},
		{"partitions k did not read do not count", map[int32]int64{0: 100, 2: 1000}, 1 * ms, 70 * ms, false},
		{"light input, slow commit (a replicated cluster)", map[int32]int64{0: 103}, 1 * ms, 73 * ms, false},
		{"processing 30 % of the step", nil, 3 * ms, 10 * ms, true},
		{"processing just under 30 % of the step", nil, 2900 * time.Microsecond, 10 * ms, false},
		{"processing as long as the step", nil, 12 * ms, 12 * ms, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runner{cfg: Config{WindowMaxEvents: 100}, lastStep: tt.lastStep}
			k := &openWindow{through: through}
			// The processing time is spread over the stages, as a window reports it.
			k.res.intake, k.res.encode = tt.process/2, tt.process-tt.process/2
			if got := r.overlapAfter(k, tt.hw); got != tt.want {
				t.Errorf("overlapAfter = %v, want %v", got, tt.want)
			}
		})
	}
}
