// Package groupstatus describes a running eventproc group for operators:
// its members and the partitions they own, committed offsets, lag and how
// old the oldest unprocessed record is, open transactions, the size of the
// state changelog and the last window each member committed; and whether
// the group is stuck.
//
// Stuck has a single-sample definition: some input partition has records
// after its committed offset, and the first of them was appended more than
// StuckAfter ago. A commit past that record would have removed it from the
// lag, so no window covering it has been committed for at least that long
// while input kept waiting.
package groupstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultStuckAfter is how old the oldest unprocessed record may be before
// the group counts as stuck: well above a window's wait and a rebalance.
const DefaultStuckAfter = 2 * time.Minute

// Config names what to describe.
type Config struct {
	Group       string
	InputTopic  string
	OutputTopic string
	// StuckAfter is the age of the oldest unprocessed record beyond which
	// the group is stuck (DefaultStuckAfter if zero).
	StuckAfter time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// ReadTimeout bounds each read of records (lag age, last windows).
	ReadTimeout time.Duration
}

// Report is the group's status.
type Report struct {
	Group        string        `json:"group"`
	State        string        `json:"state"`
	Coordinator  string        `json:"coordinator,omitempty"`
	Members      []Member      `json:"members"`
	Partitions   []Partition   `json:"partitions"`
	Transactions []Transaction `json:"open_transactions"`
	// TransactionsNote says why transactions could not be listed.
	TransactionsNote string    `json:"transactions_note,omitempty"`
	Changelog        Changelog `json:"state_changelog"`
	TotalLag         int64     `json:"total_lag"`
	Stuck            bool      `json:"stuck"`
	StuckReason      string    `json:"stuck_reason,omitempty"`
	StuckAfter       string    `json:"stuck_after"`
	At               time.Time `json:"at"`
}

// Member is one group member.
type Member struct {
	MemberID   string  `json:"member_id"`
	InstanceID string  `json:"instance_id,omitempty"`
	ClientID   string  `json:"client_id"`
	Host       string  `json:"host"`
	Partitions []int32 `json:"partitions"`
	// LastWindow is the newest window id among the committed output
	// records that name this member's transactional id.
	LastWindow string `json:"last_committed_window,omitempty"`
}

// Partition is one input partition.
type Partition struct {
	Partition int32  `json:"partition"`
	Owner     string `json:"owner,omitempty"` // instance id, else member id
	Committed int64  `json:"committed"`       // -1: nothing committed
	End       int64  `json:"end"`
	Lag       int64  `json:"lag"`
	// LagAgeMs is how long ago the first record after the committed offset
	// was appended; 0 when there is none.
	LagAgeMs int64 `json:"lag_age_ms"`
	// LastWindow is the window id of the last committed output record of
	// the same-numbered output partition.
	LastWindow string `json:"last_committed_window,omitempty"`
}

// Transaction is an open transaction of one of the group's transactional ids.
type Transaction struct {
	TransactionalID string `json:"transactional_id"`
	State           string `json:"state"`
	AgeMs           int64  `json:"age_ms"`
	Partitions      int    `json:"partitions"`
}

// Changelog is the state changelog's size in offsets (records and
// transaction markers) between log start and end.
type Changelog struct {
	Topic   string `json:"topic"`
	Offsets int64  `json:"offsets"`
	Missing bool   `json:"missing,omitempty"`
}

// ErrNoGroup: the group has neither members nor committed offsets.
var ErrNoGroup = errors.New("no such group")

// Describe builds the report. cl is a plain client (no group); opts are
// its options, used for short-lived read_committed readers.
func Describe(ctx context.Context, cl *kgo.Client, opts []kgo.Opt, cfg Config) (Report, error) {
	if cfg.StuckAfter <= 0 {
		cfg.StuckAfter = DefaultStuckAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 3 * time.Second
	}
	now := cfg.Now()
	adm := kadm.NewClient(cl)
	rep := Report{Group: cfg.Group, StuckAfter: cfg.StuckAfter.String(), At: now.UTC(),
		Changelog: Changelog{Topic: cfg.Group + "-state"}, Members: []Member{}, Partitions: []Partition{}, Transactions: []Transaction{}}

	lags, err := adm.Lag(ctx, cfg.Group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		err = ErrNoGroup
	}
	if err != nil {
		return rep, fmt.Errorf("describe group %s: %w", cfg.Group, err)
	}
	lag, ok := lags[cfg.Group]
	if !ok {
		return rep, fmt.Errorf("describe group %s: %w", cfg.Group, ErrNoGroup)
	}
	if err := lag.Error(); errors.Is(err, kerr.GroupIDNotFound) {
		return rep, fmt.Errorf("group %s: %w (check --group; it exists once a member has joined)", cfg.Group, ErrNoGroup)
	} else if err != nil {
		return rep, fmt.Errorf("describe group %s: %w", cfg.Group, err)
	}
	rep.State, rep.Coordinator = lag.State, fmt.Sprintf("%s:%d", lag.Coordinator.Host, lag.Coordinator.Port)
	if lag.State == "Dead" || (len(lag.Members) == 0 && len(lag.Lag) == 0) {
		return rep, fmt.Errorf("group %s: %w (check --group; it exists once a member has joined)", cfg.Group, ErrNoGroup)
	}
	owner := map[int32]string{}
	for _, m := range lag.Members {
		mm := Member{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Partitions: []int32{}}
		if m.InstanceID != nil {
			mm.InstanceID = *m.InstanceID
		}
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				if t.Topic == cfg.InputTopic {
					mm.Partitions = append(mm.Partitions, t.Partitions...)
				}
			}
		}
		sort.Slice(mm.Partitions, func(i, j int) bool { return mm.Partitions[i] < mm.Partitions[j] })
		for _, p := range mm.Partitions {
			owner[p] = mm.name()
		}
		rep.Members = append(rep.Members, mm)
	}

	committed, ends := map[int32]int64{}, map[int32]int64{}
	for p, l := range lag.Lag[cfg.InputTopic] {
		pp := Partition{Partition: p, Owner: owner[p], Committed: l.Commit.At, End: l.End.Offset, Lag: l.Lag}
		if l.Commit.At < 0 {
			pp.Committed = -1
			pp.Lag = l.End.Offset - l.Start.Offset
		}
		rep.Partitions = append(rep.Partitions, pp)
		if pp.Lag > 0 {
			from := pp.Committed
			if from < 0 {
				from = l.Start.Offset
			}
			committed[p], ends[p] = from, pp.End
		}
	}
	sort.Slice(rep.Partitions, func(i, j int) bool { return rep.Partitions[i].Partition < rep.Partitions[j].Partition })

	// Lag age: the append time of the first committed record after the
	// committed offset. A lag made only of transaction markers has none.
	first, err := scan(ctx, opts, cfg.InputTopic, committed, ends, cfg.ReadTimeout, true)
	if err != nil {
		return rep, err
	}
	var stuck []string
	for i := range rep.Partitions {
		p := &rep.Partitions[i]
		r, ok := first[p.Partition]
		if !ok {
			continue
		}
		age := now.Sub(r.ts)
		if age < 0 {
			age = 0
		}
		p.LagAgeMs = age.Milliseconds()
		rep.TotalLag += p.Lag
		if age > cfg.StuckAfter {
			stuck = append(stuck, fmt.Sprintf("partition %d: %d records waiting, the oldest appended %s ago", p.Partition, p.Lag, age.Round(time.Second)))
		}
	}
	if len(stuck) > 0 {
		rep.Stuck = true
		rep.StuckReason = fmt.Sprintf("no commit past records older than --stuck-after %s: %s", cfg.StuckAfter, strings.Join(stuck, "; "))
	}

	if err := lastWindows(ctx, adm, opts, cfg, &rep); err != nil {
		return rep, err
	}
	transactions(ctx, adm, cfg, now, &rep)
	changelog(ctx, adm, &rep)
	return rep, nil
}

func (m Member) name() string {
	if m.InstanceID != "" {
		return m.InstanceID
	}
	return m.MemberID
}

// lastWindows reads the last committed record of each output partition and
// its derived_fields.window_id, and credits each member with the newest
// window that names its transactional id.
func lastWindows(ctx context.Context, adm *kadm.Client, opts []kgo.Opt, cfg Config, rep *Report) error {
	if cfg.OutputTopic == "" {
		return nil
	}
	starts, err := adm.ListStartOffsets(ctx, cfg.OutputTopic)
	if err != nil {
		return fmt.Errorf("list offsets of %s: %w", cfg.OutputTopic, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, cfg.OutputTopic)
	if err != nil {
		return fmt.Errorf("list offsets of %s: %w", cfg.OutputTopic, err)
	}
	from, to := map[int32]int64{}, map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset <= 0 {
			return
		}
		s, _ := starts.Lookup(cfg.OutputTopic, o.Partition)
		// The last few offsets hold the last record and the markers of
		// the transactions that ended there.
		f := max(o.Offset-16, s.Offset)
		if f < o.Offset {
			from[o.Partition], to[o.Partition] = f, o.Offset
		}
	})
	last, err := scan(ctx, opts, cfg.OutputTopic, from, to, cfg.ReadTimeout, false)
	if err != nil {
		return err
	}
	for i := range rep.Partitions {
		p := &rep.Partitions[i]
		if r, ok := last[p.Partition]; ok {
			p.LastWindow = r.window
		}
	}
	// Window ids start with the member's transactional id,
	// <group>-<instance id>-, then a per-session token and a zero padded
	// sequence number.
	for i := range rep.Members {
		m := &rep.Members[i]
		if m.InstanceID == "" {
			continue
		}
		prefix := cfg.Group + "-" + m.InstanceID + "-"
		for _, r := range last {
			if rest, ok := strings.CutPrefix(r.window, prefix); ok && !strings.Contains(rest[:max(0, strings.LastIndexByte(rest, '-'))], "-") && r.window > m.LastWindow {
				m.LastWindow = r.window
			}
		}
	}
	return nil
}

// transactions lists the open transactions of the group's transactional
// ids (<group>-<instance id>). Brokers without ListTransactions (the
// embedded one, Kafka before 3.0) get a note instead.
func transactions(ctx context.Context, adm *kadm.Client, cfg Config, now time.Time, rep *Report) {
	listed, err := adm.ListTransactions(ctx, nil, []string{"Ongoing", "PrepareCommit", "PrepareAbort"})
	if err != nil {
		rep.TransactionsNote = "the brokers do not list transactions: " + err.Error()
		return
	}
	var ids []string
	for _, id := range listed.TransactionalIDs() {
		if strings.HasPrefix(id, cfg.Group+"-") {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	described, err := adm.DescribeTransactions(ctx, ids...)
	if err != nil {
		rep.TransactionsNote = "the brokers do not describe transactions: " + err.Error()
		return
	}
	for _, d := range described.Sorted() {
		if d.Err != nil {
			continue
		}
		n := 0
		for _, ps := range d.Topics {
			n += len(ps)
		}
		age := int64(0)
		if d.StartTimestamp > 0 {
			age = now.Sub(time.UnixMilli(d.StartTimestamp)).Milliseconds()
		}
		rep.Transactions = append(rep.Transactions, Transaction{TransactionalID: d.TxnID, State: d.State, AgeMs: age, Partitions: n})
	}
}

func changelog(ctx context.Context, adm *kadm.Client, rep *Report) {
	starts, err := adm.ListStartOffsets(ctx, rep.Changelog.Topic)
	if err != nil {
		rep.Changelog.Missing = true
		return
	}
	ends, err := adm.ListEndOffsets(ctx, rep.Changelog.Topic)
	if err != nil {
		rep.Changelog.Missing = true
		return
	}
	missing := true
	ends.Each(func(e kadm.ListedOffset) {
		if e.Err != nil {
			return
		}
		missing = false
		s, _ := starts.Lookup(rep.Changelog.Topic, e.Partition)
		rep.Changelog.Offsets += e.Offset - s.Offset
	})
	rep.Changelog.Missing = missing
}

// scanned is what scan keeps of a record.
type scanned struct {
	ts     time.Time
	window string
}

// scan reads topic read_committed from from[p] up to to[p] for each
// partition. With first, it keeps the first data record of each partition
// and stops there; otherwise it keeps the last data record's window id. It
// gives up after timeout (a partition with nothing to read within it is
// simply missing from the result).
func scan(ctx context.Context, opts []kgo.Opt, topic string, from, to map[int32]int64, timeout time.Duration, first bool) (map[int32]scanned, error) {
	out := map[int32]scanned{}
	if len(from) == 0 {
		return out, nil
	}
	offsets := map[int32]kgo.Offset{}
	for p, o := range from {
		offsets[p] = kgo.NewOffset().At(o)
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", topic, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := len(from)
	done := map[int32]bool{}
	for pending > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			p := r.Partition
			if done[p] {
				return
			}
			if !r.Attrs.IsControl() {
				s := scanned{ts: r.Timestamp}
				if !first {
					s.window = windowID(r.Value)
				}
				out[p] = s
				if first {
					done[p], pending = true, pending-1
					return
				}
			}
			if r.Offset+1 >= to[p] {
				done[p], pending = true, pending-1
			}
		})
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return out, err
	}
	return out, nil
}

// windowID is an output record's derived_fields.window_id ("" if none).
func windowID(value []byte) string {
	var v struct {
		Derived struct {
			WindowID string `json:"window_id"`
		} `json:"derived_fields"`
	}
	if json.Unmarshal(value, &v) != nil {
		return ""
	}
	return v.Derived.WindowID
}
