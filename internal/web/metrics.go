package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { routeSets = append(routeSets, (*Server).metricsRoutes) }

// Metrics are what /metrics shows Prometheus. What the store knows (runs,
// staleness, queues, circuits) is read at each scrape, so that it is right
// whichever process ran the syncs; what only this process sees (run
// durations, requests, failed sign-ins) is counted here.
type Metrics struct {
	s   *Server
	reg *prometheus.Registry

	runSeconds  *prometheus.HistogramVec
	requests    *prometheus.CounterVec
	loginFails  prometheus.Counter
	runsDesc    *prometheus.Desc
	staleDesc   *prometheus.Desc
	reviewDesc  *prometheus.Desc
	jobsDesc    *prometheus.Desc
	circuitDesc *prometheus.Desc
	upDesc      *prometheus.Desc
}

func newMetrics(s *Server) *Metrics {
	m := &Metrics{s: s, reg: prometheus.NewRegistry()}
	m.runSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "bankfeed_sync_run_duration_seconds",
		Help:    "How long account syncs run by this process took, by outcome.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
	}, []string{"outcome"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bankfeed_http_requests_total",
		Help: "HTTP requests answered, by status code class.",
	}, []string{"code"})
	m.loginFails = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bankfeed_login_failures_total",
		Help: "Failed sign-ins.",
	})
	m.runsDesc = prometheus.NewDesc("bankfeed_sync_runs", "Sync runs kept in the store, by outcome and failure class.", []string{"outcome", "class"}, nil)
	m.staleDesc = prometheus.NewDesc("bankfeed_account_staleness_seconds", "Time since each feed account's last sync that worked (-1: never).", []string{"account_id", "connection", "institution"}, nil)
	m.reviewDesc = prometheus.NewDesc("bankfeed_review_queue_lines", "Lines waiting for review, per feed account.", []string{"account_id"}, nil)
	m.jobsDesc = prometheus.NewDesc("bankfeed_sync_jobs", "Sync jobs in the queue, by state.", []string{"state"}, nil)
	m.circuitDesc = prometheus.NewDesc("bankfeed_circuit_open", "1 when an institution's circuit is open (its logins wait for a probe).", []string{"institution", "class"}, nil)
	m.upDesc = prometheus.NewDesc("bankfeed_metrics_store_up", "1 when the store could be read for this scrape.", nil, nil)
	m.reg.MustRegister(m.runSeconds, m.requests, m.loginFails, storeCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) progress(ev syncer.Event) {
	r := ev.Run
	if r == nil || r.FinishedAt == nil || (ev.Step != "done" && ev.Step != "failed") {
		return
	}
	m.runSeconds.WithLabelValues(r.Outcome).Observe(r.FinishedAt.Sub(r.StartedAt).Seconds())
}

func (m *Metrics) request(r *http.Request, status int, took time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(strconv.Itoa(status/100) + "xx").Inc()
}

func (m *Metrics) loginFailed() { m.loginFails.Inc() }

// storeCollector reads the store at each scrape.
type storeCollector struct{ m *Metrics }

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.m.runsDesc, c.m.staleDesc, c.m.reviewDesc, c.m.jobsDesc, c.m.circuitDesc, c.m.upDesc} {
		ch <- d
	}
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	up := 1.0
	if err := c.collect(ctx, ch); err != nil {
		c.m.s.log.Warn("metrics: read the store", "err", err)
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.m.upDesc, prometheus.GaugeValue, up)
}

func (c storeCollector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	m, db := c.m, c.m.s.db
	runs, err := db.SyncRunCounts(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		ch <- prometheus.MustNewConstMetric(m.runsDesc, prometheus.CounterValue, float64(r.N), r.Outcome, r.Class)
	}
	jobs, err := db.JobCounts(ctx)
	if err != nil {
		return err
	}
	for state, n := range jobs {
		ch <- prometheus.MustNewConstMetric(m.jobsDesc, prometheus.GaugeValue, float64(n), state)
	}
	board, err := syncer.New(db, nil, syncer.Options{}).Status(ctx)
	if err != nil {
		return err
	}
	for _, is := range board.Institutions {
		if cir := is.Circuit; cir != nil {
			open := 0.0
			if cir.Open {
				open = 1
			}
			ch <- prometheus.MustNewConstMetric(m.circuitDesc, prometheus.GaugeValue, open, is.Institution.Name, string(cir.Class))
		}
		for _, cs := range is.Connections {
			for _, a := range cs.Accounts {
				id := strconv.FormatInt(int64(a.AccountID), 10)
				stale := -1.0
				if !a.LastSuccess.IsZero() {
					stale = board.At.Sub(a.LastSuccess).Seconds()
				}
				ch <- prometheus.MustNewConstMetric(m.staleDesc, prometheus.GaugeValue, stale, id, cs.Name, is.Institution.Name)
				ch <- prometheus.MustNewConstMetric(m.reviewDesc, prometheus.GaugeValue, float64(a.Unreviewed), id)
			}
		}
	}
	return nil
}

func (s *Server) metricsRoutes() {
	h := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil})
	s.handle("GET /metrics", Viewer, func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	})
}
