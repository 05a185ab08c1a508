package groupstatus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/testbroker"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/processor"
)

func produce(t *testing.T, cl *kgo.Client, topic string, g *gen.Generator, n int64) {
	t.Helper()
	next := func() ([]byte, []byte) { r := g.Next(); return r.Key, r.Value }
	if got, err := kafkatool.ProduceGenerated(t.Context(), cl, topic, next, n, 0, nil); err != nil || got != n {
		t.Fatalf("produce: %d of %d: %v", got, n, err)
	}
}

// TestDescribe runs two processor members, waits until they have caught
// up and checks what status reports; then stops them, adds input, and
// checks that an old enough backlog is reported as stuck (the clock is
// injected: no waiting).
func TestDescribe(t *testing.T) {
	b := testbroker.Start(t)
	in, out, group := testbroker.UniqueName(t, "in"), testbroker.UniqueName(t, "out"), testbroker.UniqueName(t, "g")
	b.CreateTopic(t, in, 4, nil)
	cl := b.NewClient(t)
	g := gen.New(gen.Config{Sources: 20, Seed: 3})
	produce(t, cl, in, g, 400)

	cancels := map[string]context.CancelFunc{}
	done := make(chan error, 2)
	for _, id := range []string{"m1", "m2"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[id] = cancel
		cfg := processor.Config{
			Client: kafkaio.ClientConfig{Brokers: b.Addrs}, InputTopic: in, OutputTopic: out, DLQTopic: out + "-dlq",
			Group: group, InstanceID: id, CreateTopics: true, WindowMaxEvents: 50, WindowMaxWait: 20 * time.Millisecond,
			TransactionTimeout: 3 * time.Second, SessionTimeout: 6 * time.Second, ShutdownTimeout: 20 * time.Second,
			RetryBackoff: 50 * time.Millisecond, RetryBackoffMax: 500 * time.Millisecond,
		}.WithDefaults()
		go func() { done <- processor.Run(ctx, cfg) }()
	}
	stopAll := func() {
		for _, c := range cancels {
			c()
		}
		for range cancels {
			<-done
		}
		cancels = nil
	}
	t.Cleanup(func() {
		if cancels != nil {
			stopAll()
		}
	})

	opts := []kgo.Opt{kgo.SeedBrokers(b.Addrs...)}
	cfg := Config{Group: group, InputTopic: in, OutputTopic: out, StuckAfter: time.Minute}
	var rep Report
	deadline := time.Now().Add(90 * time.Second)
	for {
		var err error
		rep, err = Describe(t.Context(), cl, opts, cfg)
		caughtUp := err == nil && len(rep.Members) == 2 && rep.TotalLag == 0 && len(rep.Partitions) == 4
		for _, m := range rep.Members {
			caughtUp = caughtUp && m.LastWindow != "" && len(m.Partitions) > 0
		}
		if caughtUp {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group did not catch up: %+v, %v", rep, err)
		}
		if len(rep.Members) == 2 && rep.TotalLag == 0 {
			// A member that joined after the backlog was drained has
			// committed no window yet: give every partition new input.
			produce(t, cl, in, g, 40)
		}
		time.Sleep(200 * time.Millisecond)
	}
	owned := map[int32]string{}
	for _, m := range rep.Members {
		if m.InstanceID != "m1" && m.InstanceID != "m2" {
			t.Errorf("member %+v: want instance id m1 or m2", m)
		}
		if !strings.HasPrefix(m.LastWindow, group+"-"+m.InstanceID+"-") {
			t.Errorf("member %s: last window %q is not one of its own", m.InstanceID, m.LastWindow)
		}
		for _, p := range m.Partitions {
			owned[p] = m.InstanceID
		}
	}
	for _, p := range rep.Partitions {
		if p.Committed <= 0 || p.Owner != owned[p.Partition] || p.Owner == "" || p.LastWindow == "" {
			t.Errorf("partition %+v: want a commit, its owner (%s) and a last window", p, owned[p.Partition])
		}
	}
	if rep.Stuck || rep.State != "Stable" {
		t.Errorf("caught-up group: state %s stuck %v (%s)", rep.State, rep.Stuck, rep.StuckReason)
	}
	if rep.Changelog.Missing || rep.Changelog.Offsets == 0 {
		t.Errorf("state changelog %+v: want records", rep.Changelog)
	}
	if b.Kind == testbroker.KindEmbedded && rep.TransactionsNote == "" && len(rep.Transactions) > 2 {
		t.Errorf("transactions %+v", rep.Transactions)
	}

	// Nobody processes: new input waits, and once older than StuckAfter
	// the group is stuck.
	stopAll()
	produce(t, cl, in, g, 40)
	cfg.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	rep, err := Describe(t.Context(), cl, opts, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Stuck || rep.TotalLag < 40 || !strings.Contains(rep.StuckReason, "records waiting") {
		t.Errorf("stopped group with new input: stuck %v lag %d reason %q", rep.Stuck, rep.TotalLag, rep.StuckReason)
	}
	cfg.Now = nil
	if rep, err := Describe(t.Context(), cl, opts, cfg); err != nil || rep.Stuck {
		t.Errorf("fresh backlog is not stuck yet: %v %v %s", err, rep.Stuck, rep.StuckReason)
	}
}

func TestDescribeUnknownGroup(t *testing.T) {
	b := testbroker.Start(t)
	cl := b.NewClient(t)
	_, err := Describe(t.Context(), cl, []kgo.Opt{kgo.SeedBrokers(b.Addrs...)}, Config{Group: testbroker.UniqueName(t, "nogroup"), InputTopic: "x"})
	if !errors.Is(err, ErrNoGroup) {
		t.Fatalf("Describe of an unknown group = %v, want ErrNoGroup", err)
	}
}

func TestWindowID(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"derived_fields":{"window_id":"g-a-000000000007"}}`, "g-a-000000000007"},
		{`{"derived_fields":{}}`, ""},
		{`not json`, ""},
	} {
		if got := windowID([]byte(tt.in)); got != tt.want {
			t.Errorf("windowID(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rep := Report{Group: "g", Stuck: true, StuckReason: "partition 0"}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if back.Group != "g" || !back.Stuck || back.StuckReason != "partition 0" || !strings.Contains(buf.String(), "\n  \"") {
		t.Errorf("WriteJSON wrote %s", buf.String())
	}
}
