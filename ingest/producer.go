package ingest

import "context"

// Record is one event to produce: the partition key (the event's
// normalised source_id) and the event's bytes exactly as the client sent
// them.
type Record struct {
	Key, Value []byte
}

// Producer produces records to the input topic.
type Producer interface {
	// ProduceAll hands every record to the broker and returns once each
	// has an outcome: nil when the broker acknowledged all of them, else
	// the first error. Some records may have been written when it fails.
	// ctx carries request values only: the handler does not cancel it, so
	// a client that hangs up does not fail records of other requests
	// batched with its own.
	ProduceAll(ctx context.Context, records []Record) error
}
