package event

// AnomalyReasons is a set of anomaly reasons, one bit per AnomalyReason.
// A set rather than a slice keeps enrichment allocation-free.
type AnomalyReasons uint16

// AnomalyReason is one rule that flagged an event as anomalous.
type AnomalyReason uint8

// The anomaly rules. Their wire names are listed in README ("Enrichment").
const (
	// AnomalyLoadSpike: load_indicator's z-score against the source's
	// baseline exceeds the threshold.
	AnomalyLoadSpike AnomalyReason = iota
	// AnomalyInterArrival: the gap since the source's previous event has a
	// z-score beyond the threshold (a burst or a long silence).
	AnomalyInterArrival
	// AnomalyTimestampCorrected: the event's timestamp was unreliable and
	// replaced by received_at.
	AnomalyTimestampCorrected
	// AnomalyOutOfOrder: the event's timestamp is earlier than the
	// source's previous event's.
	AnomalyOutOfOrder
	numAnomalyReasons
)

// NumAnomalyReasons is the number of defined anomaly reasons.
const NumAnomalyReasons = int(numAnomalyReasons)

// String returns the wire name of the reason.
func (r AnomalyReason) String() string {
	switch r {
	case AnomalyLoadSpike:
		return "load_spike"
	case AnomalyInterArrival:
		return "inter_arrival"
	case AnomalyTimestampCorrected:
		return "timestamp_corrected"
	case AnomalyOutOfOrder:
		return "out_of_order"
	case numAnomalyReasons:
	}
	return "unknown"
}

// Add returns the set with r added.
func (s AnomalyReasons) Add(r AnomalyReason) AnomalyReasons { return s | 1<<r }

// Has reports whether r is in the set.
func (s AnomalyReasons) Has(r AnomalyReason) bool { return s&(1<<r) != 0 }

// Empty reports whether the set has no reason.
func (s AnomalyReasons) Empty() bool { return s == 0 }

// Each calls fn for every reason in the set, in ascending order.
func (s AnomalyReasons) Each(fn func(AnomalyReason)) {
	for r := AnomalyReason(0); r < numAnomalyReasons; r++ {
		if s.Has(r) {
			fn(r)
		}
	}
}
