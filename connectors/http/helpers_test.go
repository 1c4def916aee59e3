package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
)

// compile compiles a configuration for a real run; secret("NAME") and
// env("NAME") read from secrets.
func compile(t *testing.T, src string, secrets map[string]string) *engine.Plan {
	t.Helper()
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	lookup := func(k string) (string, bool) { v, ok := secrets[k]; return v, ok }
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun, LookupEnv: lookup})
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	return plan
}

// sliceReader feeds records from memory.
type sliceReader struct {
	recs []map[string]any
	i    int
}

func (s *sliceReader) Next() (*engine.Message, bool, error) {
	if s.i >= len(s.recs) {
		return nil, false, nil
	}
	s.i++
	return &engine.Message{Line: s.i, Record: s.recs[s.i-1], Source: "mem"}, true, nil
}
func (s *sliceReader) Close() error { return nil }

// run runs the plan's first flow for real over recs (nil: its own source)
// and returns the summary and the rejects output.
func run(t *testing.T, plan *engine.Plan, recs []map[string]any) (*engine.Summary, string, error) {
	t.Helper()
	var rejects bytes.Buffer
	opts := engine.RunOptions{Workers: 2, Rejects: &rejects}
	if recs != nil {
		opts.Input = &sliceReader{recs: recs}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sum, err := engine.Run(ctx, plan, plan.Flows[0], opts)
	return sum, rejects.String(), err
}

// request is what a test server saw.
type request struct {
	at     time.Time
	method string
	uri    string
	header http.Header
	body   string
}

// recorder is a loopback test server that records requests and answers
// with a function of the request number (0-based).
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newRecorder(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		n := len(rec.reqs)
		rec.reqs = append(rec.reqs, request{at: time.Now(), method: r.Method, uri: r.URL.RequestURI(), header: r.Header.Clone(), body: string(b)})
		rec.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func ok(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) }

func jsonReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// engineDryRun runs the plan's first flow as a dry run and reports each
// operation's description and evaluated path_expr.
func engineDryRun(plan *engine.Plan, recs []map[string]any, seen func(op, path string)) (*engine.Summary, error) {
	return engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{
		DryRun: true, Input: &sliceReader{recs: recs},
		OnResult: func(r *engine.Result) error {
			for _, op := range r.Ops {
				p, _ := op.Fields["path_expr"].(string)
				seen(op.Op, p)
			}
			return nil
		},
	})
}
