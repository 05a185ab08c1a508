package audit

import "fmt"

// Ordering is the layout the processor published its outputs in, which
// decides where the audit expects each output and over which records it
// checks the merge order and the publish sequence.
type Ordering string

// The orderings. The zero value is OrderingPartition.
const (
	// OrderingPartition: the outputs of input partition p are in output
	// partition p, each window merged per partition, and every output
	// partition numbers its outputs 1, 2, 3, … on its own.
	OrderingPartition Ordering = "partition"
	// OrderingGlobal: every window merges the records of all input
	// partitions into one order and every output is in output partition
	// 0, which numbers them 1, 2, 3, … as a whole. Dead letters stay in
	// their input's partition.
	OrderingGlobal Ordering = "global"
)

// Orderings lists the orderings, default first.
func Orderings() []Ordering { return []Ordering{OrderingPartition, OrderingGlobal} }

// ParseOrdering reads an ordering by name ("partition" or "global").
func ParseOrdering(s string) (Ordering, error) {
	for _, o := range Orderings() {
		if string(o) == s {
			return o, nil
		}
	}
	return "", fmt.Errorf("unknown ordering %q: want %q or %q", s, OrderingPartition, OrderingGlobal)
}

func (o Ordering) String() string {
	if o == "" {
		return string(OrderingPartition)
	}
	return string(o)
}

// Validate reports an ordering that is none of Orderings (the zero value
// is valid: it is OrderingPartition).
func (o Ordering) Validate() error {
	if o == "" {
		return nil
	}
	_, err := ParseOrdering(string(o))
	return err
}

// globalOutputPartition is the one output partition of OrderingGlobal.
const globalOutputPartition int32 = 0
