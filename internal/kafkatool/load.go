package kafkatool

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/progress"
	"github.com/eventproc/eventproc/kafkaio"
)

// LoadConfig is what ProduceLoad generates and how fast.
type LoadConfig struct {
	Topic string
	Gen   gen.Config
	Count int64   // records to produce; 0: until ctx ends
	Rate  float64 // records per second; 0: as fast as the brokers accept
	// ProgressInterval is how often a progress line is printed when the
	// progress writer is not a terminal.
	ProgressInterval time.Duration
}

// NewLoadClient is a client for ProduceLoad: at most maxInFlight records
// buffered or in flight, a short linger to fill batches with load spread
// by key, and a missing topic created by brokers that allow it (the
// embedded broker does, as do Kafka's defaults).
func NewLoadClient(cfg kafkaio.ClientConfig, maxInFlight int) (*kgo.Client, error) {
	return kafkaio.NewClient(cfg,
		kgo.MaxBufferedRecords(maxInFlight),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.AllowAutoTopicCreation(),
	)
}

// ProduceLoad produces generated events to cfg.Topic through
// ProduceGenerated, showing progress (acknowledged and malformed records)
// on progressOut, and writes the final summary to summaryOut. It returns
// ProduceGenerated's error.
func ProduceLoad(ctx context.Context, cl *kgo.Client, cfg LoadConfig, progressOut, summaryOut io.Writer) error {
	g := gen.New(cfg.Gen)
	var tally gen.Tally
	next := func() ([]byte, []byte) {
		r := g.Next()
		tally.Add(r)
		return r.Key, r.Value
	}

	fmt.Fprintf(progressOut, "producing to %s (seed %d)\n", cfg.Topic, cfg.Gen.Seed)
	bar := progress.New(progressOut, "produce", cfg.Count, progress.WithInterval(cfg.ProgressInterval),
		progress.WithExtra(func() string { return fmt.Sprintf("malformed %d", tally.Malformed()) }))
	barCtx, stopBar := context.WithCancel(ctx)
	barDone := make(chan struct{})
	go func() { // redraws the progress line; exits when producing ends
		defer close(barDone)
		bar.Run(barCtx)
	}()

	start := time.Now()
	n, err := ProduceGenerated(ctx, cl, cfg.Topic, next, cfg.Count, cfg.Rate, bar.Add)
	elapsed := time.Since(start)
	stopBar()
	<-barDone
	bar.Done()

	tally.WriteSummary(summaryOut, cfg.Topic, cfg.Gen.Seed, n, elapsed)
	return err
}
