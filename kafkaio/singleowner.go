package kafkaio

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SingleOwnerProtocol is the group protocol of the single-owner balancer.
// A member with another protocol (the partition-mode members use
// cooperative-sticky) cannot join the same group: the coordinator refuses
// it with INCONSISTENT_GROUP_PROTOCOL, so a group never mixes the modes.
const SingleOwnerProtocol = "eventproc-single-owner-v1"

// singleOwnerBalancer gives every partition of the subscribed topics to one
// member, the active; the others get nothing and stand by. It is sticky and
// cooperative: the member that owns partitions keeps them across
// rebalances (a standby joining or leaving moves nothing), and a partition
// still owned by another member is left unassigned for one round, until
// that member has revoked it and rejoined, so no partition ever has two
// owners in one generation.
type singleOwnerBalancer struct{}

// SingleOwnerBalancer is the group balancer of global ordering, where only
// one member may publish.
func SingleOwnerBalancer() kgo.GroupBalancer { return singleOwnerBalancer{} }

func (singleOwnerBalancer) ProtocolName() string { return SingleOwnerProtocol }
func (singleOwnerBalancer) IsCooperative() bool  { return true }

func (singleOwnerBalancer) JoinGroupMetadata(interests []string, current map[string][]int32, generation int32) []byte {
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Version = 3
	meta.Topics = interests
	meta.Generation = generation
	for topic, ps := range current {
		owned := kmsg.NewConsumerMemberMetadataOwnedPartition()
		owned.Topic = topic
		owned.Partitions = slices.Sorted(slices.Values(ps))
		meta.OwnedPartitions = append(meta.OwnedPartitions, owned)
	}
	slices.SortFunc(meta.OwnedPartitions, func(a, b kmsg.ConsumerMemberMetadataOwnedPartition) int {
		return strings.Compare(a.Topic, b.Topic)
	})
	return meta.AppendTo(nil)
}

func (singleOwnerBalancer) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	return kgo.ParseConsumerSyncAssignment(assignment)
}

func (b singleOwnerBalancer) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	cb, err := kgo.NewConsumerBalancer(b, members)
	if err != nil {
		return nil, nil, err
	}
	return cb, cb.MemberTopics(), nil
}

func (singleOwnerBalancer) Balance(b *kgo.ConsumerBalancer, topics map[string]int32) kgo.IntoSyncAssignment {
	var members []groupMember
	b.EachMember(func(m *kmsg.JoinGroupResponseMember, meta *kmsg.ConsumerMemberMetadata) {
		gm := groupMember{id: m.MemberID, join: m, owned: map[string][]int32{}}
		if m.InstanceID != nil {
			gm.instance = *m.InstanceID
		}
		for _, o := range meta.OwnedPartitions {
			gm.owned[o.Topic] = append(gm.owned[o.Topic], o.Partitions...)
		}
		members = append(members, gm)
	})
	plan := b.NewPlan()
	for _, a := range singleOwnerPlan(members, topics) {
		plan.AddPartitions(a.member.join, a.topic, a.partitions)
	}
	return plan
}

// groupMember is a member as the single-owner plan sees it.
type groupMember struct {
	id, instance string
	owned        map[string][]int32
	join         *kmsg.JoinGroupResponseMember
}

type topicAssignment struct {
	member     *groupMember
	topic      string
	partitions []int32
}

// singleOwnerPlan picks the active and its partitions. The active is the
// member that owns the most partitions now (the previous active, still
// working); with no owner (the first join, or after the active left), the
// first member by instance id, then member id. It gets every partition no
// other member owns; those stay unassigned until their owner gives them up.
func singleOwnerPlan(members []groupMember, topics map[string]int32) []topicAssignment {
	if len(members) == 0 {
		return nil
	}
	// Static members (with an instance id) first, by id; then the others.
	slices.SortFunc(members, func(a, b groupMember) int {
		return cmp.Or(cmp.Compare(boolRank(a.instance == ""), boolRank(b.instance == "")),
			strings.Compare(a.instance, b.instance), strings.Compare(a.id, b.id))
	})
	count := func(m groupMember) int {
		n := 0
		for t, ps := range m.owned {
			for _, p := range ps {
				if p < topics[t] {
					n++
				}
			}
		}
		return n
	}
	active := 0
	for i := range members {
		if count(members[i]) > count(members[active]) {
			active = i
		}
	}
	ownedElsewhere := map[string]map[int32]bool{}
	for i, m := range members {
		if i == active {
			continue
		}
		for t, ps := range m.owned {
			if ownedElsewhere[t] == nil {
				ownedElsewhere[t] = map[int32]bool{}
			}
			for _, p := range ps {
				ownedElsewhere[t][p] = true
			}
		}
	}
	var out []topicAssignment
	for _, t := range slices.Sorted(maps.Keys(topics)) {
		var ps []int32
		for p := range topics[t] {
			if !ownedElsewhere[t][p] {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			out = append(out, topicAssignment{member: &members[active], topic: t, partitions: ps})
		}
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
