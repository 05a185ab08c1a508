// Package ordering owns the global merge order of a window (contract
// section 5) and the per-output-partition publish sequence
// (global_publish_sequence, docs/contract.md): how events are compared,
// how a window is sorted, and how the publish counter is numbered and
// encoded for the state changelog.
//
// It is pure: it takes domain values and returns values. It must not import
// Kafka or Prometheus, must not read clocks, and must not decide window
// boundaries or durability — the window and the state changelog belong to
// the processor and kafkaio, which call into this package.
package ordering
