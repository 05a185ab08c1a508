package testbroker

import (
	"errors"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseAddrs(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "127.0.0.1:19092", want: []string{"127.0.0.1:19092"}},
		{in: " a:1 , b:2,,", want: []string{"a:1", "b:2"}},
		{in: "[::1]:9092", want: []string{"[::1]:9092"}},
		{in: "", wantErr: true},
		{in: " , ", wantErr: true},
		{in: "localhost", wantErr: true},
		{in: "localhost:", wantErr: true},
		{in: ":9092", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseAddrs(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseAddrs(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("parseAddrs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseForce(t *testing.T) {
	tests := []struct {
		in      string
		want    Kind
		wantErr bool
	}{
		{in: "", want: ""},
		{in: "embedded", want: KindEmbedded},
		{in: " External ", want: KindExternal},
		{in: "TESTCONTAINERS", want: KindTestcontainers},
		{in: "docker", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseForce(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseForce(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestStartExternalUsesKafkaBrokers(t *testing.T) {
	t.Setenv(EnvForce, "")
	t.Setenv(EnvBrokers, "127.0.0.1:1,127.0.0.1:2")
	b := Start(t) // no connection is made for an external broker
	if b.Kind != KindExternal || b.Cluster != nil || !slices.Equal(b.Addrs, []string{"127.0.0.1:1", "127.0.0.1:2"}) {
		t.Errorf("Start = %+v, want external 127.0.0.1:1,127.0.0.1:2", b)
	}
}

func TestStartForcedEmbedded(t *testing.T) {
	t.Setenv(EnvForce, "embedded")
	t.Setenv(EnvBrokers, "127.0.0.1:1") // ignored when embedded is forced
	b := Start(t)
	if b.Kind != KindEmbedded || b.Cluster == nil || len(b.Addrs) != embeddedBrokers {
		t.Fatalf("Start = %+v, want an embedded cluster of %d brokers", b, embeddedBrokers)
	}
	for _, a := range b.Addrs {
		if host, _, err := net.SplitHostPort(a); err != nil || host != "127.0.0.1" {
			t.Errorf("embedded broker address %q is not on 127.0.0.1", a)
		}
	}
}

// TestPingDockerWithoutEngine checks that a Docker host that does not answer is
// reported as errNoDocker (fall through), not as a container failure.
func TestPingDockerWithoutEngine(t *testing.T) {
	for _, host := range []string{
		"unix://" + filepath.Join(t.TempDir(), "no-docker.sock"),
		"ssh://somewhere",
	} {
		t.Run(host, func(t *testing.T) {
			t.Setenv("DOCKER_HOST", host)
			if err := pingDocker(); !errors.Is(err, errNoDocker) {
				t.Errorf("pingDocker() = %v, want errNoDocker", err)
			}
		})
	}
}

func TestDockerEndpointFromEnv(t *testing.T) {
	tests := []struct{ host, network, addr string }{
		{"unix:///var/run/docker.sock", "unix", "/var/run/docker.sock"},
		{"tcp://127.0.0.1:2375", "tcp", "127.0.0.1:2375"},
	}
	for _, tt := range tests {
		t.Setenv("DOCKER_HOST", tt.host)
		network, addr, ok := dockerEndpoint()
		if !ok || network != tt.network || addr != tt.addr {
			t.Errorf("DOCKER_HOST=%s: dockerEndpoint() = %s %s %v, want %s %s", tt.host, network, addr, ok, tt.network, tt.addr)
		}
	}
}

var legalTopicName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,249}$`)

func TestUniqueName(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		n := UniqueName(t, "in.topic/x")
		if !legalTopicName.MatchString(n) {
			t.Fatalf("UniqueName = %q: not a legal Kafka topic name", n)
		}
		if !strings.HasPrefix(n, "in-topic-x-TestUniqueName-") {
			t.Fatalf("UniqueName = %q: want prefix and test name first", n)
		}
		if seen[n] {
			t.Fatalf("UniqueName returned %q twice", n)
		}
		seen[n] = true
	}
	long := UniqueName(t, strings.Repeat("p", 500))
	if len(long) > maxNameLen || !legalTopicName.MatchString(long) {
		t.Errorf("UniqueName with a 500-character prefix = %d characters, want <= %d and legal", len(long), maxNameLen)
	}
}
