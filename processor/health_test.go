package processor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestServeOpsWhile(t *testing.T) {
	h := OpsHandler(NewOpsRegistry(), NewHealth())
	errRun := errors.New("run failed")
	// run's error comes back and stops the server.
	err := ServeOpsWhile(t.Context(), "127.0.0.1:0", h, func(context.Context) error { return errRun }, func(err error) error { return err })
	if !errors.Is(err, errRun) {
		t.Errorf("ServeOpsWhile = %v, want %v", err, errRun)
	}
	// An address that cannot be bound ends run's ctx and is reported through opsErr.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	runEnded := false
	err = ServeOpsWhile(t.Context(), ln.Addr().String(), h,
		func(ctx context.Context) error { <-ctx.Done(); runEnded = true; return ctx.Err() },
		func(err error) error { return fmt.Errorf("ops: %w", err) })
	if err == nil || !strings.HasPrefix(err.Error(), "ops: ") || !runEnded {
		t.Errorf("ServeOpsWhile on a taken address = %v (run ended %v), want the ops error", err, runEnded)
	}
}

func TestNewOpsRegistryHasRuntimeMetrics(t *testing.T) {
	mfs, err := NewOpsRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	if !names["go_goroutines"] || !names["process_cpu_seconds_total"] && !names["process_start_time_seconds"] {
		t.Errorf("registry gathers %v, want Go and process metrics", names)
	}
}
