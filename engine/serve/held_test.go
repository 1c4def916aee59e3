package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/serve"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestStallKeepsWaitingMessages: while every worker is stuck on a slow
// target for several ack-waits, the messages already taken from the journal
// and queued for a worker (an ordered flow queues a few per worker) keep
// their leases: they are not delivered again, and the target sees each key
// once. Only what the client library buffers itself (at most one pull of
// Workers messages) can lapse.
func TestStallKeepsWaitingMessages(t *testing.T) {
	stallUntil := time.Now().Add(3500 * time.Millisecond)
	tg := &target{applied: map[string]int{}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Until(stallUntil); d > 0 {
			time.Sleep(d)
		}
		tg.ServeHTTP(w, r)
	}))
	defer hs.Close()
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(orderedSrc, hs.URL, t.Name()))
	st := openStore(t, t.TempDir())
	defer st.Close()
	m := serve.NewMetrics()
	r := start(t, st, plan, serve.Options{Workers: 2, AckWait: time.Second, Metrics: m})
	const n = 16
	for i := 0; i < n; i++ {
		f.ch <- map[string]any{"order": fmt.Sprintf("SO%02d", i), "n": json.Number("1")}
	}
	waitFor(t, "all keys", 60*time.Second, func() bool { k, _ := tg.count(); return k >= n })
	r.stop(t)
	keys, reqs := tg.count()
	redelivered := testutil.ToFloat64(m.Redelivered.WithLabelValues("events"))
	if reqs != n || redelivered > 2 {
		t.Errorf("%d requests for %d keys, %v redeliveries; want %d and at most 2 (the client's own buffer)", reqs, keys, redelivered, n)
	}
	t.Logf("%d requests, %v redeliveries", reqs, redelivered)
}
