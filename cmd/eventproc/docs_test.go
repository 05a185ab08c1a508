package main

import (
	"os"
	"strings"
	"testing"
)

// Every flag of run, and every verify flag shared with it, is in the run
// table of docs/cli.md: the reference cannot fall behind the code.
func TestRunFlagsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range runFlags() {
		name := f.Names()[0]
		if !strings.Contains(string(doc), "| `--"+name+"` |") {
			t.Errorf("docs/cli.md has no row for run's --%s", name)
		}
	}
}
