package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/config"
	"github.com/eventproc/eventproc/internal/embedded"
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

func brokerConfigFrom(c *cli.Context) (embedded.Config, error) {
	cfg := embedded.Config{
		NumBrokers:    c.Int(flagNumBrokers),
		Partitions:    c.Int(flagPartitions),
		Topics:        config.SplitList(c.String(flagTopics)),
		DataDir:       c.String(flagDataDir),
		SASLMechanism: strings.ToUpper(c.String(flagSASLMechanism)),
		SASLUser:      c.String(flagSASLUser),
		SASLPassword:  os.Getenv(saslPasswordEnv),
		TLSCert:       c.String(flagTLSCert),
		TLSKey:        c.String(flagTLSKey),
	}
	host, port, err := net.SplitHostPort(c.String(flagListen))
	if err != nil {
		return cfg, usageErrorf("--listen %q: %v", c.String(flagListen), err)
	}
	cfg.Host = host
	if cfg.Port, err = strconv.Atoi(port); err != nil || cfg.Port < 0 || cfg.Port > 65535 {
		return cfg, usageErrorf("--listen %q: bad port", c.String(flagListen))
	}
	return cfg, asUsageError(cfg.Validate(saslPasswordEnv))
}

func runBroker(c *cli.Context) error {
	cfg, err := brokerConfigFrom(c)
	if err != nil {
		return err
	}
	cluster, err := embedded.Start(cfg)
	if errors.Is(err, embedded.ErrCertificate) {
		return usageErrorf("--tls-cert/--tls-key: %v", err)
	}
	if err != nil {
		return err
	}
	defer cluster.Close()
	embedded.WriteBanner(c.App.Writer, cfg, cluster.ListenAddrs(), saslPasswordEnv)
	<-c.Context.Done()
	fmt.Fprintln(c.App.Writer, "broker stopped")
	return nil
}
