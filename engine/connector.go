package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ConnectorError classifies a failure of a source or target: permanent
// (the message is rejected with the system's reason) or retryable (network,
// 5xx, 429, lock/serialization conflicts: try again later).
type ConnectorError struct {
	Retryable  bool
	RetryAfter time.Duration // the system's own hint (Retry-After), 0 if none
	Status     int           // protocol status when there is one (HTTP)
	Err        error
}

func (e *ConnectorError) Error() string { return e.Err.Error() }
func (e *ConnectorError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &ConnectorError{Err: err}
}

// Retryable marks err as transient; after is the system's hint (0: none).
func Retryable(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &ConnectorError{Retryable: true, RetryAfter: after, Err: err}
}

// IsRetryable classifies an error: a ConnectorError says so itself;
// network errors (timeouts, refused or reset connections) are retryable;
// everything else is permanent.
func IsRetryable(err error) (bool, time.Duration) {
	var ce *ConnectorError
	if errors.As(err, &ce) {
		return ce.Retryable, ce.RetryAfter
	}
	if errors.Is(err, context.Canceled) {
		return false, 0
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true, 0
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true, 0
	}
	return false, 0
}

// Receipt lets a source learn what became of a message it delivered, so it
// can move its cursor, archive a file, or answer a webhook. Ack: the
// message's outcome is final and kept (delivered, skipped, or rejected with
// its reason in the rejects/dead-letter store). Nack: it could not be
// processed now and the source must keep it (not archive, not advance).
type Receipt interface {
	Ack(ctx context.Context) error
	Nack(ctx context.Context, reason error) error
}

// RetryPolicy is how a target's retryable failures are retried.
type RetryPolicy struct {
	Attempts int           // tries in all, the first included (≥ 1)
	Initial  time.Duration // first backoff
	Max      time.Duration // longest backoff
}

// DefaultRetry applies when a target has no retry settings.
var DefaultRetry = RetryPolicy{Attempts: 5, Initial: 500 * time.Millisecond, Max: time.Minute}

// Backoff is the wait before retry number n (1-based): exponential with
// full jitter in [d/2, d], capped at Max, and never shorter than the
// system's own hint.
func (p RetryPolicy) Backoff(n int, hint time.Duration, rnd func() float64) time.Duration {
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	d = d/2 + time.Duration(rnd()*float64(d/2))
	if hint > d {
		d = hint
	}
	return d
}

// retryPolicyOf reads a target's (or its connection's) retry block.
func retryPolicyOf(t *TargetPlan) RetryPolicy {
	p := DefaultRetry
	for _, v := range []*Values{t.Values, connValues(t.Connection)} {
		if b := v.Block("retry"); b != nil {
			if n := b.Int("attempts"); n > 0 {
				p.Attempts = n
			}
			if d := b.Duration("initial"); d > 0 {
				p.Initial = d
			}
			if d := b.Duration("max"); d > 0 {
				p.Max = d
			}
			break
		}
	}
	return p
}

func connValues(c *ConnectionPlan) *Values {
	if c == nil {
		return nil
	}
	return c.Values
}

// writeWithRetry performs one operation, retrying retryable failures with
// backoff until the policy's attempts are used up.
func writeWithRetry(ctx context.Context, w TargetWriter, op *Operation, p RetryPolicy, rnd func() float64, sleep func(context.Context, time.Duration) error) (attempts int, err error) {
	for attempts = 1; ; attempts++ {
		err = w.Write(ctx, op)
		if err == nil {
			return attempts, nil
		}
		retry, hint := IsRetryable(err)
		if !retry || attempts >= p.Attempts || ctx.Err() != nil {
			if retry {
				err = fmt.Errorf("gave up after %d attempts: %w", attempts, err)
			}
			return attempts, err
		}
		if serr := sleep(ctx, p.Backoff(attempts, hint, rnd)); serr != nil {
			return attempts, serr
		}
	}
}

// Sleep waits d, or until ctx ends (then it returns ctx's error): the one
// wait of retries and polls that a shutdown must be able to cut short.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ParseRetryAfter reads a Retry-After header (RFC 9110): delay seconds or
// an HTTP date. Missing, malformed or past values give 0; values are capped
// at a day.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}
