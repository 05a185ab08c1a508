package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicPlan names the topics one processor needs (docs/contract.md).
type TopicPlan struct {
	Input, Output, DLQ, Changelog string
	// CreateMissing creates missing output and DLQ topics with the input's
	// partition count. The changelog is always created when missing.
	CreateMissing bool
	// MaxEventBytes is the largest input value intake accepts: the output
	// (and changelog) must admit such an event once enriched, and the DLQ
	// any record the input admits, each plus HeaderAllowance.
	MaxEventBytes int
	// ReplicationFactor and MinInSyncReplicas apply to the topics
	// eventproc creates; -1 (or 0) takes the broker's defaults.
	ReplicationFactor int16
	MinInSyncReplicas int
	// SingleOutputPartition is global ordering: only output partition 0 is
	// written, so a missing output is created with one partition and an
	// existing one is accepted with any count.
	SingleOutputPartition bool
}

// TopicLayout is what EnsureTopics found (or made).
type TopicLayout struct {
	// Partitions is the input's partition count P.
	Partitions int32
	Limits     TopicLimits
	// Warnings are start-up concerns that do not stop the member.
	Warnings []string
}

// ErrTopicLayout reports partition counts that cannot work; the message
// says which topic and what to do.
var ErrTopicLayout = errors.New("topic layout")

// EnsureTopics checks (and where allowed creates) the topics of plan and
// returns the input's partition count P and the topics' size limits. It
// refuses an existing output or DLQ whose max.message.bytes is too small
// for what eventproc must write there. ctx bounds the admin requests.
func EnsureTopics(ctx context.Context, cl *kgo.Client, plan TopicPlan) (TopicLayout, error) {
	var lay TopicLayout
	adm := kadm.NewClient(cl)
	brokerLimit, brokers, err := brokerMessageMaxBytes(ctx, adm)
	if err != nil {
		return lay, err
	}
	lay.Limits.Broker, lay.Limits.Brokers = brokerLimit, brokers
	names := []string{plan.Input, plan.Output, plan.DLQ, plan.Changelog}
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return lay, fmt.Errorf("describe topics: %w", err)
	}
	partitions := func(name string) (int32, bool, error) {
		d, ok := details[name]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return 0, false, nil
		}
		if d.Err != nil {
			return 0, false, fmt.Errorf("describe topic %s: %w", name, d.Err)
		}
		return int32(len(d.Partitions)), true, nil
	}
	p, ok, err := partitions(plan.Input)
	if err != nil {
		return lay, err
	}
	if !ok {
		return lay, fmt.Errorf("%w: input topic %q does not exist: create it, or fix --input-topic", ErrTopicLayout, plan.Input)
	}
	lay.Partitions = p
	inLimits, err := topicMessageMaxBytes(ctx, adm, brokerLimit, plan.Input)
	if err != nil {
		return lay, err
	}
	lay.Limits.Input = inLimits[plan.Input]
	// The DLQ admits any record the input admitted, plus eventproc's
	// headers; the output any accepted event once enriched.
	need := map[string]int{
		plan.Output:    plan.MaxEventBytes + HeaderAllowance,
		plan.DLQ:       max(lay.Limits.Input, plan.MaxEventBytes) + HeaderAllowance,
		plan.Changelog: plan.MaxEventBytes + HeaderAllowance,
	}
	rf := plan.ReplicationFactor
	if rf == 0 {
		rf = -1
	}
	configsFor := func(topic string) map[string]*string {
		c := map[string]*string{"max.message.bytes": kadm.StringPtr(strconv.Itoa(need[topic]))}
		if plan.MinInSyncReplicas > 0 {
			c["min.insync.replicas"] = kadm.StringPtr(strconv.Itoa(plan.MinInSyncReplicas))
		}
		return c
	}
	var created []string
	create := func(topic string, configs map[string]*string) error {
		n := p
		if topic == plan.Output && plan.SingleOutputPartition {
			n = 1
		}
		if err := createTopic(ctx, adm, topic, n, rf, configs); err != nil {
			return err
		}
		created = append(created, topic)
		return nil
	}
	var existing []string
	for _, t := range []struct {
		name, flag string
	}{{plan.Output, "--output-topic"}, {plan.DLQ, "--dlq-topic"}} {
		n, ok, err := partitions(t.name)
		if err != nil {
			return lay, err
		}
		switch {
		case !ok && !plan.CreateMissing:
			return lay, fmt.Errorf("%w: topic %q (%s) does not exist and --create-topics=false: create it with at least %d partitions and max.message.bytes of at least %d", ErrTopicLayout, t.name, t.flag, p, need[t.name])
		case !ok:
			if err := create(t.name, configsFor(t.name)); err != nil {
				return lay, err
			}
		case n < p && !(t.name == plan.Output && plan.SingleOutputPartition):
			return lay, fmt.Errorf("%w: topic %q (%s) has %d partitions but input %q has %d: every input partition p is written to partition p, so add partitions to %q (kafka-topics --alter --partitions %d)", ErrTopicLayout, t.name, t.flag, n, plan.Input, p, t.name, p)
		default:
			existing = append(existing, t.name)
		}
	}
	n, ok, err := partitions(plan.Changelog)
	if err != nil {
		return lay, err
	}
	switch {
	case !ok:
		cfg := configsFor(plan.Changelog)
		cfg["cleanup.policy"] = kadm.StringPtr("compact")
		if err := create(plan.Changelog, cfg); err != nil {
			return lay, err
		}
	case n != p:
		return lay, fmt.Errorf("%w: state changelog %q has %d partitions but input %q has %d: the changelog must match the input exactly; if the input grew, per-source state must be rebuilt (delete %q and reset the group's offsets)", ErrTopicLayout, plan.Changelog, n, plan.Input, p, plan.Changelog)
	}
	limits, err := topicMessageMaxBytes(ctx, adm, brokerLimit, plan.Output, plan.DLQ, plan.Changelog)
	if err != nil {
		return lay, err
	}
	lay.Limits.Output, lay.Limits.DLQ, lay.Limits.Changelog = limits[plan.Output], limits[plan.DLQ], limits[plan.Changelog]
	// An existing topic must at least admit what the input admits (and,
	// for the output, intake accepts). The few records that fit that but
	// not once eventproc's headers are added are refused by the broker and
	// handled then (dead-lettered, or truncated in the DLQ); topics
	// eventproc creates have the full room.
	minimum := map[string]int{
		plan.Output: min(plan.MaxEventBytes, lay.Limits.Input),
		plan.DLQ:    lay.Limits.Input,
	}
	for _, t := range existing {
		if have := limits[t]; have < minimum[t] {
			why := fmt.Sprintf("an accepted event of up to --max-event-bytes %d from input %q (max.message.bytes %d)", plan.MaxEventBytes, plan.Input, lay.Limits.Input)
			if t == plan.DLQ {
				why = fmt.Sprintf("any record the input %q admits (max.message.bytes %d) as a dead letter", plan.Input, lay.Limits.Input)
			}
			return lay, fmt.Errorf("%w: topic %q has max.message.bytes %d but needs at least %d to hold %s: raise it, with room for eventproc's headers (kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name %s --add-config max.message.bytes=%d)",
				ErrTopicLayout, t, have, minimum[t], why, t, need[t])
		}
	}
	if len(created) > 0 && brokers >= 3 {
		rfs, err := replicationFactors(ctx, adm, created...)
		if err == nil {
			for _, t := range created {
				if rfs[t] == 1 {
					lay.Warnings = append(lay.Warnings, fmt.Sprintf("topic %q was created with replication factor 1 on a cluster of %d brokers: losing one broker loses its data; set --replication-factor (or the broker's default.replication.factor)", t, brokers))
				}
			}
		}
	}
	return lay, nil
}

// replicationFactors returns each topic's replication factor (replicas of
// its first partition).
// Topics created a moment ago may not be in every broker's metadata yet:
// it asks again for a few seconds. It lists all topics: a request by name
// can keep answering UNKNOWN_TOPIC_OR_PARTITION for a topic that is new.
func replicationFactors(ctx context.Context, adm *kadm.Client, names ...string) (map[string]int, error) {
	out := make(map[string]int, len(names))
	for attempt := 0; ; attempt++ {
		details, err := adm.ListTopics(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if d, ok := details[n]; ok && d.Err == nil {
				for _, p := range d.Partitions {
					out[n] = len(p.Replicas)
					break
				}
			}
		}
		if len(out) == len(names) || attempt == 50 {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func createTopic(ctx context.Context, adm *kadm.Client, name string, partitions int32, replicationFactor int16, configs map[string]*string) error {
	resp, err := adm.CreateTopic(ctx, partitions, replicationFactor, configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %q: %w", name, err)
	}
	return nil
}
