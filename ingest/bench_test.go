package ingest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/ingest"
	"github.com/eventproc/eventproc/internal/testbroker"
	"github.com/eventproc/eventproc/kafkaio"
)

// BenchmarkIngestHTTP measures events per second through the whole front
// door: HTTP request, keying, idempotent acks=all produce, broker
// acknowledgement, 202. Each op is one request of batch events (~200
// bytes each) posted as a JSON array by concurrent clients (GOMAXPROCS×4);
// the broker is testbroker's (embedded, or KAFKA_BROKERS).
func BenchmarkIngestHTTP(b *testing.B) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			url := benchServer(b)
			body, _ := batch(0, size, false)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetBytes(int64(len(body)))
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(url, "application/json", strings.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "events/s")
		})
	}
}

func benchServer(b *testing.B) string {
	b.Helper()
	br := testbroker.Start(b)
	topic := testbroker.UniqueName(b, "in")
	br.CreateTopic(b, topic, 6, nil)
	p, err := kafkaio.NewIngestProducer(kafkaio.IngestProducerConfig{
		Client: kafkaio.ClientConfig{Brokers: br.Addrs}, Topic: topic, DeliveryTimeout: 30 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	h, err := ingest.NewHandler(ingest.Config{Registerer: prometheus.NewRegistry()}, p, nil)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ingest.Serve(ctx, ln, h, ingest.ServerConfig{ShutdownTimeout: 10 * time.Second}) }() // ends with ctx
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String() + ingest.PathEvents
}
