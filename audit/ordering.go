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

// layoutEvidence counts the outputs whose partition suggests the topics
// were written with the other ordering than the one audited.
type layoutEvidence struct {
	ordering Ordering
	// outputsOffZero counts the outputs in a partition other than 0.
	outputsOffZero int
	// Under global ordering: the outputs outside partition 0 and how
	// many of them are in their input's partition.
	stray, strayHome int
	firstStray       Ref
	// Under partition ordering: the outputs not in their input's
	// partition and how many of them are in partition 0.
	foreign, foreignOnZero int
	firstForeign           Ref
}

func (x *crossPartition) strayOutput(ref Ref, inInputPartition bool) {
	l := &x.layout
	if l.stray == 0 {
		l.firstStray = ref
	}
	l.stray++
	if inInputPartition {
		l.strayHome++
	}
}

func (x *crossPartition) foreignOutput(ref Ref) {
	l := &x.layout
	if l.foreign == 0 {
		l.firstForeign = ref
	}
	l.foreign++
	if ref.Partition == globalOutputPartition {
		l.foreignOnZero++
	}
}

// diagnosis names the other ordering when the outputs look written with
// it: under global ordering, outputs outside partition 0 that are in
// their input's partition; under partition ordering, outputs in partition
// 0 that trace to other input partitions while no other partition has
// outputs.
func (l *layoutEvidence) diagnosis() string {
	switch l.ordering {
	case OrderingGlobal:
		if l.strayHome > 0 {
			return fmt.Sprintf("%d outputs are not in partition 0 (first at %s), %d of them in their input record's partition: written in partition mode? use --ordering partition",
				l.stray, l.firstStray, l.strayHome)
		}
	case OrderingPartition:
		if l.foreign > 0 && l.foreignOnZero == l.foreign && l.outputsOffZero == 0 {
			return fmt.Sprintf("%d outputs in partition 0 trace to inputs of other partitions (first at %s) and no other partition has outputs: written with global ordering? use --ordering global",
				l.foreign, l.firstForeign)
		}
	}
	return ""
}
