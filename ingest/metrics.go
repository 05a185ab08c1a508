package ingest

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the eventproc_ingest_* series.
type metrics struct {
	requests  *prometheus.CounterVec
	accepted  prometheus.Counter
	rejected  *prometheus.CounterVec
	replays   prometheus.Counter
	duration  prometheus.Histogram
	inflight  prometheus.GaugeFunc
	rememberd prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, budget *inflightBudget, window *idempotencyWindow) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventproc_ingest_requests_total", Help: "Event requests answered, by HTTP status code.",
		}, []string{"code"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_ingest_events_accepted_total", Help: "Events acknowledged by the broker and answered 202.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventproc_ingest_events_rejected_total", Help: "Events that made their request a 400, by reason code.",
		}, []string{"reason"}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventproc_ingest_idempotent_replays_total", Help: "Requests answered from the Idempotency-Key window without producing.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "eventproc_ingest_request_duration_seconds",
			Help:    "Time from request start to response, broker acknowledgement included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		inflight: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eventproc_ingest_inflight_bytes", Help: "Request bytes reserved by requests being read or produced.",
		}, func() float64 { return float64(budget.inUse()) }),
		rememberd: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eventproc_ingest_idempotency_keys", Help: "Idempotency keys currently remembered.",
		}, func() float64 { return float64(window.len()) }),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.accepted, m.rejected, m.replays, m.duration, m.inflight, m.rememberd)
	}
	return m
}

func (m *metrics) answered(status int) { m.requests.WithLabelValues(strconv.Itoa(status)).Inc() }
