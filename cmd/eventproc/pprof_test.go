package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/processor"
)

// TestOpsHandlerPprof checks that the profiler is served only with
// --pprof, and that /metrics and /healthz are served either way.
func TestOpsHandlerPprof(t *testing.T) {
	for _, withPprof := range []bool{false, true} {
		h := opsHandler(prometheus.NewRegistry(), processor.NewHealth(), withPprof)
		for _, tt := range []struct {
			path string
			want int
		}{
			{"/metrics", http.StatusOK},
			{"/healthz", http.StatusOK},
			{"/debug/pprof/", map[bool]int{false: http.StatusNotFound, true: http.StatusOK}[withPprof]},
			{"/debug/pprof/goroutine?debug=1", map[bool]int{false: http.StatusNotFound, true: http.StatusOK}[withPprof]},
		} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.want {
				t.Errorf("pprof=%v: GET %s = %d, want %d", withPprof, tt.path, rec.Code, tt.want)
			}
		}
	}
}

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
