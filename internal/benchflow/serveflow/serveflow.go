// Package serveflow holds the durable serve benchmark (make bench;
// docs/performance.md): an order → transport-job flow with validations,
// a map of 14 fields and an idempotency key, an in-memory "benchfeed"
// source kind that offers prepared records as fast as serve takes them or
// at a fixed rate, and the measurements: the flow under engine.Run (no
// journal) and under serve on embedded JetStream, throughput and exact
// per-message end-to-end latency.
package serveflow

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
	"github.com/zclconf/go-cty/cty"

	_ "github.com/flowctl/flowctl/connectors/all" // file and http targets
)

// Kind is the source kind of the benchmark feed.
const Kind = "benchfeed"

const flowHead = `
schema "order" {
  ref         = string
  state       = string
  customer    = string
  customer_id = int
  country     = string
  zip         = string
  city        = string
  ready_at    = time
  amount      = decimal
  currency    = string
  carrier     = string
  weight_kg   = number
  priority    = optional(string)
}
%s
flow "orders" {
  key = "record.ref"

  source "benchfeed" {
    name   = %q
    schema = schema.order
  }

  validate "confirmed" {
    check   = "record.state == 'sale'"
    message = "'order ' + record.ref + ' is not confirmed'"
  }

  validate "positive_amount" {
    check = "record.amount > dec(0)"
  }

  validate "has_zip" {
    check = "record.zip != ''"
  }

  map "job" {
    ref          = "record.ref"
    customer     = "upper(record.customer)"
    customer_id  = "record.customer_id"
    country      = "record.country"
    zip          = "record.zip"
    city         = "record.city"
    window_start = "record.ready_at - duration('2h')"
    window_end   = "record.ready_at + duration('2h')"
    total        = "record.amount"
    currency     = "record.currency"
    carrier      = "upper(record.carrier)"
    weight_kg    = "round_to(record.weight_kg, 1)"
    priority     = "record.priority ?? 'normal'"
    service      = "record.weight_kg > 1000 ? 'ftl' : 'ltl'"
  }

%s
}
`

// Target says where the flow writes: an NDJSON file, or an HTTP endpoint.
type Target struct {
	Kind string // "file" or "http"
	Path string // file: the output file
	URL  string // http: base URL
}

// Flow is the benchmark configuration reading feed name and writing to t.
func Flow(feed string, t Target) string {
	var conn, target string
	switch t.Kind {
	case "http":
		conn = fmt.Sprintf(`
connection "http" "tms" {
  base_url = %q
  retry {
    attempts = 3
    initial  = "10ms"
    max      = "50ms"
  }
}`, t.URL)
		target = `  target "http" "jobs" {
    connection      = connection.http.tms
    path            = "/jobs"
    idempotency_key = "job.ref"
  }`
	default:
		// append: serve refuses a file target that would replace its file
		// at every start.
		target = fmt.Sprintf(`  target "file" "jobs" {
    path            = %q
    append          = true
    idempotency_key = "job.ref"
  }`, t.Path)
	}
	return fmt.Sprintf(flowHead, conn, feed, target)
}

// Compile compiles the benchmark flow.
func Compile(feed string, t Target) (*engine.Plan, error) {
	cfg, diags := dsl.Load([]string{"bench.hcl"}, map[string][]byte{"bench.hcl": []byte(Flow(feed, t))})
	if diags.HasErrors() {
		return nil, fmt.Errorf("load: %v", diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		return nil, fmt.Errorf("compile: %v", diags)
	}
	return plan, nil
}

var (
	cities    = []string{"Amsterdam", "Rotterdam", "Utrecht", "Antwerpen", "Hamburg", "Lyon"}
	countries = []string{"NL", "NL", "NL", "BE", "DE", "FR"}
	carriers  = []string{"dhl", "ups", "dsv", "postnl"}
)

// Records prepares n order records as a JSON decoder gives them (numbers
// as json.Number), ~330 bytes each as JSON, every one valid. Records are
// coerced in place by the flow, so each measurement takes a fresh set.
func Records(n int, seed int64) []map[string]any {
	r := rand.New(rand.NewSource(seed))
	out := make([]map[string]any, n)
	for i := range out {
		c := r.Intn(len(cities))
		var prio any
		if r.Intn(10) == 0 {
			prio = "high"
		}
		out[i] = map[string]any{
			"ref":         "SO" + strconv.Itoa(1_000_000+i),
			"state":       "sale",
			"customer":    "Customer " + strconv.Itoa(r.Intn(5000)) + " B.V.",
			"customer_id": json.Number(strconv.Itoa(1000 + r.Intn(5000))),
			"country":     countries[c],
			"zip":         strconv.Itoa(1000+r.Intn(8999)) + " AB",
			"city":        cities[c],
			"ready_at":    fmt.Sprintf("2026-12-%02dT%02d:00:00Z", 1+r.Intn(28), 6+r.Intn(12)),
			"amount":      fmt.Sprintf("%d.%02d", 10+r.Intn(5000), r.Intn(100)),
			"currency":    "EUR",
			"carrier":     carriers[r.Intn(len(carriers))],
			"weight_kg":   json.Number(fmt.Sprintf("%d.%d", r.Intn(2000), r.Intn(10))),
			"priority":    prio,
		}
	}
	return out
}

// Feed is one benchfeed source: it offers its records once, in order, as
// fast as serve calls Next (Rate 0) or paced at Rate messages per second.
// A message's ReceivedAt is when it was offered; paced, it is when it was
// due (so a feed held back by serve counts the wait as latency).
type Feed struct {
	Records []map[string]any
	Rate    float64

	next    int
	mu      sync.Mutex
	start   time.Time
	started chan struct{}
	acked   atomic.Int64
	allAck  atomic.Int64  // unix nanos when the last record was acknowledged
	behind  time.Duration // paced: the most an offer came after it was due
}

var feeds sync.Map // name → *Feed

// NewFeed registers a feed under name.
func NewFeed(name string, recs []map[string]any, rate float64) *Feed {
	f := &Feed{Records: recs, Rate: rate, started: make(chan struct{})}
	feeds.Store(name, f)
	return f
}

// Remove unregisters a feed.
func Remove(name string) { feeds.Delete(name) }

// Start is when the first message was offered (blocks until it was).
func (f *Feed) Start() time.Time {
	<-f.started
	return f.start
}

// Acked is the number of messages acknowledged to the feed (journaled).
func (f *Feed) Acked() int64 { return f.acked.Load() }

// Behind is, paced, the most an offer came after it was due.
func (f *Feed) Behind() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.behind
}

func init() {
	engine.Register(&engine.Connector{Kind: Kind, Doc: "Benchmark feed: prepared in-memory records (internal/benchflow/serveflow).",
		Source: &engine.SourceSpec{Spec: engine.Spec{Fields: []engine.Field{{Name: "name", Type: cty.String, Required: true}}},
			Watch: func(ctx context.Context, sp *engine.SourcePlan, _ *engine.WatchContext) (engine.RecordReader, error) {
				f, ok := feeds.Load(sp.Values.String("name"))
				if !ok {
					return nil, fmt.Errorf("no benchfeed %s", sp.Values.String("name"))
				}
				return &feedReader{ctx: ctx, f: f.(*Feed)}, nil
			}}})
}

type feedReader struct {
	ctx context.Context
	f   *Feed
}

func (r *feedReader) Next() (*engine.Message, bool, error) {
	f := r.f
	f.mu.Lock()
	i := f.next
	if i >= len(f.Records) {
		f.mu.Unlock()
		<-r.ctx.Done() // a watched source blocks until serve stops
		return nil, false, nil
	}
	f.next++
	now := time.Now()
	if i == 0 {
		f.start = now
		close(f.started)
	}
	at := now
	if f.Rate > 0 {
		due := f.start.Add(time.Duration(float64(i) / f.Rate * float64(time.Second)))
		if d := due.Sub(now); d > 0 {
			f.mu.Unlock()
			t := time.NewTimer(d)
			select {
			case <-r.ctx.Done():
				t.Stop()
				return nil, false, nil
			case <-t.C:
			}
			f.mu.Lock()
		} else if -d > f.behind {
			f.behind = -d
		}
		at = due
	}
	rec := f.Records[i]
	f.Records[i] = nil // serve journals it; the feed lets go
	f.mu.Unlock()
	return &engine.Message{Line: i + 1, Source: "benchfeed", Record: rec, ID: rec["ref"].(string), ReceivedAt: at.UTC(), Receipt: receipt{f}}, true, nil
}

func (r *feedReader) Close() error { return nil }

type receipt struct{ f *Feed }

func (r receipt) Ack(context.Context) error {
	if int(r.f.acked.Add(1)) == len(r.f.Records) {
		r.f.allAck.Store(time.Now().UnixNano())
	}
	return nil
}
func (r receipt) Nack(context.Context, error) error { return nil }

// sliceReader is the same records for engine.Run.
type sliceReader struct {
	recs []map[string]any
	i    int
}

func (r *sliceReader) Next() (*engine.Message, bool, error) {
	if r.i >= len(r.recs) {
		return nil, false, nil
	}
	rec := r.recs[r.i]
	r.recs[r.i] = nil
	r.i++
	return &engine.Message{Line: r.i, Source: "benchfeed", Record: rec, ID: rec["ref"].(string)}, true, nil
}

func (r *sliceReader) Close() error { return nil }

// HTTPTarget is a minimal JSON API on loopback: it reads the body and
// answers 201 with an id derived from the Idempotency-Key.
type HTTPTarget struct {
	srv      *httptest.Server
	Requests atomic.Int64
}

// StartHTTPTarget starts the endpoint.
func StartHTTPTarget() *HTTPTarget {
	t := &HTTPTarget{}
	t.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		t.Requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q}`, "job-"+r.Header.Get("Idempotency-Key"))
	}))
	return t
}

// URL is the endpoint's base URL.
func (t *HTTPTarget) URL() string { return t.srv.URL }

// Close stops it.
func (t *HTTPTarget) Close() { t.srv.Close() }

// Result is one measurement.
type Result struct {
	N       int
	Elapsed time.Duration
	CPU     time.Duration // process CPU (user+system) over Elapsed
	// Latency: exact per-message end-to-end latencies (durable phases).
	Latencies []time.Duration
	Behind    time.Duration // paced: the most an offer came after it was due
	Intake    time.Duration // durable: first offered → last journaled (source acked)
	Stall     time.Duration // durable: the longest time without a message settled
}

// Rate is messages per second.
func (r Result) Rate() float64 { return float64(r.N) / r.Elapsed.Seconds() }

// CPUPerMsg is process CPU time per message.
func (r Result) CPUPerMsg() time.Duration { return r.CPU / time.Duration(max(r.N, 1)) }

// Percentile of the latencies (q in [0,1]); they must be sorted.
func (r Result) Percentile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.Latencies))+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// target prepares an output for one measurement in dir.
func target(kind, dir string, ht *HTTPTarget) Target {
	if kind == "http" {
		return Target{Kind: "http", URL: ht.URL()}
	}
	return Target{Kind: "file", Path: filepath.Join(dir, "jobs.ndjson")}
}

// check verifies that a file target holds n lines.
func check(t Target, n int) error {
	if t.Kind != "file" {
		return nil
	}
	f, err := os.Open(t.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	lines := 0
	buf := make([]byte, 1<<20)
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		k, err := r.Read(buf)
		lines += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if lines != n {
		return fmt.Errorf("%s: %d lines, want %d", t.Path, lines, n)
	}
	return nil
}

// Run measures the flow under engine.Run (one-shot, no journal) over n
// fresh records writing to kind ("file" or "http"; ht for http).
func Run(ctx context.Context, kind string, ht *HTTPTarget, n int) (Result, error) {
	dir, err := os.MkdirTemp("", "servebench-run")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	t := target(kind, dir, ht)
	plan, err := Compile("run", t)
	if err != nil {
		return Result{}, err
	}
	in := &sliceReader{recs: Records(n, 1)}
	cpu0, start := cpuTime(), time.Now()
	sum, err := engine.Run(ctx, plan, plan.Flows[0], engine.RunOptions{Input: in, Context: &engine.RunContext{}, Rejects: io.Discard})
	res := Result{N: n, Elapsed: time.Since(start), CPU: cpuTime() - cpu0}
	if err != nil {
		return res, err
	}
	if sum.Delivered != n {
		return res, fmt.Errorf("run delivered %d of %d: %+v", sum.Delivered, n, sum)
	}
	return res, check(t, n)
}

// DurableOptions configure a durable measurement.
type DurableOptions struct {
	Target  string        // "file" (default) or "http"
	HTTP    *HTTPTarget   // for "http"
	N       int           // messages
	Rate    float64       // 0: as fast as serve takes them; else paced
	Workers int           // serve's workers per flow (0: its default)
	Profile func() func() // called once the server is up; the func it returns when all settled
	// SyncAlways fsyncs every journal and store write (serve --sync-always).
	SyncAlways bool
}

// Durable measures the flow under serve with embedded JetStream in a
// fresh data directory: from the first message offered until all N are
// settled, with every message's end-to-end latency (offered → settled).
func Durable(ctx context.Context, o DurableOptions) (Result, error) {
	dir, err := os.MkdirTemp("", "servebench-durable")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	t := target(o.Target, dir, o.HTTP)
	name := fmt.Sprintf("durable-%d", time.Now().UnixNano())
	plan, err := Compile(name, t)
	if err != nil {
		return Result{}, err
	}
	feed := NewFeed(name, Records(o.N, 1), o.Rate)
	defer Remove(name)

	octx, ocancel := context.WithTimeout(ctx, 30*time.Second)
	st, err := durable.Open(octx, durable.Options{DataDir: filepath.Join(dir, "data"), SyncAlways: o.SyncAlways})
	ocancel()
	if err != nil {
		return Result{}, err
	}
	defer st.Close()

	lat := make([]time.Duration, 0, o.N)
	var mu sync.Mutex
	var delivered, other int
	var end, last time.Time
	var gap time.Duration // longest time without a message settled
	done := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	srv, err := serve.New(serve.Options{Store: st, Plan: plan, PlanHash: "bench", Listener: ln, Workers: o.Workers,
		OnSettled: func(_ string, e *durable.Entry, rep serve.Report) {
			now := time.Now()
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, now.Sub(e.ReceivedAt))
			if !last.IsZero() && now.Sub(last) > gap {
				gap = now.Sub(last)
			}
			last = now
			if rep.Outcome == serve.Delivered {
				delivered++
			} else {
				other++
			}
			if delivered+other == o.N {
				end = now
				close(done)
			}
		}})
	if err != nil {
		ln.Close()
		return Result{}, err
	}
	sctx, stop := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Run(sctx) }()
	shutdown := func() error {
		stop()
		select {
		case err := <-stopped:
			return err
		case <-time.After(60 * time.Second):
			return fmt.Errorf("serve did not stop")
		}
	}

	var stopProfile func()
	if o.Profile != nil {
		stopProfile = o.Profile()
	}
	cpu0 := cpuTime()
	timeout := time.Duration(float64(o.N)/max(o.Rate, 1000)*float64(time.Second)) + 2*time.Minute
	select {
	case <-done:
	case <-time.After(timeout):
		shutdown()
		return Result{}, fmt.Errorf("timed out: %d of %d settled", delivered+other, o.N)
	case <-ctx.Done():
		shutdown()
		return Result{}, ctx.Err()
	}
	cpu := cpuTime() - cpu0
	if stopProfile != nil {
		stopProfile()
	}
	start := feed.Start()
	if err := shutdown(); err != nil {
		return Result{}, err
	}
	if other > 0 {
		return Result{}, fmt.Errorf("%d of %d messages not delivered", other, o.N)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res := Result{N: o.N, Elapsed: end.Sub(start), CPU: cpu, Latencies: lat, Behind: feed.Behind(),
		Intake: time.Unix(0, feed.allAck.Load()).Sub(start), Stall: gap}
	return res, check(t, o.N)
}
