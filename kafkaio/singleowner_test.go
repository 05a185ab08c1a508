package kafkaio

import (
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestSingleOwnerPlan(t *testing.T) {
	member := func(id, instance string, owned ...int32) groupMember {
		m := groupMember{id: id, instance: instance, owned: map[string][]int32{}}
		if len(owned) > 0 {
			m.owned["in"] = owned
		}
		return m
	}
	topics := map[string]int32{"in": 4}
	for _, tc := range []struct {
		name    string
		members []groupMember
		active  string
		parts   []int32
	}{
		{"first join: lowest instance id", []groupMember{member("m2", "b"), member("m1", "c"), member("m3", "a")}, "m3", []int32{0, 1, 2, 3}},
		{"static members before dynamic ones", []groupMember{member("m0", ""), member("m9", "z")}, "m9", []int32{0, 1, 2, 3}},
		{"dynamic members by member id", []groupMember{member("m2", ""), member("m1", "")}, "m1", []int32{0, 1, 2, 3}},
		{"the owner stays active when a standby joins", []groupMember{member("m3", "a"), member("m1", "c", 0, 1, 2, 3)}, "m1", []int32{0, 1, 2, 3}},
		{"a new partition goes to the active", []groupMember{member("m3", "a"), member("m1", "c", 0, 1, 2)}, "m1", []int32{0, 1, 2, 3}},
		{"partitions another member still owns wait a round", []groupMember{member("m1", "a", 0, 1, 2), member("m2", "b", 3)}, "m1", []int32{0, 1, 2}},
		{"partitions beyond the topic's count do not count", []groupMember{member("m1", "a", 7, 8, 9), member("m2", "b", 0)}, "m2", []int32{0, 1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := singleOwnerPlan(tc.members, topics)
			if len(plan) != 1 {
				t.Fatalf("plan has %d assignments, want 1: %+v", len(plan), plan)
			}
			if got := plan[0].member.id; got != tc.active {
				t.Errorf("active = %s, want %s", got, tc.active)
			}
			if !reflect.DeepEqual(plan[0].partitions, tc.parts) {
				t.Errorf("partitions = %v, want %v", plan[0].partitions, tc.parts)
			}
		})
	}
	if plan := singleOwnerPlan(nil, topics); plan != nil {
		t.Errorf("no members: plan %v, want none", plan)
	}
}

func TestSingleOwnerMetadataCarriesOwnedPartitions(t *testing.T) {
	b := singleOwnerBalancer{}
	raw := b.JoinGroupMetadata([]string{"in"}, map[string][]int32{"in": {2, 0, 1}}, 7)
	var meta kmsg.ConsumerMemberMetadata
	if err := meta.ReadFrom(raw); err != nil {
		t.Fatal(err)
	}
	if len(meta.OwnedPartitions) != 1 || !reflect.DeepEqual(meta.OwnedPartitions[0].Partitions, []int32{0, 1, 2}) || meta.Generation != 7 {
		t.Fatalf("metadata = %+v", meta)
	}
	if !b.IsCooperative() || b.ProtocolName() != SingleOwnerProtocol {
		t.Fatal("the single-owner balancer must be cooperative with its own protocol name")
	}
}
