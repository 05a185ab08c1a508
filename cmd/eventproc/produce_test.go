package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/kafkaio"
)

// readTopic returns every committed record of topic.
func readTopic(t *testing.T, addr, topic string) []kafkatool.TailRecord {
	t.Helper()
	cl, err := kafkaio.NewClient(kafkaio.ClientConfig{Brokers: []string{addr}}, kafkatool.TailClientOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []kafkatool.TailRecord
	err = kafkatool.Tail(t.Context(), cl, kafkatool.TailConfig{Topics: []string{topic}, FromStart: true, StopAtEnd: true},
		func(r kafkatool.TailRecord) bool { recs = append(recs, r); return true })
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// timestamps differ between the command's run and the test's replay of the
// generator; everything else about a record is determined by the seed.
var timestampMember = regexp.MustCompile(`"timestamp":("[^"]*"|[0-9.]+)`)

func recordSignature(key, value []byte) string {
	return fmt.Sprintf("%q=%q", key, timestampMember.ReplaceAll(value, []byte(`"timestamp":T`)))
}

func TestProduceCommandWritesTheGeneratedStream(t *testing.T) {
	addr := startKfakeForCLI(t, 4, "events.in")
	const count, seed, sources, ratio = 500, 7, 20, 0.2
	out, errOut, code := runCLI(t, t.Context(), "produce", "--brokers", addr, "--topic", "events.in",
		"--count", fmt.Sprint(count), "--seed", fmt.Sprint(seed), "--sources", fmt.Sprint(sources),
		"--malformed-ratio", fmt.Sprint(ratio), "--progress-interval", "1h")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}

	// Replay the generator: the topic must hold exactly its first 500
	// records, malformed ones included.
	g := gen.New(gen.Config{Seed: seed, Sources: sources, MalformedRatio: ratio})
	var want []string
	malformed := 0
	for range count {
		r := g.Next()
		want = append(want, recordSignature(r.Key, r.Value))
		if r.Malformed {
			malformed++
		}
	}
	var got []string
	for _, r := range readTopic(t, addr, "events.in") {
		got = append(got, recordSignature(r.Key, r.Value))
	}
	if len(got) != count {
		t.Fatalf("topic holds %d records, want %d", len(got), count)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("records differ from the generator's, first at sorted index %d:\n got %s\nwant %s", i, got[i], want[i])
			}
		}
	}
	if malformed == 0 {
		t.Fatal("the replayed stream has no malformed record: the test proves nothing about them")
	}
	if !strings.Contains(out, fmt.Sprintf("produced %d records to events.in", count)) ||
		!strings.Contains(out, fmt.Sprintf("malformed by design: %d (", malformed)) {
		t.Errorf("summary does not report %d records and %d malformed:\n%s", count, malformed, out)
	}
	if !strings.Contains(errOut, "produce: 500/500 (100.0%)") {
		t.Errorf("no final progress line on stderr:\n%s", errOut)
	}
}

func TestProduceCommandStopsOnCancel(t *testing.T) {
	addr := startKfakeForCLI(t, 2, "events.in")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	var out, errOut string
	var code int
	go func() {
		defer close(done)
		out, errOut, code = runCLI(t, ctx, "produce", "--brokers", addr, "--rate", "2000", "--progress-interval", "1h")
	}()
	// Let some records land, then stop the endless run as a signal would.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for len(readTopic(t, addr, "events.in")) < 10 {
		<-tick.C
	}
	cancel()
	<-done
	if code != exitOK {
		t.Fatalf("stopping an endless produce exited %d: %s", code, errOut)
	}
	n := len(readTopic(t, addr, "events.in"))
	if !strings.Contains(out, fmt.Sprintf("produced %d records", n)) {
		t.Fatalf("summary does not match the %d records in the topic:\n%s", n, out)
	}
}
