package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// HeaderAllowance is what eventproc may add to a record beyond the input's
// own bytes: lineage, error and group headers, the record batch framing.
// Topic limits and producer batch limits keep this much room.
const HeaderAllowance = 64 << 10

// defaultMessageMaxBytes is Kafka's message.max.bytes default, used when
// the broker does not report it.
const defaultMessageMaxBytes = 1048588

// TopicLimits are the max.message.bytes of the topics one processor uses,
// as the brokers enforce them after EnsureTopics.
type TopicLimits struct {
	// Broker is the cluster's message.max.bytes: the limit of topics with
	// no max.message.bytes of their own.
	Broker int
	// Input, Output, DLQ and Changelog are the topics' effective limits.
	Input, Output, DLQ, Changelog int
	// Brokers is the number of brokers in the cluster.
	Brokers int
}

// BatchMaxBytes returns the producer's record-batch limit for topic: the
// topic's own limit, so that no batch the producer builds is refused for
// its size (a single record larger than it fails alone, client side).
func (l TopicLimits) BatchMaxBytes(plan TopicPlan) func(topic string) int32 {
	return func(topic string) int32 {
		var n int
		switch topic {
		case plan.Output:
			n = l.Output
		case plan.DLQ:
			n = l.DLQ
		case plan.Changelog:
			n = l.Changelog
		}
		if n <= 0 {
			n = l.Broker
		}
		if n <= 0 {
			n = defaultMessageMaxBytes
		}
		return int32(min(n, 1<<30))
	}
}

// Largest is the largest limit of the topics eventproc writes.
func (l TopicLimits) Largest() int { return max(l.Output, l.DLQ, l.Changelog, l.Broker) }

// brokerMessageMaxBytes reads message.max.bytes from one broker, and the
// number of brokers. ctx bounds the requests.
func brokerMessageMaxBytes(ctx context.Context, adm *kadm.Client) (limit, brokers int, err error) {
	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("describe cluster: %w", err)
	}
	brokers = len(md.Brokers)
	rcs, err := adm.DescribeBrokerConfigs(ctx)
	if err != nil {
		return defaultMessageMaxBytes, brokers, nil // not every broker answers; Kafka's default is the safe guess
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			continue
		}
		if n, ok := configInt(rc.Configs, "message.max.bytes"); ok {
			return n, brokers, nil
		}
	}
	return defaultMessageMaxBytes, brokers, nil
}

// topicMessageMaxBytes reads each topic's effective max.message.bytes;
// a topic that does not report one gets fallback.
// A topic created a moment ago may not be known to every broker yet
// (Kafka creates topics asynchronously): those are asked again until ctx
// ends.
func topicMessageMaxBytes(ctx context.Context, adm *kadm.Client, fallback int, names ...string) (map[string]int, error) {
	for {
		out, err := describeMessageMaxBytes(ctx, adm, fallback, names...)
		if err == nil || !errors.Is(err, kerr.UnknownTopicOrPartition) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func describeMessageMaxBytes(ctx context.Context, adm *kadm.Client, fallback int, names ...string) (map[string]int, error) {
	rcs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs %v: %w", names, err)
	}
	out := make(map[string]int, len(names))
	for _, n := range names {
		out[n] = fallback
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("describe configs of topic %s: %w", rc.Name, rc.Err)
		}
		if n, ok := configInt(rc.Configs, "max.message.bytes"); ok {
			out[rc.Name] = n
		}
	}
	return out, nil
}

func configInt(cs []kadm.Config, key string) (int, bool) {
	for _, c := range cs {
		if c.Key == key && c.Value != nil {
			n, err := strconv.Atoi(*c.Value)
			return n, err == nil
		}
	}
	return 0, false
}
