package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/urfave/cli/v2"
)

// Names of the broker command's own flags.
const (
	flagListen     = "listen"
	flagNumBrokers = "num-brokers"
	flagPartitions = "partitions"
	flagTopics     = "topics"
	flagDataDir    = "data-dir"
)

func brokerCommand() *cli.Command {
	return &cli.Command{
		Name:  "broker",
		Usage: "run an embedded Kafka-protocol broker (franz-go kfake) for development and tests",
		UsageText: "eventproc broker\n" +
			"eventproc broker --listen 0.0.0.0:9092 --num-brokers 3 --partitions 12\n" +
			"eventproc broker --data-dir /var/lib/eventproc-broker --topics events.in,events.out,events.dlq\n" +
			"EVENTPROC_SASL_PASSWORD=secret eventproc broker --sasl-mechanism SCRAM-SHA-256 --sasl-user admin",
		Description: "Starts an in-process Kafka-compatible cluster, prints its addresses and kcat command\n" +
			"lines to try, and runs until interrupted. State lives in memory unless --data-dir is set.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagListen, Value: "127.0.0.1:9092",
				Usage:   "host:port of the first broker; further brokers listen on the following ports (port 0: random ports). Clients are told to connect to this host, so use an address they can reach",
				EnvVars: envVars(flagListen)},
			&cli.IntFlag{Name: flagNumBrokers, Value: 1,
				Usage: "number of brokers in the cluster (3 to try leader moves and failover)", EnvVars: envVars(flagNumBrokers)},
			&cli.IntFlag{Name: flagPartitions, Value: 6,
				Usage: "partitions of each topic in --topics and of auto-created topics", EnvVars: envVars(flagPartitions)},
			&cli.StringFlag{Name: flagTopics, Value: "events.in,events.out,events.dlq",
				Usage: "topics to create at start, comma separated", EnvVars: envVars(flagTopics)},
			&cli.StringFlag{Name: flagDataDir, TakesFile: true,
				Usage: "persist the cluster's state in this directory and reload it on start (default: in memory)", EnvVars: envVars(flagDataDir)},
			&cli.StringFlag{Name: flagSASLMechanism,
				Usage: "require SASL with this mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default: no authentication)", EnvVars: envVars(flagSASLMechanism)},
			&cli.StringFlag{Name: flagSASLUser,
				Usage: "SASL superuser to create; the password comes from $" + saslPasswordEnv, EnvVars: envVars(flagSASLUser)},
			&cli.StringFlag{Name: flagTLSCert, TakesFile: true,
				Usage: "serve TLS with this PEM certificate (with --tls-key)", EnvVars: envVars(flagTLSCert)},
			&cli.StringFlag{Name: flagTLSKey, TakesFile: true,
				Usage: "PEM private key of --tls-cert", EnvVars: envVars(flagTLSKey)},
		},
		Action: runBroker,
	}
}

// brokerConfig is the broker command's validated configuration.
type brokerConfig struct {
	host       string
	port       int
	numBrokers int
	partitions int
	topics     []string
	dataDir    string
	saslMech   string
	saslUser   string
	saslPass   string
	tlsCert    string
	tlsKey     string
}

func brokerConfigFrom(c *cli.Context) (brokerConfig, error) {
	cfg := brokerConfig{
		numBrokers: c.Int(flagNumBrokers),
		partitions: c.Int(flagPartitions),
		topics:     splitList(c.String(flagTopics)),
		dataDir:    c.String(flagDataDir),
		saslMech:   strings.ToUpper(c.String(flagSASLMechanism)),
		saslUser:   c.String(flagSASLUser),
		saslPass:   os.Getenv(saslPasswordEnv),
		tlsCert:    c.String(flagTLSCert),
		tlsKey:     c.String(flagTLSKey),
	}
	host, port, err := net.SplitHostPort(c.String(flagListen))
	if err != nil {
		return cfg, usageErrorf("--listen %q: %v", c.String(flagListen), err)
	}
	cfg.host = host
	if cfg.port, err = strconv.Atoi(port); err != nil || cfg.port < 0 || cfg.port > 65535 {
		return cfg, usageErrorf("--listen %q: bad port", c.String(flagListen))
	}
	switch {
	case cfg.numBrokers < 1:
		return cfg, usageErrorf("--num-brokers %d: need at least 1", cfg.numBrokers)
	case cfg.port != 0 && cfg.port+cfg.numBrokers-1 > 65535:
		return cfg, usageErrorf("--listen port %d + %d brokers runs past port 65535", cfg.port, cfg.numBrokers)
	case cfg.partitions < 1:
		return cfg, usageErrorf("--partitions %d: need at least 1", cfg.partitions)
	case (cfg.tlsCert == "") != (cfg.tlsKey == ""):
		return cfg, usageErrorf("--tls-cert and --tls-key must be given together")
	}
	switch cfg.saslMech {
	case "":
		if cfg.saslUser != "" {
			return cfg, usageErrorf("--sasl-user needs --sasl-mechanism")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if cfg.saslUser == "" || cfg.saslPass == "" {
			return cfg, usageErrorf("--sasl-mechanism %s needs --sasl-user and $%s", cfg.saslMech, saslPasswordEnv)
		}
	default:
		return cfg, usageErrorf("--sasl-mechanism %q is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", cfg.saslMech)
	}
	return cfg, nil
}

// kfakeOpts turns the configuration into cluster options.
func (cfg brokerConfig) kfakeOpts() ([]kfake.Opt, error) {
	ports := make([]int, cfg.numBrokers)
	for i := range ports {
		if cfg.port != 0 {
			ports[i] = cfg.port + i
		}
	}
	opts := []kfake.Opt{
		kfake.Ports(ports...),
		kfake.DefaultNumPartitions(cfg.partitions),
		kfake.AllowAutoTopicCreation(),
		// kfake always asks for 127.0.0.1:<port>; listen on the
		// requested host instead, keeping kfake's port choice.
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(cfg.host, port))
		}),
	}
	if len(cfg.topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(cfg.partitions), cfg.topics...))
	}
	if cfg.dataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.dataDir))
	}
	if cfg.saslMech != "" {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(cfg.saslMech, cfg.saslUser, cfg.saslPass))
	}
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return nil, usageErrorf("load --tls-cert/--tls-key: %v", err)
		}
		opts = append(opts, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	}
	return opts, nil
}

func runBroker(c *cli.Context) error {
	cfg, err := brokerConfigFrom(c)
	if err != nil {
		return err
	}
	opts, err := cfg.kfakeOpts()
	if err != nil {
		return err
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("start broker: %w", err)
	}
	defer cluster.Close()
	printBrokerBanner(c.App.Writer, cfg, cluster.ListenAddrs())
	<-c.Context.Done()
	fmt.Fprintln(c.App.Writer, "broker stopped")
	return nil
}

// printBrokerBanner prints where the cluster listens and kcat commands to
// talk to it.
func printBrokerBanner(w io.Writer, cfg brokerConfig, addrs []string) {
	fmt.Fprintf(w, "eventproc broker: %d broker(s) listening on %s\n", len(addrs), strings.Join(addrs, ","))
	if len(cfg.topics) > 0 {
		fmt.Fprintf(w, "topics: %s (%d partitions each; other topics are created with as many when a client first asks for them, e.g. eventproc produce --input-topic)\n",
			strings.Join(cfg.topics, ", "), cfg.partitions)
	}
	kcat := "kcat -b " + addrs[0]
	switch {
	case cfg.saslMech != "":
		protocol := "SASL_PLAINTEXT"
		if cfg.tlsCert != "" {
			protocol = "SASL_SSL"
		}
		kcat += fmt.Sprintf(" -X security.protocol=%s -X sasl.mechanisms=%s -X sasl.username=%s -X sasl.password=\"$%s\"",
			protocol, cfg.saslMech, cfg.saslUser, saslPasswordEnv)
	case cfg.tlsCert != "":
		kcat += " -X security.protocol=SSL -X ssl.ca.location=<your CA file>"
	}
	in, out := "events.in", "events.out"
	if len(cfg.topics) > 0 {
		in = cfg.topics[0]
	}
	if len(cfg.topics) > 1 {
		out = cfg.topics[1]
	}
	fmt.Fprintf(w, "try:\n")
	fmt.Fprintf(w, "  %s -L\n", kcat)
	fmt.Fprintf(w, "  echo 'sensor-1:{\"event_id\":\"e1\",\"source_id\":\"sensor-1\",\"timestamp\":1767225600.5}' | %s -t %s -P -K:\n", kcat, in)
	fmt.Fprintf(w, "  %s -C -t %s -X isolation.level=read_committed -o beginning -e -f '%%p@%%o %%k %%s\\n'\n", kcat, out)
	fmt.Fprintf(w, "  eventproc produce --brokers %s --count 1000\n", addrs[0])
	fmt.Fprintf(w, "press Ctrl-C to stop\n")
}
