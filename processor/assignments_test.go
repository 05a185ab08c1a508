package processor

import (
	"slices"
	"testing"
)

func TestAssignmentsTrackJoinAndChanges(t *testing.T) {
	a := assignments{owned: map[int32]bool{}}
	if a.inGroup() {
		t.Fatal("in the group before any join completed")
	}
	// A join that assigns nothing (a standby) is a join, not a change.
	a.assigned(nil)
	if !a.inGroup() {
		t.Fatal("not in the group after a join that assigned nothing")
	}
	if revoked, owned, changes := a.take(); len(revoked) != 0 || len(owned) != 0 || changes != 0 {
		t.Fatalf("empty join: revoked %v owned %v changes %d, want none", revoked, owned, changes)
	}
	a.assigned([]int32{3, 1})
	a.revoke([]int32{3})
	revoked, owned, changes := a.take()
	if !slices.Equal(revoked, []int32{3}) || !slices.Equal(owned, []int32{1}) || changes != 2 {
		t.Fatalf("revoked %v owned %v changes %d, want [3] [1] 2", revoked, owned, changes)
	}
	// A new session starts outside the group.
	a.reset()
	if a.inGroup() || len(a.current()) != 0 {
		t.Fatalf("after reset: in group %v, owned %v", a.inGroup(), a.current())
	}
}
