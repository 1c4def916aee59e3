package http

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// targetFlow is a flow with an http connection (settings in conn) and a
// PUT target with a per-record path and an idempotency key; its records
// come from the test (the webhook source is never opened).
func targetFlow(base, conn, target string) string {
	return fmt.Sprintf(`
connection "http" "tms" {
  base_url = "%s/api"
  headers  = { "X-Tenant" = "acme" }
%s
}
flow "jobs" {
  source "webhook" { path = "/hooks/orders" }
  map "job" {
    ref = "record.ref"
    kg  = "record.kg"
  }
  target "http" "tms" {
    connection      = connection.http.tms
    idempotency_key = "'job-' + job.ref"
%s
  }
}`, base, conn, target)
}

const putByRef = `
    method    = "PUT"
    path_expr = "'/v1/jobs/' + job.ref"
    headers   = { "X-Source" = "flowctl" }`

const fastRetry = `
  retry {
    attempts = 3
    initial  = "10ms"
    max      = "20ms"
  }`

var twoJobs = []map[string]any{{"ref": "SO1", "kg": json.Number("12.50")}, {"ref": "SO2", "kg": json.Number("3")}}

func TestTargetAuthModes(t *testing.T) {
	const token = "tok-3b1f9c2e-SECRET"
	tests := []struct {
		name    string
		conn    string
		check   func(h http.Header) string // "" when the auth header is right
		secrets map[string]string
	}{
		{"bearer", `bearer = secret("TOKEN")`, func(h http.Header) string {
			if got := h.Get("Authorization"); got != "Bearer "+token {
				return "Authorization = " + got
			}
			return ""
		}, map[string]string{"TOKEN": token}},
		{"basic", "username = \"bot\"\n  password = secret(\"TOKEN\")", func(h http.Header) string {
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte("bot:"+token))
			if got := h.Get("Authorization"); got != want {
				return "Authorization = " + got
			}
			return ""
		}, map[string]string{"TOKEN": token}},
		{"api key", "api_key = secret(\"TOKEN\")\n  api_key_header = \"X-Api-Token\"", func(h http.Header) string {
			if got := h.Get("X-Api-Token"); got != token || h.Get("Authorization") != "" {
				return fmt.Sprintf("X-Api-Token = %q, Authorization = %q", got, h.Get("Authorization"))
			}
			return ""
		}, map[string]string{"TOKEN": token}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, ok)
			plan := compile(t, targetFlow(srv.URL, tt.conn, putByRef), tt.secrets)
			sum, rejects, err := run(t, plan, twoJobs)
			if err != nil || sum.Delivered != 2 || sum.Rejected != 0 {
				t.Fatalf("run: %v %+v %s", err, sum, rejects)
			}
			reqs := srv.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if msg := tt.check(r.header); msg != "" {
				t.Error(msg)
			}
			if r.method != "PUT" || r.uri != "/api/v1/jobs/SO1" {
				t.Errorf("request = %s %s", r.method, r.uri)
			}
			if r.body != `{"kg":12.5,"ref":"SO1"}` {
				t.Errorf("body = %s", r.body)
			}
			h := r.header
			if h.Get("Content-Type") != "application/json" || h.Get("X-Tenant") != "acme" || h.Get("X-Source") != "flowctl" {
				t.Errorf("headers = %v", h)
			}
			if h.Get("Idempotency-Key") != "job-SO1" || reqs[1].header.Get("Idempotency-Key") != "job-SO2" {
				t.Errorf("idempotency keys = %q, %q", h.Get("Idempotency-Key"), reqs[1].header.Get("Idempotency-Key"))
			}
		})
	}
}

// TestTargetSecretNotInErrors has the server reject the credentials and
// quote them back: the reject reason names the status, not the secret.
func TestTargetSecretNotInErrors(t *testing.T) {
	const token = "tok-3b1f9c2e-SECRET"
	for _, conn := range []string{`bearer = secret("TOKEN")`, "username = \"bot\"\n  password = secret(\"TOKEN\")", `api_key = secret("TOKEN")`} {
		srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			jsonReply(w, http.StatusUnauthorized, map[string]string{
				"error": "bad credentials", "authorization": r.Header.Get("Authorization"), "key": r.Header.Get("X-API-Key")})
		})
		plan := compile(t, targetFlow(srv.URL, conn, putByRef), map[string]string{"TOKEN": token})
		sum, rejects, err := run(t, plan, twoJobs[:1])
		if err != nil || sum.Rejected != 1 {
			t.Fatalf("run: %v %+v", err, sum)
		}
		mustContain(t, "rejects", rejects, "401 Unauthorized", "bad credentials", "(secret)")
		b64 := base64.StdEncoding.EncodeToString([]byte("bot:" + token))
		if strings.Contains(rejects, token) || strings.Contains(rejects, b64) {
			t.Errorf("the secret leaked into the rejects:\n%s", rejects)
		}
		if n := len(srv.requests()); n != 1 {
			t.Errorf("a 401 was retried: %d requests", n)
		}
	}
}

// TestTargetRetryAfter runs a flow for real against a server that answers
// 503 with Retry-After: 1 once: the engine retries after the server's
// delay (not the 10ms backoff), with the same idempotency key.
func TestTargetRetryAfter(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			jsonReply(w, http.StatusServiceUnavailable, map[string]string{"error": "maintenance"})
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	plan := compile(t, targetFlow(srv.URL, fastRetry, `path = "/v1/jobs"`), nil)
	sum, rejects, err := run(t, plan, twoJobs[:1])
	if err != nil || sum.Delivered != 1 {
		t.Fatalf("run: %v %+v %s", err, sum, rejects)
	}
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", gap)
	}
	if reqs[0].method != "POST" || reqs[1].header.Get("Idempotency-Key") != "job-SO1" || reqs[0].body != reqs[1].body {
		t.Errorf("retry differs: %+v / %+v", reqs[0], reqs[1])
	}
}

func TestTargetPermanentAndGiveUp(t *testing.T) {
	srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/SO1") {
			jsonReply(w, http.StatusUnprocessableEntity, map[string]string{"error": "kg must be an integer"})
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	plan := compile(t, targetFlow(srv.URL, fastRetry, putByRef), nil)
	sum, rejects, err := run(t, plan, twoJobs)
	if err != nil || sum.Rejected != 2 {
		t.Fatalf("run: %v %+v %s", err, sum, rejects)
	}
	lines := strings.Split(strings.TrimSpace(rejects), "\n")
	mustContain(t, "422 reject", lines[0], `"rule":"target.tms"`, "PUT /api/v1/jobs/SO1: 422 Unprocessable Entity", "kg must be an integer")
	mustContain(t, "502 reject", lines[1], "gave up after 3 attempts", "502 Bad Gateway")
	var so1, so2 int
	for _, r := range srv.requests() {
		if strings.HasSuffix(r.uri, "SO1") {
			so1++
		} else {
			so2++
		}
	}
	if so1 != 1 || so2 != 3 {
		t.Errorf("requests: SO1 %d (want 1, permanent), SO2 %d (want 3 attempts)", so1, so2)
	}
}

func TestTargetTimeout(t *testing.T) {
	srv := newRecorder(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	})
	conn := `timeout = "50ms"
  retry {
    attempts = 2
    initial  = "10ms"
  }`
	plan := compile(t, targetFlow(srv.URL, conn, `path = "/v1/jobs"`), nil)
	start := time.Now()
	sum, rejects, err := run(t, plan, twoJobs[:1])
	if err != nil || sum.Rejected != 1 {
		t.Fatalf("run: %v %+v %s", err, sum, rejects)
	}
	mustContain(t, "rejects", rejects, "gave up after 2 attempts", "POST /api/v1/jobs: no response within the 50ms timeout")
	if d := time.Since(start); d > 800*time.Millisecond {
		t.Errorf("took %v; the timeout is 50ms", d)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestTargetRateLimit(t *testing.T) {
	srv := newRecorder(t, ok)
	plan := compile(t, targetFlow(srv.URL, `rate_limit = 20`, `path = "/v1/jobs"`), nil)
	var recs []map[string]any
	for i := 0; i < 6; i++ {
		recs = append(recs, map[string]any{"ref": fmt.Sprint("SO", i), "kg": json.Number("1")})
	}
	sum, _, err := run(t, plan, recs)
	if err != nil || sum.Delivered != 6 {
		t.Fatalf("run: %v %+v", err, sum)
	}
	reqs := srv.requests()
	// 20 requests/s: six requests span at least five 50ms intervals.
	if span := reqs[len(reqs)-1].at.Sub(reqs[0].at); span < 200*time.Millisecond {
		t.Errorf("6 requests at 20/s took %v", span)
	}
}

// TestTargetDryRunContactsNothing: a dry run shows the evaluated path and
// sends nothing.
func TestTargetDryRunContactsNothing(t *testing.T) {
	srv := newRecorder(t, ok)
	plan := compile(t, targetFlow(srv.URL, "", putByRef), nil)
	var ops []string
	_, err := engineDryRun(plan, twoJobs, func(op, path string) { ops = append(ops, op+" → "+path) })
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.requests()) != 0 {
		t.Error("a dry run sent requests")
	}
	if fmt.Sprint(ops) != "[PUT '/v1/jobs/' + job.ref → /v1/jobs/SO1 PUT '/v1/jobs/' + job.ref → /v1/jobs/SO2]" {
		t.Errorf("ops = %v", ops)
	}
}

func TestExcerpt(t *testing.T) {
	if got := excerpt([]byte("  {\"error\":\n\t\"bad\"}\n")); got != `{"error": "bad"}` {
		t.Errorf("excerpt = %q", got)
	}
	long := excerpt([]byte(strings.Repeat("x", 1000)))
	if !strings.HasSuffix(long, "…") || len(long) > excerptLen+len("…") {
		t.Errorf("long excerpt = %d bytes", len(long))
	}
}

func TestResolve(t *testing.T) {
	u, _ := parseBase("https://tms.example.com/api/?tenant=a")
	c := &client{base: u}
	for in, want := range map[string]string{
		"/v1/jobs":         "https://tms.example.com/api/v1/jobs?tenant=a",
		"v1/jobs?x=1":      "https://tms.example.com/api/v1/jobs?tenant=a&x=1",
		"/v1/jobs/A%2FB":   "https://tms.example.com/api/v1/jobs/A%2FB?tenant=a",
		"/v1/jobs/SO 1":    "https://tms.example.com/api/v1/jobs/SO%201?tenant=a",
		"/v1/jobs?tenant=": "https://tms.example.com/api/v1/jobs?tenant=",
	} {
		got, err := c.resolve(in)
		if err != nil || got.String() != want {
			t.Errorf("resolve(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := c.resolve("https://evil.example.com/x"); err == nil {
		t.Error("an absolute URL was accepted as a path")
	}
}

// TestTargetBigResponse: a 2xx is success whatever its body's size.
func TestTargetBigResponse(t *testing.T) {
	srv := newRecorder(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(strings.Repeat("x", 3<<20)))
	})
	plan := compile(t, targetFlow(srv.URL, "", `path = "/v1/jobs"`), nil)
	sum, rejects, err := run(t, plan, twoJobs)
	if err != nil || sum.Delivered != 2 {
		t.Fatalf("run: %v %+v %s", err, sum, rejects)
	}
}
