// Package kafkaio owns every conversation with Kafka: client construction
// (TLS, SASL), the transactional group session, topic administration, the
// state-changelog restore and the conversion between *kgo.Record and
// eventproc's Kafka-free record values.
//
// It is the only package that touches *kgo.Record. It must not import the
// pure stage packages (classify, enrich, ordering): processing happens in
// package processor, on values this package hands over.
package kafkaio
