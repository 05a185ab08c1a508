package kafkaio

import (
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Request versions at which a transactional producer adds partitions to
// its transaction implicitly (on the produce itself) and ends it with an
// epoch bump. Capping each key one below keeps the session on the explicit
// AddPartitionsToTxn path.
const (
	maxProduceVersion         = 11 // v12: partitions added by the produce
	maxEndTxnVersion          = 4  // v5: the producer epoch bumps on every end
	maxTxnOffsetCommitVersion = 4  // v5: offsets added by the commit
)

// sessionMaxVersions returns the request versions a session's client may
// use: franz-go's stable versions with Produce, EndTxn and TxnOffsetCommit
// capped below the implicit-add versions.
//
// On a cluster with transaction.version 2, a produce that implicitly adds
// its partition while the previous transaction's commit markers are still
// being written (routine right after a commit when the output topics are
// replicated) is answered CONCURRENT_TRANSACTIONS, and franz-go retries
// that produce only after a metadata refresh: a window's commit then takes
// hundreds of milliseconds to seconds. With the explicit add, the same
// answer comes back on AddPartitionsToTxn, which franz-go retries in place
// after a short backoff (20 ms at first). franz-go uses the implicit path
// only when all three keys allow it, so the three caps go together. The
// session then runs transaction version 1, which brokers with version 2
// enabled keep serving for older clients.
func sessionMaxVersions() *kversion.Versions {
	v := kversion.Stable()
	for _, c := range []struct {
		key kmsg.Key
		max int16
	}{
		{kmsg.Produce, maxProduceVersion},
		{kmsg.EndTxn, maxEndTxnVersion},
		{kmsg.TxnOffsetCommit, maxTxnOffsetCommitVersion},
	} {
		if cur, ok := v.LookupMaxKeyVersion(int16(c.key)); ok && cur > c.max {
			v.SetMaxKeyVersion(int16(c.key), c.max)
		}
	}
	return v
}
