// Package kafkaio owns every conversation with Kafka: client construction
// (TLS, SASL), the transactional group session, topic administration, the
// state-changelog restore, the read of committed records up to the last
// stable offset, and the conversion between *kgo.Record and eventproc's
// Kafka-free record values. The commands' tooling (tail, snapshot, load
// generation) lives in internal/kafkatool.
//
// It is the only package of the service that touches *kgo.Record (the
// load generator in internal/kafkatool builds its own). It must not import the
// pure stage packages (classify, enrich, ordering): processing happens in
// package processor, on values this package hands over.
package kafkaio
