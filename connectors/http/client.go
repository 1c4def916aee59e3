package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/flowctl/flowctl/engine"
	"github.com/zclconf/go-cty/cty"
)

const (
	// errorBodyLimit bounds what is read of a failed response's body; a
	// short excerpt of it goes into the error.
	errorBodyLimit = 64 << 10
	// excerptLen is the longest body excerpt in an error message.
	excerptLen = 300
	// drainLimit bounds what is read of a response whose body is not used.
	drainLimit = 1 << 20
	userAgent  = "flowctl"
)

// client is one connection's HTTP settings: base URL, auth, headers,
// timeout and the connection's rate limiter. It is safe for concurrent use.
type client struct {
	base     *url.URL
	hc       *http.Client
	timeout  time.Duration
	headers  http.Header
	username string
	// Credentials stay wrapped until a request is built (Reveal at the
	// point of use); nothing here is ever formatted into an error.
	bearer, password, apiKey engine.Secret
	apiKeyHeader             string
	limiter                  *limiter
	release                  func()
}

// newClient prepares a connection's client. Each call takes a reference
// on the connection's shared rate limiter; close releases it.
func newClient(cp *engine.ConnectionPlan) (*client, error) {
	if cp == nil {
		return nil, errors.New("no http connection")
	}
	v := cp.Values
	base, err := parseBase(v.String("base_url"))
	if err != nil {
		return nil, fmt.Errorf("connection.http.%s: %w", cp.Name, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection per concurrent writer: serve runs 32 workers per
	// flow by default, and with fewer idle connections than writers every
	// write beyond them opens (and throws away) a TCP connection.
	tr.MaxIdleConnsPerHost = 64
	c := &client{
		base:         base,
		timeout:      v.Duration("timeout"),
		headers:      headerMap(v.Cty("headers")),
		username:     v.String("username"),
		bearer:       v.Secret("bearer"),
		password:     v.Secret("password"),
		apiKey:       v.Secret("api_key"),
		apiKeyHeader: v.String("api_key_header"),
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.apiKeyHeader == "" {
		c.apiKeyHeader = "X-API-Key"
	}
	c.hc = &http.Client{Transport: tr, CheckRedirect: sameOriginGET}
	c.limiter, c.release = acquireLimiter(cp, number(v.Cty("rate_limit")))
	return c, nil
}

func (c *client) close() {
	c.hc.CloseIdleConnections()
	if c.release != nil {
		c.release()
		c.release = nil
	}
}

// parseBase checks base_url: an absolute http or https URL.
func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base_url %q is not an absolute http(s) URL", s)
	}
	return u, nil
}

// checkBaseURL is the lint-time check of base_url (unknown values pass).
func checkBaseURL(v cty.Value) error {
	if v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return nil
	}
	_, err := parseBase(v.AsString())
	return err
}

// sameOriginGET follows redirects of GET requests within the base URL's
// scheme and host only: a write is never replayed elsewhere, and
// credentials (the API key header is not one net/http knows to strip) are
// never sent to another host.
func sameOriginGET(req *http.Request, via []*http.Request) error {
	first := via[0]
	if first.Method != http.MethodGet || len(via) >= 5 ||
		req.URL.Scheme != first.URL.Scheme || req.URL.Host != first.URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// resolve joins a path (with an optional query string) to the base URL.
func (c *client) resolve(path string) (*url.URL, error) {
	rel, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("path %q: %v", path, err)
	}
	if rel.Scheme != "" || rel.Host != "" || rel.User != nil {
		return nil, fmt.Errorf("path %q must be a path under base_url, not a URL", path)
	}
	u := *c.base
	u.RawPath = ""
	u.Path = strings.TrimRight(c.base.Path, "/") + "/" + strings.TrimLeft(rel.Path, "/")
	if rel.RawPath != "" {
		u.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + "/" + strings.TrimLeft(rel.RawPath, "/")
	}
	q := c.base.Query()
	for k, vs := range rel.Query() {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	u.Fragment, u.RawFragment = "", ""
	return &u, nil
}

// sameOrigin reports whether u is on the base URL's scheme and host.
func (c *client) sameOrigin(u *url.URL) bool {
	return u.Scheme == c.base.Scheme && strings.EqualFold(u.Host, c.base.Host)
}

// response is a successful (2xx) response, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
	sum    []byte // limit < 0: SHA-256 of the whole body
}

// do sends one request: it waits for the rate limiter, applies the
// timeout, sets headers and auth, and classifies the outcome. The body of a
// 2xx response is read up to limit bytes (more is a permanent error); with
// limit 0 it is drained (up to drainLimit) and dropped: the status alone
// says the request was done. With limit < 0 the whole body is read through
// SHA-256 (sum) and its first -limit bytes kept: a large answer is never an
// error after the request was done. A failure is a *engine.ConnectorError
// (retryable or permanent) or, when ctx ends, ctx's error.
func (c *client) do(ctx context.Context, method string, u *url.URL, body []byte, extra http.Header, limit int64) (*response, error) {
	what := method + " " + u.RequestURI()
	if err := c.limiter.wait(ctx); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u.String(), rd)
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("%s: %v", what, err))
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range c.headers {
		req.Header[k] = vs
	}
	for k, vs := range extra {
		req.Header[k] = vs
	}
	c.authorize(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, rctx, what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if limit < 0 {
			h := sha256.New()
			tee := io.TeeReader(resp.Body, h)
			b, err := io.ReadAll(io.LimitReader(tee, -limit))
			if err == nil {
				_, err = io.Copy(io.Discard, tee)
			}
			if err != nil {
				return nil, c.transportError(ctx, rctx, what, err)
			}
			return &response{status: resp.StatusCode, header: resp.Header, body: b, sum: h.Sum(nil)}, nil
		}
		if limit == 0 {
			// Drained so the connection can be reused; an error here does
			// not undo what the status reported.
			io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
			return &response{status: resp.StatusCode, header: resp.Header}, nil
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if err != nil {
			return nil, c.transportError(ctx, rctx, what, err)
		}
		if int64(len(b)) > limit {
			return nil, engine.Permanent(fmt.Errorf("%s: response larger than %d bytes", what, limit))
		}
		return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
	return nil, c.statusError(what, resp, b)
}

// authorize sets the connection's credentials on a request; this is the
// only place they are revealed.
func (c *client) authorize(req *http.Request) {
	if c.bearer.IsSet() {
		req.Header.Set("Authorization", "Bearer "+c.bearer.Reveal())
	}
	if c.username != "" || c.password.IsSet() {
		req.SetBasicAuth(c.username, c.password.Reveal())
	}
	if c.apiKey.IsSet() {
		req.Header.Set(c.apiKeyHeader, c.apiKey.Reveal())
	}
}

// transportError classifies a failure to get or read a response: the
// run's end is passed on as is; the request's own timeout and network
// failures are retryable; anything else (a malformed request) permanent.
func (c *client) transportError(ctx, rctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if rctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) {
		return engine.Retryable(fmt.Errorf("%s: no response within the %v timeout", what, c.timeout), 0)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := fmt.Errorf("%s: %s", what, c.redact(err.Error()))
	if retry, _ := engine.IsRetryable(err); retry || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return engine.Retryable(msg, 0)
	}
	return engine.Permanent(msg)
}

// statusError classifies a non-2xx response: 408, 425, 429 and 5xx are
// retryable (with the server's Retry-After); other statuses permanent. The
// message has the status and a short excerpt of the response body, never
// the request's headers.
func (c *client) statusError(what string, resp *http.Response, body []byte) error {
	msg := fmt.Sprintf("%s: %s", what, statusText(resp.StatusCode))
	// Redacted before it is cut, so no part of a credential shows.
	if ex := excerpt([]byte(c.redact(string(body)))); ex != "" {
		msg += ": " + ex
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
		msg += " (redirect to " + loc + " not followed)"
	}
	ce := &engine.ConnectorError{Status: resp.StatusCode, Err: errors.New(msg)}
	switch code := resp.StatusCode; {
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		ce.Retryable = true
		ce.RetryAfter = engine.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return ce
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// redact replaces the connection's credentials wherever a server echoed
// them (an error body quoting the rejected token).
func (c *client) redact(s string) string {
	for _, sec := range []engine.Secret{c.bearer, c.password, c.apiKey} {
		if v := sec.Reveal(); len(v) >= 4 {
			s = strings.ReplaceAll(s, v, engine.Redacted)
		}
	}
	if c.password.IsSet() {
		basic := base64.StdEncoding.EncodeToString([]byte(c.username + ":" + c.password.Reveal()))
		s = strings.ReplaceAll(s, basic, engine.Redacted)
	}
	return s
}

// excerpt is the start of a response body on one line: whitespace runs
// collapsed, control characters dropped, cut at excerptLen.
func excerpt(b []byte) string {
	var sb strings.Builder
	space := false
	for len(b) > 0 && sb.Len() < excerptLen {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			space = sb.Len() > 0
			continue
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
	}
	if len(bytes.TrimSpace(b)) > 0 {
		sb.WriteString("…")
	}
	return sb.String()
}

// headerMap converts a map(string) attribute to headers.
func headerMap(v cty.Value) http.Header {
	h := http.Header{}
	if v == cty.NilVal || v.IsNull() || !v.IsWhollyKnown() || !(v.Type().IsMapType() || v.Type().IsObjectType()) {
		return h
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			continue
		}
		h.Set(k.AsString(), e.AsString())
	}
	return h
}

// number reads a known number attribute as float64 (0 when unset).
func number(v cty.Value) float64 {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return 0
	}
	f, _ := v.AsBigFloat().Float64()
	return f
}

// retryPolicy reads a connection's retry block the way the engine does for
// targets, for the poll source's own retries.
func retryPolicy(cp *engine.ConnectionPlan) engine.RetryPolicy {
	p := engine.DefaultRetry
	if cp == nil {
		return p
	}
	if b := cp.Values.Block("retry"); b != nil {
		if n := b.Int("attempts"); n > 0 {
			p.Attempts = n
		}
		if d := b.Duration("initial"); d > 0 {
			p.Initial = d
		}
		if d := b.Duration("max"); d > 0 {
			p.Max = d
		}
	}
	return p
}

// limiter spaces requests at least interval apart (no bursts): the
// connection's rate_limit in requests per second. A nil limiter does not
// wait.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
	refs     int
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limiters holds one limiter per connection in use, so every source and
// target open on a connection shares its rate limit. Entries are counted
// references, dropped when the last user closes.
var limiters = struct {
	sync.Mutex
	m map[*engine.ConnectionPlan]*limiter
}{m: map[*engine.ConnectionPlan]*limiter{}}

func acquireLimiter(cp *engine.ConnectionPlan, perSecond float64) (*limiter, func()) {
	if perSecond <= 0 {
		return nil, nil
	}
	limiters.Lock()
	defer limiters.Unlock()
	l := limiters.m[cp]
	if l == nil {
		l = &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
		limiters.m[cp] = l
	}
	l.refs++
	var once sync.Once
	return l, func() {
		once.Do(func() {
			limiters.Lock()
			defer limiters.Unlock()
			if l.refs--; l.refs == 0 {
				delete(limiters.m, cp)
			}
		})
	}
}
