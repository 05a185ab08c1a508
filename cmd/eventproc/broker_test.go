package main

import (
	"context"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

var listeningOn = regexp.MustCompile(`listening on (\S+)\n`)

// startBrokerCommand runs `eventproc broker` with args in the background and
// returns its broker addresses once it prints them, a cancel func that
// stops it and a wait func returning its exit code.
func startBrokerCommand(t *testing.T, args ...string) (addrs []string, out *syncBuffer, cancel func(), wait func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out = &syncBuffer{}
	errOut := &syncBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- runApp(ctx, append([]string{"eventproc", "broker"}, args...), out, errOut)
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := listeningOn.FindStringSubmatch(out.String()); m != nil {
			wait = func() int { return <-exit }
			return strings.Split(m[1], ","), out, cancel, wait
		}
		select {
		case code := <-exit:
			cancel()
			t.Fatalf("broker exited %d before listening: %s%s", code, out, errOut)
		case <-tick.C:
		}
	}
}

func TestBrokerCommandServesAndStopsOnCancel(t *testing.T) {
	addrs, out, cancel, wait := startBrokerCommand(t, "--listen", "127.0.0.1:0", "--partitions", "4", "--topics", "a.in,a.out")
	defer cancel()
	if len(addrs) != 1 {
		t.Fatalf("addresses %v, want 1", addrs)
	}
	for _, want := range []string{"kcat -b " + addrs[0] + " -L", "-t a.in -P -K:", "-C -t a.out -X isolation.level=read_committed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}

	cl, err := kafkaio.NewClient(kafkaio.ClientConfig{Brokers: addrs})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	topics, err := kadm.NewClient(cl).ListTopics(t.Context(), "a.in", "a.out")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.in", "a.out"} {
		if d := topics[name]; d.Err != nil || len(d.Partitions) != 4 {
			t.Errorf("topic %s: err %v, %d partitions, want 4", name, d.Err, len(d.Partitions))
		}
	}
	if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: "a.in", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	cancel()
	if code := wait(); code != exitOK {
		t.Fatalf("broker exited %d after cancel", code)
	}
	if !strings.Contains(out.String(), "broker stopped") {
		t.Errorf("no stop message:\n%s", out)
	}
}

func TestBrokerCommandThreeBrokers(t *testing.T) {
	addrs, _, cancel, wait := startBrokerCommand(t, "--listen", "127.0.0.1:0", "--num-brokers", "3")
	if len(addrs) != 3 {
		t.Fatalf("addresses %v, want 3", addrs)
	}
	cancel()
	if code := wait(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}

func TestBrokerCommandSASL(t *testing.T) {
	t.Setenv(saslPasswordEnv, "s3cret")
	addrs, out, cancel, wait := startBrokerCommand(t, "--listen", "127.0.0.1:0",
		"--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", "alice")
	defer func() { cancel(); wait() }()
	if !strings.Contains(out.String(), "-X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=alice") ||
		strings.Contains(out.String(), "s3cret") {
		t.Errorf("banner should show the SASL settings and never the password:\n%s", out)
	}

	produce := func(pass string, bound time.Duration) error {
		cl, err := kafkaio.NewClient(kafkaio.ClientConfig{Brokers: addrs,
			SASL: kafkaio.SASLConfig{Mechanism: "SCRAM-SHA-512", User: "alice", Password: pass}})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		// Bounds a failing login, which the client retries.
		ctx, stop := context.WithTimeout(t.Context(), bound)
		defer stop()
		return cl.ProduceSync(ctx, &kgo.Record{Topic: "events.in", Value: []byte("x")}).FirstErr()
	}
	if err := produce("s3cret", time.Minute); err != nil {
		t.Fatalf("produce with the right password: %v", err)
	}
	if err := produce("wrong", 2*time.Second); err == nil {
		t.Fatal("produce with a wrong password succeeded")
	}
}

// SIGTERM cancels the root context: the broker stops and run returns 0.
func TestRunStopsOnSIGTERM(t *testing.T) {
	out := &syncBuffer{}
	exit := make(chan int, 1)
	go func() { exit <- run([]string{"eventproc", "broker", "--listen", "127.0.0.1:0"}, out, &syncBuffer{}) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(out.String(), "listening on") {
		<-tick.C
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := <-exit; code != exitOK {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}
