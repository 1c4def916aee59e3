package odoo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/flowctl/flowctl/connectors/file" // file source and target for flows
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/odootest"
)

// protocols are the wire protocols every behaviour is tested over.
var protocols = []string{protoJSONRPC, protoJSON2, protoXMLRPC}

func TestMain(m *testing.M) {
	// The source's own retries (reads, checks at open) wait milliseconds
	// in tests; the engine's retries of target writes keep their policy.
	defaultRetrier = retrier{policy: engine.RetryPolicy{Attempts: 5, Initial: time.Millisecond, Max: 5 * time.Millisecond}, sleep: engine.Sleep}
	os.Exit(m.Run())
}

// clock is a settable clock for the server's write_date.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newServer starts an odootest server on loopback (Odoo 19, admin/admin,
// API key odootest.DefaultAPIKey) with a settable clock.
func newServer(t testing.TB) (*odootest.Server, *clock) {
	t.Helper()
	clk := newClock()
	srv := odootest.NewServer(odootest.Options{Now: clk.now})
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, clk
}

// connBlock is an odoo connection to srv over proto; the key comes from
// secret("ODOO_KEY").
func connBlock(srv *odootest.Server, proto string) string {
	return fmt.Sprintf(`
connection "odoo" "erp" {
  url      = %q
  database = %q
  username = "admin"
  api_key  = secret("ODOO_KEY")
  protocol = %q
  timeout  = "5s"
}
`, srv.URL(), srv.Database(), proto)
}

var goodKey = map[string]string{"ODOO_KEY": odootest.DefaultAPIKey}

// compile compiles a configuration for a real run.
func compile(t testing.TB, src string, secrets map[string]string) *engine.Plan {
	t.Helper()
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	lookup := func(k string) (string, bool) { v, ok := secrets[k]; return v, ok }
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun, LookupEnv: lookup, LookupSecret: lookup})
	if diags.HasErrors() {
		t.Fatalf("compile: %v\n%s", diags, src)
	}
	return plan
}

// targetFlow is a flow over records the test gives (the file source is
// replaced by RunOptions.Input) into one odoo target.
func targetFlow(srv *odootest.Server, proto, settings string) string {
	return connBlock(srv, proto) + fmt.Sprintf(`
flow "f" {
  source "file" { path = "unused.ndjson" }
  target "odoo" "t" {
    connection = connection.odoo.erp
%s
  }
}
`, settings)
}

// openTarget opens the odoo target of a target flow directly.
func openTestTarget(t testing.TB, srv *odootest.Server, proto, settings string) *target {
	t.Helper()
	plan := compile(t, targetFlow(srv, proto, settings), goodKey)
	w, err := openTarget(plan.Flows[0].Targets[0], &engine.RunContext{})
	if err != nil {
		t.Fatalf("open target: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w.(*target)
}

// sourceFlow is a flow from an odoo source (settings in source) to a file.
func sourceFlow(srv *odootest.Server, proto, source, out string) string {
	return connBlock(srv, proto) + fmt.Sprintf(`
flow "f" {
  source "odoo" {
    connection = connection.odoo.erp
%s
  }
  target "file" "out" {
    path            = %q
    idempotency_key = "string(record.id)"
  }
}
`, source, out)
}

// openTestReader opens the odoo source of a source flow directly.
func openTestReader(t testing.TB, srv *odootest.Server, proto, source string, from *Cursor) *Reader {
	t.Helper()
	plan := compile(t, sourceFlow(srv, proto, source, "unused.ndjson"), goodKey)
	r, err := OpenReader(plan.Flows[0].Source, &engine.RunContext{}, from)
	if err != nil {
		t.Fatalf("open source: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// readAll reads every message, acknowledging each when ack is set.
func readAll(t testing.TB, r *Reader, ack bool) []*engine.Message {
	t.Helper()
	var out []*engine.Message
	for {
		m, ok, err := r.Next()
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if !ok {
			return out
		}
		if ack {
			m.Receipt.Ack(context.Background())
		}
		out = append(out, m)
	}
}

// sliceReader feeds records from memory. first, when set, runs before the
// first record is read: after the run opened its targets.
type sliceReader struct {
	recs  []map[string]any
	i     int
	first func()
}

func (s *sliceReader) Next() (*engine.Message, bool, error) {
	if s.first != nil {
		s.first()
		s.first = nil
	}
	if s.i >= len(s.recs) {
		return nil, false, nil
	}
	s.i++
	return &engine.Message{Line: s.i, Record: s.recs[s.i-1], Source: "mem"}, true, nil
}
func (s *sliceReader) Close() error { return nil }

// run runs the plan's first flow for real over recs (nil: its own source)
// and returns the summary and the rejects output.
func run(t testing.TB, plan *engine.Plan, recs []map[string]any) (*engine.Summary, string, error) {
	t.Helper()
	return runWith(t, plan, recs, nil)
}

// runWith is run with a function called once the targets are open.
func runWith(t testing.TB, plan *engine.Plan, recs []map[string]any, first func()) (*engine.Summary, string, error) {
	t.Helper()
	var rejects bytes.Buffer
	opts := engine.RunOptions{Workers: 2, Rejects: &rejects}
	if recs != nil {
		opts.Input = &sliceReader{recs: recs, first: first}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sum, err := engine.Run(ctx, plan, plan.Flows[0], opts)
	return sum, rejects.String(), err
}

func mustContain(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// calls counts the server's calls of model.method (errors included).
func calls(srv *odootest.Server, model, method string) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.Model == model && c.Method == method {
			n++
		}
	}
	return n
}

// search is srv.Search that fails the test on error.
func search(t testing.TB, srv *odootest.Server, model string, domain ...any) []int {
	t.Helper()
	ids, err := srv.Search(model, domain)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func read(t testing.TB, srv *odootest.Server, model string, id int, fields ...string) map[string]any {
	t.Helper()
	rec, err := srv.Read(model, id, fields...)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
