package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/testbroker"
	"github.com/eventproc/eventproc/kafkaio"
)

// runningCLI is `eventproc args...` running in-process in the background.
type runningCLI struct {
	stdout, stderr *syncBuffer
	done           chan int // receives the exit code once
	// stop cancels the command's context, as SIGTERM does.
	stop context.CancelFunc
}

// startCLI runs the app in a goroutine until ctx ends or it exits. The
// test's cleanup waits for it, so no goroutine outlives the test.
func startCLI(t *testing.T, ctx context.Context, args ...string) *runningCLI {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	r := &runningCLI{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1), stop: cancel}
	go func() { // exits when runApp returns: the command ends or ctx is cancelled
		r.done <- runApp(ctx, append([]string{"eventproc"}, args...), r.stdout, r.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-r.done:
			r.done <- code
		case <-time.After(time.Minute):
			t.Errorf("eventproc %s did not stop within a minute of cancellation", args[0])
		}
	})
	return r
}

// wait returns the exit code, or fails t if ctx ends first.
func (r *runningCLI) wait(t *testing.T, ctx context.Context) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // keep it for cleanup
		return code
	case <-ctx.Done():
		t.Fatalf("eventproc still running: %v; stderr:\n%s", ctx.Err(), r.stderr)
		return -1
	}
}

// freeAddr returns a 127.0.0.1 address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// produceInput produces n generated records (malformed with the given
// ratio) and returns how many were built to be dead-lettered, by reason.
func produceInput(t *testing.T, ctx context.Context, cfg kafkaio.ClientConfig, topic string, n int64, malformed float64) map[string]int {
	t.Helper()
	cl, err := kafkaio.NewClient(cfg, kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g := gen.New(gen.Config{Sources: 20, MalformedRatio: malformed, Seed: 42})
	want := map[string]int{}
	next := func() ([]byte, []byte) {
		r := g.Next()
		if r.Malformed {
			want[r.Reason.String()]++
		}
		return r.Key, r.Value
	}
	acked, err := kafkatool.ProduceGenerated(ctx, cl, topic, next, n, 0, nil)
	if err != nil || acked != n {
		t.Fatalf("produced %d of %d: %v", acked, n, err)
	}
	return want
}

// waitCommitted polls read_committed snapshots of out and dlq until they
// hold n records together, and returns the last snapshot.
func waitCommitted(t *testing.T, ctx context.Context, cfg kafkaio.ClientConfig, out, dlq string, n int, running *runningCLI) map[string][]kafkaio.InRecord {
	t.Helper()
	for {
		snap, err := kafkatool.Snapshot(ctx, cfg, out, dlq)
		if err == nil && len(snap[out])+len(snap[dlq]) >= n {
			return snap
		}
		select {
		case code := <-running.done:
			running.done <- code
			t.Fatalf("eventproc exited %d before committing %d records; stderr:\n%s", code, n, running.stderr)
		case <-ctx.Done():
			t.Fatalf("only %d+%d of %d records committed (last error %v); stderr:\n%s", len(snap[out]), len(snap[dlq]), n, err, running.stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// httpGet returns the status and body of GET url; err is a transport error.
func httpGet(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// pollHTTP polls url until cond holds for its answer, and returns that
// answer; it fails t when ctx ends first.
func pollHTTP(t *testing.T, ctx context.Context, url string, what string, cond func(code int, body string) bool) (int, string) {
	t.Helper()
	var code int
	var body string
	var err error
	for {
		code, body, err = httpGet(ctx, url)
		if err == nil && cond(code, body) {
			return code, body
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: GET %s never did (last: %d %q %v)", what, url, code, body, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// scrape parses GET url (Prometheus text format) into metric families.
func scrape(t *testing.T, ctx context.Context, url string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body, err := httpGet(ctx, url)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, code, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// sumBy sums a counter family's samples by the value of label (""
// sums everything).
func sumBy(fams map[string]*dto.MetricFamily, name, label string) map[string]float64 {
	out := map[string]float64{}
	fam := fams[name]
	if fam == nil {
		return nil
	}
	for _, m := range fam.GetMetric() {
		key := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				key = lp.GetValue()
			}
		}
		switch {
		case m.GetCounter() != nil:
			out[key] += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			out[key] += m.GetGauge().GetValue()
		}
	}
	return out
}

func total(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// TestOpsEndpointsDuringARun is the operations integration test: /readyz is 503
// with a reason until this member owns partitions and has restored their
// state, then 200; /healthz is 200; the published and dead-lettered
// counters scraped from /metrics equal what the output and DLQ topics
// hold; franz-go's client metrics (kprom) are exposed; and every metric
// the Grafana dashboard queries exists in a real scrape.
func TestOpsEndpointsDuringARun(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	b := testbroker.Start(t)
	in, out, dlq := testbroker.UniqueName(t, "in"), testbroker.UniqueName(t, "out"), testbroker.UniqueName(t, "dlq")
	group := testbroker.UniqueName(t, "g")
	for _, topic := range []string{in, out, dlq} {
		b.CreateTopic(t, topic, 1, nil)
	}
	client := kafkaio.ClientConfig{Brokers: b.Addrs}

	// A plain group member that owns the only input partition first: until
	// it leaves, eventproc is in the group with nothing assigned, so
	// /readyz must say 503 however fast the join is. It never commits.
	assigned := make(chan struct{}, 1)
	blocker := b.NewClient(t, kgo.ConsumerGroup(group), kgo.ConsumeTopics(in), kgo.DisableAutoCommit(),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			select {
			case assigned <- struct{}{}:
			default:
			}
		}))
	blockerDone := make(chan struct{})
	go func() { // polls until the blocker is closed below
		defer close(blockerDone)
		for !blocker.PollFetches(ctx).IsClientClosed() && ctx.Err() == nil {
		}
	}()
	select {
	case <-assigned:
	case <-ctx.Done():
		t.Fatal("blocking member never got the partition")
	}

	addr := freeAddr(t)
	base := "http://" + addr
	run := startCLI(t, ctx, "run", "--brokers", strings.Join(b.Addrs, ","), "--input-topic", in, "--output-topic", out,
		"--dlq-topic", dlq, "--group", group, "--instance-id", "ops-1", "--metrics-addr", addr,
		"--window-max-events", "100", "--log-format", "json")

	// Wait until eventproc is a member (the blocker keeps the partition).
	adm := kadm.NewClient(b.NewClient(t))
	for {
		groups, err := adm.DescribeGroups(ctx, group)
		if err == nil {
			if g, ok := groups[group]; ok && g.State == "Stable" && len(g.Members) == 2 {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("eventproc never joined the group; stderr:\n%s", run.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	code, body := pollHTTP(t, ctx, base+"/readyz", "answer", func(int, string) bool { return true })
	t.Logf("/readyz while the blocker owns the partition: %d %q", code, body)
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready: ") || len(body) <= len("not ready: \n") {
		t.Errorf("/readyz with no partition owned: %d %q, want 503 with a reason", code, body)
	}
	if code, body, err := httpGet(ctx, base+"/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("/healthz: %d %q %v, want 200", code, body, err)
	}

	blocker.Close() // leaves the group: eventproc gets the partition, restores it, is ready
	<-blockerDone
	pollHTTP(t, ctx, base+"/readyz", "become ready", func(code int, _ string) bool { return code == http.StatusOK })

	const n = 600
	wantDLQ := produceInput(t, ctx, client, in, n, 0.2)
	snap := waitCommitted(t, ctx, client, out, dlq, n, run)
	outN, dlqN := len(snap[out]), len(snap[dlq])
	if outN+dlqN != n {
		t.Fatalf("%d outputs + %d dead letters, want %d in all", outN, dlqN, n)
	}
	dlqByReason := map[string]float64{}
	for _, r := range snap[dlq] {
		dlqByReason[headerValue(r.Headers, event.HeaderErrorReason)]++
	}

	// The counters move right after the commit that made the records
	// visible: poll until they caught up, then require exact equality.
	var fams map[string]*dto.MetricFamily
	for {
		fams = scrape(t, ctx, base+"/metrics")
		if total(sumBy(fams, "eventproc_events_published_total", "")) >= float64(outN) &&
			total(sumBy(fams, "eventproc_events_dead_lettered_total", "")) >= float64(dlqN) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("counters never reached the topics' counts; stderr:\n%s", run.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if got := total(sumBy(fams, "eventproc_events_published_total", "")); got != float64(outN) {
		t.Errorf("eventproc_events_published_total %v, output topic holds %d", got, outN)
	}
	gotDLQ := sumBy(fams, "eventproc_events_dead_lettered_total", "reason")
	if got := total(gotDLQ); got != float64(dlqN) {
		t.Errorf("eventproc_events_dead_lettered_total sums to %v, DLQ topic holds %d", got, dlqN)
	}
	for reason, n := range dlqByReason {
		if gotDLQ[reason] != n {
			t.Errorf("dead-lettered{reason=%q} %v, DLQ topic holds %v", reason, gotDLQ[reason], n)
		}
	}
	for reason, n := range wantDLQ {
		if dlqByReason[reason] != float64(n) {
			t.Errorf("DLQ holds %v records with reason %s, the generator built %d", dlqByReason[reason], reason, n)
		}
	}
	if got := total(sumBy(fams, "eventproc_events_consumed_total", "")); got != n {
		t.Errorf("eventproc_events_consumed_total %v, want %d", got, n)
	}
	if got := sumBy(fams, "eventproc_transactions_total", "outcome")["committed"]; got < 1 {
		t.Errorf("no committed transactions counted")
	}
	if got := total(sumBy(fams, "eventproc_partitions_owned", "")); got != 1 {
		t.Errorf("eventproc_partitions_owned %v, want 1", got)
	}
	if got := total(sumBy(fams, "eventproc_rebalances_total", "")); got < 1 {
		t.Errorf("eventproc_rebalances_total %v, want at least the assignment", got)
	}
	var kafkaFams []string
	for name := range fams {
		if strings.HasPrefix(name, "eventproc_kafka_") {
			kafkaFams = append(kafkaFams, name)
		}
	}
	if len(kafkaFams) == 0 {
		t.Error("no eventproc_kafka_* (kprom) metrics exposed")
	}
	checkDashboardMetrics(t, fams)

	run.stop() // as SIGTERM: publish the open window, leave the group, exit 0
	if code := run.wait(t, ctx); code != exitOK {
		t.Errorf("exit %d after stop; stderr:\n%s", code, run.stderr)
	}
}

func headerValue(hs []kafkaio.Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// dashboardFile is the Grafana dashboard docker-compose mounts.
const dashboardFile = "../../deploy/grafana/eventproc-dashboard.json"

// metricNameRE finds eventproc metric names in PromQL expressions.
var metricNameRE = regexp.MustCompile(`\beventproc_[a-z0-9_]+`)

// dashboardMetrics returns every eventproc metric name the dashboard's
// panel targets query, each mapped to the family that exposes it
// (histogram series _bucket, _sum and _count belong to their histogram).
func dashboardMetrics(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	byPanel := map[string][]string{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			byPanel[p.Title] = append(byPanel[p.Title], metricNameRE.FindAllString(tg.Expr, -1)...)
		}
	}
	return byPanel
}

// checkDashboardMetrics fails t for every metric the dashboard queries
// that a real eventproc run does not expose.
func checkDashboardMetrics(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	count := 0
	for panel, names := range dashboardMetrics(t) {
		for _, name := range names {
			count++
			family := name
			if f := fams[name]; f == nil {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(name, suffix); ok && fams[base] != nil &&
						(fams[base].GetType() == dto.MetricType_HISTOGRAM || fams[base].GetType() == dto.MetricType_SUMMARY) {
						family = base
					}
				}
			}
			if fams[family] == nil {
				t.Errorf("dashboard panel %q queries %s, which eventproc does not expose", panel, name)
			}
		}
	}
	if count == 0 {
		t.Errorf("%s queries no eventproc metric", dashboardFile)
	}
}
