// Command kafkawait blocks until a Kafka cluster really serves requests, for
// scripts/kafka-local.sh: a listening port is not enough (the broker accepts
// connections before its metadata and controller are ready), so it asks the
// cluster for its metadata until every expected broker is registered and a
// controller is elected.
//
//	go run ./scripts/kafkawait -brokers 127.0.0.1:19092 -timeout 120s -pid 1234
//
// Exit status: 0 ready, 1 timed out or the watched process died, 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:19092", "comma-separated seed brokers")
	timeout := flag.Duration("timeout", 120*time.Second, "give up after this long")
	minBrokers := flag.Int("min-brokers", 1, "number of registered brokers required")
	pid := flag.Int("pid", 0, "stop waiting as soon as this process is gone (0: do not watch)")
	flag.Parse()
	if *minBrokers < 1 || *timeout <= 0 {
		fmt.Fprintln(os.Stderr, "kafkawait: -min-brokers must be >= 1 and -timeout > 0")
		os.Exit(2)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	err := waitReady(ctx, strings.Split(*brokers, ","), *minBrokers, *pid)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kafkawait: %s not ready: %v\n", *brokers, err)
		os.Exit(1)
	}
}

// errProcessGone means the broker process exited while we were waiting for it.
var errProcessGone = errors.New("broker process exited")

func waitReady(ctx context.Context, seeds []string, minBrokers, pid int) error {
	var lastErr error
	for {
		if pid > 0 && !alive(pid) {
			return fmt.Errorf("%w (pid %d)", errProcessGone, pid)
		}
		lastErr = probe(ctx, seeds, minBrokers)
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last probe: %v", ctx.Err(), lastErr)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// probe makes one metadata request with a fresh client, so that a broker that is
// still starting is asked again from scratch on the next attempt.
func probe(ctx context.Context, seeds []string, minBrokers int) error {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(seeds...),
		kgo.DialTimeout(time.Second),
		kgo.RetryTimeout(2*time.Second),
		kgo.RequestRetries(1),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	attemptCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	md, err := kadm.NewClient(cl).BrokerMetadata(attemptCtx)
	if err != nil {
		return err
	}
	if len(md.Brokers) < minBrokers {
		return fmt.Errorf("%d of %d brokers registered", len(md.Brokers), minBrokers)
	}
	if md.Controller < 0 {
		return errors.New("no active controller yet")
	}
	return nil
}

// alive reports whether process pid exists and is not a zombie waiting to be
// reaped (signal 0 checks existence without signalling).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs (not Linux): existence is all we can tell
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
