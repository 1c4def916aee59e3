package servetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
)

// inboxFlow is a flow directory watching an inbox of NDJSON files and
// writing to a target (testdata/inbox.hcl.tmpl).
type inboxFlow struct {
	Target, Inbox, Archive, Errors string
	Attempts                       int
	Initial, Max                   string
	Fixed                          bool // the poison-message fix (caps qty)

	Dir  string // the rendered flow directory
	Data string // serve's --data
}

func newInboxFlow(t *testing.T, tg *target) *inboxFlow {
	t.Helper()
	base := t.TempDir()
	f := &inboxFlow{Target: tg.url(), Inbox: filepath.Join(base, "inbox"), Archive: filepath.Join(base, "archive"),
		Errors: filepath.Join(base, "error"), Attempts: 5, Initial: "50ms", Max: "500ms", Data: filepath.Join(base, "data")}
	if err := os.MkdirAll(f.Inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *inboxFlow) render(t *testing.T) string {
	t.Helper()
	f.Dir = writeFlow(t, "inbox.hcl.tmpl", f)
	return f.Dir
}

// orders are the records of file n: refs F<n>-<line>.
func orders(file, n int) []map[string]any {
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = map[string]any{"ref": fmt.Sprintf("F%03d-%04d", file, i+1), "qty": i%50 + 1}
	}
	return recs
}

// seed is the random seed of a test: FLOWCTL_SERVETEST_SEED, or the clock.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("FLOWCTL_SERVETEST_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("FLOWCTL_SERVETEST_SEED: %v", err)
		}
		s = n
	}
	t.Logf("seed %d (rerun with FLOWCTL_SERVETEST_SEED=%d)", s, s)
	return s
}

// TestCrashSafety: 20,000 records in 40 files; serve is killed with
// SIGKILL three times while it works and restarted on the same data. In
// the end every record is applied exactly once at the target (or is in
// the dead-letter store), every file is archived and none is in error/.
func TestCrashSafety(t *testing.T) {
	const files, perFile = 40, 500
	const n = files * perFile
	rng := rand.New(rand.NewPCG(seed(t), 0))
	tg := newTarget(t)
	fl := newInboxFlow(t, tg)
	fl.render(t)

	want := map[string]bool{}
	for f := range files {
		for _, r := range orders(f, perFile) {
			want["job-"+r["ref"].(string)] = true
		}
	}
	// Half the files are there before the first start; the rest arrive
	// while serve runs (and is killed).
	for f := range files / 2 {
		writeRecords(t, fl.Inbox, fmt.Sprintf("orders-%03d.ndjson", f), orders(f, perFile))
	}
	written := make(chan error, 1)
	go func() {
		defer close(written)
		for f := files / 2; f < files; f++ {
			time.Sleep(100 * time.Millisecond)
			if err := writeFile(fl.Inbox, fmt.Sprintf("orders-%03d.ndjson", f), orders(f, perFile)); err != nil {
				written <- err
				return
			}
		}
	}()

	args := serveArgs(fl.Data, fl.Dir, "--ack-wait", "2s", "--workers", "32")
	start := time.Now()
	p := startProc(t, "serve#0", args...)
	p.waitAddr(30 * time.Second)
	var kills []string
	for i, at := range []float64{0.15, 0.45, 0.75} {
		at += (rng.Float64() - 0.5) * 0.1 // ±5%
		threshold := int(at * n)
		waitUntil(t, fmt.Sprintf("%d keys at the target before kill %d", threshold, i+1), 90*time.Second, func() bool {
			return tg.keys() >= threshold
		})
		// A little more random delay, so the kill does not always land
		// right after a key was applied.
		time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
		s := tg.stats()
		p.kill9()
		kills = append(kills, fmt.Sprintf("kill %d at %.0f%% (%d keys, %d requests, %v)", i+1, at*100, s.keys, s.requests, time.Since(start).Round(time.Millisecond)))
		t.Log(kills[len(kills)-1])
		p = startProc(t, fmt.Sprintf("serve#%d", i+1), args...)
		addr := p.waitAddr(30 * time.Second)
		_ = addr
	}
	addr := p.waitAddr(time.Second)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the inbox to empty and the backlog to drain", 120*time.Second, func() bool {
		if len(filesIn(t, fl.Inbox, "*.ndjson")) > 0 {
			return false
		}
		text, err := metrics(addr)
		if err != nil {
			return false
		}
		b, ok := metric(text, "flowctl_backlog", `flow="orders"`)
		return ok && b == 0 && tg.keys()+deadLettered(text) >= n
	})
	elapsed := time.Since(start)
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}

	s := tg.stats()
	st := readStore(t, durable.Options{DataDir: fl.Data})
	ids := map[string]bool{}
	for _, e := range st.journal {
		ids[e.ID] = true
	}
	dlq := map[string]bool{}
	for _, d := range st.deadLetters {
		dlq["job-"+d.Entry.Key] = true
		t.Errorf("dead letter (none expected): %s: %s", d.Step, d.Error)
	}
	for k := range dlq {
		delete(want, k)
	}
	tg.checkExactlyOnce(t, want)
	archived := filesIn(t, fl.Archive, "*.ndjson")
	left := filesIn(t, fl.Inbox, "*.ndjson")
	inError := filesIn(t, fl.Errors, "*")
	t.Logf("%d records, %s", n, fmt.Sprint(kills))
	t.Logf("applied keys %d, target requests %d (%d duplicates absorbed by Idempotency-Key), dead letters %d, journal entries %d (%d distinct ids), files archived %d, left in inbox %d, in error/ %d; %v until drained",
		s.keys, s.requests, s.requests-s.keys, len(st.deadLetters), len(st.journal), len(ids), len(archived), len(left), len(inError), elapsed.Round(time.Millisecond))
	if len(ids) != n {
		t.Errorf("journal holds %d distinct message ids, want %d", len(ids), n)
	}
	if len(archived) != files {
		t.Errorf("%d files archived, want %d", len(archived), files)
	}
	if len(left) != 0 {
		t.Errorf("files left in the inbox: %v", left)
	}
	if len(inError) != 0 {
		t.Errorf("files in error/: %v", inError)
	}
	if s.noKey != 0 {
		t.Errorf("%d requests without Idempotency-Key", s.noKey)
	}
}

// deadLettered is the flowctl_dead_letters gauge of flow orders.
func deadLettered(text string) int {
	v, _ := metric(text, "flowctl_dead_letters", `flow="orders"`)
	return int(v)
}
