package kafkaio

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// TestSessionMaxVersions checks that the three transactional keys are
// capped below the implicit-add versions and every other key keeps
// franz-go's stable maximum.
func TestSessionMaxVersions(t *testing.T) {
	got, stable := sessionMaxVersions(), kversion.Stable()
	capped := map[kmsg.Key]int16{kmsg.Produce: 11, kmsg.EndTxn: 4, kmsg.TxnOffsetCommit: 4}
	for key, want := range capped {
		if v, ok := got.LookupMaxKeyVersion(int16(key)); !ok || v != want {
			t.Errorf("%v max = %d, %v; want %d", key, v, ok, want)
		}
		// The cap must lower the version, else it does not change the path.
		if v, _ := stable.LookupMaxKeyVersion(int16(key)); v <= want {
			t.Errorf("stable %v max = %d, already at or below the cap %d", key, v, want)
		}
	}
	n := 0
	stable.EachMaxKeyVersion(func(k, v int16) {
		n++
		if _, ok := capped[kmsg.Key(k)]; ok {
			return
		}
		if g, ok := got.LookupMaxKeyVersion(k); !ok || g != v {
			t.Errorf("%v max = %d, %v; want unchanged %d", kmsg.Key(k), g, ok, v)
		}
	})
	m := 0
	got.EachMaxKeyVersion(func(int16, int16) { m++ })
	if m != n {
		t.Errorf("%d keys, want the stable %d", m, n)
	}
	for _, key := range []kmsg.Key{kmsg.AddPartitionsToTxn, kmsg.AddOffsetsToTxn} {
		if !got.HasKey(int16(key)) {
			t.Errorf("%v missing: the explicit-add path needs it", key)
		}
	}
}
