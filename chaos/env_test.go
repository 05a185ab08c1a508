package chaos

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/internal/testbroker"
)

// Settings shared by the scenarios.
const (
	partitions = 6
	// loadRate is the produce rate in records per second: enough that
	// every kill lands in a busy member, low enough that three members
	// and the embedded broker share two cores.
	loadRate = 800
	// transactionTimeout of the members: how long a killed member's open
	// transaction can hold back read_committed readers when no restart
	// fences it.
	transactionTimeout = 5 * time.Second
	// stopTimeout bounds a graceful stop; the members' --shutdown-timeout
	// is shorter.
	stopTimeout = 40 * time.Second
	// drainTimeout bounds the wait for the group to catch up once the load
	// stopped. It must cover the 45 s session timeout after which the
	// group forgets a member killed by SIGKILL (its partitions wait until
	// then) plus a rebalance.
	drainTimeout = 3 * time.Minute
)

// env is one scenario's broker, topics and group, and its processes.
type env struct {
	t       *testing.T
	kind    testbroker.Kind
	brokers string
	input   string
	output  string
	dlq     string
	group   string
	logDir  string
	rng     *rand.Rand
	started time.Time
	// txTimeout is the members' --transaction-timeout.
	txTimeout time.Duration
	// retryFlags are the members' retry settings; nil runs them on the
	// defaults.
	retryFlags []string
	// extraFlags are added to every member's flags, restarts included.
	extraFlags []string
	// metricsFor maps instance ids to a --metrics-addr (default none).
	metricsFor map[string]string
	// ordering, when set, is the members' --ordering and verify's.
	ordering string

	adm      *kadm.Client
	members  map[string]*proc // running members by instance id
	load     *proc
	launches int // members started, restarts included
	kills    int // SIGKILLs
	stops    int // SIGTERMs
	freezes  int // SIGSTOP/SIGCONT cycles
	// unexpected lists members that exited without being told to.
	unexpected []string
}

// newEnv gets a broker (KAFKA_BROKERS, else the embedded one — never a
// container, whose start-up would eat the time budget), creates the input
// topic and names the rest. The members create the output, DLQ and
// changelog topics, as in production.
func newEnv(t *testing.T) *env {
	t.Helper()
	requireChaos(t)
	if os.Getenv(testbroker.EnvBrokers) == "" && os.Getenv(testbroker.EnvForce) == "" {
		t.Setenv(testbroker.EnvForce, string(testbroker.KindEmbedded))
	}
	b := testbroker.Start(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("EVENTPROC_CHAOS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("EVENTPROC_CHAOS_SEED: %v", err)
		}
	}
	e := &env{
		t:          t,
		kind:       b.Kind,
		brokers:    strings.Join(b.Addrs, ","),
		input:      testbroker.UniqueName(t, "in"),
		output:     testbroker.UniqueName(t, "out"),
		dlq:        testbroker.UniqueName(t, "dlq"),
		group:      testbroker.UniqueName(t, "g"),
		logDir:     logDir(t),
		rng:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		members:    map[string]*proc{},
		started:    time.Now(),
		txTimeout:  transactionTimeout,
		retryFlags: []string{"--retry-backoff", "50ms", "--retry-backoff-max", "1s", "--max-retries", "30"},
	}
	b.CreateTopic(t, e.input, partitions, nil)
	t.Logf("chaos: broker %s (%s), input %s, group %s, seed %d (EVENTPROC_CHAOS_SEED reproduces the choices, not the timing)",
		e.kind, e.brokers, e.input, e.group, seed)
	return e
}

// admin returns the env's admin client, made on first use.
func (e *env) admin() *kadm.Client {
	e.t.Helper()
	if e.adm == nil {
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(e.brokers, ",")...))
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(cl.Close)
		e.adm = kadm.NewClient(cl)
	}
	return e.adm
}

// logDir is where the processes' stdout and stderr go: a directory under
// $EVENTPROC_CHAOS_LOGS (kept, for post-mortems) when set, else the test's
// temporary directory.
func logDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("EVENTPROC_CHAOS_LOGS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, t.Name()+"-"+time.Now().Format("150405"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("process logs in %s", dir)
	return dir
}

// startMember starts `eventproc run` as instance id, with extra flags.
func (e *env) startMember(id string, extra ...string) *proc {
	e.t.Helper()
	if _, running := e.members[id]; running {
		e.t.Fatalf("member %s is already running", id)
	}
	args := []string{"run", "--brokers", e.brokers,
		"--input-topic", e.input, "--output-topic", e.output, "--dlq-topic", e.dlq,
		"--group", e.group, "--instance-id", id, "--metrics-addr", e.metricsFor[id],
		"--window-max-events", "500",
		"--transaction-timeout", e.txTimeout.String(),
		"--shutdown-timeout", "20s",
		"--log-format", "json"}
	if e.ordering != "" {
		args = append(args, "--ordering", e.ordering)
	}
	args = append(append(append(args, e.retryFlags...), e.extraFlags...), extra...)
	e.launches++
	p := startProc(e.t, e.logDir, fmt.Sprintf("member-%s-%d", id, e.launches), args...)
	e.members[id] = p
	return p
}

// kill sends SIGKILL to member id and waits for it to die.
func (e *env) kill(id string) {
	e.t.Helper()
	p, ok := e.members[id]
	if !ok {
		e.t.Fatalf("no running member %s", id)
	}
	p.signal(e.t, syscall.SIGKILL)
	x := p.wait(e.t, 10*time.Second)
	delete(e.members, id)
	if x.signal != syscall.SIGKILL {
		e.noteUnexpectedExit(id, p, x)
		return
	}
	e.kills++
}

// supervise restarts, under the same instance id, every member that
// exited without being told to, as systemd's Restart=on-failure or a
// Kubernetes pod would, so that a scenario still ends with an audit; each
// such exit is recorded and fails the test in finish: a member must
// survive the failures of others.
func (e *env) supervise() {
	e.t.Helper()
	for _, id := range sortedIDs(e.members) {
		p := e.members[id]
		if !p.exited() {
			continue
		}
		delete(e.members, id)
		e.noteUnexpectedExit(id, p, p.wait(e.t, 0))
		e.startMember(id)
	}
}

func (e *env) noteUnexpectedExit(id string, p *proc, x exit) {
	e.t.Helper()
	msg := fmt.Sprintf("member %s (%s) exited on its own (%s) %s into the scenario: %s",
		id, p.name, x, time.Since(e.started).Round(time.Second), lastLine(tail(p.stderr, 2)))
	e.t.Log(msg)
	e.unexpected = append(e.unexpected, msg)
}

// stopMember sends SIGTERM to member id and requires exit 0.
func (e *env) stopMember(id string) {
	e.t.Helper()
	e.member(id).stop(e.t, stopTimeout)
	delete(e.members, id)
	e.stops++
}

func (e *env) member(id string) *proc {
	e.t.Helper()
	p, ok := e.members[id]
	if !ok {
		e.t.Fatalf("no running member %s", id)
	}
	if p.exited() {
		e.t.Fatalf("member %s exited on its own: %s", id, tail(p.stderr, 20))
	}
	return p
}

// randomMember picks a running member.
func (e *env) randomMember() string {
	ids := make([]string, 0, len(e.members))
	for id := range e.members {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		e.t.Fatal("no running member")
	}
	// Map order is random but not from e.rng: sort for reproducible picks.
	slices.Sort(ids)
	return ids[e.rng.IntN(len(ids))]
}

// sleepRandom sleeps between lo and hi.
func (e *env) sleepRandom(lo, hi time.Duration) {
	until := time.Now().Add(lo + time.Duration(e.rng.Int64N(int64(hi-lo)+1)))
	for {
		e.supervise()
		left := time.Until(until)
		if left <= 0 {
			return
		}
		time.Sleep(min(left, 200*time.Millisecond))
	}
}

// startLoad starts `eventproc produce` at loadRate until stopLoad.
func (e *env) startLoad() {
	e.t.Helper()
	e.load = startProc(e.t, e.logDir, "produce", "produce", "--brokers", e.brokers, "--topic", e.input,
		"--rate", strconv.Itoa(loadRate), "--sources", "60", "--malformed-ratio", "0.05",
		"--seed", strconv.FormatUint(e.rng.Uint64()|1, 10), "--progress-interval", "10s")
}

var producedLine = regexp.MustCompile(`produced ([0-9,]+) records to `)

// stopLoad stops the producer and returns how many records the brokers
// acknowledged, from its summary.
func (e *env) stopLoad() int64 {
	e.t.Helper()
	e.load.stop(e.t, 30*time.Second)
	out := e.load.output(e.t)
	m := producedLine.FindStringSubmatch(out)
	if m == nil {
		e.t.Fatalf("produce printed no summary:\n%s", out)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	if err != nil || n == 0 {
		e.t.Fatalf("produce summary %q: %v", m[0], err)
	}
	return n
}

// awaitOutput waits until the group committed at least one window: the
// members joined and work.
func (e *env) awaitOutput() {
	e.t.Helper()
	e.awaitLag(func(committed, end int64) bool { return committed > 0 }, 2*time.Minute, "a first committed window")
}

// drain waits until the group's committed offsets reach the input's end:
// every acknowledged record is processed (outputs and offsets commit in
// one transaction).
func (e *env) drain() time.Duration {
	e.t.Helper()
	start := time.Now()
	e.awaitLag(func(committed, end int64) bool { return committed == end }, drainTimeout, "the group to catch up")
	return time.Since(start)
}

// awaitLag polls the group's committed offsets and the input's end offsets
// until done(sum committed, sum end) holds.
func (e *env) awaitLag(done func(committed, end int64) bool, timeout time.Duration, what string) {
	e.t.Helper()
	adm := e.admin()
	deadline := time.Now().Add(timeout)
	start, lastLog := time.Now(), time.Now()
	var committed, end int64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ends, err1 := adm.ListEndOffsets(ctx, e.input)
		offs, err2 := adm.FetchOffsets(ctx, e.group)
		cancel()
		if err1 == nil && err2 == nil && ends.Error() == nil {
			committed, end = 0, 0
			ends.Each(func(o kadm.ListedOffset) {
				end += o.Offset
				if c, ok := offs.Lookup(e.input, o.Partition); ok && c.Err == nil {
					committed += c.At
				}
			})
			if done(committed, end) {
				return
			}
		}
		e.supervise()
		if time.Since(lastLog) >= 15*time.Second {
			lastLog = time.Now()
			e.t.Logf("waiting %s for %s: committed %d of %d input records", time.Since(start).Round(time.Second), what, committed, end)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s after %s: committed %d of %d input records (errors: %v, %v)", what, timeout, committed, end, err1, err2)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// verifyReport is the part of `eventproc verify --json` the suite reads.
type verifyReport struct {
	OK          bool           `json:"ok"`
	Inputs      int64          `json:"inputs"`
	Outputs     int64          `json:"outputs"`
	DeadLetters int64          `json:"dead_letters"`
	Counts      map[string]int `json:"violation_counts"`
}

// finish drains the group, stops every member gracefully, runs the built
// `eventproc verify` and requires it to pass with exactly the produced
// records as input. It logs the scenario's figures.
func (e *env) finish(scenario string, produced int64) {
	e.t.Helper()
	drained := e.drain()
	if mean, windows, ok := publishSeconds(); ok && e.metricsFor != nil {
		e.t.Logf("member a: %d windows published and committed in %.0f ms on average", windows, mean*1000)
	}
	for _, id := range sortedIDs(e.members) {
		e.stopMember(id)
	}
	args := []string{"verify", "--brokers", e.brokers, "--json", "--timeout", "2m",
		"--input-topic", e.input, "--output-topic", e.output, "--dlq-topic", e.dlq}
	if e.ordering != "" {
		args = append(args, "--ordering", e.ordering)
	}
	v := startProc(e.t, e.logDir, "verify", args...)
	x := v.wait(e.t, 3*time.Minute)
	out := v.output(e.t)
	var rep verifyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		e.t.Fatalf("verify (%s) printed no JSON report: %v\n%s\n%s", x, err, out, tail(v.stderr, 10))
	}
	if x.code != 0 || !rep.OK {
		e.t.Fatalf("verify failed (%s), violations %v:\n%s", x, rep.Counts, truncate(out, 8000))
	}
	if rep.Inputs != produced {
		e.t.Fatalf("verify audited %d input records, produce acknowledged %d", rep.Inputs, produced)
	}
	e.t.Logf("chaos result: scenario=%q ordering=%s broker=%s events=%d outputs=%d dead_letters=%d launches=%d kills=%d sigterms=%d freezes=%d unexpected_exits=%d drain=%s total=%s verify=OK",
		scenario, cmp.Or(e.ordering, "partition"), e.kind, rep.Inputs, rep.Outputs, rep.DeadLetters, e.launches, e.kills, e.stops, e.freezes, len(e.unexpected),
		drained.Round(100*time.Millisecond), time.Since(e.started).Round(time.Second))
	if len(e.unexpected) > 0 {
		e.t.Fatalf("exactly-once held, but %d member(s) exited on their own and had to be restarted:\n%s",
			len(e.unexpected), strings.Join(e.unexpected, "\n"))
	}
}

func sortedIDs(m map[string]*proc) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
