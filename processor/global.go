package processor

import (
	"fmt"

	"github.com/eventproc/eventproc/ordering"
)

// Ordering is how far a window's merge order reaches.
type Ordering uint8

const (
	// OrderingPartition orders each output partition on its own: input
	// partition p's events go to output partition p, merged per window and
	// numbered by p's own publish counter. Members share the partitions.
	OrderingPartition Ordering = iota
	// OrderingGlobal merges every window across all input partitions into
	// one stream on output partition 0, numbered by one counter. One member
	// (the active) owns every input partition; the others stand by and
	// take over when it stops.
	OrderingGlobal
)

func (o Ordering) String() string {
	switch o {
	case OrderingPartition:
		return "partition"
	case OrderingGlobal:
		return "global"
	}
	return fmt.Sprintf("Ordering(%d)", uint8(o))
}

// ParseOrdering reads an --ordering value: partition or global.
func ParseOrdering(s string) (Ordering, error) {
	switch s {
	case "partition", "":
		return OrderingPartition, nil
	case "global":
		return OrderingGlobal, nil
	}
	return 0, fmt.Errorf("unknown ordering %q: use partition (each output partition ordered on its own, members share the work) or global (one ordered stream on output partition 0, one active member)", s)
}

// global reports global ordering.
func (r *runner) global() bool { return r.cfg.Ordering == OrderingGlobal }

// Role label values of eventproc_role.
const (
	roleActive  = "active"
	roleStandby = "standby"
)

// setRole publishes whether this member owns partitions (active) or none
// (standby).
func (r *runner) setRole(owned int) {
	active := 0.0
	if owned > 0 {
		active = 1
	}
	r.m.role.WithLabelValues(roleActive).Set(active)
	r.m.role.WithLabelValues(roleStandby).Set(1 - active)
	if r.global() && r.cfg.Health != nil {
		role := roleStandby
		if owned > 0 {
			role = roleActive
		}
		r.cfg.Health.setRole(role)
	}
}

// globalLast is the global stream's last publish sequence: the highest
// counter among the partitions' checkpoints. Every committed window
// checkpoints the counter on each partition it consumed from, so the
// highest one is the latest, once every partition's state is restored.
func (r *runner) globalLast() ordering.PublishCounter {
	var last ordering.PublishCounter
	for _, ps := range r.states {
		if ps.publish.Last > last.Last {
			last = ps.publish
		}
	}
	return last
}

// partialOwnershipError fails a global-ordering window while this member
// owns only some input partitions: the others' checkpoints may hold a
// higher counter. The retry rejoins the group, whose balancer then gives
// every partition to one member.
type partialOwnershipError struct{ owned, partitions int }

func (e *partialOwnershipError) Error() string {
	return fmt.Sprintf("global ordering: this member owns %d of the input's %d partitions; one member must own all of them to number the stream (is a member running with --ordering partition, or did the input grow?)", e.owned, e.partitions)
}
