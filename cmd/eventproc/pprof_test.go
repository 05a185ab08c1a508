package main

import (
	"strings"
	"testing"
)

// TestRunCompressionAndPprofFlags checks the flags' validation and that
// the chosen codec reaches the client configuration (the default as
// empty, which means kafkaio.DefaultCompression).
func TestRunCompressionAndPprofFlags(t *testing.T) {
	clearRunEnv(t)
	for _, tt := range []struct {
		args    []string
		want    string // Client.Compression
		wantErr string
	}{
		{args: nil, want: ""},
		{args: []string{"--compression", "snappy"}, want: ""},
		{args: []string{"--compression", "zstd"}, want: "zstd"},
		{args: []string{"--compression", "none"}, want: "none"},
		{args: []string{"--compression", "brotli"}, wantErr: "--compression"},
		{args: []string{"--pprof"}, want: ""},
		{args: []string{"--pprof", "--metrics-addr", ""}, wantErr: "--pprof"},
	} {
		cfg, _, err := runConfigOf(t, append([]string{"--brokers", "127.0.0.1:9092"}, tt.args...)...)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err %v, want one naming %s", tt.args, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case cfg.Client.Compression != tt.want:
			t.Errorf("%v: Client.Compression %q, want %q", tt.args, cfg.Client.Compression, tt.want)
		}
	}
}
