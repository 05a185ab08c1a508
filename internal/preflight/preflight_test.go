package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestCheck(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(web.Close)
	down := closedPort(t)

	tests := []struct {
		name     string
		seeds    []string
		want     Reason // "" for success
		wantText []string
	}{
		{"kafka", cluster.ListenAddrs(), "", nil},
		{"one seed down, one up", []string{down, cluster.ListenAddrs()[0]}, "", nil},
		{"nothing listening", []string{down}, Unreachable, []string{"cannot reach any Kafka broker at " + down, "connection refused", "check --brokers"}},
		{"an HTTP server", []string{web.Listener.Addr().String()}, NotKafka, []string{web.Listener.Addr().String(), "did not answer as a Kafka broker", "listener port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := kgo.NewClient(kgo.SeedBrokers(tt.seeds...))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			err = Check(t.Context(), cl, tt.seeds, false, 3*time.Second)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason != tt.want {
				t.Fatalf("Check = %v, want reason %s", err, tt.want)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q lacks %q", err, s)
				}
			}
		})
	}
}

// An interrupted check reports the interruption, not a broker problem.
func TestCheckInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := check(ctx, func(ctx context.Context, _, _ string) (net.Conn, error) { return nil, ctx.Err() },
		func(context.Context) error { return nil }, []string{"127.0.0.1:1"}, false, time.Second)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Check = %v, want context.Canceled", err)
	}
}

func TestCheckClient(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	up := kafkaio.ClientConfig{Brokers: cluster.ListenAddrs()}
	if err := CheckClient(t.Context(), up, nil); err != nil {
		t.Errorf("CheckClient(running broker, own client) = %v", err)
	}
	cl, err := kafkaio.NewClient(up)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := CheckClient(t.Context(), up, cl); err != nil {
		t.Errorf("CheckClient(running broker, given client) = %v", err)
	}
	down := kafkaio.ClientConfig{Brokers: []string{closedPort(t)}}
	var pe *Error
	if err := CheckClient(t.Context(), down, nil); !errors.As(err, &pe) {
		t.Errorf("CheckClient(closed port) = %v, want a *preflight.Error", err)
	}
}

func TestExplainAuthError(t *testing.T) {
	other := errors.New("topic events.in has 3 partitions")
	for _, tt := range []struct {
		err  error
		want string // "" means err comes back unchanged
	}{
		{fmt.Errorf("ping: %w", kerr.SaslAuthenticationFailed), ": SASL authentication failed: CHECK"},
		{fmt.Errorf("ping: %w", io.EOF), ": the broker closed the connection, as it does when SASL authentication fails: CHECK (and --tls if the listener expects TLS)"},
		{fmt.Errorf("ping: %w", syscall.ECONNRESET), "the broker closed the connection"},
		{other, ""},
	} {
		got := ExplainAuthError(tt.err, "CHECK", "--tls")
		if !errors.Is(got, tt.err) {
			t.Errorf("%v does not wrap %v", got, tt.err)
		}
		if tt.want == "" && got.Error() != tt.err.Error() || tt.want != "" && !strings.Contains(got.Error(), tt.want) {
			t.Errorf("ExplainAuthError(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
