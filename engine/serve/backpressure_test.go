package serve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/serve"
)

const webhookSrc = `
connection "http" "tms" {
  base_url = %q
}
schema "order" {
  ref = string
  qty = number
}
flow "hooked" {
  key = "record.ref"
  source "webhook" {
    path   = "/hooks/orders"
    schema = schema.order
  }
  target "http" "jobs" {
    connection      = connection.http.tms
    path            = "/jobs"
    idempotency_key = "'job-' + record.ref"
    body            = "{ref: record.ref, qty: record.qty}"
  }
}
`

const fedSrc = `
flow "fed" {
  key = "record.ref"
  source "testfeed" {
    name   = %q
    schema = schema.order
  }
  target "http" "jobs" {
    connection      = connection.http.tms
    path            = "/jobs"
    idempotency_key = "'job-' + record.ref"
    body            = "{ref: record.ref, qty: record.qty}"
  }
}
`

// TestBackpressureReachesSources: with the target stalled, the backlog
// reaches its limit; then webhooks are answered 503 with Retry-After,
// /readyz says why, a watched source is no longer read — and once the
// target recovers everything accepted is delivered exactly once.
func TestBackpressureReachesSources(t *testing.T) {
	release := make(chan struct{})
	tg := &target{applied: map[string]int{}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		tg.ServeHTTP(w, r)
	}))
	defer hs.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	// Two flows on one server: a webhook and a watched feed, both stalled
	// by the same target.
	feedName := t.Name()
	f := newFeed(feedName)
	plan := compile(t, fmt.Sprintf(webhookSrc, hs.URL)+fmt.Sprintf(fedSrc, feedName))
	st := openStore(t, t.TempDir())
	defer st.Close()
	const limit = 40
	m := serve.NewMetrics()
	r := start(t, st, plan, serve.Options{Workers: 4, BacklogLimit: limit, Metrics: m})
	waitFor(t, "listener", 10*time.Second, func() bool { return r.srv.Addr() != "" })
	base := "http://" + r.srv.Addr()

	post := func(i int) *http.Response {
		body, _ := json.Marshal(map[string]any{"ref": fmt.Sprintf("W-%04d", i), "qty": 1})
		req, _ := http.NewRequest(http.MethodPost, base+"/hooks/orders", bytes.NewReader(body))
		req.Header.Set("Idempotency-Key", fmt.Sprintf("delivery-%d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	accepted := 0
	var refused *http.Response
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; refused == nil; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no 503 after %d accepted webhooks (limit %d)", accepted, limit)
		}
		resp := post(i)
		switch resp.StatusCode {
		case http.StatusAccepted:
			accepted++
		case http.StatusServiceUnavailable:
			refused = resp
		default:
			t.Fatalf("webhook answered %d", resp.StatusCode)
		}
		if accepted >= limit {
			time.Sleep(20 * time.Millisecond) // let the monitor see the backlog
		}
	}
	if accepted < limit || accepted > limit+20 {
		t.Errorf("accepted %d webhooks before the 503, want about the limit %d", accepted, limit)
	}
	if ra := refused.Header.Get("Retry-After"); ra == "" {
		t.Errorf("503 without Retry-After")
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	why, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(why), "flow hooked: intake paused (backlog") {
		t.Errorf("/readyz %d %q", resp.StatusCode, why)
	}

	// The fed flow: the feed is read up to the limit, then not at all.
	sent := 0
	for sent < 3*limit {
		select {
		case f.ch <- map[string]any{"ref": fmt.Sprintf("F-%04d", sent), "qty": json.Number("1")}:
			sent++
			continue
		case <-time.After(1500 * time.Millisecond):
		}
		break
	}
	if sent >= 3*limit || sent < limit {
		t.Errorf("the feed was read %d times with the target stalled, want it to stop near the limit %d", sent, limit)
	}
	if got := f.acked.Load(); got != int64(sent) {
		t.Errorf("feed receipts acked %d, read %d", got, sent)
	}

	close(release)
	waitFor(t, "the backlog to drain", 60*time.Second, func() bool { k, _ := tg.count(); return k >= accepted+sent })
	waitFor(t, "webhooks to be accepted again", 30*time.Second, func() bool { return post(10_000).StatusCode == http.StatusAccepted })
	waitFor(t, "the last webhook", 30*time.Second, func() bool { k, _ := tg.count(); return k >= accepted+sent+1 })
	r.stop(t)
	for k, n := range tg.applied {
		if n != 1 {
			t.Errorf("key %s applied %d times", k, n)
		}
	}
	keys, reqs := tg.count()
	t.Logf("webhooks accepted before 503: %d, feed read while stalled: %d, keys %d, requests %d", accepted, sent, keys, reqs)
}
