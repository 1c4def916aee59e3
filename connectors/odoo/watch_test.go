package odoo

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/odootest"
)

// memState is a SourceState in memory.
type memState struct {
	mu    sync.Mutex
	data  []byte
	saves int
}

func (s *memState) Load(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.data...), nil
}

func (s *memState) Save(_ context.Context, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = append([]byte(nil), b...)
	s.saves++
	return nil
}

func (s *memState) cursor(t *testing.T) Cursor {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var c Cursor
	if err := json.Unmarshal(s.data, &c); err != nil {
		t.Fatalf("saved position %q: %v", s.data, err)
	}
	return c
}

// openTestWatch starts the odoo source's Watch with state.
func openTestWatch(t *testing.T, ctx context.Context, srv *odootest.Server, proto, source string, state engine.SourceState) engine.RecordReader {
	t.Helper()
	plan := compile(t, sourceFlow(srv, proto, source, "unused.ndjson"), goodKey)
	k, _ := engine.DefaultRegistry.Get("odoo")
	r, err := k.Source.Watch(ctx, plan.Flows[0].Source, &engine.WatchContext{State: state})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// nextN reads n messages from a watch, acknowledging each, within a
// deadline (Next blocks between polls).
func nextN(t *testing.T, r engine.RecordReader, n int) []*engine.Message {
	t.Helper()
	type res struct {
		msgs []*engine.Message
		err  error
	}
	done := make(chan res, 1)
	go func() {
		var out []*engine.Message
		for len(out) < n {
			m, ok, err := r.Next()
			if err != nil || !ok {
				done <- res{out, err}
				return
			}
			m.Receipt.Ack(context.Background())
			out = append(out, m)
		}
		done <- res{out, nil}
	}()
	select {
	case got := <-done:
		if len(got.msgs) != n {
			t.Fatalf("got %d of %d messages (%v)", len(got.msgs), n, got.err)
		}
		return got.msgs
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %d messages", n)
	}
	return nil
}

var odooID = regexp.MustCompile(`^res\.partner:[0-9]+:2026-03-02 09:00:0[0-9]$`)

// TestWatch: records written after a first pass arrive in a later pass;
// the position is saved and a new watch resumes from it without
// repeating a record; a failing poll is retried at the next interval.
func TestWatch(t *testing.T) {
	for _, tc := range []struct{ proto, cursor string }{
		{protoJSONRPC, "write_date"}, {protoJSON2, "write_date"}, {protoXMLRPC, "id"},
	} {
		t.Run(tc.proto+"/"+tc.cursor, func(t *testing.T) {
			srv, clk := newServer(t)
			first := seedPartners(srv, clk, 5, 2)
			src := `
    model     = "res.partner"
    fields    = ["name"]
    cursor    = "` + tc.cursor + `"
    page_size = 2
    every     = "20ms"`
			state := &memState{}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			w := openTestWatch(t, ctx, srv, tc.proto, src, state)
			msgs := nextN(t, w, 5)
			if got := idsOf(t, msgs); !reflect.DeepEqual(got, first) {
				t.Fatalf("first pass ids %v, want %v", got, first)
			}
			for _, m := range msgs {
				if !odooID.MatchString(m.ID) {
					t.Fatalf("message id %q", m.ID)
				}
				if _, ok := m.Record["write_date"]; ok {
					t.Fatalf("write_date read for the cursor only, yet in the record: %v", m.Record)
				}
			}

			// Written after the first pass, with a failing poll between.
			clk.advance(time.Second)
			srv.FailNext(1, 503)
			second := seedPartners(srv, clk, 2, 0)
			msgs = nextN(t, w, 2)
			if got := idsOf(t, msgs); !reflect.DeepEqual(got, second) {
				t.Fatalf("second pass ids %v, want %v", got, second)
			}
			cancel()
			if _, ok, err := w.Next(); ok || err != nil {
				t.Fatalf("Next after cancel: %v %v", ok, err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if pos := state.cursor(t); pos.ID != second[1] {
				t.Fatalf("saved position %v, want the last record %d", pos, second[1])
			}

			// A new watch resumes after the saved position.
			ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel2()
			w2 := openTestWatch(t, ctx2, srv, tc.proto, src, state)
			defer w2.Close()
			clk.advance(time.Second)
			third := seedPartners(srv, clk, 1, 0)
			msgs = nextN(t, w2, 1)
			if got := idsOf(t, msgs); !reflect.DeepEqual(got, third) {
				t.Fatalf("after resuming: ids %v, want only the new record %v", got, third)
			}
		})
	}
}

// TestWatchNack: a refused message holds the position, and the next pass
// offers it again with the same id.
func TestWatchNack(t *testing.T) {
	srv, clk := newServer(t)
	ids := seedPartners(srv, clk, 3, 1)
	state := &memState{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := openTestWatch(t, ctx, srv, protoJSONRPC, "model = \"res.partner\"\n    fields = [\"name\"]\n    every = \"20ms\"", state)
	defer w.Close()
	var got []*engine.Message
	for range 3 {
		m, ok, err := w.Next()
		if !ok || err != nil {
			t.Fatalf("Next: %v %v", ok, err)
		}
		got = append(got, m)
	}
	got[0].Receipt.Ack(ctx)
	got[1].Receipt.Nack(ctx, context.DeadlineExceeded)
	got[2].Receipt.Ack(ctx)
	again := nextN(t, w, 2)
	if idsOf(t, again)[0] != ids[1] || again[0].ID != got[1].ID || again[1].ID != got[2].ID {
		t.Fatalf("offered again: %v (ids %q %q), want %d, %d with ids %q %q", idsOf(t, again), again[0].ID, again[1].ID, ids[1], ids[2], got[1].ID, got[2].ID)
	}
}
