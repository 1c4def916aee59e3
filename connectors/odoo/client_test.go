package odoo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/odootest"
)

const echoKey = "echo-key-5d1e0b77a9"

// fakeClient is a client of proto against a loopback handler.
func fakeClient(t *testing.T, proto string, h http.HandlerFunc) *client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c := &client{proto: proto, base: ts.URL, shown: ts.URL, db: "odoo", login: "admin", key: engine.NewSecret(echoKey),
		timeout: 5e9, hc: newHTTPClient()}
	return c
}

var searchCall = &rpc{model: "res.partner", method: "search", args: []any{[]any{}}, names: []string{"domain"}}

// TestSessionExpired: JSON-RPC error code 100 is retryable, and the next
// call authenticates again.
func TestSessionExpired(t *testing.T) {
	var mu sync.Mutex
	var methods []string
	c := fakeClient(t, protoJSONRPC, func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     any `json:"id"`
			Params struct {
				Method string `json:"method"`
			} `json:"params"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		methods = append(methods, req.Params.Method)
		n := len(methods)
		mu.Unlock()
		switch {
		case req.Params.Method == "authenticate":
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%v,"result":2}`, req.ID)
		case n == 2:
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%v,"error":{"code":100,"message":"Odoo Session Expired","data":{"name":"odoo.http.SessionExpiredException","message":"Session expired"}}}`, req.ID)
		default:
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%v,"result":[1,2]}`, req.ID)
		}
	})
	_, err := c.execute(context.Background(), searchCall)
	if retry, _ := engine.IsRetryable(err); !retry {
		t.Fatalf("session expired: %v, retryable %v", err, retry)
	}
	res, err := c.execute(context.Background(), searchCall)
	if err != nil || !reflect.DeepEqual(res, []any{json.Number("1"), json.Number("2")}) {
		t.Fatalf("after re-authenticating: %v %v", res, err)
	}
	if want := []string{"authenticate", "execute_kw", "authenticate", "execute_kw"}; !reflect.DeepEqual(methods, want) {
		t.Errorf("calls %v, want %v", methods, want)
	}
}

// TestKeyNeverInErrors: a server that quotes the key back (in an Odoo
// error, an HTML error page, a 401) does not get it into the message.
func TestKeyNeverInErrors(t *testing.T) {
	for _, tc := range []struct {
		proto  string
		status int
		body   string
		retry  bool
	}{
		{protoJSON2, 500, `{"name":"builtins.ValueError","message":"bad token ` + echoKey + `"}`, false},
		{protoJSON2, 401, `{"name":"werkzeug.exceptions.Unauthorized","message":"Invalid apikey ` + echoKey + `"}`, false},
		{protoJSON2, 502, `<html><title>502 Bad Gateway</title><body>upstream said ` + echoKey + `</body></html>`, true},
		{protoJSONRPC, 200, `{"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessDenied","message":"Access Denied for ` + echoKey + `"}}}`, false},
		{protoXMLRPC, 200, `<?xml version='1.0'?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>3</int></value></member><member><name>faultString</name><value><string>Access Denied ` + echoKey + `</string></value></member></struct></value></fault></methodResponse>`, false},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.proto, tc.status), func(t *testing.T) {
			c := fakeClient(t, tc.proto, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			_, err := c.execute(context.Background(), searchCall)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), echoKey) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), echoKey) {
				t.Fatalf("the key is in the error: %v", err)
			}
			if !strings.Contains(err.Error(), engine.Redacted) {
				t.Errorf("the echoed key is not shown as %s: %v", engine.Redacted, err)
			}
			if retry, _ := engine.IsRetryable(err); retry != tc.retry {
				t.Errorf("retryable = %v: %v", retry, err)
			}
		})
	}
}

// TestHTTPAnswers: answers that are not Odoo's (a redirect, an HTML 404,
// a non-JSON 200, a closed connection) are classified and explained.
func TestHTTPAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, proto string
		h           http.HandlerFunc
		want        string
		retry       bool
	}{
		{"redirect", protoJSONRPC, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://erp.example.com/jsonrpc", http.StatusMovedPermanently)
		}, "redirected to https://erp.example.com/jsonrpc; set url to the final address", false},
		{"html 200", protoJSONRPC, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html>login</html>")
		}, "the answer is not JSON-RPC (is url the Odoo server?)", false},
		{"404", protoJSONRPC, func(w http.ResponseWriter, r *http.Request) {
			http.NotFound(w, r)
		}, "HTTP 404 Not Found: 404 page not found (is url the address of the Odoo server?)", false},
		{"retry-after", protoJSON2, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}, "HTTP 429 Too Many Requests", true},
		{"hangup", protoJSON2, func(w http.ResponseWriter, r *http.Request) {
			panic(http.ErrAbortHandler)
		}, "res.partner.search: http://", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeClient(t, tc.proto, tc.h)
			c.uid = 2
			_, err := c.execute(context.Background(), searchCall)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			retry, after := engine.IsRetryable(err)
			if retry != tc.retry {
				t.Errorf("retryable = %v", retry)
			}
			if tc.name == "retry-after" && after != 7e9 {
				t.Errorf("retry after %v", after)
			}
		})
	}
}

// TestJSON2NeedsOdoo19: JSON-2 against an Odoo 17 says what to do.
func TestJSON2NeedsOdoo19(t *testing.T) {
	srv := odootest.NewServer(odootest.Options{Version: 17})
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	plan := compile(t, targetFlow(srv, protoJSON2, `model = "res.partner"
    idempotency_key = "'x'"`), goodKey)
	_, err := openTarget(plan.Flows[0].Targets[0], nil)
	if err == nil || !strings.Contains(err.Error(), `it needs Odoo 19 or later; use protocol = "jsonrpc"`) {
		t.Fatalf("err = %v", err)
	}
	// JSON-RPC and XML-RPC work with 17.
	for _, proto := range []string{protoJSONRPC, protoXMLRPC} {
		plan := compile(t, targetFlow(srv, proto, `model = "res.partner"
    idempotency_key = "'x'"`), goodKey)
		w, err := openTarget(plan.Flows[0].Targets[0], nil)
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		if err := w.Write(context.Background(), &engine.Operation{Body: map[string]any{"name": "v17"}}); err != nil {
			t.Errorf("%s: %v", proto, err)
		}
		w.Close()
	}
}

// TestXMLRPCValues round-trips values through the XML-RPC encoder and
// decoder, and reads Odoo's tracebacks.
func TestXMLRPCValues(t *testing.T) {
	in := []any{"a <b> & 'c'", true, false, 42, json.Number("3.25"), 1.5, nil, []any{}, []int{1, 2},
		map[string]any{"x": []any{json.Number("0"), json.Number("0"), map[string]any{"name": "é"}}}}
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?><methodResponse><params><param>")
	if err := writeXMLRPCValue(&b, in); err != nil {
		t.Fatal(err)
	}
	b.WriteString("</param></params></methodResponse>")
	got, fault, err := decodeXMLRPC(b.Bytes())
	if err != nil || fault != nil {
		t.Fatalf("%v %v", err, fault)
	}
	want := []any{"a <b> & 'c'", true, false, json.Number("42"), json.Number("3.25"), json.Number("1.5"), nil, []any{},
		[]any{json.Number("1"), json.Number("2")},
		map[string]any{"x": []any{json.Number("0"), json.Number("0"), map[string]any{"name": "é"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	// An untyped value is a string.
	got, _, err = decodeXMLRPC([]byte(`<methodResponse><params><param><value>plain</value></param></params></methodResponse>`))
	if err != nil || got != "plain" {
		t.Errorf("untyped: %v %v", got, err)
	}
	for _, tc := range []struct{ tb, name, msg string }{
		{"Traceback (most recent call last):\n  File \"/odoo/http.py\", line 1, in f\n    raise x\npsycopg2.errors.SerializationFailure: could not serialize access due to concurrent update\n",
			"psycopg2.errors.SerializationFailure", "could not serialize access due to concurrent update"},
		{"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: Invalid field 'x' on model 'y'\nmore text\n", "ValueError", "Invalid field 'x' on model 'y'\nmore text"},
		{"something else", "", "something else"},
	} {
		name, msg := parseTraceback(tc.tb)
		if name != tc.name || msg != tc.msg {
			t.Errorf("parseTraceback(%q) = %q, %q", tc.tb, name, msg)
		}
	}
}

// TestVersions creates and reads a record on Odoo 17, 18 and 19 over each
// protocol the version serves.
func TestVersions(t *testing.T) {
	for _, v := range []int{17, 18, 19} {
		srv := odootest.NewServer(odootest.Options{Version: v})
		if err := srv.Start(""); err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		for _, proto := range protocols {
			if proto == protoJSON2 && v < 19 {
				continue
			}
			tg := openTestTarget(t, srv, proto, `model = "res.partner"
    idempotency_key = "'x'"`)
			name := fmt.Sprintf("v%d-%s", v, proto)
			if err := tg.Write(context.Background(), &engine.Operation{Body: map[string]any{"name": name, "email": nil}}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			r := openTestReader(t, srv, proto, fmt.Sprintf("model = \"res.partner\"\n    domain = [[\"name\", \"=\", %q]]\n    fields = [\"name\", \"email\"]", name), nil)
			msgs := readAll(t, r, true)
			if len(msgs) != 1 || msgs[0].Record["name"] != name || msgs[0].Record["email"] != nil {
				t.Errorf("%s: read %v", name, msgs)
			}
		}
	}
}
