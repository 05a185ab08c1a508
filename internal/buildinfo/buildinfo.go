// Package buildinfo reports what the binary knows about its own build,
// from the module and VCS data the Go toolchain embeds.
package buildinfo

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Info is what the binary knows about its own build, from the
// module and VCS data the Go toolchain embeds (runtime/debug.ReadBuildInfo).
type Info struct {
	Version     string `json:"version"`               // module version, "(devel)" for a source build
	Commit      string `json:"commit,omitempty"`      // VCS revision
	CommitTime  string `json:"commit_time,omitempty"` // VCS commit time, RFC 3339
	Modified    bool   `json:"modified,omitempty"`    // built from a tree with uncommitted changes
	GoVersion   string `json:"go_version"`            // toolchain that built the binary
	FranzGo     string `json:"franz_go"`              // github.com/twmb/franz-go module version
	KfakeModule string `json:"kfake,omitempty"`       // the embedded broker's module version
}

// Read returns the running binary's Info.
func Read() Info {
	v := Info{Version: "(unknown)", FranzGo: "(unknown)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.GoVersion = bi.GoVersion
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		version := d.Version
		if d.Replace != nil {
			version = d.Replace.Version
		}
		switch d.Path {
		case "github.com/twmb/franz-go":
			v.FranzGo = version
		case "github.com/twmb/franz-go/pkg/kfake":
			v.KfakeModule = version
		}
	}
	return v
}

// Short is the one line printed by --version.
func (v Info) Short() string {
	var parts []string
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if v.Modified {
			c += "+modified"
		}
		parts = append(parts, "commit "+c)
	}
	parts = append(parts, v.GoVersion, "franz-go "+v.FranzGo)
	return v.Version + " (" + strings.Join(parts, ", ") + ")"
}

// WriteText writes the version, commit, Go and franz-go versions, one
// per line, as eventproc version prints them.
func (v Info) WriteText(w io.Writer) {
	fmt.Fprintf(w, "eventproc %s\n", v.Version)
	if v.Commit != "" {
		modified := ""
		if v.Modified {
			modified = " (uncommitted changes)"
		}
		fmt.Fprintf(w, "commit:   %s%s %s\n", v.Commit, modified, v.CommitTime)
	} else {
		fmt.Fprintf(w, "commit:   unknown (built without VCS information)\n")
	}
	fmt.Fprintf(w, "go:       %s\n", v.GoVersion)
	fmt.Fprintf(w, "franz-go: %s\n", v.FranzGo)
	if v.KfakeModule != "" {
		fmt.Fprintf(w, "kfake:    %s\n", v.KfakeModule)
	}
}
