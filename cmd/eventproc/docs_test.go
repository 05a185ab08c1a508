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

// Every verify flag that run does not have is in the verify table of
// docs/cli.md.
func TestVerifyFlagsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n### verify\n")
	if !ok {
		t.Fatal("docs/cli.md has no verify section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	shared := map[string]bool{}
	for _, f := range runCommandFlags() {
		shared[f.Names()[0]] = true
	}
	for _, f := range verifyFlags() {
		name := f.Names()[0]
		if !shared[name] && !strings.Contains(section, "| `--"+name+"` |") {
			t.Errorf("the verify section of docs/cli.md has no row for --%s", name)
		}
	}
}
