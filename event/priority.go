package event

// Priority is an event's urgency. The numeric order is the merge order's
// first key: a higher value is published first within a window.
type Priority uint8

// The four priorities of the contract (docs/contract.md), lowest first.
const (
	PriorityLow Priority = iota
	PriorityMedium
	PriorityHigh
	PriorityCritical
)

// NumPriorities is the number of defined priorities.
const NumPriorities = 4

// String returns the wire form (upper case).
func (p Priority) String() string {
	switch p {
	case PriorityLow:
		return "LOW"
	case PriorityMedium:
		return "MEDIUM"
	case PriorityHigh:
		return "HIGH"
	case PriorityCritical:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// Valid reports whether p is one of the defined priorities.
func (p Priority) Valid() bool { return p <= PriorityCritical }

// ParsePriority accepts LOW, MEDIUM, HIGH or CRITICAL in any letter case with
// surrounding ASCII white space ignored. It does not allocate.
func ParsePriority(b []byte) (Priority, bool) {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	switch {
	case equalFoldASCII(b, "LOW"):
		return PriorityLow, true
	case equalFoldASCII(b, "MEDIUM"):
		return PriorityMedium, true
	case equalFoldASCII(b, "HIGH"):
		return PriorityHigh, true
	case equalFoldASCII(b, "CRITICAL"):
		return PriorityCritical, true
	}
	return 0, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// equalFoldASCII compares b to the upper-case ASCII word upper, ignoring case.
func equalFoldASCII(b []byte, upper string) bool {
	if len(b) != len(upper) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}
