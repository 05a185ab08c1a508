// Package leakcheck fails a test binary that leaves goroutines running
// after its tests: call Main from TestMain of a package whose code starts
// goroutines.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// settle is how long goroutines that are already ending (closed clients,
// stopped servers) get to finish before they count as leaked.
const settle = 10 * time.Second

// background are goroutines of the runtime and the testing package, not
// of the code under test.
var background = []string{
	"testing.Main(", "testing.(*M).", "testing.tRunner(", "runtime.goexit", "os/signal.signal_recv",
	"runtime.ensureSigM", "created by runtime.gc", "runtime/trace.",
}

// Main runs the tests and then exits non-zero when goroutines other than
// the runtime's are still running settle later, listing their stacks.
// ignore are further substrings of stacks that are not leaks.
func Main(m *testing.M, ignore ...string) {
	code := m.Run()
	if code == 0 {
		if leaked := Leaked(settle, ignore...); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutines still running after the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// Leaked waits up to wait for goroutines to end and returns the stacks of
// those still running, except the caller's and those matching ignore.
func Leaked(wait time.Duration, ignore ...string) []string {
	deadline := time.Now().Add(wait)
	for {
		leaked := others(append(ignore, background...))
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func others(ignore []string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	stacks := strings.Split(string(buf), "\n\n")
	var out []string
	for _, s := range stacks[1:] { // stacks[0] is the calling goroutine
		if !matchesAny(s, ignore) {
			out = append(out, s)
		}
	}
	return out
}

func matchesAny(stack string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(stack, sub) {
			return true
		}
	}
	return false
}
