package processor

import (
	"testing"

	"github.com/eventproc/eventproc/kafkaio"
)

// TestProcessAlone checks that every input record of a generated backlog
// comes out once, as an output or a dead letter, in windows of the
// configured size, each window writing at least one checkpoint per
// partition to the changelog.
func TestProcessAlone(t *testing.T) {
	recs, _ := benchWindow(12000)
	cfg := Config{Client: kafkaio.ClientConfig{Brokers: []string{"127.0.0.1:9092"}}, Group: "g", InstanceID: "alone",
		InputTopic: "events.in", OutputTopic: "events.out", DLQTopic: "events.dlq", WindowMaxEvents: 5000}.WithDefaults()
	c, err := ProcessAlone(recs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Windows != 3 {
		t.Errorf("windows = %d, want 3 (5000 + 5000 + 2000)", c.Windows)
	}
	if c.Outputs+c.DeadLetters != len(recs) {
		t.Errorf("outputs %d + dead letters %d = %d, want one per input record (%d)", c.Outputs, c.DeadLetters, c.Outputs+c.DeadLetters, len(recs))
	}
	if c.DeadLetters < len(recs)/100 || c.DeadLetters > len(recs)/25 {
		t.Errorf("dead letters = %d, want about 2 %% of %d (the generator's malformed share)", c.DeadLetters, len(recs))
	}
	if c.Changelog < 3*6 {
		t.Errorf("changelog records = %d, want at least a checkpoint per partition per window (18)", c.Changelog)
	}
	if _, err := ProcessAlone(recs, Config{}); err == nil {
		t.Error("ProcessAlone with an invalid config: no error")
	}
}
