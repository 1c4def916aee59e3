package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/serve"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestOrderedFlowPinnedToOneProcess: two servers on one NATS server run an
// ordered flow; one of them takes all its messages (the other stands by),
// so per-key order holds across processes too.
func TestOrderedFlowPinnedToOneProcess(t *testing.T) {
	release := make(chan struct{})
	log := newEventLog(func(int) { <-release })
	hs := httptest.NewServer(log)
	defer hs.Close()
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(orderedSrc, hs.URL, t.Name()))
	dir := t.TempDir()
	st1 := openStore(t, dir) // runs the embedded server
	defer st1.Close()
	st2 := openStore(t, dir) // attaches to it, as a second process would
	defer st2.Close()
	if !st2.Attached() {
		t.Fatal("second store did not attach to the running server")
	}
	// The first server journals everything (one reader: the journal's
	// order is the events' order) and starts on it, held up by the target;
	// then a second server joins. Without pinning it would take a share of
	// the backlog and deliver some of a key's events beside the first.
	m1, m2 := serve.NewMetrics(), serve.NewMetrics()
	r1 := start(t, st1, plan, serve.Options{Workers: 8, Metrics: m1})
	const keys, per = 6, 50
	for n := 0; n < per; n++ {
		for k := 0; k < keys; k++ {
			f.ch <- map[string]any{"order": fmt.Sprintf("SO%d", k), "n": json.Number(fmt.Sprint(n))}
		}
	}
	waitFor(t, "the events journaled", 30*time.Second, func() bool { return f.acked.Load() == keys*per })
	r2 := start(t, st2, plan, serve.Options{Workers: 8, Metrics: m2})
	time.Sleep(300 * time.Millisecond) // the second server pulls
	close(release)
	waitFor(t, "all events", 60*time.Second, func() bool { return log.total() >= keys*per })
	r1.stop(t)
	r2.stop(t)
	out1 := testutil.ToFloat64(m1.Out.WithLabelValues("events", "delivered"))
	out2 := testutil.ToFloat64(m2.Out.WithLabelValues("events", "delivered"))
	if out1 != keys*per || out2 != 0 {
		t.Errorf("delivered by the two servers: %v and %v; want all by the first", out1, out2)
	}
	log.checkOrder(t)
	t.Logf("delivered: %v / %v", out1, out2)
}
