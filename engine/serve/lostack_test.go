package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

// TestShutdownWithUnansweredJournalWrite: a journal write whose
// acknowledgement never comes (lost in a cluster's leader change; here the
// stream is set not to answer) fails after the store's publish timeout:
// the source keeps the message (it is handed back, not acknowledged), and
// shutdown does not wait for the answer forever.
func TestShutdownWithUnansweredJournalWrite(t *testing.T) {
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(flowSrc, "http://127.0.0.1:1", t.Name()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := durable.Open(ctx, durable.Options{DataDir: t.TempDir(), PublishTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := st.Journal.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Config
	cfg.NoAck = true // stores, never answers
	if _, err := st.JS.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	r := start(t, st, plan, serve.Options{Workers: 2})
	f.ch <- map[string]any{"ref": "R-1", "qty": json.Number("1")}
	time.Sleep(200 * time.Millisecond)
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop: it waits for a journal answer that never comes")
	}
	if a, n := f.acked.Load(), f.nacks.Load(); a != 0 || n != 1 {
		t.Errorf("receipts acked %d, nacked %d; want 0, 1", a, n)
	}
}

// TestBacklogLimitOne: with --backlog-limit 1 intake pauses after each
// message and resumes once it is settled; it must not stay paused for good
// (it reopened below 90 % of the limit: below 0).
func TestBacklogLimitOne(t *testing.T) {
	tg := &target{applied: map[string]int{}}
	hs := httptest.NewServer(tg)
	defer hs.Close()
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(flowSrc, hs.URL, t.Name()))
	st := openStore(t, t.TempDir())
	defer st.Close()
	r := start(t, st, plan, serve.Options{Workers: 2, BacklogLimit: 1})
	defer r.stop(t)
	go func() {
		for i := range 3 {
			select {
			case f.ch <- map[string]any{"ref": fmt.Sprintf("R-%d", i), "qty": json.Number("1")}:
			case <-time.After(20 * time.Second):
				return
			}
		}
	}()
	waitFor(t, "three messages delivered", 15*time.Second, func() bool { k, _ := tg.count(); return k == 3 })
}
