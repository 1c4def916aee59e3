package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

// TestSlowWriteKeepsItsMessage: a write that takes longer than --ack-wait
// renews the message's lease while it waits on the target (docs/serve.md:
// "renewed while the worker waits on a slow or down target"), so the
// journal does not hand the message to a second worker, which would take
// the claim over (same journal record) and write it a second time.
func TestSlowWriteKeepsItsMessage(t *testing.T) {
	var mu sync.Mutex
	requests := map[string]int{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		requests[key]++
		mu.Unlock()
		time.Sleep(2500 * time.Millisecond) // 2.5 × ack-wait
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q}`, key)
	}))
	defer hs.Close()
	f := newFeed(t.Name())
	plan := compile(t, fmt.Sprintf(flowSrc, hs.URL, t.Name()))
	st := openStore(t, t.TempDir())
	defer st.Close()
	settled := make(chan serve.Outcome, 10)
	r := start(t, st, plan, serve.Options{Workers: 4, AckWait: time.Second,
		OnSettled: func(_ string, _ *durable.Entry, rep serve.Report) { settled <- rep.Outcome }})
	f.ch <- map[string]any{"ref": "R-slow", "qty": json.Number("1")}
	select {
	case o := <-settled:
		if o != serve.Delivered {
			t.Errorf("outcome %s, want delivered", o)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("message not settled")
	}
	time.Sleep(1500 * time.Millisecond) // a second copy would be settled by now
	r.stop(t)
	mu.Lock()
	defer mu.Unlock()
	if n := requests["job-R-slow"]; n != 1 {
		t.Errorf("the target got %d requests for one message, want 1", n)
	}
	close(settled)
	for o := range settled {
		t.Errorf("settled again: %s", o)
	}
}
