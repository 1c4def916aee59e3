package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the Prometheus series serve exports on /metrics. Labels are
// flow and target names only: never keys, records or anything secret.
type Metrics struct {
	Registry *prometheus.Registry

	In            *prometheus.CounterVec   // flow: messages journaled
	Deduped       *prometheus.CounterVec   // flow: repeats the journal already had
	Out           *prometheus.CounterVec   // flow, outcome: messages settled
	Writes        *prometheus.CounterVec   // flow, target, result (ok, duplicate, error)
	Retries       *prometheus.CounterVec   // flow, target
	WriteSeconds  *prometheus.HistogramVec // flow, target
	EndToEnd      *prometheus.HistogramVec // flow: received → settled
	Backlog       *prometheus.GaugeVec     // flow: journaled, not yet settled
	DeadLetters   *prometheus.GaugeVec     // flow: messages in the dead-letter store
	Circuit       *prometheus.GaugeVec     // flow, target: 0 closed, 1 open, 2 half-open
	CircuitMoves  *prometheus.CounterVec   // flow, target, state: transitions into state
	IntakePaused  *prometheus.GaugeVec     // flow: 1 while intake waits for the backlog to shrink
	JournalErrors *prometheus.CounterVec   // flow: journal writes that failed
	Redelivered   *prometheus.CounterVec   // flow: deliveries after the first
}

// NewMetrics registers serve's series in a fresh registry (with the Go
// runtime and process collectors).
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := prometheus.WrapRegistererWithPrefix("flowctl_", r)
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		f.MustRegister(v)
		return v
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		f.MustRegister(v)
		return v
	}
	hist := func(name, help string, labels ...string) *prometheus.HistogramVec {
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help,
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, labels)
		f.MustRegister(v)
		return v
	}
	return &Metrics{
		Registry:      r,
		In:            counter("messages_in_total", "Inbound messages journaled.", "flow"),
		Deduped:       counter("messages_deduped_total", "Inbound messages the journal already had (same source id within the dedupe window): not journaled again.", "flow"),
		Out:           counter("messages_out_total", "Messages settled, by outcome (delivered, duplicate, skipped, dead_lettered).", "flow", "outcome"),
		Writes:        counter("target_writes_total", "Target writes by result (ok, duplicate, error).", "flow", "target", "result"),
		Retries:       counter("target_retries_total", "Target writes retried after a retryable failure.", "flow", "target"),
		WriteSeconds:  hist("target_write_seconds", "Duration of one target write attempt.", "flow", "target"),
		EndToEnd:      hist("end_to_end_seconds", "From receipt at the source to the message's outcome.", "flow"),
		Backlog:       gauge("backlog", "Journaled messages not yet settled.", "flow"),
		DeadLetters:   gauge("dead_letters", "Messages in the dead-letter store.", "flow"),
		Circuit:       gauge("circuit_state", "Circuit breaker per target: 0 closed, 1 open, 2 half-open.", "flow", "target"),
		CircuitMoves:  counter("circuit_transitions_total", "Circuit breaker state changes, by the state entered.", "flow", "target", "state"),
		IntakePaused:  gauge("intake_paused", "1 while a flow's intake waits for its backlog to shrink or the journal to recover.", "flow"),
		JournalErrors: counter("journal_errors_total", "Journal writes that failed (the source keeps the message).", "flow"),
		Redelivered:   counter("redeliveries_total", "Messages delivered to a worker again (crash, timeout, requeue).", "flow"),
	}
}
