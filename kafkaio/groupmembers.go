package kafkaio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
)

// GroupMember is one member of the session's group as its coordinator
// describes it.
type GroupMember struct {
	// Key names the member stably: its instance id when it has one (the
	// same across restarts), else the member id the coordinator gave it.
	Key string
	// Self marks this session's own member.
	Self bool
	// Partitions are the input partitions the group assigned it, sorted.
	Partitions []int32
}

// ErrGroupRebalancing reports a group description taken while the group
// was not stable: its members' assignments are in flux.
var ErrGroupRebalancing = errors.New("group is rebalancing")

// GroupMembers describes the session's group: its members sorted by Key,
// each with its input partitions. ctx bounds the request. Before the
// session's first join no member is Self. While the group rebalances it
// returns ErrGroupRebalancing.
func (s *Session) GroupMembers(ctx context.Context) ([]GroupMember, error) {
	cl := s.gts.Client()
	described, err := kadm.NewClient(cl).DescribeGroups(ctx, s.group)
	if err != nil {
		return nil, fmt.Errorf("describe group %s: %w", s.group, err)
	}
	g, ok := described[s.group]
	if !ok {
		return nil, fmt.Errorf("describe group %s: not in the answer", s.group)
	}
	if g.Err != nil {
		return nil, fmt.Errorf("describe group %s: %w", s.group, g.Err)
	}
	if g.State != "Stable" {
		return nil, fmt.Errorf("describe group %s: state %s: %w", s.group, g.State, ErrGroupRebalancing)
	}
	self, _ := cl.GroupMetadata()
	members := make([]GroupMember, 0, len(g.Members))
	for _, m := range g.Members {
		gm := GroupMember{Key: m.MemberID, Self: self != "" && m.MemberID == self}
		if m.InstanceID != nil && *m.InstanceID != "" {
			gm.Key = *m.InstanceID
		}
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				if t.Topic == s.input {
					gm.Partitions = append(gm.Partitions, t.Partitions...)
				}
			}
		}
		slices.Sort(gm.Partitions)
		members = append(members, gm)
	}
	slices.SortFunc(members, func(a, b GroupMember) int { return cmp.Compare(a.Key, b.Key) })
	return members, nil
}
