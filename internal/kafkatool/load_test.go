package kafkatool_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/kafkaio"
)

func TestProduceLoad(t *testing.T) {
	addrs := startFakeCluster(t, 3, "load")
	cl, err := kafkatool.NewLoadClient(kafkaio.ClientConfig{Brokers: addrs}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cfg := kafkatool.LoadConfig{Topic: "load", Count: 200, Gen: gen.Config{Sources: 5, MalformedRatio: 0.2, Seed: 7}}
	var progressOut, summary bytes.Buffer
	if err := kafkatool.ProduceLoad(t.Context(), cl, cfg, &progressOut, &summary); err != nil {
		t.Fatal(err)
	}
	if got := len(consumeAll(t, addrs, "load")); got != 200 {
		t.Errorf("%d records in the topic, want 200", got)
	}
	if !strings.HasPrefix(progressOut.String(), "producing to load (seed 7)\n") {
		t.Errorf("progress output %q lacks the heading", progressOut.String())
	}
	if s := summary.String(); !strings.Contains(s, "produced 200 records to load in ") || !strings.Contains(s, "seed 7") ||
		!strings.Contains(s, "malformed by design: ") {
		t.Errorf("summary %q", s)
	}
}
