package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicPlan names the topics one processor needs (contract section 1).
type TopicPlan struct {
	Input, Output, DLQ, Changelog string
	// CreateMissing creates missing output and DLQ topics with the input's
	// partition count. The changelog is always created when missing.
	CreateMissing bool
	// MaxMessageBytes is set as max.message.bytes on topics eventproc
	// creates, so an accepted maximum-size event still fits once enriched.
	MaxMessageBytes int
}

// ErrTopicLayout reports partition counts that cannot work; the message
// says which topic and what to do.
var ErrTopicLayout = errors.New("topic layout")

// EnsureTopics checks (and where allowed creates) the topics of plan and
// returns the input's partition count P. ctx bounds the admin requests.
func EnsureTopics(ctx context.Context, cl *kgo.Client, plan TopicPlan) (int32, error) {
	adm := kadm.NewClient(cl)
	names := []string{plan.Input, plan.Output, plan.DLQ, plan.Changelog}
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return 0, fmt.Errorf("describe topics: %w", err)
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
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: input topic %q does not exist: create it, or fix --input-topic", ErrTopicLayout, plan.Input)
	}
	configs := map[string]*string{}
	if plan.MaxMessageBytes > 0 {
		configs["max.message.bytes"] = kadm.StringPtr(strconv.Itoa(plan.MaxMessageBytes))
	}
	for _, t := range []struct {
		name, flag string
	}{{plan.Output, "--output-topic"}, {plan.DLQ, "--dlq-topic"}} {
		n, ok, err := partitions(t.name)
		if err != nil {
			return 0, err
		}
		switch {
		case !ok && !plan.CreateMissing:
			return 0, fmt.Errorf("%w: topic %q (%s) does not exist and --create-topics=false: create it with at least %d partitions", ErrTopicLayout, t.name, t.flag, p)
		case !ok:
			if err := createTopic(ctx, adm, t.name, p, configs); err != nil {
				return 0, err
			}
		case n < p:
			return 0, fmt.Errorf("%w: topic %q (%s) has %d partitions but input %q has %d: every input partition p is written to partition p, so add partitions to %q (kafka-topics --alter --partitions %d)", ErrTopicLayout, t.name, t.flag, n, plan.Input, p, t.name, p)
		}
	}
	n, ok, err := partitions(plan.Changelog)
	if err != nil {
		return 0, err
	}
	switch {
	case !ok:
		cfg := map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
		for k, v := range configs {
			cfg[k] = v
		}
		if err := createTopic(ctx, adm, plan.Changelog, p, cfg); err != nil {
			return 0, err
		}
	case n != p:
		return 0, fmt.Errorf("%w: state changelog %q has %d partitions but input %q has %d: the changelog must match the input exactly; if the input grew, per-source state must be rebuilt (delete %q and reset the group's offsets)", ErrTopicLayout, plan.Changelog, n, plan.Input, p, plan.Changelog)
	}
	return p, nil
}

func createTopic(ctx context.Context, adm *kadm.Client, name string, partitions int32, configs map[string]*string) error {
	resp, err := adm.CreateTopic(ctx, partitions, -1, configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %q: %w", name, err)
	}
	return nil
}
