package testbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// adminTimeout bounds one topic creation including the wait for its leaders.
const adminTimeout = 60 * time.Second

// NewClient returns a franz-go client seeded with the broker's addresses plus opts,
// closed by t.Cleanup.
func (b *Broker) NewClient(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addrs...)}, opts...)...)
	if err != nil {
		t.Fatalf("testbroker: new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// CreateTopic creates topic name with the given partitions, the cluster's default
// replication factor and configs (nil for none), and returns once every partition
// has a leader, so the test's first produce does not race the metadata. It fails t
// if the topic already exists: names on a shared broker come from UniqueName.
func (b *Broker) CreateTopic(t testing.TB, name string, partitions int32, configs map[string]*string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs...))
	if err != nil {
		t.Fatalf("testbroker: admin client: %v", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	resp, err := adm.CreateTopic(ctx, partitions, -1, configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("testbroker: create topic %s (%d partitions) on %s broker: %v", name, partitions, b.Kind, err)
	}
	if err := waitForLeaders(ctx, adm, name, int(partitions)); err != nil {
		t.Fatalf("testbroker: topic %s: %v", name, err)
	}
}

// waitForLeaders polls metadata until all partitions of topic have a leader.
func waitForLeaders(ctx context.Context, adm *kadm.Client, topic string, partitions int) error {
	var last string
	for {
		md, err := adm.Metadata(ctx, topic)
		if err == nil {
			last = leaderState(md, topic, partitions)
			if last == "" {
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("partitions not led in time: %s", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// leaderState returns "" when topic has the wanted number of partitions, each
// with a leader, else what is still missing.
func leaderState(md kadm.Metadata, topic string, partitions int) string {
	td, ok := md.Topics[topic]
	switch {
	case !ok:
		return "not in metadata"
	case td.Err != nil:
		return td.Err.Error()
	case len(td.Partitions) != partitions:
		return fmt.Sprintf("%d of %d partitions in metadata", len(td.Partitions), partitions)
	}
	for _, p := range td.Partitions {
		if p.Err != nil || p.Leader < 0 {
			return fmt.Sprintf("partition %d has no leader (%v)", p.Partition, p.Err)
		}
	}
	return ""
}

// uniqueSeq makes names unique within the process; the random part makes them
// unique across runs against a long-lived external broker.
var uniqueSeq atomic.Uint64

// maxNameLen keeps names well under Kafka's 249-character topic name limit.
const maxNameLen = 200

// UniqueName returns prefix-<test name>-<n>-<random>, made only of the characters
// Kafka allows in topic names, for per-test topics, groups and transactional ids.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("testbroker: random name suffix: %v", err)
	}
	suffix := fmt.Sprintf("-%d-%s", uniqueSeq.Add(1), hex.EncodeToString(rnd[:]))
	base := sanitizeName(prefix + "-" + t.Name())
	if room := maxNameLen - len(suffix); len(base) > room {
		base = base[:room]
	}
	return base + suffix
}

// sanitizeName maps every character Kafka rejects in a topic name to '-'. '.' is
// mapped too: Kafka warns that '.' and '_' collide in metric names.
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		default:
			return '-'
		}
	}, s)
}
