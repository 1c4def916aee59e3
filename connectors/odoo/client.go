package odoo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// Wire protocols, as the connection's protocol setting names them.
const (
	protoJSONRPC = "jsonrpc"
	protoJSON2   = "json2"
	protoXMLRPC  = "xmlrpc"
)

const (
	// responseLimit bounds one response body (a search_read page is read
	// whole before its records are handed on).
	responseLimit = 256 << 20
	// errorBodyLimit bounds what is read of a failed response.
	errorBodyLimit = 64 << 10
	userAgent      = "flowctl"
)

// client is one connection: where Odoo is, who we are, and how we speak to
// it. It is safe for concurrent use.
type client struct {
	proto   string
	base    string // url without a trailing slash
	shown   string // base with any userinfo redacted, for messages
	db      string
	login   string
	key     engine.Secret // revealed only when a request is built
	timeout time.Duration
	hc      *http.Client
	reqID   atomic.Int64

	mu      sync.Mutex
	uid     int   // JSON-RPC and XML-RPC: the authenticated user
	authErr error // a rejected credential: every later call fails with it
}

func newClient(cp *engine.ConnectionPlan) (*client, error) {
	if cp == nil {
		return nil, errors.New("no odoo connection")
	}
	v := cp.Values
	raw := strings.TrimSpace(v.String("url"))
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("connection.odoo.%s: url %q is not an absolute http(s) URL", cp.Name, redactURL(raw))
	}
	u.RawQuery, u.Fragment = "", ""
	c := &client{
		proto:   v.String("protocol"),
		base:    strings.TrimRight(u.String(), "/"),
		shown:   strings.TrimRight(u.Redacted(), "/"),
		db:      v.String("database"),
		login:   v.String("username"),
		key:     v.Secret("api_key"),
		timeout: v.Duration("timeout"),
	}
	if c.proto == "" {
		c.proto = protoJSONRPC
	}
	switch c.proto {
	case protoJSONRPC, protoJSON2, protoXMLRPC:
	default:
		return nil, fmt.Errorf("connection.odoo.%s: unknown protocol %q", cp.Name, c.proto)
	}
	if c.proto != protoJSON2 && c.login == "" {
		return nil, fmt.Errorf("connection.odoo.%s: the %s protocol needs username", cp.Name, c.proto)
	}
	if !c.key.IsSet() {
		return nil, fmt.Errorf("connection.odoo.%s: api_key is empty", cp.Name)
	}
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	c.hc = newHTTPClient()
	return c, nil
}

// newHTTPClient does not follow redirects: calls are POSTs, never replayed
// to another address, and the API key (in the body or the Authorization
// header) never follows a redirect.
func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// redact replaces the API key wherever a server echoed it.
func (c *client) redact(s string) string {
	if k := c.key.Reveal(); len(k) >= 4 {
		s = strings.ReplaceAll(s, k, engine.Redacted)
	}
	return s
}

// authHint is appended to a rejected credential's message.
func (c *client) authHint() string {
	if c.proto == protoJSON2 {
		return fmt.Sprintf(" (check api_key: JSON-2 takes an API key of a user of database %q, not a password)", c.db)
	}
	return fmt.Sprintf(" (check username %q and api_key for database %q)", c.login, c.db)
}

// rpc is one call of a model method. args are the positional arguments
// after the ids (JSON-2 sends them under names), kwargs the keyword
// arguments.
type rpc struct {
	model, method string
	record        bool  // a method on records: ids come first
	ids           []int // the records
	args          []any
	names         []string // JSON-2 names of args
	kwargs        map[string]any
}

// what names the call in messages: sale.order.action_confirm on [7].
func (r *rpc) what() string {
	s := r.model + "." + r.method
	if r.record {
		s += " on " + idsText(r.ids)
	}
	return s
}

// execute performs one call: one attempt, its failure classified as
// retryable or permanent (a *engine.ConnectorError), or ctx's error.
func (c *client) execute(ctx context.Context, r *rpc) (any, error) {
	if err := c.stickyErr(); err != nil {
		return nil, err
	}
	if c.proto == protoJSON2 {
		return c.json2(ctx, r)
	}
	uid, err := c.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	args := r.args
	if r.record {
		args = append([]any{r.ids}, args...)
	}
	if args == nil {
		args = []any{}
	}
	kwargs := r.kwargs
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	call := []any{c.db, uid, c.key.Reveal(), r.model, r.method, args, kwargs}
	var res any
	if c.proto == protoXMLRPC {
		res, err = c.xmlrpc(ctx, r.what(), "object", "execute_kw", call)
	} else {
		res, err = c.jsonrpc(ctx, r.what(), "object", "execute_kw", call)
	}
	if err != nil {
		var se *serverError
		if errors.As(err, &se) {
			if se.Code == 100 { // session expired: authenticate again
				c.mu.Lock()
				c.uid = 0
				c.mu.Unlock()
			}
			return nil, c.classify(r.what(), se)
		}
		return nil, err
	}
	return res, nil
}

func (c *client) stickyErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authErr
}

// authenticate returns the uid of the connection's user, calling
// common.authenticate the first time. A rejected login is remembered: the
// connection makes no further attempts (Odoo blocks an address after a
// few failed logins).
func (c *client) authenticate(ctx context.Context) (int, error) {
	c.mu.Lock()
	uid, authErr := c.uid, c.authErr
	c.mu.Unlock()
	if authErr != nil {
		return 0, authErr
	}
	if uid > 0 {
		return uid, nil
	}
	what := "common.authenticate"
	args := []any{c.db, c.login, c.key.Reveal(), map[string]any{}}
	var res any
	var err error
	if c.proto == protoXMLRPC {
		res, err = c.xmlrpc(ctx, what, "common", "authenticate", args)
	} else {
		res, err = c.jsonrpc(ctx, what, "common", "authenticate", args)
	}
	if err != nil {
		var se *serverError
		if errors.As(err, &se) {
			err = c.classify(what, se)
			if se.isAuthError() {
				c.setAuthErr(err)
			}
		}
		return 0, err
	}
	id, ok := toID(res)
	if !ok {
		err := engine.Permanent(fmt.Errorf("odoo rejected the login of %q on database %q: wrong username or api_key, or the address is blocked after too many failed logins", c.login, c.db))
		c.setAuthErr(err)
		return 0, err
	}
	c.mu.Lock()
	c.uid = id
	c.mu.Unlock()
	return id, nil
}

func (c *client) setAuthErr(err error) {
	c.mu.Lock()
	if c.authErr == nil {
		c.authErr = err
	}
	c.mu.Unlock()
}

// jsonrpc calls service.method over POST /jsonrpc.
func (c *client) jsonrpc(ctx context.Context, what, service, method string, args []any) (any, error) {
	body, err := encodeJSON(map[string]any{
		"jsonrpc": "2.0", "method": "call", "id": c.reqID.Add(1),
		"params": map[string]any{"service": service, "method": method, "args": args},
	})
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("%s: encoding the call: %v", what, err))
	}
	resp, err := c.post(ctx, what, "/jsonrpc", body, nil)
	if err != nil {
		return nil, err
	}
	var reply struct {
		Result any `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    *struct {
				Name    string `json:"name"`
				Message string `json:"message"`
			} `json:"data"`
		} `json:"error"`
	}
	if err := decodeJSON(resp, &reply); err != nil {
		return nil, engine.Permanent(fmt.Errorf("%s: the answer is not JSON-RPC (is url the Odoo server?): %v", what, err))
	}
	if e := reply.Error; e != nil {
		se := &serverError{Code: e.Code, Message: e.Message}
		if e.Data != nil {
			se.Name = e.Data.Name
			if e.Data.Message != "" {
				se.Message = e.Data.Message
			}
		}
		return nil, se
	}
	return reply.Result, nil
}

// json2 calls /json/2/<model>/<method> with named arguments.
func (c *client) json2(ctx context.Context, r *rpc) (any, error) {
	what := r.what()
	params := make(map[string]any, len(r.args)+len(r.kwargs)+1)
	for i, a := range r.args {
		params[r.names[i]] = a
	}
	for k, v := range r.kwargs {
		params[k] = v
	}
	if r.record {
		params["ids"] = r.ids
	}
	body, err := encodeJSON(params)
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("%s: encoding the call: %v", what, err))
	}
	path := "/json/2/" + url.PathEscape(r.model) + "/" + url.PathEscape(r.method)
	resp, err := c.post(ctx, what, path, body, func(h http.Header) {
		h.Set("Authorization", "bearer "+c.key.Reveal())
		h.Set("X-Odoo-Database", c.db)
	})
	if err != nil {
		var se *serverError
		if errors.As(err, &se) {
			err = c.classify(what, se)
			if se.isAuthError() {
				c.setAuthErr(err)
			}
		}
		return nil, err
	}
	var res any
	if err := decodeJSON(resp, &res); err != nil {
		return nil, engine.Permanent(fmt.Errorf("%s: the answer is not JSON: %v", what, err))
	}
	return res, nil
}

// post sends one request and returns the body of a 200 answer. A JSON-2
// error body naming an exception comes back as *serverError; other non-200
// answers and transport failures as classified *engine.ConnectorError.
func (c *client) post(ctx context.Context, what, path string, body []byte, header func(http.Header)) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("%s: %v", what, c.redact(err.Error())))
	}
	ct := "application/json"
	if strings.HasPrefix(path, "/xmlrpc/") {
		ct = "text/xml"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", ct)
	req.Header.Set("User-Agent", userAgent)
	if header != nil {
		header(req.Header)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, rctx, what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		b, err := io.ReadAll(io.LimitReader(resp.Body, responseLimit+1))
		if err != nil {
			return nil, c.transportError(ctx, rctx, what, err)
		}
		if len(b) > responseLimit {
			return nil, engine.Permanent(fmt.Errorf("%s: answer larger than %d MB; lower page_size", what, responseLimit>>20))
		}
		return b, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
	if c.proto == protoJSON2 {
		var e struct {
			Name    string `json:"name"`
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) == nil && e.Name != "" {
			return nil, &serverError{Name: e.Name, Message: e.Message, Status: resp.StatusCode}
		}
	}
	return nil, c.statusError(what, resp, b)
}

// transportError classifies a failure to get a response: the caller's end
// is passed on; the call's timeout and network failures are retryable.
func (c *client) transportError(ctx, rctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if rctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) {
		return engine.Retryable(fmt.Errorf("%s: no answer from %s within the %v timeout", what, c.shown, c.timeout), 0)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := fmt.Errorf("%s: %s: %s", what, c.shown, c.redact(err.Error()))
	if retry, _ := engine.IsRetryable(err); retry || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return engine.Retryable(msg, 0)
	}
	return engine.Permanent(msg)
}

// encodeJSON writes v compactly, without HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeJSON reads one JSON value with numbers as json.Number (ids stay
// exact; the engine converts by schema).
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// retrier retries retryable failures with a policy (the source's reads and
// the checks made when a source or target opens; the engine retries
// target writes itself).
type retrier struct {
	policy engine.RetryPolicy
	sleep  func(context.Context, time.Duration) error
}

var defaultRetrier = retrier{policy: engine.DefaultRetry, sleep: engine.Sleep}

func (rt retrier) do(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		retry, hint := engine.IsRetryable(err)
		if !retry || attempt >= rt.policy.Attempts || ctx.Err() != nil {
			if retry {
				err = fmt.Errorf("gave up after %d attempts: %w", attempt, err)
			}
			return err
		}
		if serr := rt.sleep(ctx, rt.policy.Backoff(attempt, hint, rand.Float64)); serr != nil {
			return serr
		}
	}
}

// fieldTypes asks fields_get for the model's field types. It is also the
// connection check of Open: it proves the url, database, credentials and
// model before the first record.
func (c *client) fieldTypes(ctx context.Context, rt retrier, model string) (map[string]string, error) {
	var res any
	err := rt.do(ctx, func() error {
		var err error
		res, err = c.execute(ctx, &rpc{model: model, method: "fields_get", kwargs: map[string]any{"attributes": []any{"type"}}})
		return err
	})
	if err != nil {
		return nil, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return nil, engine.Permanent(fmt.Errorf("%s.fields_get: expected an object of fields, got %s", model, describe(res)))
	}
	types := make(map[string]string, len(m))
	for name, attrs := range m {
		if a, ok := attrs.(map[string]any); ok {
			types[name], _ = a["type"].(string)
		}
	}
	return types, nil
}
