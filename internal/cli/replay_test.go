package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

// jobsAPI is an HTTP target that honours Idempotency-Key like a real API
// and refuses (422) a job of more than 100 units.
type jobsAPI struct {
	mu       sync.Mutex
	applied  map[string]map[string]any // idempotency key → first body applied
	requests map[string]int            // idempotency key → requests
}

func (a *jobsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	json.Unmarshal(data, &body)
	key := r.Header.Get("Idempotency-Key")
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests[key]++
	if q, _ := body["qty"].(float64); q > 100 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"error":"qty %v over the limit of 100"}`, q)
		return
	}
	if a.applied[key] == nil {
		a.applied[key] = body
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"id":%q}`, "job-"+key)
}

func (a *jobsAPI) state(key string) (body map[string]any, requests int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applied[key], a.requests[key]
}

const replayFlow = `
connection "http" "tms" {
  base_url = %q
  retry {
    attempts = 2
    initial  = "10ms"
    max      = "20ms"
  }
}
schema "order" {
  ref = string
  qty = number
}
flow "orders" {
  key = "record.ref"
  source "file" {
    path        = %q
    every       = "50ms"
    archive_dir = %q
    schema      = schema.order
  }
  target "http" "jobs" {
    connection      = connection.http.tms
    path            = "/jobs"
    idempotency_key = "'job-' + record.ref"
    body            = %q
  }
}
`

const (
	bodyV1 = "{ref: record.ref, qty: record.qty}"
	bodyV2 = "{ref: record.ref, qty: record.qty > 100 ? 100 : record.qty}" // the fix: cap at the API's limit
)

// fixture is a data directory after serve ran the orders flow over four
// records: delivered, R-3 (500 units) and R-4 (600 units)
// refused by the API and dead-lettered.
type fixture struct {
	api          *jobsAPI
	data         string
	v1, v2       string // flow directories: as served, and fixed
	hash1, hash2 string
	st           *durable.Store // open while serving
	stop         func()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	api := &jobsAPI{applied: map[string]map[string]any{}, requests: map[string]int{}}
	hs := httptest.NewServer(api)
	t.Cleanup(hs.Close)
	root := t.TempDir()
	f := &fixture{api: api, data: filepath.Join(root, "data"), v1: filepath.Join(root, "v1"), v2: filepath.Join(root, "v2")}
	inbox, archive := filepath.Join(root, "inbox"), filepath.Join(root, "archive")
	for _, dir := range []string{f.v1, f.v2, inbox} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(f.v1, "orders.hcl"), fmt.Sprintf(replayFlow, hs.URL, inbox, archive, bodyV1))
	write(filepath.Join(f.v2, "orders.hcl"), fmt.Sprintf(replayFlow, hs.URL, inbox, archive, bodyV2))
	var plan *engine.Plan
	plan, f.hash1 = compileDir(t, f.v1)
	_, f.hash2 = compileDir(t, f.v2)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := durable.Open(ctx, durable.Options{DataDir: f.data})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := dsl.Discover([]string{f.v1})
	cfg, _, _ := engine.LoadAndCompile(files[0].Files, engine.Options{Mode: engine.ModeRun})
	pf, err := planFiles(f.v1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordPlan(ctx, &durable.PlanFiles{Hash: f.hash1, Files: pf, At: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(serve.Options{Store: st, Plan: plan, PlanHash: f.hash1, Listener: ln, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopServe := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(rctx) }()
	f.st = st
	f.stop = func() {
		if f.st == nil {
			return
		}
		stopServe()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop")
		}
		st.Close()
		f.st = nil
	}
	t.Cleanup(f.stop)

	in := filepath.Join(inbox, "orders.ndjson")
	write(in, `{"ref":"R-1","qty":5}
{"ref":"R-2","qty":7}
{"ref":"R-3","qty":500}
{"ref":"R-4","qty":600}
`)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(in, old, old)

	waitUntil(t, "two deliveries and two dead letters", 30*time.Second, func() bool {
		b1, _ := api.state("job-R-1")
		b2, _ := api.state("job-R-2")
		return b1 != nil && b2 != nil && len(deadLettersOf(t, st)) == 2
	})
	return f
}

func compileDir(t *testing.T, dir string) (*engine.Plan, string) {
	t.Helper()
	units, err := dsl.Discover([]string{dir})
	if err != nil || len(units) != 1 {
		t.Fatalf("discover %s: %v %v", dir, units, err)
	}
	cfg, plan, diags := engine.LoadAndCompile(units[0].Files, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		t.Fatalf("compile %s: %v", dir, diags)
	}
	files, err := planFiles(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return plan, durable.HashFiles(files)
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func deadLettersOf(t *testing.T, st *durable.Store) []*durable.DeadLetter {
	t.Helper()
	var out []*durable.DeadLetter
	if err := st.DeadLetters(context.Background(), durable.Filter{Flow: "orders"}, func(d *durable.DeadLetter) error {
		out = append(out, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// flowctl runs the command in-process and returns its exit code, stdout
// and stderr.
func flowctl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"flowctl"}, args...), strings.NewReader(""), &out, &errb)
	t.Logf("flowctl %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// withStore opens the fixture's store (no serve running) for checks.
func (f *fixture) withStore(t *testing.T, fn func(*durable.Store)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := durable.Open(ctx, durable.Options{DataDir: f.data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(st)
}

func audits(t *testing.T, st *durable.Store, action string) []*durable.AuditRecord {
	t.Helper()
	var out []*durable.AuditRecord
	if err := st.Audits(context.Background(), action, time.Time{}, func(a *durable.AuditRecord) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, got)
		}
	}
}

// TestDLQ: list and show dead letters (attached to a running serve, then
// with the store opened by the command itself); a retry with the unfixed
// flow fails again and leaves one dead letter for the message; drop needs
// a reason and is audited; a retry with the fixed flow delivers and
// empties the dead-letter stream, the journal keeping the message.
func TestDLQ(t *testing.T) {
	f := newFixture(t)
	dls := deadLettersOf(t, f.st)
	bySeq := map[string]*durable.DeadLetter{}
	for _, d := range dls {
		bySeq[d.Entry.Key] = d
	}
	d3, d4 := bySeq["R-3"], bySeq["R-4"]
	if d3 == nil || d4 == nil {
		t.Fatalf("dead letters: %+v", dls)
	}

	// Attached: serve holds the data directory's lock.
	code, out, _ := flowctl(t, "dlq", "list", "--data", f.data)
	if code != 0 {
		t.Fatalf("dlq list while serving: exit %d", code)
	}
	mustContain(t, "dlq list", out, "DLQ  FLOW", "JOURNAL", "STEP", "2 dead letter(s)")
	row := regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+orders\s+%d\s+R-3\s+target\.jobs\s+writing to target jobs: .*422.*\s+\d{4}-\d\d-\d\dT`, d3.Seq, d3.Entry.Seq))
	if !row.MatchString(out) {
		t.Errorf("dlq list: no row for R-3 matching %s", row)
	}
	first, second := d3, d4
	if d4.At.Before(d3.At) {
		first, second = d4, d3
	}
	if strings.Index(out, first.Entry.Key) > strings.Index(out, second.Entry.Key) {
		t.Errorf("dlq list: not oldest first")
	}
	f.stop()

	// The command starts the embedded server itself.
	code, out, _ = flowctl(t, "dlq", "list", "--data", f.data, "--key", "R-4", "--output", "json")
	var list struct {
		Count       int                   `json:"count"`
		DeadLetters []*durable.DeadLetter `json:"dead_letters"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || list.Count != 1 || list.DeadLetters[0].Seq != d4.Seq {
		t.Fatalf("dlq list --key R-4 --output json: exit %d, %v, %+v", code, err, list)
	}

	code, out, _ = flowctl(t, "dlq", "show", fmt.Sprint(d3.Seq), "--data", f.data)
	if code != 0 {
		t.Fatalf("dlq show: exit %d", code)
	}
	mustContain(t, "dlq show", out,
		fmt.Sprintf("dead letter %d\n", d3.Seq), "flow:", "orders", "step:", "target.jobs", "422",
		"plan:", f.hash1, "written:", "(nothing)", fmt.Sprintf("journal:       %d (stored", d3.Entry.Seq),
		"key:           R-3", "attempts:", "  1  ", "jobs  422", "message:", `"qty": 500`, `"ref": "R-3"`)
	code, out, _ = flowctl(t, "dlq", "show", "--output", "json", fmt.Sprint(d3.Seq), "--data", f.data)
	var shown durable.DeadLetter
	if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil || shown.Seq != d3.Seq || shown.Entry.Key != "R-3" || len(shown.Attempts) != 1 || shown.Attempts[0].Status != 422 {
		t.Fatalf("dlq show --output json: exit %d, %v, %+v", code, err, shown)
	}
	code, _, errs := flowctl(t, "dlq", "show", "9999", "--data", f.data)
	if code != 2 || !strings.Contains(errs, "no dead letter 9999 (dropped or retried already?)") {
		t.Errorf("dlq show 9999: exit %d, %s", code, errs)
	}

	// Retry with the unfixed flow: fails again, one dead letter remains
	// for the message (the new one).
	code, out, _ = flowctl(t, "dlq", "retry", "--data", f.data, "--who", "ops", fmt.Sprint(d3.Seq), f.v1)
	if code != 1 {
		t.Fatalf("dlq retry with the unfixed flow: exit %d, want 1", code)
	}
	mustContain(t, "dlq retry (unfixed)", out, fmt.Sprintf("dead letter %d", d3.Seq), "failed again at target.jobs", "0 delivered", "1 dead_lettered")
	var d3again *durable.DeadLetter
	f.withStore(t, func(st *durable.Store) {
		n := 0
		for _, d := range deadLettersOf(t, st) {
			if d.Entry.Key == "R-3" {
				n++
				d3again = d
			}
		}
		if n != 1 || d3again.Seq == d3.Seq {
			t.Fatalf("after a failed retry: %d dead letters of R-3 (want 1, new)", n)
		}
		if d3again.Plan != f.hash1 || !strings.Contains(d3again.Error, "422") {
			t.Errorf("new dead letter: %+v", d3again)
		}
	})

	// Drop: a reason is required; the journal keeps the message.
	code, _, errs = flowctl(t, "dlq", "drop", fmt.Sprint(d4.Seq), "--data", f.data)
	if code != 2 || !strings.Contains(errs, "--reason is required") {
		t.Fatalf("dlq drop without --reason: exit %d, %s", code, errs)
	}
	code, out, _ = flowctl(t, "dlq", "drop", fmt.Sprint(d4.Seq), "--reason", "customer cancelled R-4", "--who", "alice", "--data", f.data)
	if code != 0 {
		t.Fatalf("dlq drop: exit %d", code)
	}
	mustContain(t, "dlq drop", out, fmt.Sprintf("dropped dead letter %d (orders, journal %d)", d4.Seq, d4.Entry.Seq), "audit: dlq.drop by alice recorded")
	code, _, errs = flowctl(t, "dlq", "drop", fmt.Sprint(d4.Seq), "--reason", "again", "--data", f.data)
	if code != 2 || !strings.Contains(errs, fmt.Sprintf("no dead letter %d (dropped or retried already?)", d4.Seq)) {
		t.Errorf("dlq drop twice: exit %d, %s", code, errs)
	}

	// Retry with the fixed flow: delivered (capped at 100), DLQ empty.
	code, out, _ = flowctl(t, "dlq", "retry", "--all", "--flow", "orders", "--reason", "qty capped", "--data", f.data, f.v2)
	if code != 0 {
		t.Fatalf("dlq retry with the fixed flow: exit %d", code)
	}
	mustContain(t, "dlq retry (fixed)", out, fmt.Sprintf("dead letter %d (orders, journal %d, key R-3): delivered to jobs; removed", d3again.Seq, d3.Entry.Seq), "1 delivered", "audit: dlq.retry by")
	if body, _ := f.api.state("job-R-3"); body == nil || body["qty"] != float64(100) {
		t.Errorf("target got R-3 as %v", body)
	}
	f.withStore(t, func(st *durable.Store) {
		if left := deadLettersOf(t, st); len(left) != 0 {
			t.Errorf("dead letters left: %d", len(left))
		}
		for _, d := range []*durable.DeadLetter{d3, d4} {
			if _, err := st.Get(context.Background(), d.Entry.Seq); err != nil {
				t.Errorf("journal record %d: %v", d.Entry.Seq, err)
			}
		}
		drops := audits(t, st, "dlq.drop")
		if len(drops) != 1 || drops[0].Who != "alice" || drops[0].Why != "customer cancelled R-4" ||
			fmt.Sprint(drops[0].DLQSeqs) != fmt.Sprint([]uint64{d4.Seq}) || fmt.Sprint(drops[0].Journal) != fmt.Sprint([]uint64{d4.Entry.Seq}) || drops[0].At.IsZero() {
			t.Errorf("dlq.drop audit: %+v", drops)
		}
		retries := audits(t, st, "dlq.retry")
		if len(retries) != 2 || retries[0].Who != "ops" || retries[1].Why != "qty capped" ||
			fmt.Sprint(retries[1].DLQSeqs) != fmt.Sprint([]uint64{d3again.Seq}) || !strings.Contains(retries[1].Detail, "delivered=1") {
			t.Errorf("dlq.retry audits: %+v", retries)
		}
	})
}

// TestReplay: a dry run through the changed flow shows how its operations
// differ from the recorded version's; --key selects; a real replay of a
// delivered message is a duplicate, and --rewrite writes it again under
// the same idempotency key; --plan recorded needs the recorded version.
func TestReplay(t *testing.T) {
	f := newFixture(t)
	f.stop()

	// Dry run through the fixed flow, compared with the recorded one.
	code, out, _ := flowctl(t, "replay", "--flow", "orders", "--dry-run", "--data", f.data, f.v2)
	if code != 0 {
		t.Fatalf("replay --dry-run: exit %d", code)
	}
	mustContain(t, "replay --dry-run", out,
		"key R-1: duplicate: every operation was written before",
		"→ jobs (http) POST /jobs  key=job-R-1  (written before by journal",
		"vs recorded version "+f.hash1+": no change\n",
		"key R-3: would deliver 1 operation(s)",
		`{"qty":100,"ref":"R-3"}`,
		"vs recorded version "+f.hash1+":\n    ~ jobs (http) POST /jobs  key=job-R-3\n        ~ $.qty: 500 → 100",
		"~ $.qty: 600 → 100",
		"orders: 4 message(s) replayed (dry run: nothing written) through the current version "+f.hash2+": 2 delivered, 2 duplicate, 0 skipped, 0 dead_lettered")
	if strings.Count(out, "no change") != 2 {
		t.Errorf("want 2 unchanged messages")
	}

	// JSON form, one key, through the recorded version (no FLOWDIR).
	code, out, _ = flowctl(t, "replay", "--flow", "orders", "--key", "R-3", "--plan", "recorded", "--dry-run", "--output", "json", "--data", f.data)
	var rep replayReport
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("replay --plan recorded --output json: exit %d, %v", code, err)
	}
	if len(rep.Entries) != 1 || rep.Entries[0].Key != "R-3" || rep.Entries[0].Plan != f.hash1 || rep.Entries[0].Outcome != "delivered" ||
		rep.Entries[0].Operations[0].Key != "job-R-3" || !rep.DryRun || rep.Summary.Messages != 1 || rep.Audit != nil {
		t.Errorf("replay json: %+v", rep)
	}

	// A real replay of a delivered message is a duplicate.
	_, before := f.api.state("job-R-1")
	code, out, _ = flowctl(t, "replay", "--flow", "orders", "--key", "R-1", "--who", "bob", "--data", f.data, f.v1)
	if code != 0 {
		t.Fatalf("replay --key R-1: exit %d", code)
	}
	mustContain(t, "replay duplicate", out, "key R-1: duplicate: jobs written before", "0 delivered, 1 duplicate", "audit: replay by bob recorded")
	if _, n := f.api.state("job-R-1"); n != before {
		t.Errorf("duplicate replay reached the target: %d requests, was %d", n, before)
	}
	// --rewrite writes again, under the same idempotency key.
	code, out, _ = flowctl(t, "replay", "--flow", "orders", "--key", "R-1", "--rewrite", "--reason", "TMS lost it", "--who", "bob", "--data", f.data, f.v1)
	if code != 0 {
		t.Fatalf("replay --rewrite: exit %d", code)
	}
	mustContain(t, "replay --rewrite", out, "key R-1: delivered to jobs", "1 delivered, 0 duplicate")
	if _, n := f.api.state("job-R-1"); n != before+1 {
		t.Errorf("rewrite: %d requests with key job-R-1, want %d", n, before+1)
	}
	// A real replay that fails again exits 1.
	code, out, _ = flowctl(t, "replay", "--flow", "orders", "--key", "R-4", "--data", f.data, f.v1)
	if code != 1 {
		t.Errorf("replay of R-4 with the unfixed flow: exit %d, want 1", code)
	}
	mustContain(t, "replay dead-lettered", out, "key R-4: dead_lettered by target.jobs", "1 dead_lettered", "earlier dead letter(s) ")
	// Its earlier dead letter was replaced, not kept beside the new one.
	f.withStore(t, func(st *durable.Store) {
		n := 0
		for _, d := range deadLettersOf(t, st) {
			if d.Entry != nil && d.Entry.Key == "R-4" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("R-4 has %d dead letters after failing again in a replay, want 1", n)
		}
	})

	// Replaying the dead letters through the fixed flow settles them.
	code, out, _ = flowctl(t, "replay", "--flow", "orders", "--dlq", "--output", "json", "--data", f.data, f.v2)
	var dlqRep replayReport
	if err := json.Unmarshal([]byte(out), &dlqRep); code != 0 || err != nil || !dlqRep.DLQ || dlqRep.Summary.Delivered < 2 || dlqRep.Summary.DeadLettered != 0 {
		t.Fatalf("replay --dlq: exit %d, %v, %+v", code, err, dlqRep.Summary)
	}
	for _, e := range dlqRep.Entries {
		if e.DLQSeq == 0 || !e.DLQRemoved {
			t.Errorf("replay --dlq entry %+v", e)
		}
	}
	if b, _ := f.api.state("job-R-4"); b == nil || b["qty"] != float64(100) {
		t.Errorf("R-4 at the target: %v", b)
	}

	var r1 uint64
	f.withStore(t, func(st *durable.Store) {
		rs := audits(t, st, "replay")
		if len(rs) != 4 || rs[1].Who != "bob" || rs[1].Why != "TMS lost it" || rs[1].Flow != "orders" || len(rs[1].Journal) != 1 || !strings.Contains(rs[1].Detail, "rewrite") {
			t.Fatalf("replay audits: %+v", rs)
		}
		r1 = rs[1].Journal[0]
		if left := deadLettersOf(t, st); len(left) != 0 {
			t.Errorf("dead letters left after replay --dlq: %d", len(left))
		}
		if len(rs) == 4 && (len(rs[3].DLQSeqs) == 0 || !strings.Contains(rs[3].Detail, "dlq")) {
			t.Errorf("replay --dlq audit: %+v", rs[3])
		}
		// A message journaled under a version that was not recorded.
		if _, err := st.AppendSync(context.Background(), &durable.Entry{Flow: "orders", Plan: "00000000deadbeef", Key: "R-9", Source: "test",
			ReceivedAt: time.Now().UTC(), Record: json.RawMessage(`{"ref":"R-9","qty":1}`)}); err != nil {
			t.Fatal(err)
		}
	})
	if e, _ := f.api.state("job-R-1"); e == nil || r1 == 0 {
		t.Errorf("R-1: %v, journal %d", e, r1)
	}
	code, _, errs := flowctl(t, "replay", "--flow", "orders", "--key", "R-9", "--plan", "recorded", "--data", f.data)
	if code != 2 || !strings.Contains(errs, "00000000deadbeef") || !strings.Contains(errs, "was not recorded") {
		t.Errorf("replay --plan recorded of an unrecorded version: exit %d, %s", code, errs)
	}
	code, out, _ = flowctl(t, "replay", "--flow", "orders", "--key", "R-9", "--dry-run", "--data", f.data, f.v2)
	if code != 0 || !strings.Contains(out, "vs recorded version 00000000deadbeef: not compared: flow version 00000000deadbeef was not recorded") {
		t.Errorf("dry run of an unrecorded version: exit %d", code)
	}
}
