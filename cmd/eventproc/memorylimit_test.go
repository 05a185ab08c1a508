package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	setMemoryLimit(120)
	if got := debug.SetMemoryLimit(-1); got != 120<<20 {
		t.Fatalf("memory limit %d, want %d", got, 120<<20)
	}
}

func TestNegativeMemoryLimitIsAUsageError(t *testing.T) {
	var out, errb bytes.Buffer
	code := runApp(context.Background(), []string{"eventproc", "run", "--memory-limit-mb", "-1", "--metrics-addr", ""}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--memory-limit-mb") {
		t.Fatalf("exit %d, stderr %q: want a usage error naming --memory-limit-mb", code, errb.String())
	}
}
