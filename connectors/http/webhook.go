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
	"strconv"
	"strings"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// MaxWebhookBody is the largest webhook request body accepted; a larger
// one is answered 413.
const MaxWebhookBody = 1 << 20

// defaultRetryAfter is the Retry-After of a 503 when accept gives no hint.
const defaultRetryAfter = 5 * time.Second

// ErrBackpressure is what accept returns (or wraps) when the message
// cannot be taken now (the journal is full or paused): the sender is
// answered 503 with Retry-After and retries. An accept error that is an
// engine retryable error (engine.Retryable(err, after)) is treated the same,
// with its hint as Retry-After.
var ErrBackpressure = errors.New("cannot take messages now; retry later")

// webhook verifies and accepts the POSTs of one webhook source.
type webhook struct {
	accept    func(ctx context.Context, m *engine.Message) error
	signed    bool // hmac_secret is set: requests must be signed
	secret    engine.Secret
	sigHeader string
	tsHeader  string
	tolerance time.Duration
	idHeader  string // header with the sender's delivery id ("" none)
	maxBody   int64
	now       func() time.Time
}

// NewWebhookHandler returns the handler of a webhook source, for serve to
// mount on the listener at the source's path.
//
// A request is a POST whose body is a JSON object (one message) or an
// array of objects (one message each). With hmac_secret set, it must carry
// the Unix time in seconds in timestamp_header and, in signature_header,
// the hex HMAC-SHA256, keyed with hmac_secret, of the string
//
//	<timestamp header value> "." <body bytes>
//
// (a "sha256=" prefix is accepted); the timestamp must be within tolerance
// of the listener's clock. Answers:
//
//   - 202 once accept returned nil for every message of the request;
//   - 401 for a missing, malformed or wrong signature or a timestamp
//     outside the window;
//   - 400 for a body that is not a JSON object or array of objects;
//   - 413 for a body over MaxWebhookBody;
//   - 405 for methods other than POST;
//   - 503 with Retry-After when accept reports back-pressure
//     (ErrBackpressure or a retryable engine error) or the request ends;
//   - 500 when accept fails otherwise.
//
// Messages of an array are accepted one by one: after a 503 or 500 the
// sender's retry repeats the ones already accepted, which idempotency keys
// make harmless.
func NewWebhookHandler(sp *engine.SourcePlan, accept func(ctx context.Context, m *engine.Message) error) http.Handler {
	v := sp.Values
	h := &webhook{
		accept:    accept,
		signed:    v.Has("hmac_secret"),
		secret:    v.Secret("hmac_secret"),
		sigHeader: v.String("signature_header"),
		tsHeader:  v.String("timestamp_header"),
		tolerance: v.Duration("tolerance"),
		idHeader:  v.String("id_header"),
		maxBody:   MaxWebhookBody,
		now:       time.Now,
	}
	if h.sigHeader == "" {
		h.sigHeader = "X-Signature"
	}
	if h.tsHeader == "" {
		h.tsHeader = "X-Timestamp"
	}
	if h.tolerance <= 0 {
		h.tolerance = 5 * time.Minute
	}
	if h.idHeader == "" {
		h.idHeader = "Idempotency-Key"
	}
	return h
}

// mountWebhook is the webhook kind's SourceSpec.Webhook: the handler, at
// the source's path.
func mountWebhook(sp *engine.SourcePlan, accept func(ctx context.Context, m *engine.Message) error) (string, http.Handler) {
	return sp.Values.String("path"), NewWebhookHandler(sp, accept)
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "only POST is accepted")
		return
	}
	var sig []byte
	var ts string
	if h.signed {
		if !h.secret.IsSet() {
			// Declared but empty: refuse rather than accept unsigned.
			reply(w, http.StatusInternalServerError, "the webhook's signing key is empty")
			return
		}
		var status int
		var why string
		if sig, ts, status, why = h.checkHeaders(r); status != 0 {
			reply(w, status, why)
			return
		}
	}
	if r.ContentLength > h.maxBody {
		reply(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", h.maxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			reply(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", h.maxBody))
			return
		}
		reply(w, http.StatusBadRequest, "could not read the body")
		return
	}
	if h.signed && !h.validSignature(sig, ts, body) {
		reply(w, http.StatusUnauthorized, "invalid signature")
		return
	}
	recs, array, why := decodeRecords(body)
	if why != "" {
		reply(w, http.StatusBadRequest, why)
		return
	}
	now := h.now().UTC()
	delivery := strings.TrimSpace(r.Header.Get(h.idHeader))
	for i, rec := range recs {
		m := &engine.Message{Line: i + 1, Source: r.URL.Path, Record: rec, ReceivedAt: now, ID: delivery}
		if array && delivery != "" {
			m.ID = delivery + ":" + strconv.Itoa(i)
		}
		if err := h.accept(r.Context(), m); err != nil {
			h.refuse(w, r, err, i)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "{\"accepted\":%d}\n", len(recs))
}

// checkHeaders reads the signature and timestamp headers and checks the
// timestamp's window; status 0 means they are usable.
func (h *webhook) checkHeaders(r *http.Request) (sig []byte, ts string, status int, why string) {
	sigHex := strings.TrimSpace(r.Header.Get(h.sigHeader))
	ts = strings.TrimSpace(r.Header.Get(h.tsHeader))
	if sigHex == "" || ts == "" {
		return nil, "", http.StatusUnauthorized, fmt.Sprintf("missing %s or %s header", h.sigHeader, h.tsHeader)
	}
	if len(sigHex) > 7 && strings.EqualFold(sigHex[:7], "sha256=") {
		sigHex = sigHex[7:]
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != sha256.Size {
		return nil, "", http.StatusUnauthorized, "invalid signature"
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, "", http.StatusUnauthorized, fmt.Sprintf("%s is not a Unix time in seconds", h.tsHeader)
	}
	if d := h.now().Sub(time.Unix(sec, 0)); d > h.tolerance || d < -h.tolerance {
		return nil, "", http.StatusUnauthorized, "timestamp outside the accepted window"
	}
	return sig, ts, 0, ""
}

// validSignature compares in constant time.
func (h *webhook) validSignature(sig []byte, ts string, body []byte) bool {
	return hmac.Equal(sig, Sign([]byte(h.secret.Reveal()), ts, body))
}

// Sign computes a webhook signature: HMAC-SHA256 keyed with key over
// timestamp + "." + body. Senders send it hex-encoded.
func Sign(key []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// decodeRecords reads a JSON object or an array of objects (array true);
// why is the reason for a 400 otherwise.
func decodeRecords(body []byte) (recs []map[string]any, array bool, why string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if err == io.EOF {
			return nil, false, "the body is empty; send a JSON object or an array of objects"
		}
		return nil, false, "the body is not valid JSON: " + err.Error()
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false, "the body has data after its JSON value"
	}
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}, false, ""
	case []any:
		recs = make([]map[string]any, 0, len(x))
		for i, el := range x {
			m, ok := el.(map[string]any)
			if !ok {
				return nil, false, fmt.Sprintf("element %d of the array is %s, not an object", i, kindOf(el))
			}
			recs = append(recs, m)
		}
		return recs, true, ""
	}
	return nil, false, fmt.Sprintf("the body is %s; send a JSON object or an array of objects", kindOf(v))
}

// refuse answers a request whose message number i accept did not take.
func (h *webhook) refuse(w http.ResponseWriter, r *http.Request, err error, i int) {
	retry, hint := engine.IsRetryable(err)
	if errors.Is(err, ErrBackpressure) || retry || r.Context().Err() != nil {
		if hint <= 0 {
			hint = defaultRetryAfter
		}
		secs := int64((hint + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		reply(w, http.StatusServiceUnavailable, fmt.Sprintf("busy; retry later (%d message(s) of this request accepted)", i))
		return
	}
	reply(w, http.StatusInternalServerError, fmt.Sprintf("could not accept the message (%d message(s) of this request accepted)", i))
}

func reply(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(append(b, '\n'))
}
