package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every command that talks to Kafka fails (exit 1) with the address and
// what to check when nothing listens there or the port is not Kafka,
// instead of retrying forever.
func TestUnreachableBrokersFailFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	web := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(web.Close)
	notKafka := web.Listener.Addr().String()

	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"produce, nothing listening", []string{"produce", "--brokers", down, "--count", "10"}, []string{"cannot reach any Kafka broker at " + down, "check --brokers"}},
		{"tail, nothing listening", []string{"tail", "--brokers", down}, []string{"cannot reach any Kafka broker at " + down}},
		{"run, nothing listening", []string{"run", "--brokers", down, "--metrics-addr=", "--log-format", "text"}, []string{"cannot reach any Kafka broker at " + down}},
		{"verify, nothing listening", []string{"verify", "--brokers", down}, []string{"cannot reach any Kafka broker at " + down}},
		{"status, nothing listening", []string{"status", "--brokers", down}, []string{"cannot reach any Kafka broker at " + down}},
		{"run, an HTTP server", []string{"run", "--brokers", notKafka, "--metrics-addr=", "--log-format", "text"}, []string{notKafka + " accepted a connection but did not answer as a Kafka broker"}},
		{"produce, an HTTP server", []string{"produce", "--brokers", notKafka, "--count", "1"}, []string{"did not answer as a Kafka broker"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, t.Context(), tt.args...)
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// status of a group that does not exist is a plain failure naming it.
func TestStatusUnknownGroup(t *testing.T) {
	addr := startKfakeForCLI(t, 1, "events.in")
	_, errOut, code := runCLI(t, t.Context(), "status", "--brokers", addr, "--group", "nobody")
	if code != exitFailure || !strings.Contains(errOut, "nobody") || !strings.Contains(errOut, "no such group") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
