// Package rederive recomputes, from an input record alone and the history
// of its input partition, everything of an output that is a deterministic
// function of them: the normalised event, its category and confidence, risk
// score, anomaly verdict, sequence number, intake latency and processing
// signature, or the reason intake rejects it. It replays each input
// partition in offset order through the same pure stages the processor
// runs (intake → classify → enrich), from an empty state.
//
// It is the one replay implementation: `eventproc verify` audits recorded
// outputs with it and the processor's failure tests compare their outputs
// against it. It must not import Kafka clients or Prometheus; callers hand
// it record values and broker timestamps.
package rederive
