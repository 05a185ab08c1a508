package testbroker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// KafkaImage is the Apache Kafka image the testcontainers backend runs. It is the
// same version scripts/kafka-local.sh fetches and docker-compose.yml runs, so all
// three real-Kafka paths test against one broker version.
const KafkaImage = "apache/kafka:4.1.0"

const (
	// containerPort is the listener advertised to the host through Docker's port map.
	containerPort = "9092/tcp"
	// containerStarter is copied in once the mapped host port is known: Kafka must
	// advertise that port, which does not exist before the container starts.
	containerStarter = "/tmp/testbroker-start.sh"
	// containerStartTimeout bounds image pull + broker start.
	containerStartTimeout = 5 * time.Minute
	// dockerPingTimeout keeps the "is there a Docker engine?" check cheap on
	// machines without one.
	dockerPingTimeout = 2 * time.Second
)

// errNoDocker means no Docker engine answered: not a failure, just not this backend.
var errNoDocker = errors.New("no Docker engine reachable")

func isNoDocker(err error) bool { return errors.Is(err, errNoDocker) }

// The container is started at most once per test process and shared by its tests;
// Ryuk, testcontainers' reaper, removes it when the process exits (with
// TESTCONTAINERS_RYUK_DISABLED=true it is left running and must be removed by hand).
var shared struct {
	sync.Mutex
	tried bool
	addrs []string
	err   error
}

// sharedContainer returns the seed brokers of the process-wide Kafka container,
// starting it on first use. A failed start is remembered so later tests do not pay
// for it again.
func sharedContainer() ([]string, error) {
	shared.Lock()
	defer shared.Unlock()
	if !shared.tried {
		shared.tried = true
		shared.addrs, shared.err = startContainer()
	}
	return shared.addrs, shared.err
}

func startContainer() ([]string, error) {
	if err := pingDocker(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), containerStartTimeout)
	defer cancel()
	ctr, err := testcontainers.Run(ctx, KafkaImage,
		testcontainers.WithExposedPorts(containerPort),
		testcontainers.WithEnv(containerEnv()),
		testcontainers.WithEntrypoint("sh"),
		testcontainers.WithCmd("-c", "while [ ! -f "+containerStarter+" ]; do sleep 0.1; done; exec sh "+containerStarter),
		testcontainers.WithLifecycleHooks(testcontainers.ContainerLifecycleHooks{
			PostStarts: []testcontainers.ContainerHook{advertiseAndStart},
		}),
	)
	if err != nil {
		if ctr != nil {
			_ = ctr.Terminate(context.Background())
		}
		return nil, fmt.Errorf("start %s: %w", KafkaImage, err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, containerPort, "")
	if err != nil {
		_ = ctr.Terminate(context.Background())
		return nil, fmt.Errorf("mapped port of %s: %w", KafkaImage, err)
	}
	return []string{endpoint}, nil
}

// advertiseAndStart writes the starter script, which advertises the host's mapped
// port and then runs the image's own launcher, and waits until the broker is up.
func advertiseAndStart(ctx context.Context, c testcontainers.Container) error {
	if err := wait.ForMappedPort(containerPort).WaitUntilReady(ctx, c); err != nil {
		return fmt.Errorf("wait for mapped port: %w", err)
	}
	endpoint, err := c.PortEndpoint(ctx, containerPort, "")
	if err != nil {
		return fmt.Errorf("port endpoint: %w", err)
	}
	script := fmt.Sprintf("export KAFKA_ADVERTISED_LISTENERS='PLAINTEXT://%s,BROKER://localhost:9094'\nexec /etc/kafka/docker/run\n", endpoint)
	if err := c.CopyToContainer(ctx, []byte(script), containerStarter, 0o755); err != nil {
		return fmt.Errorf("copy starter script: %w", err)
	}
	return wait.ForLog("Kafka Server started").WaitUntilReady(ctx, c)
}

// containerEnv configures the image (which turns KAFKA_* variables into server
// properties) as a single KRaft node with the same settings as scripts/kafka-local.sh.
func containerEnv() map[string]string {
	return map[string]string{
		"CLUSTER_ID":                                             "ZXZlbnRwcm9jLXRlc3Q0MQ",
		"KAFKA_NODE_ID":                                          "1",
		"KAFKA_PROCESS_ROLES":                                    "broker,controller",
		"KAFKA_LISTENERS":                                        "PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093",
		"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP":                   "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"KAFKA_INTER_BROKER_LISTENER_NAME":                       "BROKER",
		"KAFKA_CONTROLLER_LISTENER_NAMES":                        "CONTROLLER",
		"KAFKA_CONTROLLER_QUORUM_VOTERS":                         "1@localhost:9093",
		"KAFKA_AUTO_CREATE_TOPICS_ENABLE":                        "false",
		"KAFKA_NUM_PARTITIONS":                                   "3",
		"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR":                 "1",
		"KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS":                     "10",
		"KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR":         "1",
		"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR":                    "1",
		"KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS":             "10",
		"KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
		"KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR":            "1",
		"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS":                 "0",
	}
}

// pingDocker asks the Docker engine's /_ping endpoint, with a short timeout, so a
// machine without Docker falls through to the next backend in milliseconds.
func pingDocker() error {
	network, addr, ok := dockerEndpoint()
	if !ok {
		return fmt.Errorf("%w: no DOCKER_HOST and no docker.sock", errNoDocker)
	}
	client := &http.Client{
		Timeout: dockerPingTimeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			},
		},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://docker/_ping")
	if err != nil {
		return fmt.Errorf("%w: %s %s: %v", errNoDocker, network, addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s %s: /_ping answered %s", errNoDocker, network, addr, resp.Status)
	}
	return nil
}

// dockerEndpoint finds the engine the way the docker CLI does: DOCKER_HOST first,
// then the usual socket paths (system, rootless, Docker Desktop).
func dockerEndpoint() (network, addr string, ok bool) {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		u, err := url.Parse(h)
		if err != nil {
			return "", "", false
		}
		switch u.Scheme {
		case "unix":
			return "unix", u.Path, true
		case "tcp":
			return "tcp", u.Host, true
		default:
			return "", "", false
		}
	}
	candidates := []string{"/var/run/docker.sock"}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		candidates = append(candidates, filepath.Join(d, "docker.sock"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates,
			filepath.Join(h, ".docker", "run", "docker.sock"),
			filepath.Join(h, ".docker", "desktop", "docker.sock"))
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix", p, true
		}
	}
	return "", "", false
}
