package ingest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ServerConfig is how Serve listens.
type ServerConfig struct {
	// TLSCertFile and TLSKeyFile, both set, serve HTTPS.
	TLSCertFile, TLSKeyFile string
	// ShutdownTimeout bounds the wait for in-flight requests once ctx
	// ends.
	ShutdownTimeout time.Duration
}

// Validate checks that the TLS certificate and key are given together.
func (sc ServerConfig) Validate() error {
	if (sc.TLSCertFile == "") != (sc.TLSKeyFile == "") {
		return errors.New("--listen-tls-cert and --listen-tls-key must be given together")
	}
	return nil
}

// Serve serves h on ln until ctx ends, then drains: /readyz fails, new
// event requests get 503, and requests in flight run to their response
// (their events acknowledged or failed) for up to ShutdownTimeout. It
// returns nil after a clean drain.
func Serve(ctx context.Context, ln net.Listener, h *Handler, sc ServerConfig) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { // exits when Shutdown closes the listener
		if sc.TLSCertFile != "" {
			errc <- srv.ServeTLS(ln, sc.TLSCertFile, sc.TLSKeyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	h.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), sc.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
