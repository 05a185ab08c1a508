package main

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kprom"
	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/ingest"
	"github.com/eventproc/eventproc/intake"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/processor"
)

// Names of the ingest command's own flags.
const (
	flagListenTLSCert     = "listen-tls-cert"
	flagListenTLSKey      = "listen-tls-key"
	flagAuthTokenFile     = "auth-token-file"
	flagMaxRequestBytes   = "max-request-bytes"
	flagMaxInflightBytes  = "max-inflight-bytes"
	flagIdempotencyWindow = "idempotency-window"
	flagIdempotencyKeys   = "idempotency-keys"
	flagProduceTimeout    = "produce-timeout"
)

const categoryHTTP = "HTTP front door"

// defaultProduceTimeout bounds how long a request waits for the broker
// before it is answered 503.
const defaultProduceTimeout = 10 * time.Second

func ingestCommand() *cli.Command {
	flags := ingestCommandFlags()
	return &cli.Command{
		Name:  "ingest",
		Usage: "accept events over HTTP and produce them to the input topic",
		UsageText: "eventproc ingest --listen :8080 --brokers kafka:9092 --input-topic events.in\n" +
			"eventproc ingest --listen :8443 --listen-tls-cert tls.crt --listen-tls-key tls.key --auth-token-file token\n" +
			"curl -XPOST localhost:8080/v1/events -d '{\"event_id\":\"e1\",\"source_id\":\"s1\",\"timestamp\":1700000000}'",
		Description: "POST /v1/events takes one JSON object, a JSON array of objects, or NDJSON\n" +
			"(Content-Type: application/x-ndjson). Each event is produced to the input topic keyed by its\n" +
			"source_id (idempotent producer, acks=all); the answer, 202 {\"accepted\": n}, comes once the broker\n" +
			"acknowledged every event. A request with an event that cannot be keyed is refused whole (400).\n" +
			"/healthz, /readyz and /metrics are served on the same listener. SIGINT/SIGTERM finish the\n" +
			"requests in flight and exit 0.",
		Flags:  flags,
		Before: configFileBefore(flags, flags),
		Action: ingestAction,
	}
}

func ingestCommandFlags() []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: flagListen, Value: ":8080", Category: categoryHTTP,
			Usage: "listen address of the HTTP API, health and metrics", EnvVars: envVars(flagListen)},
		&cli.StringFlag{Name: flagInputTopic, Value: "events.in", Category: categoryTopics,
			Usage: "topic the events are produced to, keyed by source_id", EnvVars: envVars(flagInputTopic)},
		&cli.StringFlag{Name: flagListenTLSCert, Category: categoryHTTP, TakesFile: true,
			Usage: "PEM certificate to serve HTTPS with (with --listen-tls-key)", EnvVars: envVars(flagListenTLSCert)},
		&cli.StringFlag{Name: flagListenTLSKey, Category: categoryHTTP, TakesFile: true,
			Usage: "PEM private key of --listen-tls-cert", EnvVars: envVars(flagListenTLSKey)},
		&cli.StringFlag{Name: flagAuthTokenFile, Category: categoryHTTP, TakesFile: true,
			Usage: "file holding the bearer token POSTs must carry (trailing newline ignored; default: no authentication)", EnvVars: envVars(flagAuthTokenFile)},
		&cli.Int64Flag{Name: flagMaxRequestBytes, Value: ingest.DefaultMaxRequestBytes, Category: categoryHTTP,
			Usage: "larger request bodies are refused with 413", EnvVars: envVars(flagMaxRequestBytes)},
		&cli.Int64Flag{Name: flagMaxInflightBytes, Value: ingest.DefaultMaxInflightBytes, Category: categoryHTTP,
			Usage: "request bytes held at once (being read or produced); beyond it requests get 429 (bounds memory)", EnvVars: envVars(flagMaxInflightBytes)},
		&cli.DurationFlag{Name: flagIdempotencyWindow, Value: ingest.DefaultIdempotencyWindow, Category: categoryHTTP,
			Usage: "how long a response is remembered under its Idempotency-Key", EnvVars: envVars(flagIdempotencyWindow)},
		&cli.IntFlag{Name: flagIdempotencyKeys, Value: ingest.DefaultIdempotencyKeys, Category: categoryHTTP,
			Usage: "most Idempotency-Keys remembered at once (the oldest is forgotten first)", EnvVars: envVars(flagIdempotencyKeys)},
		&cli.DurationFlag{Name: flagProduceTimeout, Value: defaultProduceTimeout, Category: categoryHTTP,
			Usage: "how long a request waits for the broker's acknowledgement before it is answered 503", EnvVars: envVars(flagProduceTimeout)},
		&cli.DurationFlag{Name: flagShutdownTimeout, Value: 30 * time.Second, Category: categoryHTTP,
			Usage: "on SIGTERM/SIGINT, how long requests in flight may take to finish", EnvVars: envVars(flagShutdownTimeout)},
		&cli.IntFlag{Name: flagMaxEventBytes, Value: intake.DefaultMaxEventBytes, Category: categoryProcessing,
			Usage: "larger events are refused as too_large (keep it equal to run's)", EnvVars: envVars(flagMaxEventBytes)},
		&cli.IntFlag{Name: flagMaxDepth, Value: intake.DefaultMaxDepth, Category: categoryProcessing,
			Usage: "JSON nesting limit used while keying events (keep it equal to run's)", EnvVars: envVars(flagMaxDepth)},
	}
	flags = append(flags, clientFlags()...)
	flags = append(flags, logFlags()...)
	return append(fileConfigurable(flags), configFlags()...)
}

// ingestConfigFrom reads and checks the flags without connecting.
func ingestConfigFrom(c *cli.Context) (ingest.Config, kafkaio.IngestProducerConfig, ingest.ServerConfig, error) {
	cfg := ingest.Config{
		MaxRequestBytes:   c.Int64(flagMaxRequestBytes),
		MaxInflightBytes:  c.Int64(flagMaxInflightBytes),
		IdempotencyWindow: c.Duration(flagIdempotencyWindow),
		IdempotencyKeys:   c.Int(flagIdempotencyKeys),
		Intake:            intake.Config{MaxEventBytes: c.Int(flagMaxEventBytes), MaxDepth: c.Int(flagMaxDepth)},
	}
	pc := kafkaio.IngestProducerConfig{
		Client:          clientConfigFrom(c),
		Topic:           c.String(flagInputTopic),
		DeliveryTimeout: c.Duration(flagProduceTimeout),
		// Twice the budget: the client counts record overhead too, and
		// producing must never wait on its buffer.
		MaxBufferedBytes: int(2 * c.Int64(flagMaxInflightBytes)),
	}
	sc := ingest.ServerConfig{
		TLSCertFile:     c.String(flagListenTLSCert),
		TLSKeyFile:      c.String(flagListenTLSKey),
		ShutdownTimeout: c.Duration(flagShutdownTimeout),
	}
	var errs []error
	if err := cfg.WithDefaults().Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := pc.Client.Options(); err != nil {
		errs = append(errs, err)
	}
	if pc.Topic == "" {
		errs = append(errs, fmt.Errorf("--%s must not be empty", flagInputTopic))
	}
	if pc.DeliveryTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--%s must be positive, got %s", flagProduceTimeout, pc.DeliveryTimeout))
	}
	if err := sc.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := net.SplitHostPort(c.String(flagListen)); err != nil {
		errs = append(errs, fmt.Errorf("--%s %q: want host:port or :port: %w", flagListen, c.String(flagListen), err))
	}
	if path := c.String(flagAuthTokenFile); path != "" {
		token, err := ingest.ReadToken(path)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.AuthToken = token
	}
	return cfg, pc, sc, asUsageError(errors.Join(errs...))
}

func ingestAction(c *cli.Context) error {
	log, err := newLogger(c, c.App.ErrWriter)
	if err != nil {
		return err
	}
	cfg, pc, sc, err := ingestConfigFrom(c)
	if err != nil {
		return err
	}
	if c.Bool(flagCheckConfig) {
		return writeEffectiveConfig(c.App.Writer, c, c.Command.Flags)
	}
	reg := processor.NewOpsRegistry()
	producer, err := kafkaio.NewIngestProducer(pc, kgo.WithHooks(kprom.NewMetrics("eventproc_kafka", kprom.Registerer(reg))))
	if err != nil {
		return err
	}
	defer producer.Close()
	cfg.Logger, cfg.Registerer, cfg.Ready = log, reg, producer.Ready
	h, err := ingest.NewHandler(cfg, producer, reg)
	if err != nil {
		return asUsageError(err)
	}
	ln, err := net.Listen("tcp", c.String(flagListen))
	if err != nil {
		return fmt.Errorf("--%s %s: %w", flagListen, c.String(flagListen), err)
	}
	log.Info("ingest listening", "addr", ln.Addr().String(), "topic", pc.Topic, "brokers", pc.Client.Brokers,
		"tls", sc.TLSCertFile != "", "auth", len(cfg.AuthToken) > 0)
	if err := ingest.Serve(c.Context, ln, h, sc); err != nil {
		log.Error("stopped with an error", "err", err)
		return err
	}
	log.Info("stopped")
	return nil
}
