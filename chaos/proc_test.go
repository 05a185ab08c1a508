package chaos

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one running eventproc process. Its stdout and stderr go to files
// in the test's log directory, printed when the test fails.
type proc struct {
	name    string
	cmd     *exec.Cmd
	stdout  string // path
	stderr  string // path
	done    chan struct{}
	mu      sync.Mutex
	state   *os.ProcessState
	waitErr error
}

// startProc starts the built binary with args. t.Cleanup kills it if it is
// still running and, when t failed, logs the tail of its stderr.
func startProc(t *testing.T, logDir, name string, args ...string) *proc {
	t.Helper()
	p := &proc{
		name:   name,
		stdout: filepath.Join(logDir, name+".stdout"),
		stderr: filepath.Join(logDir, name+".stderr"),
		done:   make(chan struct{}),
	}
	outF, err := os.Create(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	errF, err := os.Create(p.stderr)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = outF, errF
	// A child must not outlive a test binary killed by -timeout.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { // ends when the process exits
		err := p.cmd.Wait()
		outF.Close()
		errF.Close()
		p.mu.Lock()
		p.state, p.waitErr = p.cmd.ProcessState, err
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Signal(syscall.SIGCONT) // in case it is stopped
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- %s stderr (last lines):\n%s", name, tail(p.stderr, 25))
		}
	})
	return p
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process; a process that already exited is not
// an error.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("%s to %s: %v", sig, p.name, err)
	}
}

// exit describes how a process ended.
type exit struct {
	code   int // -1 when killed by a signal
	signal syscall.Signal
}

func (e exit) String() string {
	if e.code < 0 {
		return "killed by " + e.signal.String()
	}
	return fmt.Sprintf("exit %d", e.code)
}

// wait waits up to d for the process to end.
func (p *proc) wait(t *testing.T, d time.Duration) exit {
	t.Helper()
	if !p.exited() {
		select {
		case <-p.done:
		case <-time.After(d):
			t.Fatalf("%s still running %s after it was asked to stop; stderr:\n%s", p.name, d, tail(p.stderr, 25))
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ws := p.state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return exit{code: -1, signal: ws.Signal()}
	}
	return exit{code: ws.ExitStatus()}
}

// stop sends SIGTERM and requires the graceful exit 0 of the contract (docs/contract.md).
func (p *proc) stop(t *testing.T, d time.Duration) {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
	if e := p.wait(t, d); e.code != 0 {
		t.Fatalf("%s: SIGTERM ended it with %s, want exit 0; stderr:\n%s", p.name, e, tail(p.stderr, 25))
	}
}

func (p *proc) output(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var s strings.Builder
	for _, l := range lines {
		s.Write(l)
		s.WriteByte('\n')
	}
	return s.String()
}
