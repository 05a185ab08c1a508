package kafkaio_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/kafkaio"
)

func threeBrokers(t *testing.T) (*kgo.Client, *kadm.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl := newTestClient(t, c.ListenAddrs())
	return cl, kadm.NewClient(cl)
}

func createTopic(t *testing.T, adm *kadm.Client, name string, maxMessageBytes int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := strconv.Itoa(maxMessageBytes)
	if _, err := adm.CreateTopic(ctx, 2, -1, map[string]*string{"max.message.bytes": &v}, name); err != nil {
		t.Fatal(err)
	}
}

// TestEnsureTopicsSizesCreatedTopics: the DLQ is created to admit any
// input record, the output any accepted event, each plus the header
// allowance; a replication factor of 1 on three brokers is warned about.
func TestEnsureTopicsSizesCreatedTopics(t *testing.T) {
	cl, adm := threeBrokers(t)
	createTopic(t, adm, "in", 10<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lay, err := kafkaio.EnsureTopics(ctx, cl, kafkaio.TopicPlan{
		Input: "in", Output: "out", DLQ: "dlq", Changelog: "g-state", CreateMissing: true,
		MaxEventBytes: 1 << 20, ReplicationFactor: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := kafkaio.TopicLimits{Broker: lay.Limits.Broker, Brokers: 3, Input: 10 << 20,
		Output: 1<<20 + kafkaio.HeaderAllowance, DLQ: 10<<20 + kafkaio.HeaderAllowance, Changelog: 1<<20 + kafkaio.HeaderAllowance}
	if lay.Limits != want || lay.Partitions != 2 {
		t.Fatalf("got %d partitions, limits %+v; want 2, %+v", lay.Partitions, lay.Limits, want)
	}
	if len(lay.Warnings) != 3 || !strings.Contains(lay.Warnings[0], "replication factor 1") {
		t.Fatalf("warnings %q: want one per created topic about replication factor 1", lay.Warnings)
	}
	batch := lay.Limits.BatchMaxBytes(kafkaio.TopicPlan{Output: "out", DLQ: "dlq", Changelog: "g-state"})
	if batch("dlq") != int32(want.DLQ) || batch("out") != int32(want.Output) {
		t.Fatalf("producer batch limits dlq %d out %d, want the topics' limits", batch("dlq"), batch("out"))
	}
}

// TestEnsureTopicsRefusesTooSmallTopics names the topic, both numbers and
// the command that fixes it.
func TestEnsureTopicsRefusesTooSmallTopics(t *testing.T) {
	for _, tc := range []struct {
		name, topic string
		have, need  int
	}{
		{"dlq smaller than the input", "dlq", 1<<20 + 64<<10, 10 << 20},
		{"output smaller than an accepted event", "out", 100 << 10, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, adm := threeBrokers(t)
			createTopic(t, adm, "in", 10<<20)
			createTopic(t, adm, tc.topic, tc.have)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := kafkaio.EnsureTopics(ctx, cl, kafkaio.TopicPlan{
				Input: "in", Output: "out", DLQ: "dlq", Changelog: "g-state", CreateMissing: true, MaxEventBytes: 1 << 20,
			})
			if !errors.Is(err, kafkaio.ErrTopicLayout) {
				t.Fatalf("got %v, want a topic layout error", err)
			}
			for _, w := range []string{`"` + tc.topic + `"`, strconv.Itoa(tc.have), "at least " + strconv.Itoa(tc.need),
				"kafka-configs.sh", "--entity-name " + tc.topic, "--add-config max.message.bytes="} {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestIsRefusal(t *testing.T) {
	for _, tc := range []struct {
		err         error
		refusal, sz bool
	}{
		{fmt.Errorf("produce: %w", kerr.MessageTooLarge), true, true},
		{fmt.Errorf("produce: %w", kerr.RecordListTooLarge), true, true},
		{fmt.Errorf("produce: %w", kerr.InvalidRecord), true, false},
		{fmt.Errorf("produce: %w", kerr.PolicyViolation), true, false},
		{fmt.Errorf("produce: %w", kerr.NotLeaderForPartition), false, false},
		{context.Canceled, false, false},
	} {
		if got, gotSize := kafkaio.IsRefusal(tc.err), kafkaio.IsSizeRefusal(tc.err); got != tc.refusal || gotSize != tc.sz {
			t.Errorf("%v: refusal %v size %v, want %v %v", tc.err, got, gotSize, tc.refusal, tc.sz)
		}
	}
}

// TestEnsureTopicsSingleOutputPartition: with global ordering the output is
// created with one partition (the DLQ and changelog still match the
// input), and an existing output with fewer partitions than the input is
// accepted.
func TestEnsureTopicsSingleOutputPartition(t *testing.T) {
	cl, adm := threeBrokers(t)
	createTopic(t, adm, "in", 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	plan := kafkaio.TopicPlan{Input: "in", Output: "out", DLQ: "dlq", Changelog: "g-state", CreateMissing: true,
		MaxEventBytes: 1 << 10, ReplicationFactor: 1, SingleOutputPartition: true}
	if _, err := kafkaio.EnsureTopics(ctx, cl, plan); err != nil {
		t.Fatal(err)
	}
	details, err := adm.ListTopics(ctx, "out", "dlq", "g-state")
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]int{"out": 1, "dlq": 2, "g-state": 2} {
		if got := len(details[topic].Partitions); got != want {
			t.Errorf("%s has %d partitions, want %d", topic, got, want)
		}
	}
	// The same one-partition output is refused in partition mode.
	plan.SingleOutputPartition = false
	if _, err := kafkaio.EnsureTopics(ctx, cl, plan); !errors.Is(err, kafkaio.ErrTopicLayout) || !strings.Contains(err.Error(), `"out"`) {
		t.Fatalf("partition mode on a 1-partition output: err = %v, want a layout error naming it", err)
	}
}
