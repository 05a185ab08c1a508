package processor

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/kafkaio"
)

func TestStandbyPlacement(t *testing.T) {
	members := func(self int, owned ...[]int32) []kafkaio.GroupMember {
		ms := make([]kafkaio.GroupMember, len(owned))
		for i, ps := range owned {
			ms[i] = kafkaio.GroupMember{Key: string(rune('a' + i)), Self: i == self, Partitions: ps}
		}
		return ms
	}
	for _, tc := range []struct {
		name     string
		members  []kafkaio.GroupMember
		replicas int
		want     []int32
	}{
		{"no replicas", members(0, []int32{0}, []int32{1}), 0, nil},
		{"alone", members(0, []int32{0, 1}), 1, nil},
		{"not in the group yet", members(-1, []int32{0}, []int32{1}), 1, nil},
		{"two members hold each other's", members(0, []int32{0, 2}, []int32{1, 3}), 1, []int32{1, 3}},
		{"two members, second", members(1, []int32{0, 2}, []int32{1, 3}), 1, []int32{0, 2}},
		// Ring a→b→c→a: with one replica, c keeps b's partitions.
		{"ring of three, one replica", members(2, []int32{0}, []int32{1}, []int32{2}), 1, []int32{1}},
		{"ring of three, wraps", members(0, []int32{0}, []int32{1}, []int32{2}), 1, []int32{2}},
		{"ring of three, two replicas", members(0, []int32{0}, []int32{1}, []int32{2}), 2, []int32{1, 2}},
		{"replicas capped at the others", members(1, []int32{0}, []int32{1}, []int32{2}), 9, []int32{0, 2}},
		// A member that owns nothing still holds copies, and gives none.
		{"owning nothing", members(1, []int32{0, 1}, nil), 1, []int32{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := standbyPlacement(tc.members, tc.replicas); !slices.Equal(got, tc.want) {
				t.Fatalf("standbyPlacement = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStandbyReplicasValidated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		modify  func(*Config)
		wantErr string
	}{
		{"negative", func(c *Config) { c.StandbyReplicas = -1 }, "--standby-replicas"},
		{"with global ordering", func(c *Config) { c.StandbyReplicas, c.Ordering = 1, OrderingGlobal }, "--ordering partition"},
		{"partition ordering", func(c *Config) { c.StandbyReplicas = 2 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.modify(&cfg)
			err := cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate = %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate = %v, want an error naming %q", err, tc.wantErr)
			}
		})
	}
}

func standbyReplicas(n int) func(*Config) { return func(c *Config) { c.StandbyReplicas = n } }

// TestStandbyReplicasWarmTakeover: with partition ordering and one standby
// replica, two members keep warm copies of each other's partitions; when
// one crashes mid-window, the other takes its partitions over reading
// only the changelog written since its last read.
func TestStandbyReplicasWarmTakeover(t *testing.T) {
	h := newHarness(t, 4)
	h.produce(2000)
	a := h.start("a", smallWindows)
	h.awaitAll(60 * time.Second) // the changelog holds every partition's history
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	a = h.start("a", smallWindows, standbyReplicas(1), crashAt(3))
	b := h.start("b", smallWindows, standbyReplicas(1))
	waitReady(t, a)
	waitReady(t, b)
	// Each owns two partitions and keeps the other's two warm.
	awaitMetric(t, a, "eventproc_partitions_owned", 2)
	awaitMetric(t, b, "eventproc_partitions_owned", 2)
	awaitMetric(t, b, "eventproc_standby_partitions", 2)
	awaitMetric(t, a, "eventproc_standby_partitions", 2)
	restoredBefore := metricSum(t, b.reg, "eventproc_state_restore_records_total")
	tailedBefore := metricSum(t, b.reg, "eventproc_standby_records_total")
	if tailedBefore == 0 {
		t.Fatal("b keeps two partitions warm but read no changelog record of them")
	}
	h.produce(2000)
	if err := a.wait(t, 60*time.Second); !errors.Is(err, errCrashed) {
		t.Fatalf("member a: got %v, want the simulated crash", err)
	}
	h.assertExactlyOnce(h.awaitAll(90 * time.Second))
	awaitMetric(t, b, "eventproc_partitions_owned", 4)
	restored := metricSum(t, b.reg, "eventproc_state_restore_records_total") - restoredBefore
	if restored >= tailedBefore {
		t.Fatalf("takeover of a's partitions read %v changelog records, the warm copies had read %v: want only the tail", restored, tailedBefore)
	}
	if v := metricSum(t, b.reg, "eventproc_standby_partitions"); v != 0 {
		t.Fatalf("b owns every partition but still counts %v standby partitions", v)
	}
}
