package http

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
)

const hookKey = "whsec-0c9d8e7f"

func webhookSource(t *testing.T, settings string) *engine.SourcePlan {
	t.Helper()
	plan := compile(t, fmt.Sprintf(`
connection "http" "tms" { base_url = "http://127.0.0.1:1" }
flow "pod" {
  source "webhook" {
    path = "/hooks/pod"
%s
  }
  target "http" "tms" {
    connection      = connection.http.tms
    path            = "/v1/pod"
    idempotency_key = "record.ref"
  }
}`, settings), map[string]string{"HOOK_KEY": hookKey})
	return plan.Flows[0].Source
}

// journal is an accept function that keeps messages, or refuses with err.
type journal struct {
	mu   sync.Mutex
	msgs []*engine.Message
	err  error
}

func (j *journal) accept(_ context.Context, m *engine.Message) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	j.msgs = append(j.msgs, m)
	return nil
}

// sign computes the signature as a sender would, independently of Sign:
// hex(HMAC-SHA256(key, timestamp + "." + body)).
func sign(ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(hookKey))
	io.WriteString(mac, ts+"."+string(body))
	return hex.EncodeToString(mac.Sum(nil))
}

type hookReq struct {
	body   string
	ts     string // "" → now
	sig    string // "" → correct signature; "-" → none
	method string
	prefix string // before the signature ("sha256=")
	signed string // the body the signature is computed over, when not body
}

func post(t *testing.T, srv *httptest.Server, hr hookReq) (*http.Response, string) {
	t.Helper()
	ts := hr.ts
	if ts == "" {
		ts = strconv.FormatInt(time.Now().Unix(), 10)
	}
	method := hr.method
	if method == "" {
		method = http.MethodPost
	}
	req, _ := http.NewRequest(method, srv.URL+"/hooks/pod", strings.NewReader(hr.body))
	req.Header.Set("Content-Type", "application/json")
	switch hr.sig {
	case "":
		signed := hr.body
		if hr.signed != "" {
			signed = hr.signed
		}
		req.Header.Set("X-Signature", hr.prefix+sign(ts, []byte(signed)))
		req.Header.Set("X-Timestamp", ts)
	case "-":
	default:
		req.Header.Set("X-Signature", hr.sig)
		req.Header.Set("X-Timestamp", ts)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestWebhookSignatures(t *testing.T) {
	j := &journal{}
	srv := httptest.NewServer(NewWebhookHandler(webhookSource(t, `hmac_secret = secret("HOOK_KEY")
    tolerance = "1m"`), j.accept))
	defer srv.Close()
	old := strconv.FormatInt(time.Now().Add(-2*time.Minute).Unix(), 10)
	future := strconv.FormatInt(time.Now().Add(2*time.Minute).Unix(), 10)
	body := `{"ref":"SO1","signed_by":"J. Doe"}`
	tests := []struct {
		name   string
		req    hookReq
		status int
		reply  string
		kept   int
	}{
		{"good", hookReq{body: body}, 202, `{"accepted":1}`, 1},
		{"good with sha256= prefix", hookReq{body: body, prefix: "sha256="}, 202, `{"accepted":1}`, 1},
		{"array", hookReq{body: `[{"ref":"SO2"},{"ref":"SO3"}]`}, 202, `{"accepted":2}`, 2},
		{"wrong signature", hookReq{body: body, sig: sign("1", []byte(body))}, 401, "invalid signature", 0},
		{"tampered body", hookReq{body: body, signed: `{"ref":"SO9","signed_by":"J. Doe"}`}, 401, "invalid signature", 0},
		{"not hex", hookReq{body: body, sig: "zz"}, 401, "invalid signature", 0},
		{"missing", hookReq{body: body, sig: "-"}, 401, "missing X-Signature or X-Timestamp", 0},
		{"expired", hookReq{body: body, ts: old, sig: sign(old, []byte(body))}, 401, "outside the accepted window", 0},
		{"from the future", hookReq{body: body, ts: future, sig: sign(future, []byte(body))}, 401, "outside the accepted window", 0},
		{"bad timestamp", hookReq{body: body, ts: "yesterday", sig: sign("yesterday", []byte(body))}, 401, "not a Unix time", 0},
		{"not json", hookReq{body: `ref=SO1`}, 400, "not valid JSON", 0},
		{"scalar", hookReq{body: `"SO1"`}, 400, "the body is a string", 0},
		{"array of scalars", hookReq{body: `[{"ref":"A"}, 1]`}, 400, "element 1 of the array is a number", 0},
		{"trailing data", hookReq{body: `{"ref":"A"} {"ref":"B"}`}, 400, "data after its JSON value", 0},
		{"get", hookReq{body: ``, method: "GET"}, 405, "only POST", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j.msgs = nil
			resp, reply := post(t, srv, tt.req)
			if resp.StatusCode != tt.status || !strings.Contains(reply, tt.reply) {
				t.Errorf("answer %d %s, want %d %q", resp.StatusCode, reply, tt.status, tt.reply)
			}
			if len(j.msgs) != tt.kept {
				t.Errorf("%d messages accepted, want %d", len(j.msgs), tt.kept)
			}
			if strings.Contains(reply, hookKey) {
				t.Error("the key leaked into the answer")
			}
		})
	}
}

func TestWebhookMessages(t *testing.T) {
	j := &journal{}
	srv := httptest.NewServer(NewWebhookHandler(webhookSource(t, `hmac_secret = secret("HOOK_KEY")`), j.accept))
	defer srv.Close()
	resp, _ := post(t, srv, hookReq{body: `[{"ref":"SO2","kg":1.50},{"ref":"SO3"}]`})
	if resp.StatusCode != 202 || len(j.msgs) != 2 {
		t.Fatalf("status %d, %d messages", resp.StatusCode, len(j.msgs))
	}
	m := j.msgs[0]
	if m.Record["ref"] != "SO2" || m.Record["kg"] != json.Number("1.50") || m.Line != 1 || j.msgs[1].Line != 2 ||
		m.Source != "/hooks/pod" || time.Since(m.ReceivedAt) > time.Minute {
		t.Errorf("message = %+v", m)
	}
}

func TestWebhookSizeLimit(t *testing.T) {
	j := &journal{}
	srv := httptest.NewServer(NewWebhookHandler(webhookSource(t, `hmac_secret = secret("HOOK_KEY")`), j.accept))
	defer srv.Close()
	big := `{"ref":"` + strings.Repeat("x", MaxWebhookBody) + `"}`
	resp, reply := post(t, srv, hookReq{body: big})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || len(j.msgs) != 0 {
		t.Errorf("answer %d %s", resp.StatusCode, reply)
	}
	// Without a Content-Length the limit holds while reading.
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", srv.URL+"/hooks/pod", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Signature", sign(ts, []byte(big)))
	r2, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: answer %d", r2.StatusCode)
	}
	// Just under the limit is fine.
	ok := `{"ref":"` + strings.Repeat("x", MaxWebhookBody-20) + `"}`
	if resp, reply := post(t, srv, hookReq{body: ok}); resp.StatusCode != 202 {
		t.Errorf("answer %d %s", resp.StatusCode, reply)
	}
}

func TestWebhookBackpressure(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		retryAfter string
	}{
		{ErrBackpressure, 503, "5"},
		{fmt.Errorf("journal: %w", ErrBackpressure), 503, "5"},
		{engine.Retryable(errors.New("journal full"), 1500*time.Millisecond), 503, "2"},
		{errors.New("disk on fire"), 500, ""},
	}
	for _, tt := range tests {
		j := &journal{err: tt.err}
		srv := httptest.NewServer(NewWebhookHandler(webhookSource(t, `hmac_secret = secret("HOOK_KEY")`), j.accept))
		resp, reply := post(t, srv, hookReq{body: `{"ref":"SO1"}`})
		srv.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter {
			t.Errorf("%v: answer %d Retry-After %q %s", tt.err, resp.StatusCode, resp.Header.Get("Retry-After"), reply)
		}
		if strings.Contains(reply, "disk on fire") {
			t.Errorf("internal error text sent to the caller: %s", reply)
		}
	}
}

// TestWebhookUnsigned: without hmac_secret no signature is asked for.
func TestWebhookUnsigned(t *testing.T) {
	j := &journal{}
	srv := httptest.NewServer(NewWebhookHandler(webhookSource(t, ``), j.accept))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/hooks/pod", "application/json", bytes.NewReader([]byte(`{"ref":"A"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || len(j.msgs) != 1 {
		t.Errorf("answer %d, %d messages", resp.StatusCode, len(j.msgs))
	}
}

// TestWebhookEmptyKey: a declared key that resolves to "" refuses every
// request rather than accepting unsigned ones.
func TestWebhookEmptyKey(t *testing.T) {
	plan := compile(t, `
connection "http" "tms" { base_url = "http://127.0.0.1:1" }
flow "pod" {
  source "webhook" {
    path        = "/hooks/pod"
    hmac_secret = secret("EMPTY")
  }
  target "http" "tms" {
    connection      = connection.http.tms
    path            = "/v1/pod"
    idempotency_key = "record.ref"
  }
}`, map[string]string{"EMPTY": ""})
	j := &journal{}
	srv := httptest.NewServer(NewWebhookHandler(plan.Flows[0].Source, j.accept))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/hooks/pod", "application/json", strings.NewReader(`{"ref":"A"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 || len(j.msgs) != 0 {
		t.Errorf("answer %d, %d messages", resp.StatusCode, len(j.msgs))
	}
}

// TestSignKnownVector pins the signed string to the one docs/connectors-http.md
// computes with openssl:
//
//	printf '%s.%s' 1700000000 '{"ref":"SO1"}' | openssl dgst -sha256 -hmac k3y -hex
func TestSignKnownVector(t *testing.T) {
	got := hex.EncodeToString(Sign([]byte("k3y"), "1700000000", []byte(`{"ref":"SO1"}`)))
	if got != "12114a7dd4287018aa4be444559d987a8003d5086235dc3cca6bf0260c8ff26b" {
		t.Errorf("signature = %s", got)
	}
}
