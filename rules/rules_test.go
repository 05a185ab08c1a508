package rules

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eventproc/eventproc/classify"
	"github.com/eventproc/eventproc/event"
)

func TestDefaultsRoundTrip(t *testing.T) {
	d := Default()
	got, err := Parse("defaults.yaml", d.Encode())
	if err != nil {
		t.Fatalf("Parse(Encode(Default())): %v\n%s", err, d.Encode())
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip changed the rules:\ngot  %+v\nwant %+v", got, d)
	}
	if got.Hash() != d.Hash() || !got.IsDefault() {
		t.Fatalf("round trip changed the hash: %s, want %s", got.Version(), d.Version())
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestDefaultsMatchCompiledIn(t *testing.T) {
	if !reflect.DeepEqual(Default().Classify, classify.DefaultConfig()) {
		t.Fatal("Default().Classify differs from classify.DefaultConfig()")
	}
	st, err := Default().Stages()
	if err != nil {
		t.Fatal(err)
	}
	if st.Enrich.RulesHash != nil {
		t.Fatal("default rules must not enter the signature (signatures of a build without rules files)")
	}
	f := classify.Features{Priority: event.PriorityHigh, Load: 0.9, SourceID: []byte("payment-alerts")}
	if st.Classifier.Classify(f) != classify.Classify(f) {
		t.Fatal("default stages classify differently from the compiled-in classifier")
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	r, err := Parse("empty.yaml", []byte("# nothing\n"))
	if err != nil || !r.IsDefault() {
		t.Fatalf("Parse(empty) = %v, %v; want the defaults", r.Version(), err)
	}
}

func TestHashIgnoresLayoutAndKeywordOrder(t *testing.T) {
	a := Default()
	b := Default()
	kw := b.Classify.Keywords[event.CategoryUser]
	b.Classify.Keywords[event.CategoryUser] = []string{kw[3], kw[1], kw[0], kw[2]}
	if a.Hash() != b.Hash() {
		t.Fatal("keyword order changed the hash")
	}
	b.ZThreshold = 3.5
	if a.Hash() == b.Hash() {
		t.Fatal("a different z threshold kept the hash")
	}
}

// TestParseFixtures runs every file under testdata/good (must load) and
// testdata/bad (must fail with the errors listed in its "# want:" lines,
// each "LINE: substring").
func TestParseFixtures(t *testing.T) {
	for _, dir := range []string{"good", "bad"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures in testdata/%s: %v", dir, err)
		}
		for _, f := range files {
			t.Run(dir+"/"+filepath.Base(f), func(t *testing.T) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				_, perr := Parse(f, data)
				if dir == "good" {
					if perr != nil {
						t.Fatalf("want no error, got %v", perr)
					}
					return
				}
				if !errors.Is(perr, ErrInvalidRules) {
					t.Fatalf("want ErrInvalidRules, got %v", perr)
				}
				wants := wantLines(string(data))
				if len(wants) == 0 {
					t.Fatal("bad fixture without # want: lines")
				}
				for _, w := range wants {
					if !strings.Contains(perr.Error(), f+":"+w) {
						t.Errorf("error does not contain %q:\n%v", f+":"+w, perr)
					}
				}
				if n := strings.Count(perr.Error(), "\n") + 1; n != len(wants) {
					t.Errorf("got %d errors, want %d:\n%v", n, len(wants), perr)
				}
			})
		}
	}
}

func wantLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			out = append(out, w)
		}
	}
	return out
}
