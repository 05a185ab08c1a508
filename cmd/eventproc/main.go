// Command eventproc is the exactly-once Kafka stream processor and its
// development tools: an embedded broker, a load generator and a committed-
// records tail (docs/contract.md). This package only wires flags to the
// packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure: Kafka unreachable, produce error, …
	exitUsage   = 2 // a mistake in the command line or configuration
	exitStuck   = 3 // eventproc status: the group is stuck
)

func main() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) }

// run runs the command line with SIGINT and SIGTERM cancelling the root
// context. A second signal, once the first has started the shutdown, gets
// the default behaviour (the process dies): a way out of a stuck shutdown.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return runApp(ctx, args, stdout, stderr)
}

// runApp runs the app and maps its error to an exit code, printing it.
func runApp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "eventproc: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	var se *stuckError
	if errors.As(err, &se) {
		return exitStuck
	}
	return exitFailure
}
