package http

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/flowctl/flowctl/engine"
)

// target sends each operation as one JSON request. Retries are the
// engine's (writeWithRetry with the connection's retry block): Write makes
// one attempt and classifies its failure.
type target struct {
	c          *client
	method     string
	path       string // static path; "" when pathExpr
	pathExpr   bool
	headers    http.Header
	idemHeader string
	sendBody   bool
}

func openTarget(tp *engine.TargetPlan, _ *engine.RunContext) (engine.TargetWriter, error) {
	c, err := newClient(tp.Connection)
	if err != nil {
		return nil, err
	}
	v := tp.Values
	t := &target{
		c:          c,
		method:     v.String("method"),
		path:       v.String("path"),
		pathExpr:   v.Has("path_expr"),
		headers:    headerMap(v.Cty("headers")),
		idemHeader: v.String("idempotency_header"),
	}
	if t.method == "" {
		t.method = http.MethodPost
	}
	// DELETE carries a body only when the flow asks for one explicitly.
	t.sendBody = t.method != http.MethodDelete || v.Has("body")
	if !t.pathExpr {
		if _, err := c.resolve(t.path); err != nil {
			c.close()
			return nil, err
		}
	}
	return t, nil
}

// resultLimit is how much of a write's response is kept to find its id;
// the digest covers all of it.
const resultLimit = 1 << 20

func (t *target) Write(ctx context.Context, op *engine.Operation) error {
	_, err := t.WriteResult(ctx, op)
	return err
}

// WriteResult is Write reporting what the API answered: ID is the
// response's top-level "id" when the body is a JSON object with a string
// or number id; Digest is "sha256:" and the hex SHA-256 of the response
// body (of the empty body when there is none).
func (t *target) WriteResult(ctx context.Context, op *engine.Operation) (engine.WriteResult, error) {
	resp, err := t.send(ctx, op)
	if err != nil {
		return engine.WriteResult{}, err
	}
	return engine.WriteResult{ID: responseID(resp.body), Digest: "sha256:" + hex.EncodeToString(resp.sum)}, nil
}

// responseID is the top-level "id" of a JSON object body, or "".
func responseID(body []byte) string {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.ID) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.ID, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(v.ID, &n) == nil {
		return n.String()
	}
	return ""
}

func (t *target) send(ctx context.Context, op *engine.Operation) (*response, error) {
	path := t.path
	if t.pathExpr {
		p, ok := op.Fields["path_expr"].(string)
		if !ok || p == "" {
			return nil, engine.Permanent(fmt.Errorf("path_expr gave %s, not a path", describe(op.Fields["path_expr"])))
		}
		path = p
	}
	u, err := t.c.resolve(path)
	if err != nil {
		return nil, engine.Permanent(err)
	}
	var body []byte
	if t.sendBody {
		if body, err = encodeJSON(op.Body); err != nil {
			return nil, engine.Permanent(fmt.Errorf("encoding the body as JSON: %v", err))
		}
	}
	hdr := t.headers
	if op.Key != "" && t.idemHeader != "" {
		if !validHeaderValue(op.Key) {
			return nil, engine.Permanent(fmt.Errorf("idempotency key %q cannot be sent in a header (control characters)", op.Key))
		}
		hdr = t.headers.Clone()
		hdr.Set(t.idemHeader, op.Key)
	}
	return t.c.do(ctx, t.method, u, body, hdr, -resultLimit)
}

func (t *target) Close() error {
	t.c.close()
	return nil
}

// encodeJSON writes v as compact JSON, as the file targets do (no HTML
// escaping; exact decimals).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if x == "" {
			return "an empty string"
		}
		return fmt.Sprintf("%q", x)
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return fmt.Sprintf("%T %s", v, strings.TrimSpace(s))
}

var _ engine.ResultWriter = (*target)(nil)
