// Package golden compares test output with files under testdata/ and
// rewrites them when a test binary runs with -update. It is for tests only.
package golden

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

// update is the -update flag of every test binary that imports this package.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Compare fails t at the first line where got differs from the file at
// path, or rewrites the file with -update.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	gotLines, wantLines := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gotLines) || i < len(wantLines); i++ {
		var g, w []byte
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("%s line %d differs (run go test -update if the change is intended)\n got: %s\nwant: %s", path, i+1, g, w)
		}
	}
}
