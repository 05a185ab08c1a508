// Package ingest owns eventproc's HTTP front door to the input topic: it
// accepts events as one JSON object, a JSON array of objects or NDJSON,
// checks that every event of a request can be keyed (the intake package's
// source_id rule, with its reason codes and messages), and produces the
// whole request through a Producer, answering only once the broker
// acknowledged every event. It also owns the request budget (bounded
// in-flight bytes, 429 when exhausted), the Idempotency-Key window, bearer
// authentication, the eventproc_ingest_* metrics and graceful shutdown.
//
// It must not touch Kafka clients or records (the Producer it is given
// does, see kafkaio.IngestProducer) and must not apply the processing
// rules beyond keying: an event that can be keyed but breaks another rule
// is accepted and dead-lettered by the processor, so those rules live in
// one place.
package ingest
