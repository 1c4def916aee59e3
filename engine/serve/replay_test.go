package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

const retryFlow = `
connection "http" "tms" {
  base_url = %q
  retry {
    attempts = 1
  }
}
flow "retry" {
  key = "record.ref"
  source "file" {
    path = "unused.ndjson"
  }
  target "http" "jobs" {
    connection      = connection.http.tms
    path            = "/jobs"
    idempotency_key = "'job-' + record.ref"
    body            = "record"
  }
}
`

// TestRetrySettlesTheDeadLetter: a dead letter that fails again within the
// same minute (when the dead-letter stream would take the new record for a
// repeat of the old one) is replaced, never lost; one that goes through is
// removed; the journal keeps the message.
func TestRetrySettlesTheDeadLetter(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if refuse.Load() {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer hs.Close()
	cfg, diags := dsl.Load([]string{"r.hcl"}, map[string][]byte{"r.hcl": fmt.Appendf(nil, retryFlow, hs.URL)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	fp := plan.Flows[0]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := durable.Open(ctx, durable.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	writers, err := engine.OpenTargets(fp, &engine.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	h := serve.NewHandler(st, fp, "v1", writers, nil, nil, serve.BreakerOptions{})
	proc := engine.NewProcessor(plan, fp)

	e := &durable.Entry{Flow: "retry", Plan: "v1", Key: "A", Source: "test", ReceivedAt: time.Now().UTC(), Record: json.RawMessage(`{"ref":"A"}`)}
	ack, err := st.AppendSync(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	e.Seq = ack.Sequence
	if rep := h.Handle(ctx, proc, e, nil); rep.Outcome != serve.DeadLettered {
		t.Fatalf("first run: %s", rep.Outcome)
	}
	list := func() []*durable.DeadLetter {
		var out []*durable.DeadLetter
		if err := st.DeadLetters(ctx, durable.Filter{Flow: "retry"}, func(d *durable.DeadLetter) error {
			out = append(out, d)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	dls := list()
	if len(dls) != 1 {
		t.Fatalf("%d dead letters", len(dls))
	}
	for round := range 2 {
		s := serve.Retry(ctx, h, proc, dls[0])
		if s.Err != nil || s.Outcome != serve.DeadLettered || !s.Removed || s.NewSeq <= dls[0].Seq {
			t.Fatalf("round %d: %+v", round, s)
		}
		dls = list()
		if len(dls) != 1 || dls[0].Seq != s.NewSeq || dls[0].Entry.Seq != e.Seq {
			t.Fatalf("round %d: dead letters %+v", round, dls)
		}
	}
	refuse.Store(false)
	s := serve.Retry(ctx, h, proc, dls[0])
	if s.Err != nil || s.Outcome != serve.Delivered || !s.Removed {
		t.Fatalf("fixed: %+v", s)
	}
	if n := len(list()); n != 0 {
		t.Fatalf("%d dead letters left", n)
	}
	if _, err := st.Get(ctx, e.Seq); err != nil {
		t.Fatalf("journal: %v", err)
	}
	// Written: the operation is done now.
	done, err := h.Written(ctx, e, s.Result.Ops)
	if err != nil || len(done) != 1 || done[0] == nil || done[0].Journal != e.Seq {
		t.Fatalf("written: %v %+v", err, done)
	}
	if serve.WriteKey(e, 0, &engine.Operation{}) != fmt.Sprintf("journal:%d/0", e.Seq) {
		t.Error("WriteKey without a flow key")
	}
}
