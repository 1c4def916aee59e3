package odootest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a server on a loopback httptest listener, seeded with SeedDemo.
type fixture struct {
	t     *testing.T
	s     *Server
	url   string
	demo  Demo
	clock *testClock
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	clock := newClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	s := NewServer(opts)
	demo, err := s.SeedDemo()
	if err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	f := &fixture{s: s, url: ts.URL, demo: demo, clock: clock}
	if tt, ok := t.(*testing.T); ok {
		f.t = tt
	}
	return f
}

// rpcError is the "error" member of a JSON-RPC reply.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Name      string `json:"name"`
		Message   string `json:"message"`
		Arguments []any  `json:"arguments"`
		Debug     string `json:"debug"`
	} `json:"data"`
}

func post(t testing.TB, url, contentType string, header map[string]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	status, h, out, err := rawPost(url, contentType, header, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, h, out
}

// rawPost is post for goroutines other than the test's: it returns errors.
func rawPost(url, contentType string, header map[string]string, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out, err
}

// rawKW calls execute_kw as the admin from any goroutine; it returns the
// error's data.name, or the transport error.
func rawKW(url, model, method string, args []any, kwargs map[string]any) (any, string, error) {
	status, _, out, err := rawPost(url+"/jsonrpc", "application/json", nil, []byte(ekw(model, method, args, kwargs)))
	if err != nil {
		return nil, "", err
	}
	if status != 200 {
		return nil, "", fmt.Errorf("HTTP %d: %s", status, out)
	}
	v, err := decodeJSON(out)
	if err != nil {
		return nil, "", err
	}
	reply, _ := v.(map[string]any)
	if e, ok := reply["error"].(map[string]any); ok {
		data, _ := e["data"].(map[string]any)
		return nil, fmt.Sprint(data["name"], ": ", data["message"]), nil
	}
	return plain(reply["result"]), "", nil
}

// jsonrpc calls a service method and returns the decoded result (plain Go
// values), whether the reply had a "result" key, and the error if any.
func jsonrpcCall(t testing.TB, url, service, method string, args ...any) (any, bool, *rpcError) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "call", "id": 1,
		"params": map[string]any{"service": service, "method": method, "args": args}})
	if err != nil {
		t.Fatal(err)
	}
	status, _, out := post(t, url+"/jsonrpc", "application/json", nil, body)
	if status != 200 {
		t.Fatalf("jsonrpc %s.%s: HTTP %d: %s", service, method, status, out)
	}
	var reply struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(out, &reply); err != nil {
		t.Fatalf("jsonrpc reply %s: %v", out, err)
	}
	if reply.Error != nil {
		return nil, false, reply.Error
	}
	if reply.Result == nil {
		return nil, false, nil
	}
	v, err := decodeJSON(reply.Result)
	if err != nil {
		t.Fatal(err)
	}
	return plain(v), true, nil
}

// kw calls execute_kw as the admin (uid 2, password "admin").
func (f *fixture) kw(model, method string, args []any, kwargs map[string]any) (any, *rpcError) {
	f.t.Helper()
	if args == nil {
		args = []any{}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	res, _, err := jsonrpcCall(f.t, f.url, "object", "execute_kw", "odoo", 2, "admin", model, method, args, kwargs)
	return res, err
}

// mustKW is kw that fails the test on an error.
func (f *fixture) mustKW(model, method string, args []any, kwargs map[string]any) any {
	f.t.Helper()
	res, err := f.kw(model, method, args, kwargs)
	if err != nil {
		f.t.Fatalf("%s.%s: %s: %s", model, method, err.Data.Name, err.Data.Message)
	}
	return res
}

// kwErr expects execute_kw to fail with the named exception and returns
// its message.
func (f *fixture) kwErr(name, model, method string, args []any, kwargs map[string]any) string {
	f.t.Helper()
	res, err := f.kw(model, method, args, kwargs)
	if err == nil {
		f.t.Fatalf("%s.%s: got %v, want %s", model, method, res, name)
	}
	if err.Data.Name != name {
		f.t.Fatalf("%s.%s: got %s (%s), want %s", model, method, err.Data.Name, err.Data.Message, name)
	}
	return err.Data.Message
}

// json2 calls POST /json/2/<model>/<method> with the admin's API key.
func (f *fixture) json2(model, method string, body map[string]any) (int, any) {
	f.t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		f.t.Fatal(err)
	}
	status, _, out := post(f.t, f.url+"/json/2/"+model+"/"+method, "application/json",
		map[string]string{"Authorization": "bearer " + DefaultAPIKey, "X-Odoo-Database": "odoo"}, data)
	v, err := decodeJSON(out)
	if err != nil {
		f.t.Fatalf("json2 %s.%s: %s: %v", model, method, out, err)
	}
	return status, plain(v)
}

func ids(res any) []int {
	var out []int
	for _, x := range res.([]any) {
		out = append(out, x.(int))
	}
	return out
}

func fieldOf(res any, i int, name string) any {
	return res.([]any)[i].(map[string]any)[name]
}

func compact(s string) string { return strings.Join(strings.Fields(s), " ") }
