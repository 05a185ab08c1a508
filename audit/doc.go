// Package audit checks recorded topics against eventproc's exactly-once
// contract: every input record ends in exactly one of output or
// dead-letter topic, in its own partition, with its lineage and headers
// intact; dead letters are byte-identical to their input (or a faithful
// truncation); per-source sequence numbers and per-partition publish
// sequences are gap-free; windows are published in merge order and in
// order. With Options.Ordering set to OrderingGlobal it audits the global
// layout instead: every output in output partition 0, whose publish
// sequence and per-window merge order span all input partitions (dead
// letters stay in their input's partition). With Options.Rederive it also
// checks content: every output and dead letter is re-derived from its
// input by replaying each input partition (package rederive) and compared
// field by field.
//
// It owns the invariant checks, the diagnoses and the report, for tests
// and for the `eventproc verify` command. It works on plain record values
// that callers fill from whatever they read: it must not import Kafka
// clients or Prometheus. The shape checks re-implement the merge order
// instead of calling package ordering, so that a bug there cannot hide
// itself from the audit; the content checks deliberately replay the
// processor's own stages through rederive, the one replay implementation.
package audit
