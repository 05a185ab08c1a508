// Package kafkatool holds the Kafka tooling of the eventproc commands,
// not the service: reading committed records (Tail, Snapshot), waiting
// for a group to go quiet, producing generated load, and the topic,
// group and hook helpers of the benchmark. It reads records through
// kafkaio's read-to-last-stable-offset loop.
package kafkatool
