package processor

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestOpsHandlerPprof checks that the profiler is served only with
// WithPprof, and that /metrics and /healthz are served either way.
func TestOpsHandlerPprof(t *testing.T) {
	for _, withPprof := range []bool{false, true} {
		h := OpsHandler(prometheus.NewRegistry(), NewHealth())
		if withPprof {
			h = WithPprof(h)
		}
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
