package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/config"
	"github.com/eventproc/eventproc/kafkaio"
)

// saslPasswordEnv carries the SASL password. It is deliberately not a flag:
// a secret in argv is visible to every user of the machine (ps, /proc).
const saslPasswordEnv = "EVENTPROC_SASL_PASSWORD"

const categoryConnection = "Kafka connection"

// Names of the flags shared by every command that talks to Kafka.
const (
	flagBrokers               = "brokers"
	flagTLSEnabled            = "tls-enabled"
	flagTLSCA                 = "tls-ca"
	flagTLSCert               = "tls-cert"
	flagTLSKey                = "tls-key"
	flagTLSServerName         = "tls-server-name"
	flagTLSInsecureSkipVerify = "tls-insecure-skip-verify"
	flagSASLMechanism         = "sasl-mechanism"
	flagSASLUser              = "sasl-user"
	flagSASLPasswordFile      = "sasl-password-file"
)

// clientFlags are the connection flags of every command that talks to Kafka.
func clientFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagBrokers, Value: "127.0.0.1:9092", Category: categoryConnection,
			Usage: "seed brokers, comma separated host:port list", EnvVars: envVars(flagBrokers)},
		&cli.BoolFlag{Name: flagTLSEnabled, Category: categoryConnection,
			Usage: "connect with TLS (implied by --tls-ca or --tls-cert)", EnvVars: envVars(flagTLSEnabled)},
		&cli.StringFlag{Name: flagTLSCA, Category: categoryConnection, TakesFile: true,
			Usage: "PEM file of the CA that signed the brokers' certificates (default: system roots)", EnvVars: envVars(flagTLSCA)},
		&cli.StringFlag{Name: flagTLSCert, Category: categoryConnection, TakesFile: true,
			Usage: "PEM client certificate for mutual TLS (with --tls-key)", EnvVars: envVars(flagTLSCert)},
		&cli.StringFlag{Name: flagTLSKey, Category: categoryConnection, TakesFile: true,
			Usage: "PEM private key of --tls-cert", EnvVars: envVars(flagTLSKey)},
		&cli.StringFlag{Name: flagTLSServerName, Category: categoryConnection,
			Usage: "server name to verify the brokers' certificates against (default: the broker host)", EnvVars: envVars(flagTLSServerName)},
		&cli.BoolFlag{Name: flagTLSInsecureSkipVerify, Category: categoryConnection,
			Usage: "do not verify the brokers' certificates (testing only)", EnvVars: envVars(flagTLSInsecureSkipVerify)},
		&cli.StringFlag{Name: flagSASLMechanism, Category: categoryConnection,
			Usage: "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default: no SASL)", EnvVars: envVars(flagSASLMechanism)},
		&cli.StringFlag{Name: flagSASLUser, Category: categoryConnection,
			Usage: "SASL user name; the password comes from $" + saslPasswordEnv + " or --sasl-password-file", EnvVars: envVars(flagSASLUser)},
		&cli.StringFlag{Name: flagSASLPasswordFile, Category: categoryConnection, TakesFile: true,
			Usage: "file holding the SASL password (trailing newline ignored); $" + saslPasswordEnv + " takes precedence", EnvVars: envVars(flagSASLPasswordFile)},
	}
}

// clientConfigFrom reads the connection flags; ClientID is "eventproc-" and
// the command name. The result is not validated: callers report Validate's
// error as a usage error.
func clientConfigFrom(c *cli.Context) kafkaio.ClientConfig {
	clientID := "eventproc"
	if c.Command != nil && c.Command.Name != "" {
		clientID += "-" + c.Command.Name
	}
	return kafkaio.ClientConfig{
		Brokers:  config.SplitList(c.String(flagBrokers)),
		ClientID: clientID,
		TLS: kafkaio.TLSConfig{
			Enabled:            c.Bool(flagTLSEnabled),
			CAFile:             c.String(flagTLSCA),
			CertFile:           c.String(flagTLSCert),
			KeyFile:            c.String(flagTLSKey),
			ServerName:         c.String(flagTLSServerName),
			InsecureSkipVerify: c.Bool(flagTLSInsecureSkipVerify),
		},
		SASL: kafkaio.SASLConfig{
			Mechanism:    c.String(flagSASLMechanism),
			User:         c.String(flagSASLUser),
			Password:     os.Getenv(saslPasswordEnv),
			PasswordFile: c.String(flagSASLPasswordFile),
		},
	}
}

// newPlainClient is a client without a group or consumed topics, for admin
// requests.
func newPlainClient(opts []kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}
