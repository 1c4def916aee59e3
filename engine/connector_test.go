package engine

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

type flakyWriter struct {
	fails []error
	calls int
}

func (w *flakyWriter) Write(context.Context, *Operation) error {
	w.calls++
	if len(w.fails) > 0 {
		err := w.fails[0]
		w.fails = w.fails[1:]
		return err
	}
	return nil
}
func (w *flakyWriter) Close() error { return nil }

func TestWriteWithRetry(t *testing.T) {
	policy := RetryPolicy{Attempts: 3, Initial: 100 * time.Millisecond, Max: time.Second}
	half := func() float64 { return 0.5 }
	tests := []struct {
		name      string
		fails     []error
		wantCalls int
		wantErr   string
		wantSlept []time.Duration
	}{
		{"ok first time", nil, 1, "", nil},
		{"retryable then ok", []error{Retryable(errors.New("503"), 0), Retryable(errors.New("503"), 0)}, 3, "",
			[]time.Duration{75 * time.Millisecond, 150 * time.Millisecond}},
		{"retry-after hint wins", []error{Retryable(errors.New("429"), 2*time.Second)}, 2, "", []time.Duration{2 * time.Second}},
		{"network error is retryable", []error{&net.OpError{Op: "dial", Err: errors.New("refused")}}, 2, "", []time.Duration{75 * time.Millisecond}},
		{"permanent stops at once", []error{Permanent(errors.New("422 invalid"))}, 1, "422 invalid", nil},
		{"unknown errors are permanent", []error{errors.New("boom")}, 1, "boom", nil},
		{"gives up", []error{Retryable(errors.New("503"), 0), Retryable(errors.New("503"), 0), Retryable(errors.New("503 again"), 0)}, 3,
			"gave up after 3 attempts: 503 again", []time.Duration{75 * time.Millisecond, 150 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &flakyWriter{fails: tt.fails}
			var slept []time.Duration
			sleep := func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
			_, err := writeWithRetry(context.Background(), w, &Operation{}, policy, half, sleep)
			if w.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", w.calls, tt.wantCalls)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if len(slept) != len(tt.wantSlept) {
				t.Fatalf("slept %v, want %v", slept, tt.wantSlept)
			}
			for i := range slept {
				if slept[i] != tt.wantSlept[i] {
					t.Errorf("backoff %d = %v, want %v", i, slept[i], tt.wantSlept[i])
				}
			}
		})
	}
}

func TestBackoffCapped(t *testing.T) {
	p := RetryPolicy{Attempts: 20, Initial: time.Second, Max: 10 * time.Second}
	one := func() float64 { return 1 }
	if d := p.Backoff(12, 0, one); d != 10*time.Second {
		t.Errorf("backoff = %v, want the 10s cap", d)
	}
	zero := func() float64 { return 0 }
	if d := p.Backoff(1, 0, zero); d != 500*time.Millisecond {
		t.Errorf("backoff = %v, want half the initial delay at least", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"Mon, 30 Nov 2026 10:00:30 GMT", 30 * time.Second},
		{"Mon, 30 Nov 2026 09:59:00 GMT", 0},
		{"99999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
