package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SessionConfig configures one transactional group member.
type SessionConfig struct {
	Client ClientConfig
	// Group is the consumer group id.
	Group string
	// TransactionalID is stable per instance (<group>-<instance-id>) so
	// that a restarted instance fences its predecessor and aborts the
	// transaction it left open.
	TransactionalID string
	InputTopic      string
	// InstanceID makes the member static (KIP-345): a restart with the
	// same id takes the member's place without a rebalance, and a second
	// running member with the same id is refused (FENCED_INSTANCE_ID).
	// Empty means a dynamic member.
	InstanceID string
	// SingleOwner makes one member own every input partition (global
	// ordering, SingleOwnerBalancer); the others stand by with none.
	SingleOwner bool
	// SessionTimeout is how long the group waits for a silent member
	// before reassigning its partitions (franz-go default 45s).
	SessionTimeout time.Duration
	// TransactionTimeout bounds how long a member that never returns can
	// keep read_committed consumers waiting.
	TransactionTimeout time.Duration
	// FetchMaxWait is kept short: a long fetch stalls rebalances.
	FetchMaxWait time.Duration
	// FetchMaxBytes bounds the bytes one fetch may buffer (backpressure);
	// each partition may fill an eighth of it. The records of a buffered
	// fetch live decompressed in memory until they are processed, so this
	// (compressed) size, times the input's compression ratio, is what the
	// client holds beyond the windows in flight.
	FetchMaxBytes int32
	// MaxBufferedRecords bounds records produced but not yet acknowledged.
	MaxBufferedRecords int
	// ProducerBatchMaxBytes must exceed the largest output record.
	ProducerBatchMaxBytes int32
	// BatchMaxBytes, when set, is the per-topic record-batch limit (each
	// topic's max.message.bytes, see TopicLimits.BatchMaxBytes); it takes
	// precedence over ProducerBatchMaxBytes.
	BatchMaxBytes func(topic string) int32
	// BrokerMaxWriteBytes bounds one produce request; it must exceed the
	// largest batch limit.
	BrokerMaxWriteBytes int32
	// OnAssigned and OnRevoked are called from franz-go's group goroutine
	// with the input partitions gained or lost (lost partitions are
	// reported as revoked). They must not block and must not call End.
	// OnAssigned is called after every completed join, with no partitions
	// when the member gained none: the member is then in the group.
	OnAssigned func(partitions []int32)
	OnRevoked  func(partitions []int32)
	// OnConcurrentTransactions, when set, is called (from the client's
	// connection goroutines; it must not block) with the number of
	// partitions a produce response answered CONCURRENT_TRANSACTIONS: the
	// previous transaction was still completing there, and the client
	// retries those batches.
	OnConcurrentTransactions func(partitions int)
	Logger                   *slog.Logger
	// Hooks are franz-go hooks, such as the kprom metrics plugin.
	Hooks []kgo.Hook
}

// sessionHeartbeat is the group heartbeat interval for a session timeout
// (0: the default of 45 s): 1 s, or a third of a shorter timeout.
func sessionHeartbeat(sessionTimeout time.Duration) time.Duration {
	if sessionTimeout > 0 {
		return min(time.Second, sessionTimeout/3)
	}
	return time.Second
}

// sessionMetadataMinAge is the least time between two metadata refreshes
// of a session's client.
const sessionMetadataMinAge = 250 * time.Millisecond

// Session is the exactly-once consume-transform-produce loop's view of
// Kafka: poll input, produce inside a transaction, commit the consumed
// offsets in that same transaction. It wraps kgo.GroupTransactSession and
// is used by one goroutine at a time.
type Session struct {
	gts      *kgo.GroupTransactSession
	input    string
	group    string
	instance string
	client   ClientConfig

	mu       sync.Mutex
	produced int
	firstErr error
	// sent are the open transaction's records in produce order, origins
	// the input record index of each (OutRecord.Input); failed are the
	// records whose delivery failed.
	sent    []*kgo.Record
	origins []int32
	failed  []failedRecord
	// slab holds the open transaction's records, allocated a chunk at a
	// time rather than one by one; promiseFn is s.promise bound once
	// (a method value made per Produce would be allocated per record).
	slab      recordSlab
	promiseFn func(*kgo.Record, error)

	// revokedSinceEnd is set by the revoke and loss callbacks (franz-go's
	// group goroutine); polledSinceEnd reports records handed out since
	// the last End (loop goroutine only). See settleRevoke.
	revokedSinceEnd atomic.Bool
	polledSinceEnd  bool
	// inTxn is set from Begin to End; polledAhead reports records polled
	// while a transaction was open: they belong to the window after it,
	// which the caller holds once it commits (loop goroutine only).
	inTxn       bool
	polledAhead bool
	// producerReady is set once InitProducer succeeded (loop goroutine).
	producerReady bool

	// highWatermarks are the input partitions' latest high watermarks,
	// as the last fetches reported them (for the lag metric).
	highWatermarks map[int32]int64
}

// ErrClientClosed reports a poll on a closed session.
var ErrClientClosed = kgo.ErrClientClosed

// ErrFenced reports that this client's producer epoch is no longer valid:
// another client with the same transactional id initialised it, or the
// broker aborted a transaction that outlived its timeout. This client can
// never commit again; a new session can.
var ErrFenced = errors.New("producer fenced (a transaction outlived --transaction-timeout, or another process uses the same --instance-id)")

// NewSession joins the group (lazily, on first poll) with a transactional
// producer.
func NewSession(cfg SessionConfig) (*Session, error) {
	if cfg.Group == "" || cfg.TransactionalID == "" || cfg.InputTopic == "" {
		return nil, errors.New("session needs a group, a transactional id and an input topic")
	}
	var wrap func(net.Conn) net.Conn
	if cfg.OnConcurrentTransactions != nil {
		wrap = func(c net.Conn) net.Conn { return watchProduce(c, cfg.OnConcurrentTransactions) }
	}
	opts, err := cfg.Client.options(wrap)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.InputTopic),
		kgo.TransactionalID(cfg.TransactionalID),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// A produce answered CONCURRENT_TRANSACTIONS (the previous
		// transaction's markers are still being written, routine right
		// after a commit on a multi-broker cluster) or NOT_LEADER (a
		// broker failed) is retried after a metadata refresh, which
		// franz-go spaces by this minimum age (default 5 s): windows would
		// take seconds to commit.
		kgo.MetadataMinAge(sessionMetadataMinAge),
	)
	if cfg.SingleOwner {
		opts = append(opts, kgo.Balancers(SingleOwnerBalancer()))
	} else {
		opts = append(opts, kgo.Balancers(kgo.CooperativeStickyBalancer()))
	}
	if cfg.TransactionTimeout > 0 {
		opts = append(opts, kgo.TransactionTimeout(cfg.TransactionTimeout))
	}
	if cfg.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(cfg.InstanceID))
	}
	if cfg.SessionTimeout > 0 {
		opts = append(opts, kgo.SessionTimeout(cfg.SessionTimeout))
	}
	// A member learns of a rebalance (a member left or joined) from its
	// next heartbeat: franz-go's default of 3 s would delay a takeover
	// after a graceful stop by up to that much.
	opts = append(opts, kgo.HeartbeatInterval(sessionHeartbeat(cfg.SessionTimeout)))
	if cfg.FetchMaxWait > 0 {
		opts = append(opts, kgo.FetchMaxWait(cfg.FetchMaxWait))
	}
	if cfg.FetchMaxBytes > 0 {
		// A broker returns at least one batch even when it is larger than
		// the fetch limits: responses may exceed them, so the read limit
		// stays generous.
		opts = append(opts, kgo.FetchMaxBytes(cfg.FetchMaxBytes),
			kgo.FetchMaxPartitionBytes(max(cfg.FetchMaxBytes/8, 64<<10)),
			kgo.BrokerMaxReadBytes(max(2*cfg.FetchMaxBytes, 64<<20)))
	}
	if cfg.MaxBufferedRecords > 0 {
		opts = append(opts, kgo.MaxBufferedRecords(cfg.MaxBufferedRecords))
	}
	if cfg.ProducerBatchMaxBytes > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(cfg.ProducerBatchMaxBytes))
	}
	if cfg.BatchMaxBytes != nil {
		opts = append(opts, kgo.ProducerBatchMaxBytesFn(cfg.BatchMaxBytes))
	}
	if cfg.BrokerMaxWriteBytes > 0 {
		opts = append(opts, kgo.BrokerMaxWriteBytes(cfg.BrokerMaxWriteBytes))
	}
	if cfg.Logger != nil {
		opts = append(opts, kgo.WithLogger(slogAdapter{cfg.Logger}))
	}
	if len(cfg.Hooks) > 0 {
		opts = append(opts, kgo.WithHooks(cfg.Hooks...))
	}
	topic := cfg.InputTopic
	if cfg.OnAssigned != nil {
		opts = append(opts, kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			cfg.OnAssigned(m[topic])
		}))
	}
	s := &Session{
		input: cfg.InputTopic, group: cfg.Group, instance: cfg.InstanceID, client: cfg.Client,
		highWatermarks: make(map[int32]int64),
	}
	revoked := func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
		ps := m[topic]
		if len(ps) == 0 {
			return
		}
		s.revokedSinceEnd.Store(true)
		if cfg.OnRevoked != nil {
			cfg.OnRevoked(ps)
		}
	}
	opts = append(opts, kgo.OnPartitionsRevoked(revoked), kgo.OnPartitionsLost(revoked))
	gts, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka session: %w", err)
	}
	s.gts = gts
	s.promiseFn = s.promise
	return s, nil
}

// InitProducer initialises the session's transactional producer now, if
// it is not yet: called before the group join, it fences an earlier
// process under the same transactional id (a crashed incarnation of this
// member restarted under its instance id) and makes the broker abort that
// process's open transaction at once. Otherwise the producer would start
// only with the first produce, after the restore, and the restore would
// wait for the committed offsets the open transaction holds back until
// its timeout. ctx bounds the request.
func (s *Session) InitProducer(ctx context.Context) error {
	if s.producerReady {
		return nil
	}
	if _, _, err := s.gts.Client().ProducerID(ctx); err != nil {
		if isFenced(err) {
			return fmt.Errorf("%w: %w", ErrFenced, err)
		}
		return fmt.Errorf("initialise the transactional producer: %w", err)
	}
	s.producerReady = true
	return nil
}

// Poll fetches at most max records and hands each to fn, in partition
// order. ctx bounds the wait for records; a ctx that ends is not an error.
// It returns the fetch errors other than ctx's end, joined. Records
// polled while a transaction is open (between Begin and End) are the next
// window's: End commits them only when given no offsets.
func (s *Session) Poll(ctx context.Context, max int, fn func(InRecord)) error {
	if !s.inTxn && !s.polledSinceEnd && s.revokedSinceEnd.Load() {
		if err := s.settleRevoke(ctx); err != nil {
			return err
		}
	}
	fetches := s.gts.PollRecords(ctx, max)
	if fetches.IsClientClosed() {
		return kgo.ErrClientClosed
	}
	var errs []error
	fetches.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		errs = append(errs, fmt.Errorf("fetch %s[%d]: %w", t, p, err))
	})
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Topic == s.input && p.HighWatermark >= 0 {
			s.highWatermarks[p.Partition] = p.HighWatermark
		}
		if len(p.Records) > 0 {
			s.polledSinceEnd = true
			s.polledAhead = s.polledAhead || s.inTxn
		}
		for _, r := range p.Records {
			fn(fromKgo(r))
		}
	})
	return errors.Join(errs...)
}

// HighWatermarks returns the input partitions' high watermarks as last
// fetched. The map is owned by the session; read it, do not keep it.
func (s *Session) HighWatermarks() map[int32]int64 {
	return s.highWatermarks
}

type failedRecord struct {
	rec *kgo.Record
	err error
}

// Begin starts a transaction.
func (s *Session) Begin() error {
	s.mu.Lock()
	// The previous transaction's records can be reused only once the
	// client is done with every one of them: each has had its promise.
	s.slab.reset(s.produced == len(s.sent))
	s.produced, s.firstErr = 0, nil
	clear(s.sent)
	s.sent, s.origins, s.failed = s.sent[:0], s.origins[:0], s.failed[:0]
	s.mu.Unlock()
	if err := s.gts.Begin(); err != nil {
		return err
	}
	s.inTxn = true
	return nil
}

// Produce buffers a record in the open transaction. Delivery errors are
// collected and make End abort.
func (s *Session) Produce(ctx context.Context, o OutRecord) {
	s.mu.Lock()
	r := s.slab.next()
	setKgo(r, o)
	s.sent = append(s.sent, r)
	s.origins = append(s.origins, o.Input)
	s.mu.Unlock()
	s.gts.Produce(ctx, r, s.promiseFn)
}

func (s *Session) promise(r *kgo.Record, err error) {
	s.mu.Lock()
	if err != nil {
		if s.firstErr == nil {
			s.firstErr = err
		}
		s.failed = append(s.failed, failedRecord{rec: r, err: err})
	}
	s.produced++
	s.mu.Unlock()
}

// refusals returns the failed records the broker (or the client, for its
// size) refused for their size or content, with their origins; nil when
// any failure is of another kind (a retry may cure it).
func (s *Session) refusals() []Refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failed) == 0 {
		return nil
	}
	index := make(map[*kgo.Record]int32, len(s.sent))
	for i, r := range s.sent {
		index[r] = s.origins[i]
	}
	out := make([]Refusal, 0, len(s.failed))
	for _, f := range s.failed {
		if !IsRefusal(f.err) {
			// A record failed because another one did (the transaction
			// is failed) or for a passing reason: only the refused ones
			// say something about their content.
			if errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded) {
				return nil
			}
			continue
		}
		origin, ok := index[f.rec]
		if !ok {
			origin = -1
		}
		out = append(out, Refusal{Topic: f.rec.Topic, Partition: f.rec.Partition, Input: origin, Size: recordSize(f.rec), Err: f.err})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func recordSize(r *kgo.Record) int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// Refusal is a record of the aborted transaction that was refused.
type Refusal struct {
	Topic     string
	Partition int32
	// Input is the OutRecord.Input of the refused record: the index of
	// the input record it came from in the window, or -1.
	Input int32
	// Size is the record's key, value and header bytes.
	Size int
	Err  error
}

// RefusedError reports a transaction aborted because records were refused
// for their size or content: retrying the same records cannot succeed.
type RefusedError struct{ Refusals []Refusal }

func (e *RefusedError) Error() string {
	r := e.Refusals[0]
	return fmt.Sprintf("%d record(s) refused, first to %s[%d] (%d bytes): %v", len(e.Refusals), r.Topic, r.Partition, r.Size, r.Err)
}

func (e *RefusedError) Unwrap() error { return e.Refusals[0].Err }

// IsRefusal reports an error that refuses a record for its size or
// content: MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD,
// POLICY_VIOLATION.
func IsRefusal(err error) bool {
	return IsSizeRefusal(err) || errors.Is(err, kerr.InvalidRecord) || errors.Is(err, kerr.PolicyViolation)
}

// IsSizeRefusal reports a refusal for size: MESSAGE_TOO_LARGE or
// RECORD_LIST_TOO_LARGE.
func IsSizeRefusal(err error) bool {
	return errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge)
}

// End flushes the transaction's records and commits it together with the
// consumed offsets, or aborts it. The offsets are through's, when it is
// not nil: records polled after through's (for the next window, while
// this transaction was open) stay uncommitted. With through nil they are
// those of every record polled since the last End. ctx bounds the flush
// and the commit and is only cancelled on shutdown. committed=false with
// a nil error means the transaction was aborted because the group
// rebalanced (or commit was false): the consumer has been rewound to the
// last committed offsets, records polled ahead are read again, and
// processing can simply continue. End must not run concurrently with
// Poll, Begin or Produce.
func (s *Session) End(ctx context.Context, commit bool, through map[int32]NextOffset) (committed bool, err error) {
	// Cleared before franz-go clears its own mark: a revoke from here on
	// is seen by the next window (as a mark franz-go may have cleared
	// already, which costs one needless settleRevoke).
	s.revokedSinceEnd.Store(false)
	ahead := s.polledAhead
	s.polledSinceEnd, s.polledAhead, s.inTxn = false, false, false
	defer func() {
		// The records polled ahead are the caller's next window once
		// this one committed; after an abort they are read again.
		s.polledSinceEnd = ahead && committed
	}()
	if commit && through != nil {
		ctx = kgo.PreTxnCommitFnContext(ctx, func(req *kmsg.TxnOffsetCommitRequest) error {
			return restrictCommit(req, s.input, through)
		})
	}
	try := kgo.TransactionEndTry(commit)
	if commit {
		// Flush first so a delivery error turns the commit into an abort
		// (End itself would flush, but would not look at our promises).
		if ferr := s.gts.Client().Flush(ctx); ferr != nil {
			return false, fmt.Errorf("flush: %w", ferr)
		}
		s.mu.Lock()
		perr := s.firstErr
		s.mu.Unlock()
		if perr != nil {
			// franz-go marks the transaction failed: it can only abort.
			if refused := s.refusals(); refused != nil {
				perr = &RefusedError{Refusals: refused}
			}
			if _, aerr := s.gts.End(ctx, kgo.TryAbort); aerr != nil {
				return false, errors.Join(fmt.Errorf("produce: %w", perr), fmt.Errorf("abort: %w", aerr))
			}
			return false, fmt.Errorf("produce: %w", perr)
		}
	}
	committed, err = s.gts.End(ctx, try)
	if err != nil {
		if isFenced(err) {
			return false, fmt.Errorf("%w: %w", ErrFenced, err)
		}
		return false, err
	}
	return committed, nil
}

// settleRevoke forgets a revoke that happened while this session held no
// polled record. franz-go marks a revoke (or a loss) as failing the
// session's next commit, and clears the mark only when a transaction
// ends: a window that began after the rebalance, reading only partitions
// still owned, would be aborted and its records read again. The mark
// protects records polled from a partition before it was revoked; with
// none polled since the last End there are none, and the partitions given
// up are no longer fetched (franz-go drops their buffered fetches before
// the revoke callback). Ending the session's empty transaction clears the
// mark; it also rewinds the consumer to the committed offsets, which is
// where it stands already.
func (s *Session) settleRevoke(ctx context.Context) error {
	s.revokedSinceEnd.Store(false)
	if _, err := s.gts.End(ctx, kgo.TryAbort); err != nil {
		if ctx.Err() != nil {
			return nil // the poll's wait ended; nothing was polled, nothing to undo
		}
		return fmt.Errorf("settle revoked partitions: %w", err)
	}
	return nil
}

// Close closes the client. With leave, the member also leaves the group so
// that its partitions move at once: a static member's client does not leave
// by itself (so that a restart can take its place), so Close asks the
// coordinator to remove the instance. Without leave — after a failure, or
// a simulated crash — a static member keeps its place for a restart under
// the same instance id. ctx bounds the leave request.
func (s *Session) Close(ctx context.Context, leave bool) error {
	s.gts.Close()
	if !leave || s.instance == "" {
		return nil
	}
	cl, err := NewClient(s.client)
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).LeaveGroup(ctx, kadm.LeaveGroup(s.group).InstanceIDs(s.instance).Reason("eventproc shutting down"))
	if err == nil {
		err = resp.Error()
	}
	if err != nil && !errors.Is(err, kerr.UnknownMemberID) {
		return fmt.Errorf("leave group %s as %s: %w", s.group, s.instance, err)
	}
	return nil
}

// isFenced reports that this client's producer can never commit again. It
// is fatal for the client, not for the process: Kafka bumps the epoch both
// when another client initialises the same transactional id and when it
// aborts a transaction that outlived its timeout (a member stalled, e.g.
// behind a rebalance waiting for a dead member), so the processor replaces
// the session, as Kafka Streams does. A duplicate instance id is caught by
// static membership instead (FENCED_INSTANCE_ID, fatal).
func isFenced(err error) bool {
	return errors.Is(err, ErrFenced) || errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}

// IsDuplicateInstance reports that the group fenced this member because
// another running member joined with the same instance id.
func IsDuplicateInstance(err error) bool { return errors.Is(err, kerr.FencedInstanceID) }

// IsInconsistentProtocol reports that the group's members use another
// group protocol: members of one group run with different --ordering.
func IsInconsistentProtocol(err error) bool { return errors.Is(err, kerr.InconsistentGroupProtocol) }

// IsFatal reports errors that no retry can fix: authentication,
// authorization, and a second live member with the same instance id. The
// operator must act.
func IsFatal(err error) bool {
	return errors.Is(err, kerr.FencedInstanceID) || errors.Is(err, kerr.InconsistentGroupProtocol) || errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed) ||
		errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.GroupAuthorizationFailed) ||
		errors.Is(err, kerr.ClusterAuthorizationFailed)
}

// slogAdapter routes franz-go's logs to slog, one level down: franz-go's
// info lines are about connections and rebalances, debug for eventproc.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case a.l.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelInfo
	case a.l.Enabled(ctx, slog.LevelInfo):
		return kgo.LogLevelWarn
	default:
		return kgo.LogLevelError
	}
}

func (a slogAdapter) Log(level kgo.LogLevel, msg string, kv ...any) {
	line := translateKgoLog(level, msg, kv)
	a.l.Log(context.Background(), line.level, line.msg, line.attrs...)
}

// ErrOffsetsUnstable reports that a transaction holding offset commits for
// the group is still open; ask again shortly.
var ErrOffsetsUnstable = errors.New("group offsets unstable: a transaction is still open")

// StableCommittedOffsets asks the group coordinator for the committed
// offsets of the given input partitions, refusing unstable answers (a
// transaction still open). A partition without a commit maps to -1. ctx
// bounds the request.
func (s *Session) StableCommittedOffsets(ctx context.Context, group string, partitions []int32) (map[int32]int64, error) {
	resp, err := kadm.NewClient(s.gts.Client()).FetchOffsets(kadm.RequireStable(ctx), group)
	if err != nil {
		if errors.Is(err, kerr.UnstableOffsetCommit) {
			return nil, ErrOffsetsUnstable
		}
		return nil, fmt.Errorf("fetch committed offsets: %w", err)
	}
	out := make(map[int32]int64, len(partitions))
	for _, p := range partitions {
		out[p] = -1
		if o, ok := resp.Lookup(s.input, p); ok {
			if o.Err != nil {
				if errors.Is(o.Err, kerr.UnstableOffsetCommit) {
					return nil, ErrOffsetsUnstable
				}
				return nil, fmt.Errorf("fetch committed offset of partition %d: %w", p, o.Err)
			}
			out[p] = o.At
		}
	}
	return out, nil
}
