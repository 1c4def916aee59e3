package servetest

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdown: SIGTERM while writes are in flight. Serve logs
// "stopping", lets the in-flight messages finish and exits 0 within the
// drain timeout; after a restart everything is delivered exactly once.
func TestGracefulShutdown(t *testing.T) {
	t.Run("Drained", func(t *testing.T) { testShutdown(t, 100*time.Millisecond, 10*time.Second) })
	// The target answers slower than the drain timeout: the writes in
	// flight are cut off (the target still applies them), stay in the
	// journal and are written again after the restart under the same
	// idempotency keys.
	t.Run("DrainTimeout", func(t *testing.T) { testShutdown(t, 3*time.Second, time.Second) })
}

func testShutdown(t *testing.T, delay, drain time.Duration) {
	const files, perFile = 4, 500
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
	// --ack-wait matters after a drain timeout: the messages cut off are
	// Nak'ed, but the embedded NATS server does not keep a Nak across its
	// restart, so they come back only when ack-wait has passed since
	// their delivery.
	args := serveArgs(fl.Data, fl.Dir, "--workers", "32", "--drain-timeout", drain.String(), "--ack-wait", "5s")
	tg.setDelay(delay)
	p := startProc(t, "serve#0", args...)
	p.waitAddr(30 * time.Second)
	waitUntil(t, "requests in flight", 30*time.Second, func() bool { return tg.inFlight() >= 16 && tg.keys() >= 64 })
	before := tg.stats()
	flying := tg.inFlight()
	stopAt := time.Now()
	p.signal(syscall.SIGTERM)
	code := p.wait(drain + 10*time.Second)
	took := time.Since(stopAt)
	after := tg.stats()
	t.Logf("SIGTERM with %d requests in flight (%d keys applied); exit %d after %v (drain timeout %v); %d keys applied by then",
		flying, before.keys, code, took.Round(time.Millisecond), drain, after.keys)
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	if took > drain+5*time.Second {
		t.Errorf("took %v to stop, drain timeout %v", took, drain)
	}
	if p.count(`"msg":"stopping`) != 1 {
		t.Errorf("no \"stopping\" log line")
	}
	timedOut := p.count("drain timeout") > 0
	if delay < drain && timedOut {
		t.Errorf("drain timed out although the in-flight writes take %v", delay)
	}
	if delay > drain && !timedOut {
		t.Errorf("no drain timeout logged although the writes take %v", delay)
	}
	if delay < drain && after.keys < before.keys+flying {
		t.Errorf("%d writes were in flight at SIGTERM but only %d more keys were applied before exit", flying, after.keys-before.keys)
	}

	tg.setDelay(0)
	p = startProc(t, "serve#1", args...)
	restart := time.Now()
	addr := p.waitAddr(30 * time.Second)
	waitUntil(t, "every key after the restart", 60*time.Second, func() bool {
		b, ok := metricOf(addr, "flowctl_backlog")
		return tg.keys() >= n && len(filesIn(t, fl.Inbox, "*.ndjson")) == 0 && ok && b == 0
	})
	text, err := metrics(addr)
	if err != nil {
		t.Fatal(err)
	}
	redelivered, _ := metric(text, "flowctl_redeliveries_total", `flow="orders"`)
	dups, _ := metric(text, "flowctl_messages_out_total", `flow="orders"`, `outcome="duplicate"`)
	settled, _ := metric(text, "flowctl_messages_out_total", `flow="orders"`)
	t.Logf("after the restart: %v settled (%v redelivered, %v duplicates of writes done before the stop), backlog 0 after %v",
		settled, redelivered, dups, time.Since(restart).Round(time.Millisecond))
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after the second SIGTERM, want 0", code)
	}
	// Let the cut-off requests of the first process reach the target.
	time.Sleep(max(0, delay-time.Since(stopAt)) + 100*time.Millisecond)
	tg.checkExactlyOnce(t, want)
	s := tg.stats()
	t.Logf("applied keys %d, target requests %d (%d duplicates absorbed by Idempotency-Key), files archived %d",
		s.keys, s.requests, s.requests-s.keys, len(filesIn(t, fl.Archive, "*.ndjson")))
	if delay < drain && s.requests != s.keys {
		t.Errorf("%d duplicate requests after a graceful stop that drained in time: the in-flight writes' outcomes were not kept", s.requests-s.keys)
	}
}
