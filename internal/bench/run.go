package bench

// The benchmark's machinery: the broker environment, one round per
// system and mode, and the measurements of each phase.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/eventproc/eventproc/internal/gen"
	"github.com/eventproc/eventproc/internal/kafkatool"
	"github.com/eventproc/eventproc/internal/progress"
	"github.com/eventproc/eventproc/kafkaio"
	"github.com/eventproc/eventproc/processor"
)

// benchEnv is one bench run's broker, admin client and names.
type benchEnv struct {
	cfg     Config
	client  kafkaio.ClientConfig
	cluster *kfake.Cluster // nil with --brokers
	admin   *kgo.Client
	prefix  string
	log     *slog.Logger
	errw    io.Writer
}

func startBenchEnv(ctx context.Context, cfg Config, log *slog.Logger, errw io.Writer) (*benchEnv, error) {
	env := &benchEnv{cfg: cfg, client: cfg.Client, log: log, errw: errw,
		prefix: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	if cfg.Embedded {
		cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			return nil, fmt.Errorf("start embedded broker: %w", err)
		}
		env.cluster = cluster
		env.client = kafkaio.ClientConfig{Brokers: cluster.ListenAddrs()}
	}
	env.client.ClientID = "eventproc-bench"
	admin, err := kafkaio.NewClient(env.client)
	if err != nil {
		env.close()
		return nil, err
	}
	env.admin = admin
	fmt.Fprintf(errw, "bench: broker %s, topics and groups named %s-*\n", env.brokerName(), env.prefix)
	return env, ctx.Err()
}

func (e *benchEnv) brokerName() string {
	if e.cluster != nil {
		return "embedded"
	}
	return strings.Join(e.client.Brokers, ",")
}

func (e *benchEnv) close() {
	if e.admin != nil {
		e.admin.Close()
	}
	if e.cluster != nil {
		e.cluster.Close()
	}
}

// benchRound is the topics and groups of one measurement round, deleted
// when the round ends: on the embedded broker that frees the records, on
// a shared cluster it leaves no clutter.
type benchRound struct {
	env    *benchEnv
	name   string
	topics []string
	groups []string
}

func (e *benchEnv) round(name string) *benchRound {
	return &benchRound{env: e, name: e.prefix + "-" + name}
}

// topic creates a fresh topic of the round with the run's partition count.
func (r *benchRound) topic(ctx context.Context, suffix string) (string, error) {
	name := r.name + "-" + suffix
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := kafkatool.CreateTopics(cctx, r.env.admin, r.env.cfg.Partitions, name); err != nil {
		return "", err
	}
	r.topics = append(r.topics, name)
	return name, nil
}

func (r *benchRound) group(suffix string) string {
	g := r.name + "-" + suffix
	r.groups = append(r.groups, g)
	return g
}

func (r *benchRound) cleanup() {
	if len(r.topics) == 0 && len(r.groups) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	topics := r.topics
	for _, g := range r.groups {
		topics = append(topics, g+"-state") // the processor's changelog
	}
	if err := kafkatool.DeleteTopics(ctx, r.env.admin, topics...); err != nil {
		r.env.log.Warn("could not delete bench topics", "err", err)
	}
	if err := kafkatool.DeleteGroups(ctx, r.env.admin, r.groups...); err != nil {
		r.env.log.Warn("could not delete bench groups", "err", err)
	}
	r.topics, r.groups = nil, nil
}

// runPeakMode: throughput of both systems over one pre-produced input,
// then latency at a fraction of eventproc's peak.
func (e *benchEnv) runPeakMode(ctx context.Context, rep *Report) error {
	r := e.round("peak")
	defer r.cleanup()
	in, err := r.topic(ctx, "in")
	if err != nil {
		return err
	}
	if err := e.produce(ctx, "produce", in, e.cfg.Events, 0); err != nil {
		return err
	}
	// With a latency phase to follow, the throughput phases run without
	// the latency consumer: nothing but the system and the broker.
	peakLatency := e.cfg.LatencyLoad == 0
	ep, err := e.measureEventproc(ctx, r, "peak eventproc", in, e.cfg.Events, 0, peakLatency)
	if err != nil {
		return err
	}
	rep.Phases = append(rep.Phases, ep)
	rep.EventsPerSec, rep.EventprocRSSMB = ep.EventsPerSec, ep.MaxRSSMB
	latency, ptLatency := ep, Phase{}
	if !e.cfg.SkipPassthrough {
		pt, err := e.measurePassthrough(ctx, r, "peak passthrough", in, e.cfg.Events, 0, peakLatency)
		if err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, pt)
		rep.PassthroughEventsPerSec, rep.Ratio = pt.EventsPerSec, ep.EventsPerSec/pt.EventsPerSec
		ptLatency = pt
		alone, err := e.measurePipelineAlone()
		if err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, alone)
		rep.setCPUParts(ep, pt, alone)
	}
	r.cleanup() // free the peak round's records before the latency round

	if e.cfg.LatencyLoad > 0 {
		rate := e.cfg.LatencyLoad * ep.EventsPerSec
		n := min(e.cfg.Events, max(1, int64(rate*latencyPhaseMax.Seconds())))
		lr := e.round("latency")
		defer lr.cleanup()
		if latency, err = e.measureAtRate(ctx, lr, "latency eventproc", n, rate, e.measureEventproc); err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, latency)
		rep.EventprocRSSMB = max(rep.EventprocRSSMB, latency.MaxRSSMB)
		rep.LatencyOfferedRate = rate
		ptLatency = Phase{}
		if !e.cfg.SkipPassthrough {
			if ptLatency, err = e.measureAtRate(ctx, lr, "latency passthrough", n, rate, e.measurePassthrough); err != nil {
				return err
			}
			rep.Phases = append(rep.Phases, ptLatency)
		}
	}
	setLatency(rep, latency, ptLatency)
	return nil
}

// runRateMode: each system on its own input, offered --rate events/s
// while it runs.
func (e *benchEnv) runRateMode(ctx context.Context, rep *Report) error {
	r := e.round("rate")
	defer r.cleanup()
	ep, err := e.measureAtRate(ctx, r, "rate eventproc", e.cfg.Events, e.cfg.Rate, e.measureEventproc)
	if err != nil {
		return err
	}
	rep.Phases = append(rep.Phases, ep)
	rep.EventsPerSec, rep.EventprocRSSMB, rep.LatencyOfferedRate = ep.EventsPerSec, ep.MaxRSSMB, e.cfg.Rate
	pt := Phase{}
	if !e.cfg.SkipPassthrough {
		if pt, err = e.measureAtRate(ctx, r, "rate passthrough", e.cfg.Events, e.cfg.Rate, e.measurePassthrough); err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, pt)
		rep.PassthroughEventsPerSec, rep.Ratio = pt.EventsPerSec, ep.EventsPerSec/pt.EventsPerSec
	}
	setLatency(rep, ep, pt)
	return nil
}

// Events the pipeline-alone phase generates, and how many times it
// processes them: enough for a second or more of CPU, few enough that
// holding them does not set the process's peak RSS.
const (
	pipelineAloneEvents = 50000
	pipelineAloneRounds = 4
)

// measurePipelineAlone measures the processing stages alone
// (processor.ProcessAlone, no Kafka) in this process, on events of the
// same mix in windows of the same size, on one core: the CPU per event
// the processing costs, to set beside the passthrough's, which is the
// transport's.
func (e *benchEnv) measurePipelineAlone() (Phase, error) {
	n := int(min(e.cfg.Events, pipelineAloneEvents))
	g := gen.New(e.cfg.Gen)
	recs := make([]kafkaio.InRecord, n)
	offsets := make([]int64, e.cfg.Partitions)
	for i := range recs {
		rec := g.Next()
		h := fnv.New32a()
		h.Write(rec.Key)
		part := int32(h.Sum32() % uint32(e.cfg.Partitions)) // a source stays on one partition, as keyed input does
		// A broker timestamp: milliseconds, taken after the producer's.
		appended := time.UnixMilli(time.Now().UnixMilli())
		recs[i] = kafkaio.InRecord{Topic: "events.in", Partition: part, Offset: offsets[part], Timestamp: appended, Key: rec.Key, Value: rec.Value}
		offsets[part]++
	}
	cfg := processor.Config{
		Client: e.client, InputTopic: "events.in", OutputTopic: "events.out", DLQTopic: "events.dlq",
		Group: "bench-alone", InstanceID: "bench", WindowMaxEvents: e.cfg.WindowMaxEvents,
		Logger: e.log, Registerer: prometheus.NewRegistry(),
	}.WithDefaults()
	// On one core, as BenchmarkPipeline -cpu 1: the processing's own cost,
	// without what running its shards in parallel adds.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	start, cpu0 := time.Now(), processCPU()
	for range pipelineAloneRounds {
		if _, err := processor.ProcessAlone(recs, cfg); err != nil {
			return Phase{}, fmt.Errorf("pipeline alone: %w", err)
		}
	}
	cpu, elapsed := processCPU()-cpu0, time.Since(start)
	events := int64(n) * pipelineAloneRounds
	return Phase{
		Name: "pipeline alone", System: "pipeline", Events: events, Seconds: elapsed.Seconds(),
		EventsPerSec:      PerSecond(events, elapsed),
		CPUMicrosPerEvent: float64(cpu) / float64(time.Microsecond) / float64(events),
	}, nil
}

func setLatency(rep *Report, ep, pt Phase) {
	rep.LatencyEvents = ep.LatencyEvents
	rep.P50MS, rep.P90MS, rep.P99MS, rep.MaxMS = ep.P50MS, ep.P90MS, ep.P99MS, ep.MaxMS
	rep.PassthroughP50MS, rep.PassthroughP99MS, rep.PassthroughMaxMS = pt.P50MS, pt.P99MS, pt.MaxMS
	rep.SecondHalfP50MS, rep.SecondHalfP99MS = ep.SecondHalfP50MS, ep.SecondHalfP99MS
	rep.PassthroughSecondHalfP50MS, rep.PassthroughSecondHalfP99MS = pt.SecondHalfP50MS, pt.SecondHalfP99MS
}

type measureFunc func(ctx context.Context, r *benchRound, name, input string, events int64, rate float64, withLatency bool) (Phase, error)

// measureAtRate gives the system its own input topic, fed at rate while it
// runs.
func (e *benchEnv) measureAtRate(ctx context.Context, r *benchRound, name string, events int64, rate float64, measure measureFunc) (Phase, error) {
	in, err := r.topic(ctx, strings.ReplaceAll(name, " ", "-")+"-in")
	if err != nil {
		return Phase{}, err
	}
	return measure(ctx, r, name, in, events, rate, true)
}

// produce writes events generated events to topic, at rate (0: as fast as
// the broker accepts). Every call generates the same events (the seed is
// fixed), so every system sees the same mix.
func (e *benchEnv) produce(ctx context.Context, label, topic string, events int64, rate float64) error {
	cl, err := kafkaio.NewClient(e.client,
		kgo.MaxBufferedRecords(10000),
		// Same producer settings as the produce command.
		kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	g := gen.New(e.cfg.Gen)
	next := func() ([]byte, []byte) {
		rec := g.Next()
		return rec.Key, rec.Value
	}
	var onAcked func(int64)
	if label != "" {
		bar := progress.New(e.errw, label, events)
		bctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); bar.Run(bctx) }() // exits when bctx ends
		defer func() { stop(); <-done; bar.Done() }()
		onAcked = bar.Add
	}
	_, err = kafkatool.ProduceGenerated(ctx, cl, topic, next, events, rate, onAcked)
	return err
}

// system is one contender, as the measurement loop sees it.
type system struct {
	output     string
	run        func(ctx context.Context) error // until ctx ends
	ready      func() bool
	committed  func() int64 // input events committed so far
	outputs    func() int64 // output records the latency consumer should see
	inputTime  func(kafkatool.TailRecord) (time.Time, bool)
	firstFetch *kafkatool.FirstFetch
}

func (e *benchEnv) measureEventproc(ctx context.Context, r *benchRound, name, input string, events int64, rate float64, withLatency bool) (Phase, error) {
	phase, regs, err := e.measureLoop(ctx, r, name, input, events, rate, withLatency, "eventproc", processor.Run,
		func(t kafkatool.TailRecord) (time.Time, bool) { return ReceivedAt(t.Value) })
	if err == nil {
		// Where a window's time goes, from the processor's own metrics.
		phase.WindowMeanEvents = regs.Mean("eventproc_window_records")
		phase.StageMeanMS = map[string]float64{}
		for _, st := range []string{"intake", "classify", "enrich", "order", "encode", "publish"} {
			phase.StageMeanMS[st] = 1000 * regs.Mean("eventproc_stage_duration_seconds", "stage", st)
		}
	}
	return phase, err
}

// measurePassthrough measures processor.Passthrough: the processor's own
// loop, with the same configuration, copying records instead of
// processing them.
func (e *benchEnv) measurePassthrough(ctx context.Context, r *benchRound, name, input string, events int64, rate float64, withLatency bool) (Phase, error) {
	phase, _, err := e.measureLoop(ctx, r, name, input, events, rate, withLatency, "passthrough", processor.Passthrough,
		func(t kafkatool.TailRecord) (time.Time, bool) { return processor.InputTimestamp(t.Headers) })
	return phase, err
}

// measureLoop measures run (processor.Run or processor.Passthrough) with
// one configuration for both, on fresh output and dead-letter topics.
func (e *benchEnv) measureLoop(ctx context.Context, r *benchRound, name, input string, events int64, rate float64, withLatency bool,
	systemName string, run func(context.Context, processor.Config) error, inputTime func(kafkatool.TailRecord) (time.Time, bool),
) (Phase, Registries, error) {
	out, err := r.topic(ctx, strings.ReplaceAll(name, " ", "-")+"-out")
	if err != nil {
		return Phase{}, nil, err
	}
	dlq, err := r.topic(ctx, strings.ReplaceAll(name, " ", "-")+"-dlq")
	if err != nil {
		return Phase{}, nil, err
	}
	reg := prometheus.NewRegistry()
	health := processor.NewHealth()
	ff := &kafkatool.FirstFetch{}
	cfg := processor.Config{
		Client: e.client, InputTopic: input, OutputTopic: out, DLQTopic: dlq,
		Group: r.group(strings.ReplaceAll(name, " ", "-")), InstanceID: "bench", CreateTopics: true,
		WindowMaxEvents: e.cfg.WindowMaxEvents, WindowMaxWait: e.cfg.WindowMaxWait, SequentialWindows: e.cfg.SequentialWindows,
		Logger: e.log, Registerer: reg, Health: health, Hooks: []kgo.Hook{ff},
	}.WithDefaults()
	regs := Registries{reg}
	phase, err := e.measure(ctx, name, input, events, rate, withLatency, systemName, system{
		output:     out,
		run:        func(ctx context.Context) error { return run(ctx, cfg) },
		ready:      func() bool { ok, _ := health.Ready(); return ok },
		committed:  func() int64 { return int64(regs.Sum("eventproc_events_consumed_total")) },
		outputs:    func() int64 { return int64(regs.Sum("eventproc_events_published_total")) },
		inputTime:  inputTime,
		firstFetch: ff,
	})
	if err == nil {
		phase.Windows = int64(regs.Count("eventproc_commit_duration_seconds"))
		phase.CommitP50MS = 1000 * nanToZero(regs.Quantile("eventproc_commit_duration_seconds", 0.5))
		phase.CommitP99MS = 1000 * nanToZero(regs.Quantile("eventproc_commit_duration_seconds", 0.99))
		phase.ConcurrentTransactions = int64(regs.Sum("eventproc_concurrent_transactions_retries_total"))
	}
	return phase, regs, err
}

func nanToZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// measure runs one system until it has committed events input events,
// with a sampler taking RSS and, withLatency, a read_committed consumer on
// its output taking end-to-end latencies. With rate > 0 the input is
// produced at that rate once the system is ready; otherwise it is already
// there.
func (e *benchEnv) measure(ctx context.Context, name, input string, events int64, rate float64, withLatency bool, systemName string, sys system) (Phase, error) {
	phase := Phase{Name: name, System: systemName, OfferedRate: rate, Events: events}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)

	var lat Latencies
	var seen atomic.Int64
	tailStarted := &kafkatool.FetchStarted{}
	tailCl, err := kafkaio.NewClient(e.client, append(kafkatool.TailClientOpts(), kgo.WithHooks(tailStarted),
		// A broker may park a read_committed fetch until its wait ends
		// even though a commit marker made records visible; a short wait
		// bounds that error of the measurement.
		kgo.FetchMaxWait(tailFetchMaxWait))...)
	if err != nil {
		return phase, err
	}
	defer tailCl.Close()
	g.Go(func() error { // the latency consumer; returns when gctx ends
		if !withLatency {
			return nil
		}
		return kafkatool.Tail(gctx, tailCl, kafkatool.TailConfig{Topics: []string{sys.output}, FromStart: true}, func(r kafkatool.TailRecord) bool {
			if at, ok := sys.inputTime(r); ok {
				lat.Add(at, time.Since(at))
			}
			seen.Add(1)
			return true
		})
	})
	rss := NewRSSSampler(nil)
	g.Go(func() error { // the RSS sampler; returns when gctx ends
		if err := rss.Run(gctx, rssInterval); err != nil {
			e.log.Warn("no RSS samples", "err", err)
		}
		return nil
	})
	cpuStart := processCPU()
	g.Go(func() error { // the system; returns when gctx ends
		return sys.run(gctx)
	})

	started := time.Now()
	ready := sys.ready
	if withLatency {
		// The latency consumer must be polling before load is offered.
		ready = func() bool { return sys.ready() && tailStarted.Started() }
	}
	if err := benchWaitFor(gctx, stallTimeout, ready); err != nil {
		cancel()
		return phase, errors.Join(fmt.Errorf("%s: not ready: %w", name, err), ignoreCanceled(g.Wait()))
	}
	if rate > 0 {
		g.Go(func() error { // the load; returns once every event is acknowledged
			return e.produce(gctx, "", input, events, rate)
		})
	}

	bar := progress.New(e.errw, name, events)
	bctx, stopBar := context.WithCancel(gctx)
	barDone := make(chan struct{})
	go func() { defer close(barDone); bar.Run(bctx) }() // exits when bctx ends
	end, err := waitForCommits(gctx, sys.committed, events, bar)
	cpu := processCPU() - cpuStart
	stopBar()
	<-barDone
	bar.Done()
	if err == nil && withLatency {
		// The last window is committed; wait until its records are
		// visible to the latency consumer.
		want := sys.outputs()
		err = benchWaitFor(gctx, drainTimeout, func() bool { return seen.Load() >= want })
		if err != nil {
			err = fmt.Errorf("latency consumer saw %d of %d outputs: %w", seen.Load(), want, err)
		}
	}
	cancel()
	if werr := ignoreCanceled(g.Wait()); werr != nil || err != nil {
		return phase, fmt.Errorf("%s: %w", name, errors.Join(err, werr))
	}

	start, ok := sys.firstFetch.Time()
	if !ok {
		start = started
	}
	elapsed := end.Sub(start)
	phase.Seconds = elapsed.Seconds()
	phase.EventsPerSec = PerSecond(events, elapsed)
	phase.SetLatency(lat.Summary())
	phase.SetSecondHalf(lat.SecondHalf())
	phase.MaxRSSMB = MB(rss.Max())
	if events > 0 {
		phase.CPUMicrosPerEvent = float64(cpu) / float64(time.Microsecond) / float64(events)
	}
	return phase, nil
}

// waitForCommits polls the committed count until it reaches events and
// returns when it saw that; it fails when the count stalls.
func waitForCommits(ctx context.Context, committed func() int64, events int64, bar *progress.Reporter) (time.Time, error) {
	t := time.NewTicker(completionPoll)
	defer t.Stop()
	last, lastMove := int64(-1), time.Now()
	for {
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case now := <-t.C:
			n := committed()
			bar.Set(n)
			if n >= events {
				return now, nil
			}
			if n != last {
				last, lastMove = n, now
			} else if now.Sub(lastMove) > stallTimeout {
				return time.Time{}, fmt.Errorf("committed %d of %d events, no progress for %s", n, events, stallTimeout)
			}
		}
	}
}

// benchWaitFor polls cond every 10ms until it holds, ctx ends or timeout passes.
func benchWaitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
