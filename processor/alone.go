package processor

import (
	"fmt"
	"strconv"

	"github.com/eventproc/eventproc/kafkaio"
)

// ProcessAlone runs recs through the processing stages and nothing else:
// decode, validate, summarise, classify, enrich, merge and encode, in
// windows of cfg.WindowMaxEvents records, each partition's state carried
// from one window to the next and committed after each, as a member that
// owns every partition does. There is no Kafka: the records a window
// produces are counted by topic and dropped.
//
// eventproc bench runs it between whole runs in the same process, so
// that the CPU the processing costs can be told from the CPU the
// transport and the transactions cost.
func ProcessAlone(recs []kafkaio.InRecord, cfg Config) (AloneCounts, error) {
	var c AloneCounts
	cfg = cfg.withRuntime()
	if err := cfg.Validate(); err != nil {
		return c, err
	}
	stages, err := cfg.effectiveRules().Stages()
	if err != nil {
		return c, fmt.Errorf("--rules: %w", err)
	}
	t := topics{Input: cfg.InputTopic, Output: cfg.OutputTopic, DLQ: cfg.DLQTopic, Changelog: cfg.ChangelogTopic()}
	p, err := newConfiguredPipeline(cfg, t, stages)
	if err != nil {
		return c, err
	}
	states := make(map[int32]*partitionState)
	state := func(part int32) *partitionState {
		if states[part] == nil {
			states[part] = newPartitionState()
		}
		return states[part]
	}
	for len(recs) > 0 {
		w := recs[:min(len(recs), cfg.WindowMaxEvents)]
		recs = recs[len(w):]
		res := p.process(w, state, "alone-"+strconv.Itoa(c.Windows), nil)
		c.Windows++
		for _, o := range res.records {
			switch o.Topic {
			case t.Output:
				c.Outputs++
			case t.DLQ:
				c.DeadLetters++
			default:
				c.Changelog++
			}
		}
		p.commit()
	}
	return c, nil
}

// AloneCounts are the windows ProcessAlone ran and the records they
// produced, by topic.
type AloneCounts struct {
	Windows, Outputs, DeadLetters, Changelog int
}
