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
