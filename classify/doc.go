// Package classify owns event classification: the multi-factor scoring that
// assigns each event one of the five categories with a confidence, and the
// metadata-complexity measure that enrichment's risk score reuses.
//
// It is a pure stage: values in, values out, no allocation per event. It must
// not import Kafka, Prometheus or any other stage package, and it never sees
// raw metadata: Features carries the event.MetadataSummary only, so "no raw
// access" is a compile-time fact rather than a promise.
package classify
