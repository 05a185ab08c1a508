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
// size of the topics. Under opts.Ordering global, the output partition
// read with each input partition is 0 (see auditGlobal). When progressOut is a terminal it shows how many
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
	if opts.Ordering == audit.OrderingGlobal {
		if err := auditGlobal(ctx, client, topics, stream, bar); err != nil {
			return audit.Report{}, fmt.Errorf("read topics %s, %s, %s: %w", input, output, dlq, err)
		}
		return stream.Report(), nil
	}
	parts, err := PartitionNumbers(ctx, client, topics)
	if err != nil {
		return audit.Report{}, err
	}
	for _, p := range parts {
		if err := auditPartition(ctx, client, topics, [3]int32{p, p, p}, stream, bar); err != nil {
			return audit.Report{}, fmt.Errorf("read topics %s, %s, %s: partition %d: %w", input, output, dlq, p, err)
		}
	}
	return stream.Report(), nil
}

// auditGlobal audits topics written with global ordering: every input
// partition p with DLQ partition p and output partition 0 (read once per
// input partition: the audit takes the outputs tracing to p), then every
// output partition on its own (0 for the order across input partitions,
// the others for the records that should not be there).
func auditGlobal(ctx context.Context, client kafkaio.ClientConfig, topics []string, stream *audit.Stream, bar *progress.Reporter) error {
	input, output, dlq := topics[0], topics[1], topics[2]
	parts, err := PartitionNumbers(ctx, client, []string{input, dlq})
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := auditPartition(ctx, client, topics, [3]int32{p, 0, p}, stream, bar); err != nil {
			return fmt.Errorf("partition %d: %w", p, err)
		}
	}
	outParts, err := PartitionNumbers(ctx, client, []string{output})
	if err != nil {
		return err
	}
	for _, p := range outParts {
		r, err := kafkaio.OpenPartition(ctx, client, output, p)
		if err != nil {
			return fmt.Errorf("output partition %d: %w", p, err)
		}
		err = stream.ReadOutputPartition(ctx, p, AuditReader(r))
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// auditPartition opens partitions parts[i] of topics[i] (input, output,
// DLQ) and streams them through the audit as input partition parts[0].
func auditPartition(ctx context.Context, client kafkaio.ClientConfig, topics []string, parts [3]int32, stream *audit.Stream, bar *progress.Reporter) error {
	var readers [3]audit.RecordReader
	for i, topic := range topics {
		r, err := kafkaio.OpenPartition(ctx, client, topic, parts[i])
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
	return stream.ReadPartition(ctx, parts[0], in, readers[1], readers[2])
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
