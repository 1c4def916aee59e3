package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/flowctl/flowctl/connectors/all"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
	"github.com/zclconf/go-cty/cty"
)

// feeds are the in-memory sources of the "testfeed" kind, by name.
var feeds sync.Map // name → *feed

type feed struct {
	ch    chan map[string]any
	acked atomic.Int64
	nacks atomic.Int64
}

func init() {
	engine.Register(&engine.Connector{Kind: "testfeed", Doc: "test source",
		Source: &engine.SourceSpec{Spec: engine.Spec{Fields: []engine.Field{{Name: "name", Type: cty.String, Required: true}}},
			Watch: func(ctx context.Context, sp *engine.SourcePlan, _ *engine.WatchContext) (engine.RecordReader, error) {
				f, ok := feeds.Load(sp.Values.String("name"))
				if !ok {
					return nil, fmt.Errorf("no feed %s", sp.Values.String("name"))
				}
				return &feedReader{ctx: ctx, f: f.(*feed)}, nil
			}}})
}

type feedReader struct {
	ctx context.Context
	f   *feed
	n   int
}

func (r *feedReader) Next() (*engine.Message, bool, error) {
	select {
	case <-r.ctx.Done():
		return nil, false, nil
	case rec := <-r.f.ch:
		r.n++
		id := ""
		if ref, ok := rec["ref"].(string); ok {
			id = ref // a stable source id: a repeat is journaled once
		}
		return &engine.Message{Line: r.n, Source: "feed", Record: rec, ID: id, Receipt: feedReceipt{r.f}}, true, nil
	}
}
func (r *feedReader) Close() error { return nil }

type feedReceipt struct{ f *feed }

func (r feedReceipt) Ack(context.Context) error         { r.f.acked.Add(1); return nil }
func (r feedReceipt) Nack(context.Context, error) error { r.f.nacks.Add(1); return nil }

// target is an HTTP target that honours Idempotency-Key like a real API:
// a repeated key is answered with the first answer and not applied again.
type target struct {
	mu       sync.Mutex
	applied  map[string]int // key → times applied (must stay 1)
	requests int
	fail     func(body map[string]any) int // status to answer instead, 0 = accept
}

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	json.Unmarshal(data, &body)
	key := r.Header.Get("Idempotency-Key")
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if t.fail != nil {
		if st := t.fail(body); st != 0 {
			w.WriteHeader(st)
			fmt.Fprintf(w, `{"error":"refused with %d"}`, st)
			return
		}
	}
	if t.applied[key] == 0 {
		t.applied[key]++
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"id":%q}`, "job-"+key)
}

func (t *target) count() (keys, requests int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.applied), t.requests
}

const flowSrc = `
connection "http" "tms" {
  base_url = %q
  retry {
    attempts = 3
    initial  = "10ms"
    max      = "50ms"
  }
}
schema "order" {
  ref = string
  qty = number
}
flow "orders" {
  key = "record.ref"
  source "testfeed" {
    name   = %q
    schema = schema.order
  }
  validate "positive" {
    check   = "record.qty > 0"
    message = "'qty must be positive'"
  }
  target "http" "jobs" {
    connection      = connection.http.tms
    path            = "/jobs"
    idempotency_key = "'job-' + record.ref"
    body            = "{ref: record.ref, qty: record.qty}"
  }
}
`

func compile(t *testing.T, src string) *engine.Plan { return compileF(t, src) }

func compileF(t testing.TB, src string) *engine.Plan {
	t.Helper()
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	return plan
}

func openStore(t *testing.T, dir string) *durable.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := durable.Open(ctx, durable.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type running struct {
	srv    *serve.Server
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, st *durable.Store, plan *engine.Plan, opts serve.Options) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.Store, opts.Plan, opts.Listener = st, plan, ln
	if opts.PlanHash == "" {
		opts.PlanHash = "test"
	}
	srv, err := serve.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Run(ctx) }()
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newFeed(name string) *feed {
	f := &feed{ch: make(chan map[string]any)}
	feeds.Store(name, f)
	return f
}

func deadLetters(t *testing.T, st *durable.Store, flow string) []*durable.DeadLetter {
	t.Helper()
	var out []*durable.DeadLetter
	if err := st.DeadLetters(context.Background(), durable.Filter{Flow: flow}, func(d *durable.DeadLetter) error {
		out = append(out, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeliverOnceAcrossRestart: messages go through, a restart in the
// middle loses nothing, and every key is applied exactly once; rejected
// and failing messages are dead-lettered with their reasons.
func TestDeliverOnceAcrossRestart(t *testing.T) {
	tg := &target{applied: map[string]int{}, fail: func(b map[string]any) int {
		if b["ref"] == "R-poison" {
			return http.StatusUnprocessableEntity
		}
		return 0
	}}
	hs := httptest.NewServer(tg)
	defer hs.Close()
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(flowSrc, hs.URL, t.Name()))
	dir := t.TempDir()
	st := openStore(t, dir)

	const n = 2000
	r := start(t, st, plan, serve.Options{Workers: 8})
	send := func(from, to int) {
		for i := from; i < to; i++ {
			rec := map[string]any{"ref": fmt.Sprintf("R-%05d", i), "qty": json.Number("1")}
			switch i {
			case 10:
				rec["qty"] = json.Number("0") // fails validation
			case 20:
				rec["ref"] = "R-poison" // target refuses it for good
			}
			f.ch <- rec
		}
	}
	send(0, n/2)
	r.stop(t)
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	r = start(t, st, plan, serve.Options{Workers: 8})
	send(n/2, n)
	waitFor(t, "all keys", 60*time.Second, func() bool { k, _ := tg.count(); return k >= n-2 })
	waitFor(t, "dead letters", 30*time.Second, func() bool { return len(deadLetters(t, st, "orders")) >= 2 })
	r.stop(t)

	keys, reqs := tg.count()
	if keys != n-2 {
		t.Errorf("applied %d keys, want %d", keys, n-2)
	}
	for k, c := range tg.applied {
		if c != 1 {
			t.Errorf("key %s applied %d times", k, c)
		}
	}
	if got := f.acked.Load(); got != n {
		t.Errorf("source receipts acked: %d, want %d", got, n)
	}
	dls := deadLetters(t, st, "orders")
	if len(dls) != 2 {
		t.Fatalf("dead letters: %d, want 2", len(dls))
	}
	steps := map[string]string{}
	for _, d := range dls {
		steps[d.Step] = d.Error
		if d.Entry == nil || d.Entry.Seq == 0 || len(d.Entry.Record) == 0 {
			t.Errorf("dead letter without its message: %+v", d)
		}
	}
	if !strings.Contains(steps["positive"], "qty must be positive") {
		t.Errorf("validation dead letter: %v", steps)
	}
	if !strings.Contains(steps["target.jobs"], "422") {
		t.Errorf("target dead letter: %v", steps)
	}
	t.Logf("keys applied %d, requests %d, dead letters %d", keys, reqs, len(dls))
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
