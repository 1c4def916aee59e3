package servetest

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
)

// TestPoisonMessage: of 500 records the target refuses one every time
// with a retryable 500 (its qty is over the target's 1000 limit). After
// the flow's attempts it is dead-lettered with its attempt history while
// the other 499 are applied. The flow is fixed (qty capped at 1000) and
// `flowctl dlq retry --all` against the running serve delivers it; the
// dead-letter store is empty again.
func TestPoisonMessage(t *testing.T) {
	const n = 500
	const poison = "F000-0250"
	tg := newTarget(t)
	tg.reject = func(body map[string]any) int {
		if q, _ := body["qty"].(float64); q > 1000 {
			return http.StatusInternalServerError
		}
		return 0
	}
	fl := newInboxFlow(t, tg)
	fl.Attempts = 3
	fl.render(t)
	recs := orders(0, n)
	want := map[string]bool{}
	for _, r := range recs {
		want["job-"+r["ref"].(string)] = true
		if r["ref"] == poison {
			r["qty"] = 5000
		}
	}
	writeRecords(t, fl.Inbox, "orders-000.ndjson", recs)

	p := startProc(t, "serve", serveArgs(fl.Data, fl.Dir, "--ack-wait", "5s")...)
	addr := p.waitAddr(30 * time.Second)
	waitUntil(t, "499 keys and one dead letter", 60*time.Second, func() bool {
		b, ok := metricOf(addr, "flowctl_backlog")
		d, _ := metricOf(addr, "flowctl_dead_letters")
		return tg.keys() >= n-1 && ok && b == 0 && d == 1
	})
	before := tg.stats()
	tg.mu.Lock()
	poisonRequests := tg.perKey["job-"+poison]
	tg.mu.Unlock()

	// The dead letter, as flowctl dlq list shows it (reaching the running
	// serve's store).
	out, errOut, code := runFlowctl(t, 60*time.Second, "dlq", "list", "-o", "json", "--data", fl.Data)
	if code != 0 {
		t.Fatalf("dlq list: exit %d\n%s", code, errOut)
	}
	var list struct {
		Count       int                   `json:"count"`
		DeadLetters []*durable.DeadLetter `json:"dead_letters"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("dlq list -o json: %v\n%s", err, out)
	}
	if list.Count != 1 || len(list.DeadLetters) != 1 {
		t.Fatalf("dlq list: %d dead letters, want 1:\n%s", list.Count, out)
	}
	d := list.DeadLetters[0]
	t.Logf("dead letter %d: key %s, step %s, %d attempts, error %q", d.Seq, d.Entry.Key, d.Step, len(d.Attempts), d.Error)
	if d.Entry.Key != poison || d.Step != "target.jobs" {
		t.Errorf("dead letter of key %q at step %q, want %s at target.jobs", d.Entry.Key, d.Step, poison)
	}
	if len(d.Attempts) != fl.Attempts {
		t.Errorf("dead letter has %d attempts, want %d", len(d.Attempts), fl.Attempts)
	}
	for i, a := range d.Attempts {
		if a.Status != http.StatusInternalServerError || a.Target != "jobs" || a.At.IsZero() {
			t.Errorf("attempt %d: %+v", i+1, a)
		}
	}
	if poisonRequests != fl.Attempts {
		t.Errorf("the target saw %d requests for the poison record, want %d (the flow's attempts)", poisonRequests, fl.Attempts)
	}

	// Fix the flow and retry the dead letters with it, serve still
	// running.
	fixed := *fl
	fixed.Fixed = true
	fixedDir := fixed.render(t)
	out, errOut, code = runFlowctl(t, 60*time.Second, "dlq", "retry", "--all", "--data", fl.Data, "--reason", "qty capped at 1000", fixedDir)
	t.Logf("dlq retry: exit %d\n%s%s", code, out, errOut)
	if code != 0 {
		t.Errorf("dlq retry --all: exit %d, want 0", code)
	}
	tg.mu.Lock()
	body := tg.bodies["job-"+poison]
	tg.mu.Unlock()
	if q, _ := body["qty"].(float64); q != 1000 {
		t.Errorf("the poison record reached the target with %v, want qty 1000 (the fix)", body)
	}
	out, _, _ = runFlowctl(t, 60*time.Second, "dlq", "list", "-o", "json", "--data", fl.Data)
	if err := json.Unmarshal([]byte(out), &list); err != nil || list.Count != 0 {
		t.Errorf("dlq list after the retry: %s", out)
	}
	waitUntil(t, "the dead-letter gauge at 0", 10*time.Second, func() bool {
		v, _ := metricOf(addr, "flowctl_dead_letters")
		return v == 0
	})

	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
	st := readStore(t, durable.Options{DataDir: fl.Data})
	if len(st.deadLetters) != 0 {
		t.Errorf("%d dead letters left after the retry", len(st.deadLetters))
	}
	tg.checkExactlyOnce(t, want)
	s := tg.stats()
	t.Logf("before the retry: %d keys applied, %d requests (%d for the poison record); after: %d keys, %d requests, dead letters %d",
		before.keys, before.requests, poisonRequests, s.keys, s.requests, len(st.deadLetters))
	if inError := filesIn(t, fl.Errors, "*"); len(inError) != 0 {
		t.Errorf("files in error/: %v (a dead-lettered record does not fail its file)", inError)
	}
}
