package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/engine"
)

// pollFlow polls base_url/v1/events with the given source settings and
// posts each record to /sink.
func pollFlow(base, source string) string {
	return fmt.Sprintf(`
connection "http" "api" {
  base_url = "%s"
  bearer   = secret("TOKEN")
  retry {
    attempts = 3
    initial  = "10ms"
    max      = "20ms"
  }
}
flow "events" {
  source "http" {
    connection = connection.http.api
    path       = "/v1/events"
    query      = { status = "done" }
%s
  }
  target "http" "sink" {
    connection      = connection.http.api
    path            = "/sink"
    idempotency_key = "string(record.id)"
  }
}`, base, source)
}

// events are the records the test APIs serve: {"id": 0} … {"id": n-1}.
func events(from, to, n int) []any {
	var out []any
	for i := from; i < to && i < n; i++ {
		out = append(out, map[string]any{"id": i})
	}
	if out == nil {
		out = []any{}
	}
	return out
}

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// readAll opens the plan's source and reads it to the end.
func readAll(t *testing.T, plan *engine.Plan) ([]*engine.Message, error) {
	t.Helper()
	r, err := engine.DefaultRegistry.Get("http")
	if !err {
		t.Fatal("http not registered")
	}
	in, oerr := r.Source.Open(plan.Flows[0].Source, &engine.RunContext{})
	if oerr != nil {
		return nil, oerr
	}
	defer in.Close()
	var msgs []*engine.Message
	for {
		m, ok, err := in.Next()
		if err != nil || !ok {
			return msgs, err
		}
		msgs = append(msgs, m)
	}
}

func checkIDs(t *testing.T, msgs []*engine.Message, n int) {
	t.Helper()
	if len(msgs) != n {
		t.Fatalf("%d messages, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		if m.Err != nil || m.Record["id"] != json.Number(strconv.Itoa(i)) || m.Line != i+1 {
			t.Fatalf("message %d = line %d %v %v", i, m.Line, m.Record, m.Err)
		}
	}
}

func uris(reqs []request) string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.uri)
	}
	return strings.Join(out, " ")
}

func TestPollPagination(t *testing.T) {
	const n = 25
	tests := []struct {
		name   string
		source string
		answer func(w http.ResponseWriter, r *http.Request)
		uris   string
	}{
		{"none", ``, func(w http.ResponseWriter, r *http.Request) {
			jsonReply(w, 200, events(0, n, n))
		}, "/v1/events?status=done"},
		{"page", `
    items      = "data.items"
    pagination = "page"
    page_size  = 10`, func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			page, size := atoi(q.Get("page"), 0), atoi(q.Get("page_size"), 0)
			jsonReply(w, 200, map[string]any{"data": map[string]any{"items": events((page-1)*size, page*size, n)}})
		}, "/v1/events?page=1&page_size=10&status=done /v1/events?page=2&page_size=10&status=done " +
			"/v1/events?page=3&page_size=10&status=done /v1/events?page=4&page_size=10&status=done"},
		// The server caps limit at 7: the next offset counts what came.
		{"offset", `
    items      = "items"
    pagination = "offset"
    page_size  = 10`, func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			off, limit := atoi(q.Get("offset"), -1), min(atoi(q.Get("limit"), 0), 7)
			jsonReply(w, 200, map[string]any{"items": events(off, off+limit, n)})
		}, "/v1/events?limit=10&offset=0&status=done /v1/events?limit=10&offset=7&status=done /v1/events?limit=10&offset=14&status=done " +
			"/v1/events?limit=10&offset=21&status=done /v1/events?limit=10&offset=25&status=done"},
		{"cursor", `
    items        = "items"
    pagination   = "cursor"
    cursor_field = "meta.next"`, func(w http.ResponseWriter, r *http.Request) {
			from := 0
			if c := r.URL.Query().Get("cursor"); c != "" {
				from = atoi(strings.TrimPrefix(c, "c"), -1)
			}
			var next any
			if from+10 < n {
				next = fmt.Sprint("c", from+10)
			}
			jsonReply(w, 200, map[string]any{"items": events(from, from+10, n), "meta": map[string]any{"next": next}})
		}, "/v1/events?status=done /v1/events?cursor=c10&status=done /v1/events?cursor=c20&status=done"},
		// Relative and absolute links, several link-values, rel lists.
		{"link", `
    pagination = "link"`, func(w http.ResponseWriter, r *http.Request) {
			p := atoi(r.URL.Query().Get("p"), 1)
			switch p {
			case 1:
				w.Header().Set("Link", `</v1/events?p=2>; rel="next", </v1/events?p=3>; rel="last"`)
			case 2:
				w.Header().Add("Link", `<http://`+r.Host+`/v1/events?p=1>; rel="prev first"`)
				w.Header().Add("Link", `<http://`+r.Host+`/v1/events?p=3>; title="a, b"; rel="next"`)
			}
			jsonReply(w, 200, events((p-1)*10, p*10, n))
		}, "/v1/events?status=done /v1/events?p=2 /v1/events?p=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) { tt.answer(w, r) })
			plan := compile(t, pollFlow(srv.URL, tt.source), map[string]string{"TOKEN": "t0k3n"})
			msgs, err := readAll(t, plan)
			if err != nil {
				t.Fatal(err)
			}
			checkIDs(t, msgs, n)
			reqs := srv.requests()
			if got := uris(reqs); got != tt.uris {
				t.Errorf("requests:\n%s\nwant\n%s", got, tt.uris)
			}
			for _, r := range reqs {
				if r.method != "GET" || r.header.Get("Authorization") != "Bearer t0k3n" {
					t.Errorf("request %s %s, Authorization %q", r.method, r.uri, r.header.Get("Authorization"))
				}
			}
		})
	}
}

// TestPollRunEndToEnd runs a flow whose records come from the poll source
// and go to an http target, both for real.
func TestPollRunEndToEnd(t *testing.T) {
	srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sink" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		from := atoi(r.URL.Query().Get("offset"), 0)
		jsonReply(w, 200, map[string]any{"items": events(from, from+2, 5)})
	})
	plan := compile(t, pollFlow(srv.URL, "items = \"items\"\n    pagination = \"offset\"\n    page_size = 2"), map[string]string{"TOKEN": "x"})
	sum, rejects, err := run(t, plan, nil)
	if err != nil || sum.Records != 5 || sum.Delivered != 5 {
		t.Fatalf("run: %v %+v %s", err, sum, rejects)
	}
	var sunk []string
	for _, r := range srv.requests() {
		if r.uri == "/sink" {
			sunk = append(sunk, r.header.Get("Idempotency-Key")+"="+r.body)
		}
	}
	if fmt.Sprint(sunk) != `[0={"id":0} 1={"id":1} 2={"id":2} 3={"id":3} 4={"id":4}]` {
		t.Errorf("sink got %v", sunk)
	}
}

// TestPollRetries: a page that fails with 503 is fetched again; a 404 ends
// the read with its status.
func TestPollRetries(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		page := atoi(r.URL.Query().Get("page"), 0)
		switch {
		case page == 2 && n == 1:
			jsonReply(w, http.StatusServiceUnavailable, map[string]string{"error": "busy"})
		case page == 3:
			jsonReply(w, http.StatusNotFound, map[string]string{"error": "no such page"})
		default:
			jsonReply(w, 200, events((page-1)*10, page*10, 100))
		}
	})
	plan := compile(t, pollFlow(srv.URL, "pagination = \"page\"\n    page_size = 10"), map[string]string{"TOKEN": "x"})
	msgs, err := readAll(t, plan)
	if err == nil || len(msgs) != 20 {
		t.Fatalf("%d messages, err %v", len(msgs), err)
	}
	mustContain(t, "error", err.Error(), "GET /v1/events?page=3&page_size=10&status=done: 404 Not Found", "no such page")
	if got := uris(srv.requests()); strings.Count(got, "page=2&") != 2 || strings.Count(got, "page=3&") != 1 {
		t.Errorf("requests: %s", got)
	}
}

func TestPollBadPages(t *testing.T) {
	tests := []struct {
		name   string
		source string
		answer func(w http.ResponseWriter, r *http.Request)
		err    string
		msgs   int
	}{
		{"not json", ``, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }, "the response is not JSON", 0},
		{"items missing", `items = "data"`, func(w http.ResponseWriter, r *http.Request) { jsonReply(w, 200, map[string]any{"x": 1}) },
			"the response has no data", 0},
		{"items not an array", `items = "data"`, func(w http.ResponseWriter, r *http.Request) { jsonReply(w, 200, map[string]any{"data": "x"}) },
			"data is a string, not an array of records", 0},
		{"link elsewhere", `pagination = "link"`, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", `<http://other.example.com/v1/events?p=2>; rel="next"`)
			jsonReply(w, 200, events(0, 3, 3))
		}, "outside base_url; not followed", 3},
		{"parameters ignored", "pagination = \"page\"\n    page_size = 3", func(w http.ResponseWriter, r *http.Request) {
			jsonReply(w, 200, events(0, 3, 3))
		}, "the same records as the previous page; does the API support page pagination?", 3},
		{"link back to the start", `pagination = "link"`, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", `</v1/events?status=done>; rel="next"`)
			jsonReply(w, 200, events(0, 3, 3))
		}, "points back to /v1/events?status=done", 3},
		{"cursor loops", "items = \"items\"\n    pagination = \"cursor\"\n    cursor_field = \"next\"", func(w http.ResponseWriter, r *http.Request) {
			jsonReply(w, 200, map[string]any{"items": events(0, 1, 1), "next": "same"})
		}, `cursor "same" a second time`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) { tt.answer(w, r) })
			plan := compile(t, pollFlow(srv.URL, tt.source), map[string]string{"TOKEN": "x"})
			msgs, err := readAll(t, plan)
			if err == nil || !strings.Contains(err.Error(), tt.err) || len(msgs) != tt.msgs {
				t.Errorf("%d messages, err %v; want %d and %q", len(msgs), err, tt.msgs, tt.err)
			}
		})
	}
}

// TestPollNonObjectItems: an element that is not an object is a message
// with a decode error (the engine rejects it), not the end of the read.
func TestPollNonObjectItems(t *testing.T) {
	srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"id":0}, 7, {"id":2}]`))
	})
	plan := compile(t, pollFlow(srv.URL, ``), map[string]string{"TOKEN": "x"})
	msgs, err := readAll(t, plan)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	if msgs[1].Err == nil || string(msgs[1].Raw) != "7" || msgs[2].Record["id"] != json.Number("2") {
		t.Errorf("messages = %+v %+v", msgs[1], msgs[2])
	}
}

func TestNextLink(t *testing.T) {
	tests := map[string]string{
		`<https://a/x?page=2>; rel="next"`:                           "https://a/x?page=2",
		`<https://a/1>; rel="prev", <https://a/3>; rel="next"`:       "https://a/3",
		`<https://a/1>; rel=next`:                                    "https://a/1",
		`<https://a/1>; title="x, rel=next"; rel="last"`:             "",
		`<https://a/1>; rel="last", <https://a/2>; REL="Next"`:       "https://a/2",
		`<https://a/1>; rel="nextish"`:                               "",
		`garbage, <https://a/2>; rel="next"`:                         "https://a/2",
		`<https://a/1>; rel="prev next"`:                             "https://a/1",
		``:                                                           "",
		`<https://a/1>; anchor="#x"; rel="next"; type="text/html", `: "https://a/1",
	}
	for in, want := range tests {
		if got := nextLink([]string{in}); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", in, got, want)
		}
	}
}
