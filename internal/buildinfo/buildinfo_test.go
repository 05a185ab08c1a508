package buildinfo

import (
	"strings"
	"testing"
)

func TestShort(t *testing.T) {
	v := Info{Version: "v1.2.3", Commit: "0123456789abcdef", Modified: true, GoVersion: "go1.26", FranzGo: "v1.20.0"}
	if got, want := v.Short(), "v1.2.3 (commit 0123456789ab+modified, go1.26, franz-go v1.20.0)"; got != want {
		t.Errorf("Short = %q, want %q", got, want)
	}
	if r := Read(); !strings.HasPrefix(r.GoVersion, "go1.") {
		t.Errorf("Read().GoVersion = %q", r.GoVersion)
	}
}

func TestWriteText(t *testing.T) {
	for _, tt := range []struct {
		v    Info
		want string
	}{
		{Info{Version: "v1.2.3", Commit: "0123abc", CommitTime: "2026-01-02T03:04:05Z", Modified: true, GoVersion: "go1.26", FranzGo: "v1.20.0", KfakeModule: "v0.0.1"},
			"eventproc v1.2.3\ncommit:   0123abc (uncommitted changes) 2026-01-02T03:04:05Z\ngo:       go1.26\nfranz-go: v1.20.0\nkfake:    v0.0.1\n"},
		{Info{Version: "(devel)", GoVersion: "go1.26", FranzGo: "v1.20.0"},
			"eventproc (devel)\ncommit:   unknown (built without VCS information)\ngo:       go1.26\nfranz-go: v1.20.0\n"},
	} {
		var b strings.Builder
		tt.v.WriteText(&b)
		if b.String() != tt.want {
			t.Errorf("WriteText(%+v) =\n%s\nwant\n%s", tt.v, b.String(), tt.want)
		}
	}
}
