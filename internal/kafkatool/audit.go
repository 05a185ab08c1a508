package kafkatool

import (
	"context"
	"fmt"
	"io"

	"github.com/eventproc/eventproc/audit"
	"github.com/eventproc/eventproc/internal/progress"
	"github.com/eventproc/eventproc/kafkaio"
)

// AuditTopics audits the input, output and dead-letter topics whole,
// read_committed, one partition number at a time: the three partitions
// of that number are read concurrently as streams, so memory is bounded
// by the number of sources and a window's worth of records, not by the
// size of the topics. When progressOut is a terminal it shows how many
// input records are audited.
func AuditTopics(ctx context.Context, client kafkaio.ClientConfig, input, output, dlq string, opts audit.Options, progressOut io.Writer) (audit.Report, error) {
	stream := audit.NewStream(opts)
	var bar *progress.Reporter
	if progressOut != nil && progress.IsTerminal(progressOut) {
		total, err := CountRecords(ctx, client, input)
		if err != nil {
			return audit.Report{}, err
		}
		bar = progress.New(progressOut, "audited input records", total)
		barCtx, stopBar := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { // redraws the line; exits when the audit ends
			defer close(done)
			bar.Run(barCtx)
		}()
		defer func() { stopBar(); <-done; bar.Done() }()
	}
	topics := []string{input, output, dlq}
	parts, err := PartitionNumbers(ctx, client, topics)
	if err != nil {
		return audit.Report{}, err
	}
	for _, p := range parts {
		if err := auditPartition(ctx, client, topics, stream, p, bar); err != nil {
			return audit.Report{}, fmt.Errorf("read topics %s, %s, %s: partition %d: %w", input, output, dlq, p, err)
		}
	}
	return stream.Report(), nil
}

// auditPartition opens partition p of the three topics (input, output,
// DLQ) and streams them through the audit.
func auditPartition(ctx context.Context, client kafkaio.ClientConfig, topics []string, stream *audit.Stream, p int32, bar *progress.Reporter) error {
	var readers [3]audit.RecordReader
	for i, topic := range topics {
		r, err := kafkaio.OpenPartition(ctx, client, topic, p)
		if err != nil {
			return err
		}
		defer r.Close()
		readers[i] = AuditReader(r)
	}
	in := readers[0]
	if bar != nil {
		in = countingReader{in, bar}
	}
	return stream.ReadPartition(ctx, p, in, readers[1], readers[2])
}

// countingReader advances the progress bar by one per input record read.
type countingReader struct {
	audit.RecordReader
	bar *progress.Reporter
}

func (c countingReader) Next(ctx context.Context) (audit.Record, bool, error) {
	rec, ok, err := c.RecordReader.Next(ctx)
	if ok {
		c.bar.Add(1)
	}
	return rec, ok, err
}
