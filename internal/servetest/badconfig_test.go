package servetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
)

// TestServeRefusesBadConfig: what serve does with a configuration it
// cannot run, a NATS server it cannot reach and a store that is full.
func TestServeRefusesBadConfig(t *testing.T) {
	t.Run("LintError", testLintError)
	t.Run("UnreachableNATS", testUnreachableNATS)
	t.Run("StoreFull", testStoreFull)
}

// A flow with an error: exit status 2 and the diagnostic (file, line and
// a caret under the column) on stderr; nothing is started.
func testLintError(t *testing.T) {
	dir := writeFlow(t, "lint_error.hcl", nil)
	data := filepath.Join(t.TempDir(), "data")
	p := startProc(t, "serve", serveArgs(data, dir)...)
	code := p.wait(30 * time.Second)
	out := p.stderr()
	t.Logf("exit status %d; stderr:\n%s", code, out)
	if code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	file := filepath.Join(dir, "flow.hcl")
	// The text format names file and line ("on FILE line N:"), echoes the
	// line and puts a caret under the column.
	if !strings.Contains(out, "on "+file+" line 15:") {
		t.Errorf("stderr does not name %s line 15", file)
	}
	src := `  15:     check   = "record.qtty > 0"`
	i := strings.Index(out, src+"\n")
	if i < 0 {
		t.Fatalf("stderr does not echo line 15")
	}
	caret := strings.SplitN(out[i+len(src)+1:], "\n", 2)[0]
	col := strings.Index(caret, "^") - strings.Index(src, ":") - 1 // column within the source line, 1-based
	if wantCol := strings.Index(`    check   = "record.qtty > 0"`, "qtty") + 1; col != wantCol {
		t.Errorf("caret at column %d (%q), want %d", col, caret, wantCol)
	}
	if !strings.Contains(out, `unknown field "qtty"`) || !strings.Contains(out, "serve does not start") {
		t.Errorf("stderr lacks the diagnostic or the refusal")
	}
	if p.count(`"msg":"listening"`) > 0 {
		t.Errorf("serve started listening with a broken configuration")
	}
	if _, err := os.Stat(data); err == nil {
		t.Errorf("serve created its data directory before refusing the configuration")
	}
}

// An unreachable NATS server: serve logs each failed attempt, waits
// longer each time, keeps trying (no exit, no crash loop) until SIGTERM,
// then exits promptly.
func testUnreachableNATS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	tg := newTarget(t)
	dir := writeFlow(t, "webhook.hcl.tmpl", struct{ Target string }{tg.url()})
	p := startProc(t, "serve", serveArgs(t.TempDir(), dir, "--nats", url)...)
	p.waitLog("cannot reach NATS; retrying", 4, 20*time.Second)
	time.Sleep(time.Second)
	if !p.running() {
		t.Fatalf("serve exited while NATS was unreachable")
	}
	var waits []time.Duration
	for i, l := range p.matching("cannot reach NATS; retrying") {
		var e struct {
			Attempt int
			RetryIn string `json:"retry_in"`
			URL     string
			Error   string
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		d, err := time.ParseDuration(e.RetryIn)
		if err != nil || e.Attempt != i+1 || e.URL != url || e.Error == "" {
			t.Errorf("log line %d: %s", i+1, l)
		}
		waits = append(waits, d)
	}
	if len(waits) < 4 || waits[3] <= waits[0] {
		t.Errorf("no backoff between attempts: waits %v", waits)
	}
	if n := p.count(`"msg":"listening"`); n > 0 {
		t.Errorf("serve listened without NATS")
	}
	stopAt := time.Now()
	p.signal(syscall.SIGTERM)
	code := p.wait(10 * time.Second)
	tail := p.matching("")
	t.Logf("%d attempts, waits %v; after SIGTERM exited %d in %v; last line: %s", len(waits), waits, code,
		time.Since(stopAt).Round(time.Millisecond), tail[len(tail)-1])
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM while reaching NATS, want 0 (an operator's stop)", code)
	}
}

// A full store: --max-store caps the embedded server's disk use below
// what the inbox holds. Intake stops with journal errors (metrics,
// /readyz), files not journaled stay in the inbox (none goes to error/),
// serve keeps running, and what was journaled is kept: every record of
// an archived file is in the journal. Restarted without the cap, serve
// delivers everything exactly once.
func testStoreFull(t *testing.T) {
	const files, perFile = 20, 500
	const n = files * perFile
	tg := newTarget(t)
	fl := newInboxFlow(t, tg)
	fl.render(t)
	want := map[string]bool{}
	for f := range files {
		recs := orders(f, perFile)
		for _, r := range recs {
			want["job-"+r["ref"].(string)] = true
		}
		writeRecords(t, fl.Inbox, fmt.Sprintf("orders-%03d.ndjson", f), recs)
	}
	const maxStore = 2 << 20
	p := startProc(t, "serve", serveArgs(fl.Data, fl.Dir, "--max-store", fmt.Sprint(maxStore))...)
	addr := p.waitAddr(30 * time.Second)
	var status int
	var why string
	waitUntil(t, "journal errors", 60*time.Second, func() bool {
		v, _ := metricOf(addr, "flowctl_journal_errors_total")
		status, why = readyz(addr)
		return v > 0
	})
	// Let it run into the wall for a while: it must keep running.
	time.Sleep(3 * time.Second)
	if !p.running() {
		t.Fatalf("serve exited on a full store")
	}
	text, err := metrics(addr)
	if err != nil {
		t.Fatal(err)
	}
	jerr, _ := metric(text, "flowctl_journal_errors_total", `flow="orders"`)
	in, _ := metric(text, "flowctl_messages_in_total", `flow="orders"`)
	paused, _ := metric(text, "flowctl_intake_paused", `flow="orders"`)
	st2, why2 := readyz(addr)
	if st2 != status {
		status, why = st2, why2
	}
	archived := filesIn(t, fl.Archive, "*.ndjson")
	left := filesIn(t, fl.Inbox, "*.ndjson")
	inError := filesIn(t, fl.Errors, "*")
	keys := tg.keys()
	t.Logf("max-store %d: journal errors %v, journaled %v, intake paused %v, /readyz %d %q; files archived %d, left in inbox %d, in error/ %d; keys applied %d",
		maxStore, jerr, in, paused, status, strings.TrimSpace(why), len(archived), len(left), len(inError), keys)
	if status != 503 || !strings.Contains(why, "journal") {
		t.Errorf("/readyz = %d %q, want 503 naming the journal", status, why)
	}
	if len(left) == 0 {
		t.Errorf("every file left the inbox although the store is full")
	}
	if len(inError) != 0 {
		t.Errorf("files moved to error/ on a full store: %v", inError)
	}
	if l := p.matching(`"level":"ERROR"`); len(l) > 0 {
		t.Logf("first error logged: %s", l[0])
	}
	if l := p.matching(`"msg":"message requeued"`); len(l) > 0 {
		t.Logf("%d log lines in all, %d \"message requeued\", e.g. %s", p.count(""), len(l), l[0])
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}

	// What was journaled is kept: every record of every archived file.
	archived = filesIn(t, fl.Archive, "*.ndjson")
	sc := readStore(t, durable.Options{DataDir: fl.Data, MaxStore: maxStore})
	ids := map[string]bool{}
	for _, e := range sc.journal {
		ids[e.ID] = true
	}
	missing := 0
	for _, f := range archived {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		for line := 1; line <= strings.Count(string(data), "\n"); line++ {
			if !ids[hex.EncodeToString(sum[:])[:16]+":"+fmt.Sprint(line)] {
				missing++
			}
		}
	}
	t.Logf("after stop: journal entries %d (%d distinct ids), dead letters %d, files archived %d", len(sc.journal), len(ids), len(sc.deadLetters), len(archived))
	if missing > 0 {
		t.Errorf("%d records of archived files are not in the journal", missing)
	}

	// Without the cap everything goes through, once.
	p = startProc(t, "serve (no cap)", serveArgs(fl.Data, fl.Dir)...)
	addr = p.waitAddr(30 * time.Second)
	waitUntil(t, "every key after lifting the cap", 60*time.Second, func() bool {
		b, ok := metricOf(addr, "flowctl_backlog")
		return tg.keys() >= n && len(filesIn(t, fl.Inbox, "*.ndjson")) == 0 && ok && b == 0
	})
	p.signal(syscall.SIGTERM)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
	tg.checkExactlyOnce(t, want)
	s := tg.stats()
	t.Logf("after lifting the cap: applied keys %d, target requests %d, files archived %d, in error/ %d",
		s.keys, s.requests, len(filesIn(t, fl.Archive, "*.ndjson")), len(filesIn(t, fl.Errors, "*")))
}
