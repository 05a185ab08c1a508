package processor

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
)

// Health is the member's readiness as /readyz reports it: ready once the
// group is joined, partitions are assigned and their state is restored.
// It is safe for concurrent use.
type Health struct {
	mu     sync.Mutex
	ready  bool
	reason string
	// role is active or standby with global ordering (where a standby is
	// ready: it is there to take over), empty otherwise.
	role string
}

// NewHealth returns a Health that is not ready yet.
func NewHealth() *Health { return &Health{reason: "starting"} }

// Ready reports readiness and, when not ready, why.
func (h *Health) Ready() (bool, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ready, h.reason
}

func (h *Health) set(ready bool, reason string) {
	h.mu.Lock()
	h.ready, h.reason = ready, reason
	h.mu.Unlock()
}

// Role is the member's role with global ordering (active or standby), or
// empty.
func (h *Health) Role() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.role
}

func (h *Health) setRole(role string) {
	h.mu.Lock()
	h.role = role
	h.mu.Unlock()
}

// OpsHandler serves GET /metrics from gatherer, /healthz (process alive)
// and /readyz (200 when h is ready, else 503 with the reason; with global
// ordering the body names the role, role=active or role=standby).
func OpsHandler(gatherer prometheus.Gatherer, h *Health) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, reason := h.Ready()
		role := ""
		if r := h.Role(); r != "" {
			role = " role=" + r
		}
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready" + role + ": " + reason + "\n"))
			return
		}
		_, _ = w.Write([]byte("ready" + role + "\n"))
	})
	return mux
}

// NewOpsRegistry is the registry /metrics serves: the Go runtime and
// process collectors, to which the service adds its own metrics.
func NewOpsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// ServeOpsWhile runs run and serves handler on addr (ServeOps) while it
// runs: run's return stops the server, and a server error (addr cannot be
// bound) ends run's ctx. It returns the first error, a server error
// passed through opsErr.
func ServeOpsWhile(ctx context.Context, addr string, handler http.Handler, run func(context.Context) error, opsErr func(error) error) error {
	g, ctx := errgroup.WithContext(ctx)
	opsCtx, stopOps := context.WithCancel(ctx)
	g.Go(func() error { // run; its return ends the ops server too
		defer stopOps()
		return run(ctx)
	})
	g.Go(func() error { // the ops server; exits when run returns
		if err := ServeOps(opsCtx, addr, handler); err != nil {
			return opsErr(err)
		}
		return nil
	})
	return g.Wait()
}

// WithPprof adds Go's profiler (net/http/pprof) under /debug/pprof/ to
// the ops handler, for profiling a running member
// (go tool pprof http://ADDR/debug/pprof/profile?seconds=30).
func WithPprof(ops http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", ops)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// ServeOps serves handler on addr until ctx ends, then shuts the server
// down. It returns the listener error if addr cannot be bound. An empty
// addr disables the server.
func ServeOps(ctx context.Context, addr string, handler http.Handler) error {
	if addr == "" {
		<-ctx.Done()
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }() // exits when Shutdown below closes the listener
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
