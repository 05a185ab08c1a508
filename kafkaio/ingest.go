package kafkaio

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/ingest"
)

// IngestProducerConfig is how the HTTP ingest produces to the input topic.
type IngestProducerConfig struct {
	Client ClientConfig
	Topic  string
	// DeliveryTimeout fails a record the broker has not acknowledged in
	// this long (a down broker becomes a 503, not a hung request).
	DeliveryTimeout time.Duration
	// MaxBufferedBytes bounds the client's buffer; set it above the
	// ingest's in-flight budget so producing never waits on it.
	MaxBufferedBytes int
}

// IngestProducer produces ingest records with an idempotent producer
// and acks from all in-sync replicas, so a retried produce request never
// writes a record twice and an acknowledged record survives a broker
// loss.
type IngestProducer struct {
	cl    *kgo.Client
	topic string
}

var _ ingest.Producer = (*IngestProducer)(nil)

// NewIngestProducer connects lazily (the first produce or Ready dials).
func NewIngestProducer(cfg IngestProducerConfig, extra ...kgo.Opt) (*IngestProducer, error) {
	opts := []kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.MaxBufferedRecords(1 << 20),
	}
	if cfg.DeliveryTimeout > 0 {
		opts = append(opts, kgo.RecordDeliveryTimeout(cfg.DeliveryTimeout))
	}
	if cfg.MaxBufferedBytes > 0 {
		opts = append(opts, kgo.MaxBufferedBytes(cfg.MaxBufferedBytes))
	}
	cl, err := NewClient(cfg.Client, append(opts, extra...)...)
	if err != nil {
		return nil, err
	}
	return &IngestProducer{cl: cl, topic: cfg.Topic}, nil
}

// ProduceAll produces records and waits for every outcome; it returns the
// first error. ctx also bounds waiting for buffer space.
func (p *IngestProducer) ProduceAll(ctx context.Context, records []ingest.Record) error {
	rs := make([]*kgo.Record, len(records))
	for i, r := range records {
		rs[i] = &kgo.Record{Topic: p.topic, Key: r.Key, Value: r.Value}
	}
	if err := p.cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		return fmt.Errorf("produce to %s: %w", p.topic, err)
	}
	return nil
}

// readyTimeout bounds one readiness check.
const readyTimeout = 2 * time.Second

// Ready reports whether a broker answers.
func (p *IngestProducer) Ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := p.cl.Ping(ctx); err != nil {
		return fmt.Errorf("no broker answered within %s: %w", readyTimeout, err)
	}
	return nil
}

// Close waits for records in flight, then closes the client.
func (p *IngestProducer) Close() { p.cl.Close() }
