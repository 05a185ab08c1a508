package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/eventproc/eventproc/internal/testbroker"
)

// The broker-failure scenarios need a real multi-node cluster whose nodes
// the test can kill, restart and freeze: scripts/kafka-local.sh up
// --nodes 3 starts one, and `scripts/kafka-local.sh node N
// kill|start|stop|cont|restart` controls node N (node N is broker id N).
const (
	// clusterEnv names the cluster's seed brokers; the scenarios skip
	// without it.
	clusterEnv = "EVENTPROC_CHAOS_CLUSTER"
	// clusterCtlEnv is the node control command, default the repository's
	// scripts/kafka-local.sh (which finds the cluster through the same
	// KAFKA_LOCAL_HOME it was started with).
	clusterCtlEnv = "EVENTPROC_CHAOS_CLUSTER_CTL"
	// healthyTimeout bounds the wait for a restarted node to rejoin every
	// ISR.
	healthyTimeout = 3 * time.Minute
	// frozenFor is how long a node stays SIGSTOPped: past the controller's
	// broker session timeout (9 s, after which it is fenced and loses its
	// leaderships), past a produce request's timeout as franz-go counts it
	// (10 s produce timeout plus 10 s overhead) and past the members'
	// group session timeout in that scenario.
	frozenFor = 25 * time.Second
	// memberMetricsAddr serves member a's metrics, scraped at the end of a
	// scenario for the time windows take to publish and commit.
	memberMetricsAddr = "127.0.0.1:19293"
)

// cluster is the multi-node cluster of a scenario and its node control.
type cluster struct {
	e      *env
	ctl    string
	nodes  []int32
	down   map[int32]bool // killed and not yet restarted
	frozen map[int32]bool
}

// newClusterEnv is newEnv on the cluster in EVENTPROC_CHAOS_CLUSTER, with
// members on the default retry budget (the one production runs with):
// riding out a broker failure must not need tuning.
func newClusterEnv(t *testing.T) (*env, *cluster) {
	t.Helper()
	requireChaos(t)
	brokers := os.Getenv(clusterEnv)
	if brokers == "" {
		t.Skipf("broker-failure scenarios: set %s to a multi-node cluster's brokers (make test-chaos-cluster starts one)", clusterEnv)
	}
	t.Setenv(testbroker.EnvBrokers, brokers)
	t.Setenv(testbroker.EnvForce, string(testbroker.KindExternal))
	ctl := os.Getenv(clusterCtlEnv)
	if ctl == "" {
		abs, err := filepath.Abs(filepath.Join("..", "scripts", "kafka-local.sh"))
		if err != nil {
			t.Fatal(err)
		}
		ctl = abs
	}
	c := &cluster{ctl: ctl, down: map[int32]bool{}, frozen: map[int32]bool{}}
	// Registered before newEnv's cleanups, so it runs after the
	// processes are gone: whatever a failed scenario left broken is
	// repaired for the next one.
	t.Cleanup(c.repair)
	e := newEnv(t)
	e.retryFlags = nil
	e.metricsFor = map[string]string{"a": memberMetricsAddr}
	c.e = e
	md := c.metadata()
	c.nodes = md.Brokers.NodeIDs()
	if len(c.nodes) < 3 {
		t.Fatalf("%s=%s has %d brokers, the scenarios need 3", clusterEnv, brokers, len(c.nodes))
	}
	c.awaitHealthy()
	return e, c
}

// node runs the control command on node id.
func (c *cluster) node(id int32, action string) {
	t := c.e.t
	t.Helper()
	start := time.Now()
	out, err := exec.Command(c.ctl, "node", strconv.Itoa(int(id)), action).CombinedOutput()
	if err != nil {
		t.Fatalf("%s node %d %s: %v\n%s", c.ctl, id, action, err, out)
	}
	switch action {
	case "kill":
		c.down[id] = true
	case "start", "restart":
		delete(c.down, id)
	case "stop":
		c.frozen[id] = true
	case "cont":
		delete(c.frozen, id)
	}
	t.Logf("broker %d: %s took %s, %s into the scenario", id, action, time.Since(start).Round(100*time.Millisecond),
		time.Since(c.e.started).Round(time.Second))
}

// repair resumes frozen nodes and starts killed ones.
func (c *cluster) repair() {
	for id := range c.frozen {
		_ = exec.Command(c.ctl, "node", strconv.Itoa(int(id)), "cont").Run()
	}
	for id := range c.down {
		_ = exec.Command(c.ctl, "node", strconv.Itoa(int(id)), "start").Run()
	}
}

func (c *cluster) metadata() kadm.Metadata {
	c.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	md, err := c.e.admin().Metadata(ctx)
	if err != nil {
		c.e.t.Fatalf("cluster metadata: %v", err)
	}
	return md
}

// awaitHealthy waits until every node is registered and every partition
// of every topic has a leader and a full ISR, as an operator waits before
// restarting the next broker. Members are supervised meanwhile.
func (c *cluster) awaitHealthy() {
	t := c.e.t
	t.Helper()
	start := time.Now()
	deadline := start.Add(healthyTimeout)
	var last string
	for {
		last = c.unhealthy()
		if last == "" {
			if d := time.Since(start); d > time.Second {
				t.Logf("cluster healthy again after %s", d.Round(100*time.Millisecond))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not healthy %s after the fault: %s", healthyTimeout, last)
		}
		c.e.supervise()
		time.Sleep(500 * time.Millisecond)
	}
}

// unhealthy returns "" when the cluster is whole, else what is missing.
func (c *cluster) unhealthy() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	md, err := c.e.admin().Metadata(ctx)
	if err != nil {
		return err.Error()
	}
	if len(md.Brokers) < len(c.nodes) {
		return fmt.Sprintf("%d of %d brokers registered", len(md.Brokers), len(c.nodes))
	}
	for _, td := range md.Topics.Sorted() {
		if td.Err != nil {
			return fmt.Sprintf("topic %s: %v", td.Topic, td.Err)
		}
		for _, p := range td.Partitions.Sorted() {
			if p.Err != nil || p.Leader < 0 || len(p.ISR) < len(p.Replicas) {
				return fmt.Sprintf("%s[%d]: leader %d, ISR %v of replicas %v (%v)", td.Topic, p.Partition, p.Leader, p.ISR, p.Replicas, p.Err)
			}
		}
	}
	return ""
}

// busiestBroker returns the broker leading most partitions of the
// scenario's topics and of the internal topics (the group's offsets and
// the transaction log), and how many it leads.
func (c *cluster) busiestBroker() (int32, int) {
	c.e.t.Helper()
	md := c.metadata()
	count := map[int32]int{}
	for _, td := range md.Topics {
		switch td.Topic {
		case c.e.input, c.e.output, c.e.dlq, c.e.group + "-state", "__consumer_offsets", "__transaction_state":
		default:
			continue
		}
		for _, p := range td.Partitions {
			if p.Leader >= 0 {
				count[p.Leader]++
			}
		}
	}
	best, n := c.nodes[0], -1
	for _, id := range c.nodes {
		if count[id] > n {
			best, n = id, count[id]
		}
	}
	c.e.t.Logf("partition leaders by broker: %v", count)
	return best, n
}

// groupCoordinator returns the broker coordinating the scenario's group.
func (c *cluster) groupCoordinator() int32 {
	c.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, ok := c.e.admin().FindGroupCoordinators(ctx, c.e.group)[c.e.group]
	if !ok || r.Err != nil {
		c.e.t.Fatalf("find the coordinator of group %s: %v", c.e.group, r.Err)
	}
	return r.NodeID
}

// txnCoordinators returns, by broker, the running members whose
// transactional id (<group>-<instance-id>) it coordinates.
func (c *cluster) txnCoordinators() map[int32][]string {
	c.e.t.Helper()
	ids := sortedIDs(c.e.members)
	txids := make([]string, len(ids))
	for i, id := range ids {
		txids[i] = c.e.group + "-" + id
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rs := c.e.admin().FindTxnCoordinators(ctx, txids...)
	out := map[int32][]string{}
	for i, txid := range txids {
		r, ok := rs[txid]
		if !ok || r.Err != nil {
			c.e.t.Fatalf("find the coordinator of transactional id %s: %v", txid, r.Err)
		}
		out[r.NodeID] = append(out[r.NodeID], ids[i])
	}
	return out
}

// publishSeconds scrapes member a's metrics for the mean time a window
// spent publishing (produce, flush, commit), and how many windows that
// covers. ok is false when the member is not running.
func publishSeconds() (mean float64, windows int64, ok bool) {
	resp, err := http.Get("http://" + memberMetricsAddr + "/metrics")
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	var sum, count float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		for suffix, dst := range map[string]*float64{"_sum": &sum, "_count": &count} {
			prefix := `eventproc_stage_duration_seconds` + suffix + `{stage="publish"} `
			if v, found := strings.CutPrefix(line, prefix); found {
				*dst, _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	if count == 0 {
		return 0, 0, false
	}
	return sum / count, int64(count), true
}

// Three members under load; the broker leading most partitions (inputs,
// outputs, changelog, group offsets, transaction log) is killed with
// SIGKILL, stays down for a while and is restarted on its data. Its
// partitions fail over to the other replicas; the members retry with
// backoff until their requests reach the new leaders.
func TestClusterKillBusiestBroker(t *testing.T) {
	e, c := newClusterEnv(t)
	for _, id := range []string{"a", "b", "c"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	e.sleepRandom(3*time.Second, 5*time.Second)
	id, n := c.busiestBroker()
	t.Logf("killing broker %d, leader of %d partitions", id, n)
	c.node(id, "kill")
	e.sleepRandom(10*time.Second, 15*time.Second)
	c.node(id, "start")
	c.awaitHealthy()
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("cluster: SIGKILL the busiest broker, restart it on its data", e.stopLoad())
}

// The group coordinator is killed and restarted, then the transaction
// coordinator of the most members. Members re-find their coordinators:
// the group's state and the transactions' state move with the leadership
// of their __consumer_offsets and __transaction_state partitions.
func TestClusterKillCoordinators(t *testing.T) {
	e, c := newClusterEnv(t)
	for _, id := range []string{"a", "b"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	e.sleepRandom(3*time.Second, 5*time.Second)

	gc := c.groupCoordinator()
	t.Logf("killing broker %d, coordinator of group %s (transaction coordinators: %v)", gc, e.group, c.txnCoordinators())
	c.node(gc, "kill")
	e.sleepRandom(8*time.Second, 12*time.Second)
	c.node(gc, "start")
	c.awaitHealthy()
	e.sleepRandom(3*time.Second, 5*time.Second)

	byBroker := c.txnCoordinators()
	tc := slices.MaxFunc(c.nodes, func(a, b int32) int { return len(byBroker[a]) - len(byBroker[b]) })
	t.Logf("killing broker %d, transaction coordinator of members %v (group coordinator now %d)", tc, byBroker[tc], c.groupCoordinator())
	c.node(tc, "kill")
	e.sleepRandom(8*time.Second, 12*time.Second)
	c.node(tc, "start")
	c.awaitHealthy()
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("cluster: SIGKILL the group coordinator, then the transaction coordinator", e.stopLoad())
}

// The group coordinator is frozen (SIGSTOP) for longer than the
// controller's broker session timeout, franz-go's request timeouts and
// the members' group session timeout, then resumed. Its connections stay
// open but answer nothing: requests to it time out, the controller fences
// it and moves its leaderships, and when it thaws it rejoins as a
// follower and catches up.
func TestClusterFreezeBroker(t *testing.T) {
	e, c := newClusterEnv(t)
	e.extraFlags = []string{"--session-timeout", "10s"}
	for _, id := range []string{"a", "b"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	e.sleepRandom(3*time.Second, 5*time.Second)
	id := c.groupCoordinator()
	t.Logf("freezing broker %d, coordinator of group %s, for %s", id, e.group, frozenFor)
	c.node(id, "stop")
	e.freezes++
	e.sleepRandom(frozenFor, frozenFor)
	c.node(id, "cont")
	c.awaitHealthy()
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("cluster: SIGSTOP the group coordinator past the request and session timeouts", e.stopLoad())
}

// A rolling restart under load: each broker in turn is stopped
// gracefully (SIGTERM: it hands over its leaderships), started again, and
// the next one waits until every partition is fully replicated again.
func TestClusterRollingRestart(t *testing.T) {
	e, c := newClusterEnv(t)
	for _, id := range []string{"a", "b", "c"} {
		e.startMember(id)
	}
	e.startLoad()
	e.awaitOutput()
	for _, id := range c.nodes {
		e.sleepRandom(3*time.Second, 5*time.Second)
		c.node(id, "restart")
		c.awaitHealthy()
	}
	e.sleepRandom(3*time.Second, 5*time.Second)
	e.finish("cluster: rolling restart of every broker", e.stopLoad())
}
