// Package embedded runs a Kafka-protocol cluster in this process
// (franz-go's kfake) for development: the eventproc broker command.
package embedded

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
)

// ErrCertificate reports a TLS certificate or key that cannot be loaded.
var ErrCertificate = errors.New("load the TLS certificate and key")

// Config is a validated embedded cluster configuration.
type Config struct {
	Host          string
	Port          int
	NumBrokers    int
	Partitions    int
	Topics        []string
	DataDir       string
	SASLMechanism string
	SASLUser      string
	SASLPassword  string
	TLSCert       string
	TLSKey        string
}

// Validate checks cfg, naming the eventproc broker flag at fault;
// passwordEnv is the environment variable SASLPassword comes from.
func (cfg Config) Validate(passwordEnv string) error {
	switch {
	case cfg.Port < 0 || cfg.Port > 65535:
		return fmt.Errorf("--listen port %d: bad port", cfg.Port)
	case cfg.NumBrokers < 1:
		return fmt.Errorf("--num-brokers %d: need at least 1", cfg.NumBrokers)
	case cfg.Port != 0 && cfg.Port+cfg.NumBrokers-1 > 65535:
		return fmt.Errorf("--listen port %d + %d brokers runs past port 65535", cfg.Port, cfg.NumBrokers)
	case cfg.Partitions < 1:
		return fmt.Errorf("--partitions %d: need at least 1", cfg.Partitions)
	case (cfg.TLSCert == "") != (cfg.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key must be given together")
	}
	switch cfg.SASLMechanism {
	case "":
		if cfg.SASLUser != "" {
			return errors.New("--sasl-user needs --sasl-mechanism")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if cfg.SASLUser == "" || cfg.SASLPassword == "" {
			return fmt.Errorf("--sasl-mechanism %s needs --sasl-user and $%s", cfg.SASLMechanism, passwordEnv)
		}
	default:
		return fmt.Errorf("--sasl-mechanism %q is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", cfg.SASLMechanism)
	}
	return nil
}

// Start starts the cluster cfg describes; the caller closes it.
func Start(cfg Config) (*kfake.Cluster, error) {
	ports := make([]int, cfg.NumBrokers)
	for i := range ports {
		if cfg.Port != 0 {
			ports[i] = cfg.Port + i
		}
	}
	opts := []kfake.Opt{
		kfake.Ports(ports...),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.AllowAutoTopicCreation(),
		// kfake always asks for 127.0.0.1:<port>; listen on the
		// requested host instead, keeping kfake's port choice.
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(cfg.Host, port))
		}),
	}
	if len(cfg.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(cfg.Partitions), cfg.Topics...))
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	if cfg.SASLMechanism != "" {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(cfg.SASLMechanism, cfg.SASLUser, cfg.SASLPassword))
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
		}
		opts = append(opts, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	return cluster, nil
}

// WriteBanner prints where the cluster listens and kcat commands to talk
// to it; passwordEnv names the variable holding the SASL password.
func WriteBanner(w io.Writer, cfg Config, addrs []string, passwordEnv string) {
	fmt.Fprintf(w, "eventproc broker: %d broker(s) listening on %s\n", len(addrs), strings.Join(addrs, ","))
	if len(cfg.Topics) > 0 {
		fmt.Fprintf(w, "topics: %s (%d partitions each; other topics are created with as many when a client first asks for them, e.g. eventproc produce --input-topic)\n",
			strings.Join(cfg.Topics, ", "), cfg.Partitions)
	}
	kcat := "kcat -b " + addrs[0]
	switch {
	case cfg.SASLMechanism != "":
		protocol := "SASL_PLAINTEXT"
		if cfg.TLSCert != "" {
			protocol = "SASL_SSL"
		}
		kcat += fmt.Sprintf(" -X security.protocol=%s -X sasl.mechanisms=%s -X sasl.username=%s -X sasl.password=\"$%s\"",
			protocol, cfg.SASLMechanism, cfg.SASLUser, passwordEnv)
	case cfg.TLSCert != "":
		kcat += " -X security.protocol=SSL -X ssl.ca.location=<your CA file>"
	}
	in, out := "events.in", "events.out"
	if len(cfg.Topics) > 0 {
		in = cfg.Topics[0]
	}
	if len(cfg.Topics) > 1 {
		out = cfg.Topics[1]
	}
	fmt.Fprintf(w, "try:\n")
	fmt.Fprintf(w, "  %s -L\n", kcat)
	fmt.Fprintf(w, "  echo 'sensor-1:{\"event_id\":\"e1\",\"source_id\":\"sensor-1\",\"timestamp\":1767225600.5}' | %s -t %s -P -K:\n", kcat, in)
	fmt.Fprintf(w, "  %s -C -t %s -X isolation.level=read_committed -o beginning -e -f '%%p@%%o %%k %%s\\n'\n", kcat, out)
	fmt.Fprintf(w, "  eventproc produce --brokers %s --count 1000\n", addrs[0])
	fmt.Fprintf(w, "press Ctrl-C to stop\n")
}
