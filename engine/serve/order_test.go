package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

const orderedSrc = `
connection "http" "tms" {
  base_url = %q
}
schema "event" {
  order = string
  n     = int
}
flow "events" {
  key     = "record.order"
  ordered = true
  source "testfeed" {
    name   = %q
    schema = schema.event
  }
  target "http" "status" {
    connection      = connection.http.tms
    path            = "/status"
    idempotency_key = "record.order + '-' + string(record.n)"
    body            = "{order: record.order, n: record.n}"
  }
}
`

// eventLog is a target that records, per order, the event numbers in the
// order they arrive; before (may be nil) runs first on each request.
type eventLog struct {
	mu     sync.Mutex
	seen   map[string][]int
	before func(n int)
}

func newEventLog(before func(n int)) *eventLog {
	return &eventLog{seen: map[string][]int{}, before: before}
}

func (l *eventLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var b struct {
		Order string
		N     int
	}
	json.Unmarshal(data, &b)
	if l.before != nil {
		l.before(b.N)
	}
	l.mu.Lock()
	l.seen[b.Order] = append(l.seen[b.Order], b.N)
	l.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

func (l *eventLog) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.seen {
		n += len(v)
	}
	return n
}

// checkOrder fails unless every order's events arrived as 0, 1, 2, ...
func (l *eventLog) checkOrder(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, ns := range l.seen {
		for i := range ns {
			if ns[i] != i {
				t.Fatalf("key %s: events arrived as %v", k, ns)
			}
		}
	}
}

// TestOrderedFlowKeepsKeyOrder: in an ordered flow, the events of one key
// reach the target in the order they were journaled, even with many
// workers and a slow, jittery target.
func TestOrderedFlowKeepsKeyOrder(t *testing.T) {
	log := newEventLog(func(n int) {
		if n%7 == 3 {
			time.Sleep(2 * time.Millisecond) // reorder anything that can be reordered
		}
	})
	hs := httptest.NewServer(log)
	defer hs.Close()
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(orderedSrc, hs.URL, t.Name()))
	st := openStore(t, t.TempDir())
	defer st.Close()
	r := start(t, st, plan, serve.Options{Workers: 16})
	const keys, per = 8, 60
	for n := 0; n < per; n++ {
		for k := 0; k < keys; k++ {
			f.ch <- map[string]any{"order": fmt.Sprintf("SO%d", k), "n": json.Number(fmt.Sprint(n))}
		}
	}
	waitFor(t, "all events", 60*time.Second, func() bool { return log.total() >= keys*per })
	r.stop(t)
	log.checkOrder(t)
}

// TestOutageRequeuesInsteadOfDeadLettering: while the target is down the
// breaker opens, messages wait or are requeued, none is dead-lettered, and
// everything is delivered after recovery.
func TestOutageRequeuesInsteadOfDeadLettering(t *testing.T) {
	var mu sync.Mutex
	down := true
	tg := &target{applied: map[string]int{}, fail: func(map[string]any) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusServiceUnavailable
		}
		return 0
	}}
	hs := httptest.NewServer(tg)
	defer hs.Close()
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(flowSrc, hs.URL, t.Name()))
	st := openStore(t, t.TempDir())
	defer st.Close()
	m := serve.NewMetrics()
	r := start(t, st, plan, serve.Options{Workers: 4, Metrics: m,
		Breaker: serve.BreakerOptions{Threshold: 3, Cooldown: 50 * time.Millisecond, MaxCooldown: 200 * time.Millisecond}})
	const n = 200
	for i := 0; i < n; i++ {
		f.ch <- map[string]any{"ref": fmt.Sprintf("R-%04d", i), "qty": json.Number("2")}
	}
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	down = false
	mu.Unlock()
	waitFor(t, "recovery", 60*time.Second, func() bool { k, _ := tg.count(); return k >= n })
	r.stop(t)
	if dl := deadLetters(t, st, "orders"); len(dl) != 0 {
		t.Fatalf("%d dead letters during an outage; first: %s", len(dl), dl[0].Error)
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, fam := range families {
		for _, mt := range fam.Metric {
			labels := []string{}
			for _, l := range mt.Label {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := mt.GetCounter().GetValue() + mt.GetGauge().GetValue()
			got[fam.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	for _, k := range []string{
		"flowctl_circuit_transitions_total{flow=orders,state=open,target=jobs}",
		"flowctl_circuit_transitions_total{flow=orders,state=closed,target=jobs}",
		"flowctl_target_retries_total{flow=orders,target=jobs}",
	} {
		if got[k] < 1 {
			t.Errorf("%s = %v, want ≥ 1", k, got[k])
		}
	}
	if v := got["flowctl_circuit_state{flow=orders,target=jobs}"]; v != 0 {
		t.Errorf("circuit state after recovery %v, want 0 (closed)", v)
	}
	_, reqs := tg.count()
	t.Logf("requests %d for %d keys; opens %v", reqs, n, got["flowctl_circuit_transitions_total{flow=orders,state=open,target=jobs}"])
}

// TestUnreachableNATS: an external server that is not there is retried
// with backoff and reported, not a crash.
func TestUnreachableNATS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var logs strings.Builder
	_, err := durable.Open(ctx, durable.Options{URL: "nats://user:hunter2@127.0.0.1:1", Logger: newTextLogger(&logs)})
	if err == nil || !strings.Contains(err.Error(), "cannot reach NATS") {
		t.Fatalf("err = %v", err)
	}
	if n := strings.Count(logs.String(), "cannot reach NATS; retrying"); n < 2 {
		t.Errorf("retries logged: %d, want ≥ 2\n%s", n, logs.String())
	}
	if strings.Contains(logs.String()+err.Error(), "hunter2") {
		t.Errorf("password in logs or error")
	}
}
