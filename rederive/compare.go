package rederive

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/eventproc/eventproc/event"
)

// Difference is one field of an output that is not what its input gives.
type Difference struct {
	// Field is the output member, derived_fields members prefixed with
	// "derived_fields.".
	Field string
	// Want is the re-derived value, Got the recorded one, both as JSON
	// text ("absent" for a missing member).
	Want, Got string
}

// Fields that depend on the source's history in its partition (its earlier
// events), not on the input record alone. The signature digests the
// sequence number and the anomaly reasons, so it is one of them.
var statefulFields = map[string]bool{
	"sequence_number":                     true,
	"derived_fields.is_anomaly":           true,
	"derived_fields.anomaly_reasons":      true,
	"derived_fields.processing_signature": true,
}

// Stateful reports whether field depends on the source's history, so that
// it can be checked only when the replay saw that history from its start.
func Stateful(field string) bool { return statefulFields[field] }

// Compare lists the fields of got that differ from want, in output member
// order. With stateful false the fields that depend on the source's
// history are skipped. The window-dependent fields (window_id,
// global_publish_sequence, total_processing_time_ms) are never compared:
// they legitimately differ when an event is reprocessed.
func Compare(want, got *event.Output, stateful bool) []Difference {
	var ds []Difference
	add := func(field, w, g string) {
		if w != g && (stateful || !statefulFields[field]) {
			ds = append(ds, Difference{Field: field, Want: w, Got: g})
		}
	}
	wd, gd := &want.Derived, &got.Derived
	add("event_id", quote(want.EventID), quote(got.EventID))
	add("source_id", quote(want.SourceID), quote(got.SourceID))
	add("timestamp", float(want.Timestamp), float(got.Timestamp))
	add("received_at", float(want.ReceivedAt), float(got.ReceivedAt))
	add("priority", quote(want.Priority), quote(got.Priority))
	add("category", quote(want.Category), quote(got.Category))
	add("load_indicator", float(want.LoadIndicator), float(got.LoadIndicator))
	add("metadata", raw(want.Metadata), raw(got.Metadata))
	add("metadata_hash", quote(want.MetadataHash), quote(got.MetadataHash))
	add("sequence_number", strconv.FormatUint(want.SequenceNumber, 10), strconv.FormatUint(got.SequenceNumber, 10))
	add("payload", raw(want.Payload), raw(got.Payload))
	add("derived_fields.intake_latency_ms", float(wd.IntakeLatencyMs), float(gd.IntakeLatencyMs))
	add("derived_fields.risk_score", float(wd.RiskScore), float(gd.RiskScore))
	add("derived_fields.category_confidence", float(wd.CategoryConfidence), float(gd.CategoryConfidence))
	add("derived_fields.is_anomaly", strconv.FormatBool(wd.IsAnomaly), strconv.FormatBool(gd.IsAnomaly))
	add("derived_fields.anomaly_reasons", list(wd.AnomalyReasons), list(gd.AnomalyReasons))
	add("derived_fields.timestamp_corrected", strconv.FormatBool(wd.TimestampCorrected), strconv.FormatBool(gd.TimestampCorrected))
	add("derived_fields.processing_signature", quote(wd.ProcessingSignature), quote(gd.ProcessingSignature))
	return ds
}

// CompareValue compares a recorded output value with the outcome it must
// be: field by field, and when every field agrees and stateful is true,
// byte for byte against the processor's encoding with got's own
// window-dependent values, so that a re-encoded record is noticed too.
// The error is got's decoding error.
func (p *Partition) CompareValue(o *Outcome, got []byte, stateful bool) ([]Difference, error) {
	g, err := event.ParseOutput(got)
	if err != nil {
		return nil, err
	}
	wantValue := p.AppendOutput(nil, o, g.Derived.WindowID, g.Derived.GlobalPublishSequence, g.Derived.TotalProcessingTimeMs)
	w, err := event.ParseOutput(wantValue)
	if err != nil {
		// The encoder's own output does not decode: a bug in the stages,
		// reported against the record rather than hidden.
		return []Difference{{Field: "(encoding)", Want: err.Error(), Got: "a valid output"}}, nil
	}
	ds := Compare(&w, &g, stateful)
	if len(ds) == 0 && stateful && !bytes.Equal(wantValue, got) {
		ds = append(ds, Difference{Field: "(encoding)", Want: abbreviate(wantValue), Got: abbreviate(got)})
	}
	return ds, nil
}

func quote(s string) string { return strconv.Quote(s) }

func float(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func raw(b []byte) string {
	if b == nil {
		return "absent"
	}
	return abbreviate(b)
}

func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// abbreviate keeps messages readable for large values.
func abbreviate(b []byte) string {
	const show = 120
	if len(b) <= show {
		return string(b)
	}
	return string(b[:show]) + "… (" + strconv.Itoa(len(b)) + " bytes)"
}
