// Package docs holds the project's documentation. Its only code is this
// test, which keeps the Markdown files honest: every relative link resolves
// to a file of the repository (and every #anchor to a heading), no link
// leaves the repository, and the README stays a short front page.
package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// maxReadmeLines is the README's length limit: it is a front page, the
// details live under docs/.
const maxReadmeLines = 300

// repoRoot is the repository root, relative to this package's directory.
const repoRoot = ".."

func TestMarkdownLinks(t *testing.T) {
	files := repoFiles(t)
	docs := map[string][]byte{}
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(f)))
			if err != nil {
				t.Fatal(err)
			}
			docs[f] = b
		}
	}
	if _, ok := docs["README.md"]; !ok {
		t.Fatalf("README.md is not among the repository's files (%d files found)", len(files))
	}
	for _, problem := range checkLinks(files, docs) {
		t.Error(problem)
	}
}

func TestReadmeIsAFrontPage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n >= maxReadmeLines {
		t.Errorf("README.md has %d lines; keep it under %d and move details to docs/", n, maxReadmeLines)
	}
}

// TestCheckLinksFindsProblems feeds the checker a small invented repository
// with one instance of every problem it must report, and a few links it must
// accept.
func TestCheckLinksFindsProblems(t *testing.T) {
	files := []string{"README.md", "docs/a.md", "docs/b.md", "deploy/k8s/x.yaml"}
	docs := map[string][]byte{
		"README.md": []byte("# Top\n\n" +
			"[ok](docs/a.md) [ok](docs/a.md#the-section-make-it) [ok](#top) [dir](deploy/k8s) [ok](docs/b.md \"title\")\n" +
			"[missing](docs/none.md)\n" +
			"[bad anchor](docs/a.md#nope)\n" +
			"[escapes](../elsewhere/x.md)\n" +
			"[web](https://example.com/)\n" +
			"`[in code](nowhere.md)`\n" +
			"```\n[in a block](nowhere.md)\n```\n" +
			"[ref]: docs/gone.md\n"),
		"docs/a.md": []byte("# A\n\n## The section (`make it`)\n\n[up](../README.md#top) [self](#a) [self bad](#b)\n"),
		"docs/b.md": []byte("# B\n\n[far](../../outside.md)\n"),
	}
	got := checkLinks(files, docs)
	want := []string{
		"README.md: link docs/none.md: no such file in the repository",
		"README.md: link docs/a.md#nope: docs/a.md has no heading with anchor #nope",
		"README.md: link ../elsewhere/x.md points outside the repository",
		"README.md: link https://example.com/ points outside the repository (only relative links to files of the repository are allowed)",
		"README.md: link docs/gone.md: no such file in the repository",
		"docs/a.md: link #b: docs/a.md has no heading with anchor #b",
		"docs/b.md: link ../../outside.md points outside the repository",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("checkLinks reported\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestAnchor(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"How exactly-once works", "how-exactly-once-works"},
		{"The chaos suite (`make test-chaos`)", "the-chaos-suite-make-test-chaos"},
		{"Real Apache Kafka without Docker: `scripts/kafka-local.sh`", "real-apache-kafka-without-docker-scriptskafka-localsh"},
		{"Input decoding (package `intake`)", "input-decoding-package-intake"},
		{"`eventproc verify`: the independent audit", "eventproc-verify-the-independent-audit"},
		{"invalid_json / not_an_object", "invalid_json--not_an_object"},
		{"Try it against a broker, with kcat", "try-it-against-a-broker-with-kcat"},
		{"Größe & Ordnung", "größe--ordnung"},
	} {
		if got := anchor(tc.heading); got != tc.want {
			t.Errorf("anchor(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

// repoFiles lists the repository's files, slash-separated and relative to
// its root: tracked and not-ignored untracked files (`git ls-files`) when
// git and the repository are there, else every file under the root (a
// source archive has no .git).
func repoFiles(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repoRoot
	if out, err := cmd.Output(); err == nil && len(out) > 0 {
		var files []string
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(f))); err == nil {
				files = append(files, f) // deleted but not yet staged files don't count
			}
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".cache") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var (
	// inlineLink matches [text](target) and [text](target "title"), images
	// included; the text may hold one level of brackets.
	inlineLink = regexp.MustCompile(`\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refDefinition matches a reference-style link definition: [name]: target
	refDefinition = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
	codeSpan      = regexp.MustCompile("`+[^`]*`+")
	urlScheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	headingLine   = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	htmlComment   = regexp.MustCompile(`(?s)<!--.*?-->`)
)

// checkLinks returns one line per broken or escaping link in docs (path →
// content), given every file of the repository.
func checkLinks(files []string, docs map[string][]byte) []string {
	exists := map[string]bool{}
	for _, f := range files {
		exists[f] = true
		for d := path.Dir(f); d != "."; d = path.Dir(d) {
			exists[d] = true // a directory holding repository files
		}
	}
	anchors := map[string]map[string]bool{}
	for f, b := range docs {
		anchors[f] = headingAnchors(b)
	}
	var problems []string
	for _, f := range slices.Sorted(mapsKeys(docs)) {
		for _, target := range links(docs[f]) {
			if p := checkLink(f, target, exists, anchors); p != "" {
				problems = append(problems, fmt.Sprintf("%s: link %s%s", f, target, p))
			}
		}
	}
	return problems
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkLink returns "" for a good link from file from, else the problem,
// worded to follow "link <target>".
func checkLink(from, target string, exists map[string]bool, anchors map[string]map[string]bool) string {
	if urlScheme.MatchString(target) || strings.HasPrefix(target, "//") {
		return " points outside the repository (only relative links to files of the repository are allowed)"
	}
	file, frag, _ := strings.Cut(target, "#")
	file, _, _ = strings.Cut(file, "?")
	dest := from
	if file != "" {
		if strings.HasPrefix(file, "/") {
			return " is absolute; use a path relative to " + from
		}
		joined := path.Join(path.Dir(from), file)
		if joined == ".." || strings.HasPrefix(joined, "../") {
			return " points outside the repository"
		}
		if !exists[joined] {
			return ": no such file in the repository"
		}
		dest = joined
	}
	if frag == "" {
		return ""
	}
	a, isDoc := anchors[dest]
	if !isDoc {
		return "" // an anchor into a non-Markdown file (e.g. a line number) is not checked
	}
	if !a[strings.ToLower(frag)] {
		return fmt.Sprintf(": %s has no heading with anchor #%s", dest, frag)
	}
	return ""
}

// links returns the link targets of a Markdown text, ignoring fenced code
// blocks, code spans and HTML comments.
func links(md []byte) []string {
	var out []string
	forEachProseLine(md, func(line string) {
		line = codeSpan.ReplaceAllString(line, "")
		if m := refDefinition.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
			return
		}
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	})
	return out
}

// headingAnchors returns the anchors GitHub generates for the ATX headings
// of a Markdown text, with -1, -2 … for repeated headings.
func headingAnchors(md []byte) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	forEachProseLine(md, func(line string) {
		m := headingLine.FindStringSubmatch(line)
		if m == nil {
			return
		}
		a := anchor(m[1])
		if n := seen[a]; n > 0 {
			out[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	})
	return out
}

// anchor is GitHub's heading slug: lower case; letters, digits, '-' and '_'
// kept; spaces become '-'; everything else is dropped.
func anchor(heading string) string {
	heading = strings.ToLower(heading)
	var b strings.Builder
	for _, r := range heading {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// forEachProseLine calls fn for every line outside fenced code blocks, with
// HTML comments removed.
func forEachProseLine(md []byte, fn func(string)) {
	md = htmlComment.ReplaceAll(md, nil)
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	fence := ""
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		fn(line)
	}
}
