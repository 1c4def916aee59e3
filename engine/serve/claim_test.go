package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

// slowWriter takes d per write and counts the writes of each key.
type slowWriter struct {
	d      time.Duration
	mu     sync.Mutex
	writes map[string]int
	active atomic.Int32
	most   atomic.Int32
}

func (w *slowWriter) Write(ctx context.Context, op *engine.Operation) error {
	n := w.active.Add(1)
	defer w.active.Add(-1)
	if n > w.most.Load() {
		w.most.Store(n)
	}
	w.mu.Lock()
	w.writes[op.Key]++
	w.mu.Unlock()
	select {
	case <-time.After(w.d):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
func (w *slowWriter) Close() error { return nil }

// TestLiveClaimIsNotTakenOver: a message that holds the claim on a key
// while it is still writing (or waiting on the target) keeps it past the
// lease; another message with the same key waits for its outcome and is a
// duplicate, instead of taking the claim over after the lease and writing
// the same key at the same time (docs/serve.md: only a claim left by a
// process that died is taken over).
func TestLiveClaimIsNotTakenOver(t *testing.T) {
	plan := compile(t, fmt.Sprintf(flowSrc, "http://127.0.0.1:1", t.Name()))
	fp := plan.Flows[0]
	st := openStore(t, t.TempDir())
	defer st.Close()
	w := &slowWriter{d: 3 * time.Second, writes: map[string]int{}}
	h := serve.NewHandler(st, fp, "test", map[string]engine.TargetWriter{"jobs": w}, nil, nil, serve.BreakerOptions{})
	h.Lease, h.Heartbeat = time.Second, 100*time.Millisecond

	entry := func(seq uint64) *durable.Entry {
		rec, _ := json.Marshal(map[string]any{"ref": "R-1", "qty": 1})
		return &durable.Entry{Seq: seq, Flow: fp.Name, Plan: "test", Record: rec, ReceivedAt: time.Now()}
	}
	var wg sync.WaitGroup
	reps := make([]serve.Report, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(300 * time.Millisecond) // the first one holds the claim
			}
			reps[i] = h.Handle(context.Background(), engine.NewProcessor(plan, fp), entry(uint64(100+i)), func() {})
		}()
	}
	wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := w.writes["job-R-1"]; n != 1 {
		t.Errorf("key written %d times (at most %d at once), want 1", n, w.most.Load())
	}
	if reps[0].Outcome != serve.Delivered || reps[1].Outcome != serve.Duplicate {
		t.Errorf("outcomes %s, %s; want delivered, duplicate", reps[0].Outcome, reps[1].Outcome)
	}
}

// panicWriter is a connector with a bug: it panics on every write.
type panicWriter struct{}

func (panicWriter) Write(context.Context, *engine.Operation) error { panic("index out of range [3]") }
func (panicWriter) Close() error                                   { return nil }

// TestPanickingTargetIsDeadLettered: a target writer that panics does not
// take the process (every flow, every message in flight) down with it: the
// message is dead-lettered with the panic as its reason and the claim on
// its key is released for a later retry.
func TestPanickingTargetIsDeadLettered(t *testing.T) {
	plan := compile(t, fmt.Sprintf(flowSrc, "http://127.0.0.1:1", t.Name()))
	fp := plan.Flows[0]
	st := openStore(t, t.TempDir())
	defer st.Close()
	h := serve.NewHandler(st, fp, "test", map[string]engine.TargetWriter{"jobs": panicWriter{}}, nil, nil, serve.BreakerOptions{})
	rec, _ := json.Marshal(map[string]any{"ref": "R-1", "qty": 1})
	e := &durable.Entry{Seq: 7, Flow: fp.Name, Plan: "test", Record: rec, ReceivedAt: time.Now()}
	rep := h.Handle(context.Background(), engine.NewProcessor(plan, fp), e, func() {})
	if rep.Outcome != serve.DeadLettered || rep.DeadLetter == nil || rep.DeadLetter.Step != "target.jobs" ||
		!strings.Contains(rep.DeadLetter.Error, "index out of range") {
		t.Fatalf("report %+v", rep)
	}
	if dls := deadLetters(t, st, fp.Name); len(dls) != 1 {
		t.Errorf("dead letters: %d, want 1", len(dls))
	}
	if r, err := st.Lookup(context.Background(), fp.Name, "jobs", "job-R-1"); err != nil || r != nil {
		t.Errorf("claim left behind: %+v, %v", r, err)
	}
	if s := h.Breakers["jobs"].State(); s != serve.Closed {
		t.Errorf("breaker %s", s)
	}
}
