package processor

import (
	"encoding/hex"
	"strconv"
)

// noteRules reports a partition taken over from a member that last wrote
// it under other rules: during a rolling restart that changes the rules,
// the partition's outputs change rules_version here. Checkpoints of builds
// that did not record their rules say nothing either way.
func (r *runner) noteRules(p int32, ps *partitionState) {
	mine := r.pipe.rulesHash
	switch {
	case ps.nextOffset < 0:
		// Never written: nothing to compare.
	case !ps.rulesKnown:
		r.log.Info("partition last written under unknown rules (a build that did not record them)",
			"partition", p, "rules_version", r.pipe.rulesVersion)
	case ps.rules != mine:
		r.m.rulesChanged.WithLabelValues(strconv.Itoa(int(p))).Inc()
		r.log.Warn("partition last written under other rules; its outputs from here on carry this member's rules_version",
			"partition", p, "previous_rules_version", hex.EncodeToString(ps.rules[:]), "rules_version", r.pipe.rulesVersion)
	}
}
