// Package audit checks recorded topics against eventproc's exactly-once
// contract (sections 3 to 5 of the contract): every input record ends in
// exactly one of output or dead-letter topic, in its own partition, with
// its lineage and headers intact; dead letters are byte-identical to their
// input; per-source sequence numbers and per-partition publish sequences
// are gap-free; windows are published in merge order and in order.
//
// It owns the invariant checks and the report, for tests and for the
// `eventproc verify` command. It works on plain record values that callers
// fill from whatever they read: it must not import Kafka clients,
// Prometheus or the processing stages. In particular it re-implements the
// merge order instead of calling package ordering, so that a bug there
// cannot hide itself from the audit.
package audit
