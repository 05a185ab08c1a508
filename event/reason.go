package event

// Reason is why a record was dead-lettered. The set is closed: reasons are
// part of the contract (section 3) and are used as metric labels.
type Reason uint8

// The rejection reasons of the contract (docs/contract.md).
const (
	ReasonInvalidJSON Reason = iota
	ReasonNotAnObject
	ReasonMissingField
	ReasonInvalidField
	ReasonTooLarge
	ReasonTooDeep
	// ReasonUnpublishable: the broker refused the enriched output record
	// for a reason other than its size (a topic policy, an invalid record).
	ReasonUnpublishable
)

// NumReasons is the number of defined reasons.
const NumReasons = 7

// String returns the reason code as it appears in headers and metrics.
func (r Reason) String() string {
	switch r {
	case ReasonInvalidJSON:
		return "invalid_json"
	case ReasonNotAnObject:
		return "not_an_object"
	case ReasonMissingField:
		return "missing_field"
	case ReasonInvalidField:
		return "invalid_field"
	case ReasonTooLarge:
		return "too_large"
	case ReasonTooDeep:
		return "too_deep"
	case ReasonUnpublishable:
		return "unpublishable"
	}
	return "unknown"
}

// ParseReason is the inverse of String.
func ParseReason(s string) (Reason, bool) {
	for r := Reason(0); r < NumReasons; r++ {
		if r.String() == s {
			return r, true
		}
	}
	return 0, false
}

// Reasons lists every reason, for metric pre-registration and reports.
func Reasons() []Reason {
	rs := make([]Reason, NumReasons)
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}
