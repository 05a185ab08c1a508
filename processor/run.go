package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/rules"
)

// idlePoll bounds a poll while no window is open, so assignment changes
// and readiness are handled even when the input is quiet.
const idlePoll = 250 * time.Millisecond

// Run is one member of the processing group. It consumes cfg.InputTopic,
// processes each window and publishes it as one transaction, until ctx
// ends. Then it stops fetching, publishes (or aborts) the open window,
// leaves the group and returns nil; the shutdown is bounded by
// cfg.ShutdownTimeout after ctx ends.
//
// ctx bounds the run; it is the only way to stop it. Run returns an error
// for invalid configuration, a topic layout that cannot work, fatal Kafka
// errors (fencing, authentication, authorization) and when cfg.MaxRetries
// consecutive windows failed. It never skips a record: whatever was not
// committed is processed again by whoever owns the partition next.
//
// One window's data path (runner.window and runner.advance, window.go):
//
//	kafkaio.Session.Poll     collect input records until the window closes (windowPollWait)
//	runner.restoreAll        state of newly owned partitions, from the changelog
//	windowWork.process       the transformation: the pipeline (pipeline.go), emitting records
//	kafkaio.Session.Produce  outputs, dead letters, changelog updates
//	kafkaio.Session.End      one transaction with the window's consumed offsets
//
// Windows overlap: while a window's transaction ends, the records fetched
// meanwhile are processed as the next window, which is produced once the
// first committed (dropped, and read again, if it aborted).
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withRuntime()
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := newRunner(cfg)
	if err != nil {
		return err
	}
	return r.run(ctx)
}

// run checks the topics and runs the loop until ctx ends.
func (r *runner) run(ctx context.Context) error {
	if err := r.ensureTopics(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: nothing was consumed
		}
		return err
	}
	r.setRole(0)
	return r.loop(ctx)
}

// windowWork is the per-window transformation the loop runs between
// collecting a window and ending its transaction: the processing
// pipeline for Run, a copy for Passthrough.
type windowWork interface {
	// process transforms a window's records, handing each record to
	// publish to emit as soon as it is ready.
	process(recs []kafkaio.InRecord, state func(int32) *partitionState, windowID string, emit func(kafkaio.OutRecord)) windowResult
	// commit keeps the window's state changes once its transaction
	// committed; an aborted window's changes are dropped by the next
	// process.
	commit()
}

var (
	_ windowWork = (*pipeline)(nil)
	_ windowWork = copyWindow{}
)

// runner owns the loop's state. Only the goroutine in loop touches it,
// except assignments, which franz-go's group callbacks update.
type runner struct {
	cfg Config
	log *slog.Logger
	m   *metrics
	// pipe is the first slot's processing pipeline (nil for
	// Passthrough), whose settings (rules, dead-letter limit) both slots'
	// pipelines share.
	pipe *pipeline

	sess   *kafkaio.Session
	states map[int32]*partitionState
	assign assignments
	// inputPartitions is the input's partition count, read at start.
	inputPartitions int32
	// warm are the partitions kept warm as a standby (standby.go), read
	// through tail, the changelog reader restores use too; lastTail is
	// when the standby last read.
	warm     map[int32]*warmPartition
	tail     *kafkaio.ChangelogTail
	lastTail time.Time
	// placed are the partitions the group's standby placement gave this
	// member (partition ordering with StandbyReplicas), as of placedAt.
	placed   []int32
	placedAt time.Time

	// slots are the two windows a member holds at most: one whose
	// transaction is open (inflight, or nil) and the next.
	slots    [2]openWindow
	inflight *openWindow
	// collectEnd is when the previous window stopped collecting: records
	// that were already buffered when the next window began arrived after it.
	collectEnd time.Time
	// stepStart is when the latest window step that ended a transaction
	// began, lastStep how long the one before it took (see overlapAfter).
	stepStart  time.Time
	lastStep   time.Duration
	windowSeq  uint64
	windowBase string

	// limits are the topics' size limits, read at start.
	limits kafkaio.TopicLimits
	// refused marks input records whose records the broker refused, for
	// the window's next attempt (see refusals.go); probeLimit > 0 caps
	// windows while a refused batch is bisected.
	refused    map[inputPosition]refusedInput
	probeLimit int
	// failures counts consecutive failed windows since failingSince;
	// lastErr is the latest one's error (for /readyz).
	failures     int
	failingSince time.Time
	lastErr      error
	// misrouting tracks key mismatches and sources seen on two partitions.
	misrouting misrouting
}

func newRunner(cfg Config) (*runner, error) {
	t := topics{Input: cfg.InputTopic, Output: cfg.OutputTopic, DLQ: cfg.DLQTopic, Changelog: cfg.ChangelogTopic()}
	stages, err := cfg.effectiveRules().Stages()
	if err != nil {
		return nil, fmt.Errorf("--rules: %w", err)
	}
	var pipes [2]*pipeline
	for i := range pipes {
		if pipes[i], err = newConfiguredPipeline(cfg, t, stages); err != nil {
			return nil, err
		}
	}
	r, err := newLoop(cfg, pipes[0], pipes[1])
	if err != nil {
		return nil, err
	}
	r.pipe = pipes[0]
	r.m.rulesInfo.WithLabelValues(stages.Version).Set(1)
	cfg.Logger.Info("classification rules", "rules_version", stages.Version, "default", stages.Rules.IsDefault())
	for _, pipe := range pipes {
		for i := range pipe.decoders {
			pipe.decoders[i].refused = r.refusedLookup
		}
	}
	return r, nil
}

// newConfiguredPipeline returns a pipeline with cfg's stage settings,
// classification stages, group and ordering.
func newConfiguredPipeline(cfg Config, t topics, stages rules.Stages) (*pipeline, error) {
	pipe, err := newPipeline(t, cfg.Intake, cfg.Enrich, cfg.RedactMetadata, cfg.Clock)
	if err != nil {
		return nil, err
	}
	pipe.useRules(stages)
	pipe.setGroup(cfg.Group)
	pipe.global = cfg.Ordering == OrderingGlobal
	return pipe, nil
}

// newLoop returns a runner whose windows are transformed by first and
// second in turn (see runner.slots).
func newLoop(cfg Config, first, second windowWork) (*runner, error) {
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	r := &runner{
		cfg:     cfg,
		log:     cfg.Logger.With("group", cfg.Group, "instance", cfg.InstanceID),
		m:       m,
		refused: make(map[inputPosition]refusedInput),
		states:  make(map[int32]*partitionState),
		warm:    make(map[int32]*warmPartition),
		assign:  assignments{owned: make(map[int32]bool)},
		// window ids: <group>-<instance>-<start time, base 36>-<counter>,
		// unique across instances (instance id) and restarts (start time).
		windowBase: cfg.Group + "-" + cfg.InstanceID + "-" + strconv.FormatInt(cfg.Clock().UnixMilli(), 36) + "-",
		misrouting: newMisrouting(cfg.Clock),
	}
	for i, work := range []windowWork{first, second} {
		r.slots[i].work = work
		r.slots[i].pipe, _ = work.(*pipeline)
	}
	return r, nil
}

// stateful reports whether windows carry partition state, restored from
// the changelog before a partition's first window.
func (r *runner) stateful() bool { return r.pipe != nil }

func (r *runner) plan() kafkaio.TopicPlan {
	return kafkaio.TopicPlan{
		Input: r.cfg.InputTopic, Output: r.cfg.OutputTopic, DLQ: r.cfg.DLQTopic, Changelog: r.cfg.ChangelogTopic(),
		CreateMissing: r.cfg.CreateTopics, MaxEventBytes: r.cfg.Intake.MaxEventBytes,
		ReplicationFactor: r.cfg.ReplicationFactor, MinInSyncReplicas: r.cfg.MinInSyncReplicas,
		SingleOutputPartition: r.global(),
	}
}

func (r *runner) ensureTopics(ctx context.Context) error {
	cl, err := kafkaio.NewClient(r.cfg.Client)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	lay, err := kafkaio.EnsureTopics(ctx, cl, r.plan())
	if err != nil {
		return fmt.Errorf("topics: %w", err)
	}
	r.limits = lay.Limits
	r.inputPartitions = lay.Partitions
	for i := range r.slots {
		if p := r.slots[i].pipe; p != nil {
			p.dlqLimit = lay.Limits.DLQ
		}
	}
	for _, w := range lay.Warnings {
		r.log.Warn(w)
	}
	r.log.Info("topics ready", "input", r.cfg.InputTopic, "partitions", lay.Partitions, "output", r.cfg.OutputTopic, "dlq", r.cfg.DLQTopic, "changelog", r.cfg.ChangelogTopic(),
		"input_max_message_bytes", lay.Limits.Input, "output_max_message_bytes", lay.Limits.Output, "dlq_max_message_bytes", lay.Limits.DLQ, "broker_message_max_bytes", lay.Limits.Broker)
	outputs := lay.Partitions
	if r.global() {
		outputs = 1 // only partition 0 is written
	}
	return r.checkSharedOutput(ctx, outputs)
}

// checkSharedOutput refuses to start when the last committed records of
// the output topic were published by another group: two groups on the
// same output publish every event twice.
func (r *runner) checkSharedOutput(ctx context.Context, partitions int32) error {
	others, err := kafkaio.RecentGroups(ctx, r.cfg.Client, r.cfg.OutputTopic, partitions, event.HeaderGroup, sharedOutputLookback)
	if err != nil {
		r.log.Warn("could not read the output's last records to check which group publishes there", "err", err)
		return nil
	}
	delete(others, r.cfg.Group)
	for g, p := range others {
		if r.cfg.AllowSharedOutput {
			r.log.Warn("another group publishes to the output topic; allowed by --allow-shared-output: its events and ours are both published", "other_group", g, "partition", p)
			continue
		}
		return fmt.Errorf("%w: output topic %q partition %d was last written by group %q, not %q: two groups on one output publish every event twice; stop the other group, use another --output-topic, or (dangerous) pass --allow-shared-output", kafkaio.ErrTopicLayout, r.cfg.OutputTopic, p, g, r.cfg.Group)
	}
	return nil
}

// sharedOutputLookback is how many offsets before each output
// partition's end are read for the group check (markers included).
const sharedOutputLookback = 16

func (r *runner) newSession() error {
	s, err := kafkaio.NewSession(kafkaio.SessionConfig{
		Client:                   r.cfg.Client,
		Group:                    r.cfg.Group,
		TransactionalID:          r.cfg.TransactionalID(),
		InputTopic:               r.cfg.InputTopic,
		InstanceID:               r.cfg.InstanceID,
		SingleOwner:              r.global(),
		SessionTimeout:           r.cfg.SessionTimeout,
		TransactionTimeout:       r.cfg.TransactionTimeout,
		FetchMaxWait:             250 * time.Millisecond,
		FetchMaxBytes:            r.cfg.FetchMaxBytes,
		MaxBufferedRecords:       4*r.cfg.WindowMaxEvents + 1024,
		BatchMaxBytes:            r.limits.BatchMaxBytes(r.plan()),
		BrokerMaxWriteBytes:      int32(min(max(100<<20, r.limits.Largest()+1<<20), 1<<30)),
		OnAssigned:               r.assign.assigned,
		OnRevoked:                r.assign.revoke,
		OnConcurrentTransactions: func(n int) { r.m.concurrentTxn.Add(float64(n)) },
		Logger:                   r.log,
		Hooks:                    r.cfg.Hooks,
	})
	if err != nil {
		return err
	}
	r.sess = s
	return nil
}

// closeSession closes the session and forgets all partition state:
// whoever owns a partition next restores it from the changelog. With
// leave (shutdown), the member leaves the group so its partitions move at
// once; without (a failure to retry, a crash), the static member keeps its
// place for the session that replaces it. ctx bounds the leave.
func (r *runner) closeSession(ctx context.Context, leave bool) {
	if r.sess != nil {
		if err := r.sess.Close(ctx, leave); err != nil {
			r.log.Warn("could not leave the group; its partitions move after --session-timeout", "err", err, "session_timeout", r.cfg.SessionTimeout)
		}
		r.sess = nil
	}
	r.inflight = nil // its transaction was aborted, or is by the next session
	clear(r.states)
	r.assign.reset()
	r.m.partitions.Set(0)
	r.setRole(0)
	r.setReady(false, "no group session")
}

func (r *runner) loop(ctx context.Context) error {
	// hard bounds the shutdown: it ends ShutdownTimeout after ctx does.
	hard, stopHard := shutdownContext(ctx, r.cfg.ShutdownTimeout)
	defer stopHard()
	leave := true // on return: a clean stop leaves the group; a crash does not
	defer func() { r.closeSession(hard, leave) }()
	defer func() {
		if r.tail != nil {
			r.tail.Close()
		}
	}()

	for {
		if r.sess == nil {
			if err := r.newSession(); err != nil {
				return err
			}
			r.setReady(false, fmt.Sprintf("joining group %s (a rebalance waits up to the session timeout, %s here, for a member that stopped without leaving)", r.cfg.Group, r.cfg.SessionTimeout))
		}
		stop, err := r.window(ctx, hard)
		if errors.Is(err, errRefusedRetry) {
			// Progress, not a failure: the next attempt dead-letters what
			// the broker refused. The aborted transaction's session is
			// replaced so that the window is read again from the
			// committed offsets.
			r.m.transactions.WithLabelValues(outcomeAborted).Inc()
			r.closeSession(hard, false)
			continue
		}
		if err == nil {
			if stop {
				r.log.Info("shut down cleanly: open window handled, leaving the group")
				return nil
			}
			continue
		}
		r.m.transactions.WithLabelValues(outcomeFailed).Inc()
		switch {
		case errors.Is(err, errCrashed):
			leave = false
			return err
		case kafkaio.IsInconsistentProtocol(err):
			return fmt.Errorf("group %s runs with the other --ordering: the coordinator refused this member's group protocol (%s); use the same --ordering on every member of a group, or another --group: %w", r.cfg.Group, r.cfg.Ordering, err)
		case kafkaio.IsDuplicateInstance(err):
			return fmt.Errorf("another running member joined group %s with the same --instance-id %q: the group keeps the newest member with an id, so this one stops (give every running member its own id): %w", r.cfg.Group, r.cfg.InstanceID, err)
		case kafkaio.IsFatal(err):
			return fmt.Errorf("fatal Kafka error, not retrying: %w (check credentials and ACLs)", err)
		case hard.Err() != nil:
			return fmt.Errorf("shutdown timed out after %s with the window uncommitted (it will be reprocessed): %w", r.cfg.ShutdownTimeout, err)
		case ctx.Err() != nil:
			r.log.Warn("window failed during shutdown; it was not committed and will be reprocessed by the next owner", "err", err)
			return nil
		}
		if r.failures == 0 {
			r.failingSince = r.cfg.Clock()
		}
		r.failures++
		r.lastErr = err
		failures := r.failures
		if failures > r.cfg.MaxRetries {
			return fmt.Errorf("giving up after %d consecutive failed windows (--max-retries %d): %w; nothing was skipped: a restart resumes after the last committed window", failures, r.cfg.MaxRetries, err)
		}
		r.m.retries.Inc()
		wait := backoff(r.cfg.RetryBackoff, r.cfg.RetryBackoffMax, failures)
		r.log.Warn("window failed; restarting the session and reprocessing from the last committed offsets",
			"err", err, "attempt", failures, "max_retries", r.cfg.MaxRetries, "backoff", wait)
		r.closeSession(hard, false)
		r.setReady(false, "retrying")
		if !pause(ctx, wait) {
			return nil
		}
	}
}

// errCrashed ends Run when a test simulates a crash.
var errCrashed = errors.New("simulated crash")

// betweenWindows applies assignment changes: revoked partitions' state is
// dropped (the next owner restores it), and owned partitions whose
// committed offset is known are restored ahead of their first records.
func (r *runner) betweenWindows(ctx context.Context) error {
	revoked, owned, changes := r.assign.take()
	for _, p := range revoked {
		delete(r.states, p)
		r.m.lag.DeleteLabelValues(strconv.Itoa(int(p)))
	}
	r.misrouting.forget(revoked)
	if changes > 0 {
		r.m.rebalances.Add(float64(changes))
		r.m.partitions.Set(float64(len(owned)))
		r.setRole(len(owned))
		r.placedAt = time.Time{} // describe the group again: the placement follows the owners
		r.log.Info("assignment changed", "owned", owned, "revoked", revoked)
	}
	var missing []int32
	for _, p := range owned {
		if _, ok := r.states[p]; !ok && r.stateful() {
			missing = append(missing, p)
		}
	}
	r.tailStandby(ctx, owned)
	pending := 0
	if len(missing) > 0 {
		// Not ready from the moment partitions without state are owned,
		// not only once their restore starts.
		r.setReady(false, fmt.Sprintf("partitions %v assigned; restoring their state", missing))
		restored, err := r.restoreAll(ctx, missing, false)
		if err != nil {
			return err
		}
		pending = len(missing) - restored
	}
	switch {
	case len(owned) == 0 && r.global() && r.assign.inGroup():
		// A standby: ready to take over, which it does when the group
		// gives it the partitions.
		r.setReady(true, "")
	case len(owned) == 0 && r.global():
		r.setReady(false, fmt.Sprintf("joining group %s as a standby", r.cfg.Group))
	case len(owned) == 0:
		r.setReady(false, fmt.Sprintf("no partitions assigned yet: group %s is rebalancing, or every partition is owned by other members; a member that stopped without leaving keeps its partitions until its session timeout (%s here) passes", r.cfg.Group, r.cfg.SessionTimeout))
	case pending > 0:
		r.setReady(false, fmt.Sprintf("partitions %v (%d of %d owned) waiting for stable committed offsets (a previous owner's transaction is open) before restoring state", missing, pending, len(owned)))
	default:
		r.setReady(true, "")
	}
	return nil
}

// setReady reports readiness. While windows keep failing the member is
// not ready, whatever else holds: the reason says since when and why.
func (r *runner) setReady(ok bool, reason string) {
	if r.cfg.Health == nil {
		return
	}
	if r.failures > 0 {
		failing := fmt.Sprintf("%d consecutive windows failed over %s, last error: %v", r.failures, r.cfg.Clock().Sub(r.failingSince).Round(time.Millisecond), r.lastErr)
		if ok || reason == "" {
			reason = failing
		} else {
			reason += "; " + failing
		}
		ok = false
	}
	r.cfg.Health.set(ok, reason)
}
