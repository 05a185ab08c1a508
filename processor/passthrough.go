package processor

import (
	"context"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/kafkaio"
)

// InputTimestampHeader carries, on every passthrough output record, the
// input record's timestamp in epoch milliseconds: the passthrough's
// counterpart of the processor's received_at, so that the same
// end-to-end latency can be measured on both.
const InputTimestampHeader = "__eventproc.bench.input_timestamp"

// Passthrough is Run with the processing taken out: the same loop (the
// same session, windows, transactions, retries, readiness and metrics)
// with a per-window transformation that copies every input record to the
// same partition of cfg.OutputTopic, key, value and headers byte for byte
// plus InputTimestampHeader. No changelog is written and nothing is
// dead-lettered. It is what exactly-once costs on this broker with no
// processing at all: the baseline `eventproc bench` measures Run against.
//
// ctx bounds the run as it does Run's; cfg is read and validated as Run
// reads it, topics included (the dead-letter topic and the changelog are
// checked or created but never written); its processing settings are
// unused.
func Passthrough(ctx context.Context, cfg Config) error {
	cfg = cfg.withRuntime()
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := newLoop(cfg, copyWindow{topic: cfg.OutputTopic}, copyWindow{topic: cfg.OutputTopic})
	if err != nil {
		return err
	}
	return r.run(ctx)
}

// copyWindow is Passthrough's identity transformation.
type copyWindow struct{ topic string }

func (c copyWindow) process(recs []kafkaio.InRecord, _ func(int32) *partitionState, _ string, emit func(kafkaio.OutRecord)) windowResult {
	for i := range recs {
		r := &recs[i]
		headers := make([]kafkaio.Header, len(r.Headers), len(r.Headers)+1)
		copy(headers, r.Headers)
		headers = append(headers, kafkaio.Header{
			Key:   InputTimestampHeader,
			Value: strconv.AppendInt(nil, r.Timestamp.UnixMilli(), 10),
		})
		emit(kafkaio.OutRecord{Topic: c.topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Headers: headers})
	}
	return windowResult{accepted: len(recs)}
}

func (copyWindow) commit() {}

// InputTimestamp reads InputTimestampHeader from a passthrough output
// record's headers.
func InputTimestamp(headers []kafkaio.Header) (time.Time, bool) {
	for _, h := range headers {
		if h.Key == InputTimestampHeader {
			ms, err := strconv.ParseInt(string(h.Value), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.UnixMilli(ms), true
		}
	}
	return time.Time{}, false
}
