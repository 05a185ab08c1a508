package kafkaio

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ClientConfig is how to reach and authenticate to the Kafka cluster. It is
// shared by every command that talks to Kafka.
type ClientConfig struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// ClientID names the client in broker logs and quotas.
	ClientID string
	TLS      TLSConfig
	SASL     SASLConfig
	// Compression is the codec of produced record batches: one of
	// Compressions; empty means DefaultCompression.
	Compression string
}

// DefaultCompression is the producer's batch codec unless configured. On
// eventproc's output it costs the least producer CPU of the codecs that
// compress (about 1 µs per event, lz4 2.2–2.4, zstd 3.5–5) and stores a
// fifth of the bytes (zstd a ninth); see BENCHMARKS.md.
const DefaultCompression = "snappy"

// Compressions are the producer batch codecs ClientConfig.Compression
// accepts.
var Compressions = []string{"none", "snappy", "lz4", "zstd"}

// compressionCodec maps a codec name to franz-go's codec.
func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "":
		return compressionCodec(DefaultCompression)
	case "none":
		return kgo.NoCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("--compression %q is not supported: use %s", name, strings.Join(Compressions, ", "))
}

// TLSConfig enables TLS to the brokers. Files are PEM.
type TLSConfig struct {
	Enabled            bool
	CAFile             string
	CertFile           string
	KeyFile            string
	ServerName         string
	InsecureSkipVerify bool
}

// SASLConfig selects a SASL mechanism. The password comes from Password
// (filled from the environment by the CLI) or PasswordFile; it is never
// logged.
type SASLConfig struct {
	// Mechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	Mechanism    string
	User         string
	Password     string
	PasswordFile string
}

// Validate reports the first configuration mistake, naming the flag to fix.
func (c ClientConfig) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("no brokers: set --brokers (or EVENTPROC_BROKERS) to host:port[,host:port…]")
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" || !strings.Contains(b, ":") {
			return fmt.Errorf("broker %q is not host:port: fix --brokers", b)
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("--tls-cert and --tls-key must be given together")
	}
	if _, err := compressionCodec(c.Compression); err != nil {
		return err
	}
	switch strings.ToUpper(c.SASL.Mechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.SASL.User == "" {
			return fmt.Errorf("--sasl-mechanism %s needs --sasl-user", c.SASL.Mechanism)
		}
		if c.SASL.Password == "" && c.SASL.PasswordFile == "" {
			return fmt.Errorf("--sasl-mechanism %s needs a password: set EVENTPROC_SASL_PASSWORD or --sasl-password-file", c.SASL.Mechanism)
		}
	default:
		return fmt.Errorf("--sasl-mechanism %q is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASL.Mechanism)
	}
	return nil
}

// Options turns the configuration into franz-go client options.
func (c ClientConfig) Options() ([]kgo.Opt, error) { return c.options(nil) }

// options is Options; a non-nil wrap wraps every broker connection (after
// TLS, so that it sees the protocol's bytes).
func (c ClientConfig) options(wrap func(net.Conn) net.Conn) ([]kgo.Opt, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	codec, _ := compressionCodec(c.Compression) // checked by Validate
	// none is the fallback for a broker too old for the codec (zstd needs
	// Kafka 2.1), as in franz-go's own default of [snappy, none].
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.ProducerBatchCompression(codec, kgo.NoCompression())}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	if c.TLS.Enabled || c.TLS.CAFile != "" || c.TLS.CertFile != "" {
		tc, err := c.TLS.build()
		if err != nil {
			return nil, err
		}
		if wrap == nil {
			opts = append(opts, kgo.DialTLSConfig(tc))
		} else {
			opts = append(opts, kgo.Dialer(wrappedDialer(tc, wrap)))
		}
	} else if wrap != nil {
		opts = append(opts, kgo.Dialer(wrappedDialer(nil, wrap)))
	}
	if c.SASL.Mechanism != "" {
		m, err := c.SASL.mechanism()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// NewClient builds a client from the configuration plus extra options.
func NewClient(c ClientConfig, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.Options()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}

func (t TLSConfig) build() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in flag
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read --tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (s SASLConfig) mechanism() (sasl.Mechanism, error) {
	pass := s.Password
	if pass == "" && s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("read --sasl-password-file: %w", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Auth{User: s.User, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.User, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.User, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("--sasl-mechanism %q is not supported", s.Mechanism)
}
