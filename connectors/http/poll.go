package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/zclconf/go-cty/cty"
)

// pageLimit bounds one page's response body: a page is read whole before
// its records are handed on, so memory is one page at a time.
const pageLimit = 64 << 20

// Query parameters of the pagination modes.
const (
	paramPage     = "page"
	paramPageSize = "page_size"
	paramOffset   = "offset"
	paramLimit    = "limit"
	paramCursor   = "cursor"
)

// poller is the one-shot http source: it GETs base_url+path and follows
// the pagination until it is exhausted, one page in memory at a time.
type poller struct {
	ctx    context.Context
	cancel context.CancelFunc
	c      *client
	retry  engine.RetryPolicy
	sleep  func(context.Context, time.Duration) error

	mode     string
	items    []string // dot path of the record array; nil: the body is the array
	cursorAt []string // dot path of the next cursor
	size     int

	next     *url.URL // the next page to fetch; nil when there is none
	pageNo   int      // page mode: the page of next
	offset   int      // offset mode: the offset of next
	seen     map[string]bool
	lastPage [sha256.Size]byte // page and offset modes: the previous page's body
	page     []any             // records of the current page not yet handed on
	pageURL  string
	index    int // records handed on so far
	finished bool
	// stop is the error that ends the read once the current page is
	// handed on (a pagination link or cursor that cannot be followed).
	stop error
}

func openPoll(sp *engine.SourcePlan, _ *engine.RunContext) (engine.RecordReader, error) {
	return newPoller(context.Background(), sp)
}

// newPoller opens one pass over the endpoint; its requests end with parent.
func newPoller(parent context.Context, sp *engine.SourcePlan) (*poller, error) {
	c, err := newClient(sp.Connection)
	if err != nil {
		return nil, err
	}
	v := sp.Values
	first, err := c.resolve(v.String("path"))
	if err != nil {
		c.close()
		return nil, err
	}
	q := first.Query()
	for k, val := range stringMap(v) {
		q.Set(k, val)
	}
	ctx, cancel := context.WithCancel(parent)
	p := &poller{
		ctx: ctx, cancel: cancel, c: c, retry: retryPolicy(sp.Connection), sleep: engine.Sleep,
		mode: v.String("pagination"), items: dotPath(v.String("items")), cursorAt: dotPath(v.String("cursor_field")),
		size: v.Int("page_size"), seen: map[string]bool{},
	}
	if p.size <= 0 {
		p.size = 100
	}
	switch p.mode {
	case "page":
		p.pageNo = 1
		q.Set(paramPage, "1")
		q.Set(paramPageSize, strconv.Itoa(p.size))
	case "offset":
		q.Set(paramOffset, "0")
		q.Set(paramLimit, strconv.Itoa(p.size))
	case "cursor":
		if p.cursorAt == nil {
			cancel()
			c.close()
			return nil, errors.New("pagination = \"cursor\" needs cursor_field")
		}
	}
	first.RawQuery = q.Encode()
	p.next = first
	if p.mode == "link" {
		p.seen[first.String()] = true
	}
	return p, nil
}

// stringMap reads the query attribute with its keys as written.
func stringMap(v *engine.Values) map[string]string {
	out := map[string]string{}
	val := v.Cty("query")
	if val == cty.NilVal || val.IsNull() || !val.IsWhollyKnown() || !(val.Type().IsMapType() || val.Type().IsObjectType()) {
		return out
	}
	for it := val.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if !e.IsNull() {
			out[k.AsString()] = e.AsString()
		}
	}
	return out
}

func dotPath(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, ".")
}

func (p *poller) Next() (*engine.Message, bool, error) {
	for len(p.page) == 0 {
		if p.finished || p.next == nil {
			p.finished = true
			return nil, false, p.stop
		}
		if err := p.fetch(); err != nil {
			p.finished, p.stop = true, err
			return nil, false, err
		}
	}
	item := p.page[0]
	p.page[0] = nil
	p.page = p.page[1:]
	p.index++
	m := &engine.Message{Line: p.index, Source: p.pageURL}
	if rec, ok := item.(map[string]any); ok {
		m.Record = rec
	} else {
		m.Err = fmt.Errorf("item is %s, not an object", kindOf(item))
		m.Raw, _ = encodeJSON(item)
	}
	return m, true, nil
}

func (p *poller) Close() error {
	p.cancel()
	p.c.close()
	return nil
}

// fetch gets the page p.next (retrying retryable failures with the
// connection's retry policy), makes its records current and works out the
// page after it.
func (p *poller) fetch() error {
	u := p.next
	var resp *response
	var err error
	for attempt := 1; ; attempt++ {
		resp, err = p.c.do(p.ctx, http.MethodGet, u, nil, nil, pageLimit)
		if err == nil {
			break
		}
		retry, hint := engine.IsRetryable(err)
		if !retry || attempt >= p.retry.Attempts || p.ctx.Err() != nil {
			if retry {
				err = fmt.Errorf("gave up after %d attempts: %w", attempt, err)
			}
			return err
		}
		if err := p.sleep(p.ctx, p.retry.Backoff(attempt, hint, rand.Float64)); err != nil {
			return err
		}
	}
	what := "GET " + u.RequestURI()
	var body any
	if len(bytes.TrimSpace(resp.body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(resp.body))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			return fmt.Errorf("%s: the response is not JSON: %v", what, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return fmt.Errorf("%s: the response has data after its JSON value", what)
		}
	}
	items, err := itemsOf(body, p.items)
	if err != nil {
		return fmt.Errorf("%s: %v", what, err)
	}
	p.page, p.pageURL = items, u.Redacted()
	if err := p.advance(u, resp, body, len(items)); err != nil {
		p.next, p.stop = nil, err
	}
	return nil
}

// advance sets p.next to the page after u, or nil at the end. Page and
// offset pagination end at an empty page; cursor pagination when the
// cursor is missing or empty (or the page is); link pagination when there
// is no rel="next" link.
func (p *poller) advance(u *url.URL, resp *response, body any, n int) error {
	p.next = nil
	switch p.mode {
	case "page", "offset":
		if n == 0 {
			return nil
		}
		// An API that ignores the parameters serves the same page forever.
		sum := sha256.Sum256(resp.body)
		if sum == p.lastPage {
			p.page = nil // already handed on
			return fmt.Errorf("GET %s: the same records as the previous page; does the API support %s pagination?", u.RequestURI(), p.mode)
		}
		p.lastPage = sum
	}
	switch p.mode {
	case "page":
		p.pageNo++
		p.next = withQuery(u, paramPage, strconv.Itoa(p.pageNo))
	case "offset":
		p.offset += n
		p.next = withQuery(u, paramOffset, strconv.Itoa(p.offset))
	case "cursor":
		if n == 0 {
			return nil
		}
		cur, _ := lookup(body, p.cursorAt)
		s := cursorString(cur)
		if s == "" {
			return nil
		}
		if p.seen[s] {
			return fmt.Errorf("GET %s: the API returned cursor %q a second time; stopping rather than looping", u.RequestURI(), s)
		}
		p.seen[s] = true
		p.next = withQuery(u, paramCursor, s)
	case "link":
		next := nextLink(resp.header.Values("Link"))
		if next == "" {
			return nil
		}
		nu, err := u.Parse(next)
		if err != nil {
			return fmt.Errorf("GET %s: Link rel=\"next\" %q: %v", u.RequestURI(), next, err)
		}
		if !p.c.sameOrigin(nu) {
			return fmt.Errorf("GET %s: Link rel=\"next\" points to %s, outside base_url; not followed", u.RequestURI(), nu.Redacted())
		}
		if p.seen[nu.String()] {
			return fmt.Errorf("GET %s: Link rel=\"next\" points back to %s; stopping rather than looping", u.RequestURI(), nu.RequestURI())
		}
		p.seen[nu.String()] = true
		p.next = nu
	}
	return nil
}

func withQuery(u *url.URL, k, v string) *url.URL {
	n := *u
	q := n.Query()
	q.Set(k, v)
	n.RawQuery = q.Encode()
	return &n
}

// itemsOf finds the record array of a page.
func itemsOf(body any, path []string) ([]any, error) {
	v, ok := lookup(body, path)
	if !ok {
		return nil, fmt.Errorf("the response has no %s", strings.Join(path, "."))
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case map[string]any:
		if path == nil {
			return []any{x}, nil // a single object is one record
		}
	}
	where := "the response"
	if path != nil {
		where = strings.Join(path, ".")
	}
	return nil, fmt.Errorf("%s is %s, not an array of records; set items to the dot path of the array", where, kindOf(v))
}

// lookup follows a dot path through nested objects.
func lookup(v any, path []string) (any, bool) {
	for _, name := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
	}
	return v, true
}

func cursorString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil, bool, map[string]any, []any:
		return ""
	}
	return fmt.Sprint(v)
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// nextLink returns the target of the rel="next" link in RFC 8288 Link
// header values, or "".
func nextLink(values []string) string {
	for _, h := range values {
		for len(h) > 0 {
			h = strings.TrimLeft(h, " \t,")
			if !strings.HasPrefix(h, "<") {
				// Not a link-value: skip to the next comma.
				i := strings.IndexByte(h, ',')
				if i < 0 {
					break
				}
				h = h[i+1:]
				continue
			}
			end := strings.IndexByte(h, '>')
			if end < 0 {
				break
			}
			target := h[1:end]
			h = h[end+1:]
			// Parameters up to the next link-value (a comma outside quotes).
			var params string
			params, h = splitParams(h)
			if relIsNext(params) {
				return target
			}
		}
	}
	return ""
}

// splitParams cuts the ;-parameters of one link-value from the rest.
func splitParams(s string) (params, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func relIsNext(params string) bool {
	for _, p := range strings.Split(params, ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		for _, r := range strings.Fields(val) {
			if strings.EqualFold(r, "next") {
				return true
			}
		}
	}
	return false
}
