// Package event owns eventproc's domain values: the normalised input event,
// the metadata summary that classification is allowed to see, the derived
// fields that enrichment produces, and the closed enums (priority, category,
// rejection reason, anomaly reason) that appear on the wire and as metric
// labels.
//
// It must not import Kafka, Prometheus or any stage package: every other
// package depends on it, and it depends on nothing of eventproc's.
package event
