// Package testbroker gives integration tests a Kafka-protocol broker, choosing the
// most realistic backend available:
//
//  1. external: the cluster named by KAFKA_BROKERS (comma-separated host:port), e.g.
//     the real Apache Kafka started by scripts/kafka-local.sh (`make kafka-up`);
//  2. testcontainers: a pinned apache/kafka image, when a Docker engine answers;
//  3. embedded: an in-process kfake cluster (franz-go's fake broker), which needs
//     nothing but Go and is what `make test` runs on.
//
// TESTBROKER=external|testcontainers|embedded forces one backend; a forced backend
// that is unavailable fails the test instead of falling through.
//
// External and container brokers are shared by every test of the process, so tests
// must name their topics, groups and transactional ids with UniqueName. An embedded
// cluster is private to its test and closed by t.Cleanup.
//
// The package owns only broker provisioning and topic creation for tests; it knows
// nothing of eventproc's topics or records.
package testbroker

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Kind names the backend a Broker runs on.
type Kind string

const (
	KindExternal       Kind = "external"
	KindTestcontainers Kind = "testcontainers"
	KindEmbedded       Kind = "embedded"
)

// Environment variables read by Start.
const (
	// EnvBrokers names an already running cluster, host:port[,host:port...].
	EnvBrokers = "KAFKA_BROKERS"
	// EnvForce forces a backend: external, testcontainers or embedded.
	EnvForce = "TESTBROKER"
)

// embeddedBrokers is the size of an embedded cluster. Three brokers spread partition
// leaders and group/transaction coordinators over different connections, as a real
// cluster does, which a single broker would hide.
const embeddedBrokers = 3

// Broker is a running Kafka-protocol cluster for one test.
type Broker struct {
	// Addrs are the seed brokers, host:port.
	Addrs []string
	// Kind is the backend: "external", "testcontainers" or "embedded".
	Kind Kind
	// Cluster is the in-process cluster; nil unless Kind is "embedded".
	Cluster *kfake.Cluster
}

// Start returns a broker for t, picking the backend as the package doc says. It
// fails t when no backend can be had.
func Start(t testing.TB) *Broker {
	t.Helper()
	force, err := parseForce(os.Getenv(EnvForce))
	if err != nil {
		t.Fatal(err)
	}
	brokersEnv := os.Getenv(EnvBrokers)

	if force == KindExternal || (force == "" && strings.TrimSpace(brokersEnv) != "") {
		addrs, err := parseAddrs(brokersEnv)
		if err != nil {
			t.Fatalf("testbroker: %s: %v", EnvBrokers, err)
		}
		return &Broker{Addrs: addrs, Kind: KindExternal}
	}

	if force == KindTestcontainers || force == "" {
		addrs, err := sharedContainer()
		switch {
		case err == nil:
			return &Broker{Addrs: addrs, Kind: KindTestcontainers}
		case force == KindTestcontainers:
			t.Fatalf("testbroker: %s=%s: %v", EnvForce, force, err)
		case !isNoDocker(err):
			// Docker answered but the container did not come up (no image, no
			// network...): say so once per test, and still run on the embedded broker.
			t.Logf("testbroker: testcontainers unavailable, using the embedded broker: %v", err)
		}
	}

	return startEmbedded(t)
}

func startEmbedded(t testing.TB) *Broker {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(embeddedBrokers))
	if err != nil {
		t.Fatalf("testbroker: start embedded cluster: %v", err)
	}
	t.Cleanup(cluster.Close)
	return &Broker{Addrs: cluster.ListenAddrs(), Kind: KindEmbedded, Cluster: cluster}
}

// parseForce validates the TESTBROKER value; empty means "choose".
func parseForce(v string) (Kind, error) {
	switch k := Kind(strings.TrimSpace(strings.ToLower(v))); k {
	case "", KindExternal, KindTestcontainers, KindEmbedded:
		return k, nil
	default:
		return "", fmt.Errorf("testbroker: %s=%q: want %s, %s or %s", EnvForce, v, KindExternal, KindTestcontainers, KindEmbedded)
	}
}

// parseAddrs splits a KAFKA_BROKERS value into host:port seeds.
func parseAddrs(v string) ([]string, error) {
	var addrs []string
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if i := strings.LastIndexByte(a, ':'); i <= 0 || i == len(a)-1 {
			return nil, fmt.Errorf("%q is not host:port", a)
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no broker address in %q", v)
	}
	return addrs, nil
}
