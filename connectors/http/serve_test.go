package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// TestPollWatch: the http source under serve polls every `every`; a record
// served unchanged by two polls has the same id, a changed one a new id;
// a failed poll is retried at the next interval.
func TestPollWatch(t *testing.T) {
	var polls atomic.Int32
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch polls.Add(1) {
		case 1:
			jsonReply(w, 200, []any{map[string]any{"id": 1, "s": "new", "b": 2}, map[string]any{"id": 2, "s": "new"}})
		case 2, 3, 4:
			w.WriteHeader(http.StatusBadGateway) // the second poll fails, retries included
		default:
			// Same records, keys in another order; the second changed.
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"s":"new","b":2,"id":1},{"id":2,"s":"done"}]`))
		}
	})
	plan := compile(t, pollFlow(srv.URL, `every = "20ms"`), map[string]string{"TOKEN": "x"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	k, _ := engine.DefaultRegistry.Get("http")
	r, err := k.Source.Watch(ctx, plan.Flows[0].Source, &engine.WatchContext{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	next := func() *engine.Message {
		t.Helper()
		m, ok, err := r.Next()
		if err != nil || !ok {
			t.Fatalf("Next: %v %v", ok, err)
		}
		if m.Receipt == nil || m.Receipt.Ack(ctx) != nil {
			t.Fatal("no receipt")
		}
		return m
	}
	a1, a2 := next(), next()
	b1, b2 := next(), next()
	idRe := regexp.MustCompile(`^sha256:[0-9a-f]{32}$`)
	if !idRe.MatchString(a1.ID) || a1.ID == a2.ID {
		t.Fatalf("first poll ids %q %q", a1.ID, a2.ID)
	}
	if b1.ID != a1.ID {
		t.Errorf("unchanged record: ids %q then %q", a1.ID, b1.ID)
	}
	if b2.ID == a2.ID || b2.Record["s"] != "done" {
		t.Errorf("changed record kept its id %q (%v)", b2.ID, b2.Record)
	}
	sum := sha256.Sum256([]byte(`{"b":2,"id":1,"s":"new"}`))
	if want := "sha256:" + hex.EncodeToString(sum[:16]); a1.ID != want {
		t.Errorf("id %q, want the digest of the canonical JSON %q", a1.ID, want)
	}
	if n := polls.Load(); n != 5 { // first poll, 3 failed attempts, third poll
		t.Errorf("%d requests", n)
	}
	cancel()
	if _, ok, err := r.Next(); ok || err != nil {
		t.Fatalf("Next after cancel: %v %v", ok, err)
	}
}

// TestWebhookIDHeader: the webhook's Message.ID is the sender's delivery
// id, with the element index for an array body; Webhook mounts the
// handler at the source's path.
func TestWebhookIDHeader(t *testing.T) {
	for _, tc := range []struct {
		name, settings, header, body string
		want                         []string
	}{
		{"default header", ``, "Idempotency-Key", `{"ref":"A"}`, []string{"d-1"}},
		{"array", ``, "Idempotency-Key", `[{"ref":"A"},{"ref":"B"}]`, []string{"d-1:0", "d-1:1"}},
		{"own header", `id_header = "X-Delivery"`, "X-Delivery", `{"ref":"A"}`, []string{"d-1"}},
		{"other header ignored", `id_header = "X-Delivery"`, "Idempotency-Key", `{"ref":"A"}`, []string{""}},
		{"no header", ``, "", `[{"ref":"A"}]`, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := webhookSource(t, tc.settings)
			j := &journal{}
			k, _ := engine.DefaultRegistry.Get("webhook")
			path, h := k.Source.Webhook(sp, j.accept)
			if path != "/hooks/pod" {
				t.Fatalf("path %q", path)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(tc.body))
			if tc.header != "" {
				req.Header.Set(tc.header, " d-1 ")
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 202 || len(j.msgs) != len(tc.want) {
				t.Fatalf("answer %d, %d messages", resp.StatusCode, len(j.msgs))
			}
			for i, m := range j.msgs {
				if m.ID != tc.want[i] {
					t.Errorf("message %d: id %q, want %q", i, m.ID, tc.want[i])
				}
			}
		})
	}
}

// TestTargetWriteResult: the http target reports the response's id and a
// digest of its body.
func TestTargetWriteResult(t *testing.T) {
	for _, tc := range []struct {
		name, body, wantID string
	}{
		{"string id", `{"id":"job-7","status":"created"}`, "job-7"},
		{"number id", `{"id": 1234567890123, "x": 1}`, "1234567890123"},
		{"no id", `{"ok":true}`, ""},
		{"array", `[{"id":1}]`, ""},
		{"object id", `{"id":{"n":1}}`, ""},
		{"empty", ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRecorder(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(tc.body))
			})
			plan := compile(t, targetFlow(srv.URL, "", putByRef), nil)
			w, err := openTarget(plan.Flows[0].Targets[0], &engine.RunContext{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			rw, ok := w.(engine.ResultWriter)
			if !ok {
				t.Fatal("the http target is not a ResultWriter")
			}
			res, err := rw.WriteResult(context.Background(), &engine.Operation{Key: "job-SO1", Body: map[string]any{"ref": "SO1"},
				Fields: map[string]any{"path_expr": "/v1/jobs/SO1"}})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(tc.body))
			if res.ID != tc.wantID || res.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
				t.Fatalf("result %+v, want id %q", res, tc.wantID)
			}
			if reqs := srv.requests(); len(reqs) != 1 || reqs[0].uri != "/api/v1/jobs/SO1" || reqs[0].header.Get("Idempotency-Key") != "job-SO1" {
				t.Fatalf("requests %+v", reqs)
			}
		})
	}
}
