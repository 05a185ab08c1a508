// Package enrich owns the per-source transformation stage: sequence
// numbering, intake latency, risk score, anomaly detection against a durable
// per-source baseline, the processing signature, and the versioned binary
// encoding of that per-source state for the compacted state changelog.
//
// Apply is a pure transition (state, event) -> (state', derived): it reads
// no clock, keeps no hidden state and does not allocate, so replaying a
// source's events from a restored state gives the same derived values bit
// for bit. The caller owns where states live (one per source) and when they
// are persisted.
//
// It must not import Kafka, Prometheus, or the ordering and publishing
// stages; it does not assign TotalProcessingTimeMs (wall clock) or
// GlobalPublishSequence (publishing). Classification is an input (a
// classify.Result), never recomputed here.
package enrich
