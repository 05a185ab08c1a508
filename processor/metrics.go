package processor

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventproc/eventproc/event"
)

// metrics is the processor's instrumentation, built from an injected
// registerer (never the global one). Names are listed in README.
type metrics struct {
	consumed      prometheus.Counter
	published     prometheus.Counter
	deadLettered  *prometheus.CounterVec
	transactions  *prometheus.CounterVec
	retries       prometheus.Counter
	stageSeconds  *prometheus.HistogramVec
	commitSeconds prometheus.Histogram
	concurrentTxn prometheus.Counter
	endToEnd      prometheus.Histogram
	windowEvents  prometheus.Histogram
	overlapped    prometheus.Counter
	buffered      prometheus.Gauge
	bufferedBytes prometheus.Gauge
	lag           *prometheus.GaugeVec
	rebalances    prometheus.Counter
	partitions    prometheus.Gauge
	restoreSecs   prometheus.Histogram
	restoreRecs   prometheus.Counter
	rulesChanged  *prometheus.CounterVec
	rulesInfo     *prometheus.GaugeVec
	truncated     prometheus.Counter
	keyMismatch   *prometheus.CounterVec
	role          *prometheus.GaugeVec
	standbyParts  prometheus.Gauge
	standbyRecs   prometheus.Counter
}

// latencyBuckets resolve 1 ms to 10 s.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// stageBuckets resolve per-window stage times from 10 µs to 5 s.
var stageBuckets = []float64{.00001, .00005, .0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}

// Stage label values of eventproc_stage_duration_seconds.
const (
	stageIntake   = "intake"
	stageClassify = "classify"
	stageEnrich   = "enrich"
	stageOrder    = "order"
	stageEncode   = "encode"
	stagePublish  = "publish"
)

// Outcome label values of eventproc_transactions_total.
const (
	outcomeCommitted = "committed"
	outcomeAborted   = "aborted"
	outcomeFailed    = "failed"
)

// newMetrics builds the metrics and registers them with reg. A registerer
// that already holds them (two processors sharing one registry) is an
// error, and reg is left as it was.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry() // instrumentation is never optional code-wise; unregistered is fine
	}
	m := &metrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_events_consumed_total", Help: "Input records consumed and published in a committed window (output or DLQ).",
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_events_published_total", Help: "Events written to the output topic in committed transactions.",
		}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventproc_events_dead_lettered_total", Help: "Input records written to the dead-letter topic in committed transactions, by reason.",
		}, []string{"reason"}),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventproc_transactions_total", Help: "Windows ended, by outcome: committed, aborted (rebalance; reprocessed), failed (error; retried).",
		}, []string{"outcome"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_retries_total", Help: "Session restarts after a failed window.",
		}),
		stageSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "eventproc_stage_duration_seconds", Help: "Time one window spent in each stage (intake, classify, enrich, order, encode, publish).", Buckets: stageBuckets,
		}, []string{"stage"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventproc_commit_duration_seconds", Help: "Time from the end of a window's processing to its transaction commit returning: flushing the produced records, committing the offsets and ending the transaction.", Buckets: latencyBuckets,
		}),
		concurrentTxn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_concurrent_transactions_retries_total", Help: "Partitions the broker answered CONCURRENT_TRANSACTIONS (on a produce or an AddPartitionsToTxn), because the previous transaction was still completing there; the client retries them.",
		}),
		endToEnd: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventproc_end_to_end_latency_seconds", Help: "Input record timestamp to commit of the window that published it.", Buckets: latencyBuckets,
		}),
		windowEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventproc_window_records", Help: "Input records per committed window.", Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}),
		overlapped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_windows_overlapped_total", Help: "Windows processed while the previous window's transaction was ending (committed or not).",
		}),
		buffered: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eventproc_buffered_events", Help: "Input records held in the open window.",
		}),
		bufferedBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eventproc_buffered_bytes", Help: "Bytes of input record values held in the open window.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "eventproc_consumer_lag", Help: "Records between the last committed window and the partition's high watermark, per input partition.",
		}, []string{"partition"}),
		rebalances: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_rebalances_total", Help: "Partition assignments and revocations seen by this member.",
		}),
		partitions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eventproc_partitions_owned", Help: "Input partitions currently assigned to this member.",
		}),
		restoreSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventproc_state_restore_duration_seconds", Help: "Time to restore one partition's state from the changelog.", Buckets: latencyBuckets,
		}),
		restoreRecs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_state_restore_records_total", Help: "Changelog records read while restoring state.",
		}),
		rulesChanged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventproc_rules_changed_total", Help: "Partitions taken over whose state was last written under other classification rules, per input partition.",
		}, []string{"partition"}),
		rulesInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "eventproc_rules_info", Help: "1 for the rules_version (rules hash) this member classifies under.",
		}, []string{"rules_version"}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_dead_letters_truncated_total", Help: "Dead letters the broker refused whole, published truncated (value prefix, original size and SHA-256 in headers), in committed transactions.",
		}),
		keyMismatch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventproc_key_mismatch_total", Help: "Accepted input records whose key is not their source_id (misrouted: per-source state and sequence numbers split across partitions), per input partition, in committed windows.",
		}, []string{"partition"}),
		role: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "eventproc_role", Help: "1 for this member's role: active (owns input partitions and publishes) or standby (owns none; with --ordering global it takes over all partitions when the active stops).",
		}, []string{"role"}),
		standbyParts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eventproc_standby_partitions", Help: "Partitions this member keeps warm as a standby: their state, read from the changelog as the owner writes it, so a takeover reads only the changelog's tail.",
		}),
		standbyRecs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_standby_records_total", Help: "Changelog records a standby read to keep its warm copies current.",
		}),
	}
	all := []prometheus.Collector{m.consumed, m.published, m.deadLettered, m.transactions, m.retries, m.stageSeconds, m.commitSeconds, m.concurrentTxn,
		m.endToEnd, m.windowEvents, m.overlapped, m.buffered, m.bufferedBytes, m.lag, m.rebalances, m.partitions, m.restoreSecs, m.restoreRecs,
		m.rulesChanged, m.rulesInfo, m.truncated, m.keyMismatch, m.role, m.standbyParts, m.standbyRecs}
	for i, c := range all {
		if err := reg.Register(c); err != nil {
			for _, done := range all[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("register processor metrics: %w (each processor needs its own Registerer)", err)
		}
	}
	// Pre-create every label value so dashboards see zeros, not gaps.
	for _, r := range event.Reasons() {
		m.deadLettered.WithLabelValues(r.String())
	}
	for _, o := range []string{outcomeCommitted, outcomeAborted, outcomeFailed} {
		m.transactions.WithLabelValues(o)
	}
	m.role.WithLabelValues(roleActive).Set(0)
	m.role.WithLabelValues(roleStandby).Set(1)
	return m, nil
}
