package odoo

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// serverError is an exception Odoo reported: the JSON-RPC error's data, the
// JSON-2 error body, or an XML-RPC fault.
type serverError struct {
	Name    string // Python class, e.g. odoo.exceptions.UserError; "" when the protocol does not say
	Message string
	Code    int // JSON-RPC error code or XML-RPC fault code
	Status  int // HTTP status (JSON-2)
}

// Error is the unclassified form; callers classify it (client.classify).
func (e *serverError) Error() string {
	if e.Name == "" {
		return e.Message
	}
	return e.Name + ": " + e.Message
}

// shortName is the class without its module, for messages.
func (e *serverError) shortName() string {
	if e.Name == "" {
		return ""
	}
	if i := strings.LastIndexByte(e.Name, '.'); i >= 0 {
		return e.Name[i+1:]
	}
	return e.Name
}

// Exception classes that mean "try again": PostgreSQL serialization and
// lock conflicts (Odoo retries them itself a few times, then gives up and
// reports them), a lost database connection, an expired session.
var retryableNames = []string{
	"psycopg2.errors.SerializationFailure",
	"psycopg2.extensions.TransactionRollbackError",
	"psycopg2.errors.DeadlockDetected",
	"psycopg2.errors.LockNotAvailable",
	"psycopg2.errors.QueryCanceled",
	"psycopg2.errors.AdminShutdown",
	"psycopg2.InterfaceError",
	"psycopg.errors.SerializationFailure",
	"psycopg.errors.DeadlockDetected",
	"psycopg.errors.LockNotAvailable",
	"odoo.http.SessionExpiredException",
}

// Texts of the same conflicts when only the message is known (XML-RPC
// tracebacks, wrapped exceptions).
var retryableTexts = []string{
	"could not serialize access",
	"deadlock detected",
	"could not obtain lock",
	"concurrent update",
	"server closed the connection unexpectedly",
	"terminating connection due to administrator command",
}

// retryable reports whether Odoo's error is worth retrying. Everything Odoo
// names otherwise (UserError, ValidationError, AccessError, AccessDenied,
// MissingError, ValueError, AttributeError, TypeError, ...) is permanent:
// the same call fails the same way again.
func (e *serverError) retryable() bool {
	if e.Code == 100 && e.Status == 0 { // JSON-RPC: session expired
		return true
	}
	for _, n := range retryableNames {
		if e.Name == n {
			return true
		}
	}
	if strings.HasPrefix(e.Name, "psycopg2.OperationalError") || strings.HasPrefix(e.Name, "psycopg.OperationalError") {
		// A lost connection is transient; an unknown database is not.
		return !strings.Contains(e.Message, "does not exist")
	}
	if e.Name == "" || strings.HasPrefix(e.Name, "psycopg") {
		msg := strings.ToLower(e.Message)
		for _, t := range retryableTexts {
			if strings.Contains(msg, t) {
				return true
			}
		}
	}
	return false
}

// isAuthError reports a rejected credential.
func (e *serverError) isAuthError() bool {
	return e.Name == "odoo.exceptions.AccessDenied" || e.Status == http.StatusUnauthorized
}

// classify wraps Odoo's error for the engine: what failed, Odoo's class and
// message, retryable or permanent.
func (c *client) classify(what string, e *serverError) error {
	msg := what + ": "
	if n := e.Name; n != "" {
		msg += n + ": "
	}
	text := strings.TrimSpace(e.Message)
	if text == "" {
		text = "Odoo reported an error without a message"
	}
	msg += c.redact(oneLine(text, maxMessage))
	if e.isAuthError() {
		msg += c.authHint()
	}
	err := errors.New(msg)
	if e.retryable() {
		return &engine.ConnectorError{Retryable: true, Status: e.Status, Err: err}
	}
	return &engine.ConnectorError{Status: e.Status, Err: err}
}

// statusError classifies an HTTP failure without an Odoo error body (a
// proxy's 502/503/504, a rate limiter's 429, an HTML 404): 408, 425, 429
// and 5xx are retryable, with the server's Retry-After.
func (c *client) statusError(what string, resp *http.Response, body []byte) error {
	msg := fmt.Sprintf("%s: HTTP %s", what, statusText(resp.StatusCode))
	if ex := oneLine(c.redact(textOf(body)), excerptLen); ex != "" {
		msg += ": " + ex
	}
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound:
		if c.proto == protoJSON2 {
			msg += " (no JSON-2 API at this url: it needs Odoo 19 or later; use protocol = \"jsonrpc\" for older servers)"
		} else {
			msg += " (is url the address of the Odoo server?)"
		}
	case code >= 300 && code < 400:
		msg += " (redirected to " + resp.Header.Get("Location") + "; set url to the final address)"
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

// textOf strips HTML tags from an error page so its title shows.
func textOf(b []byte) string {
	s := string(b)
	if !strings.Contains(s, "<") {
		return s
	}
	var out strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			out.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			out.WriteRune(r)
		}
	}
	return out.String()
}

const (
	maxMessage = 1000 // longest Odoo message kept in an error
	excerptLen = 200  // longest excerpt of a non-Odoo error body
)

// oneLine collapses whitespace and cuts s at n bytes (on a rune boundary).
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
