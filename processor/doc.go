// Package processor is eventproc's service: it owns the consume → process →
// publish loop (Run), the merge windows, the per-partition state and its
// changelog, retries, shutdown, metrics and health.
//
// The data path, in the order Run drives it:
//
//	kafkaio.Session.Poll      input records of the assigned partitions
//	runner.restoreAll         per-partition state from the changelog, before first use
//	pipeline.process          intake → classify → enrich → order → encode (pure, no Kafka)
//	kafkaio.Session.Produce   outputs, dead letters, changelog updates
//	kafkaio.Session.End       one transaction: all of the above + consumed offsets
//
// It must not touch *kgo.Record (kafkaio does) and must not hold stage
// logic (intake, classify, enrich and ordering do).
package processor
