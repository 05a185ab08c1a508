package event

// Category is the class classification assigns to an event.
type Category uint8

// The five categories of the contract (docs/contract.md). The numeric order is the
// classifier's deterministic tie-break order.
const (
	CategorySystem Category = iota
	CategoryUser
	CategoryTransaction
	CategoryMonitoring
	CategoryAlert
)

// NumCategories is the number of defined categories.
const NumCategories = 5

// String returns the wire form.
func (c Category) String() string {
	switch c {
	case CategorySystem:
		return "SYSTEM"
	case CategoryUser:
		return "USER"
	case CategoryTransaction:
		return "TRANSACTION"
	case CategoryMonitoring:
		return "MONITORING"
	case CategoryAlert:
		return "ALERT"
	}
	return "UNKNOWN"
}

// ParseCategory is the inverse of String.
func ParseCategory(s string) (Category, bool) {
	for c := Category(0); c < NumCategories; c++ {
		if c.String() == s {
			return c, true
		}
	}
	return 0, false
}
