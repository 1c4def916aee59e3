package serve

import (
	"context"
	"sync"
	"time"
)

// BreakerState is a circuit breaker's state.
type BreakerState int

// States; the numbers are what the flowctl_circuit_state gauge shows.
const (
	Closed   BreakerState = 0 // writes go through
	Open     BreakerState = 1 // the target is considered down: writes wait
	HalfOpen BreakerState = 2 // one probe write is let through
)

func (s BreakerState) String() string {
	switch s {
	case Open:
		return "open"
	case HalfOpen:
		return "half_open"
	}
	return "closed"
}

// BreakerOptions tune a breaker.
type BreakerOptions struct {
	Threshold   int           // consecutive retryable failures that open it (default 5)
	Cooldown    time.Duration // first open period (default 1s)
	MaxCooldown time.Duration // longest open period; each failed probe doubles it (default 30s)
}

func (o BreakerOptions) withDefaults() BreakerOptions {
	if o.Threshold <= 0 {
		o.Threshold = 5
	}
	if o.Cooldown <= 0 {
		o.Cooldown = time.Second
	}
	if o.MaxCooldown <= 0 {
		o.MaxCooldown = 30 * time.Second
	}
	return o
}

// Breaker stops a flow's workers from hammering a target that is down:
// after Threshold consecutive retryable failures it opens and writes wait
// (they do not fail) until the cooldown ends; then one probe goes through,
// and its result closes the breaker or opens it for twice as long. While
// writes wait, workers stop taking messages, the backlog grows, and intake
// pauses at the backlog limit: back-pressure reaches the sources.
type Breaker struct {
	opts     BreakerOptions
	onChange func(BreakerState)

	mu       sync.Mutex
	state    BreakerState
	fails    int
	cooldown time.Duration
	until    time.Time
	probing  bool
	changed  chan struct{} // closed and replaced on every state change
}

// NewBreaker returns a closed breaker; onChange (may be nil) sees every
// state change.
func NewBreaker(opts BreakerOptions, onChange func(BreakerState)) *Breaker {
	opts = opts.withDefaults()
	return &Breaker{opts: opts, onChange: onChange, cooldown: opts.Cooldown, changed: make(chan struct{})}
}

// State is the current state.
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

func (b *Breaker) set(s BreakerState) {
	if b.state == s {
		return
	}
	b.state = s
	close(b.changed)
	b.changed = make(chan struct{})
	if b.onChange != nil {
		b.onChange(s)
	}
}

// Wait returns when a write may be tried: at once when closed; when open,
// after the cooldown, as the probe (only one caller at a time probes).
// heartbeat is called about every interval while waiting (to keep the
// message's lease).
func (b *Breaker) Wait(ctx context.Context, heartbeat func(), interval time.Duration) error {
	for {
		b.mu.Lock()
		switch {
		case b.state == Closed:
			b.mu.Unlock()
			return nil
		case b.state == Open && !time.Now().Before(b.until):
			b.set(HalfOpen)
			b.probing = true
			b.mu.Unlock()
			return nil
		case b.state == HalfOpen && !b.probing:
			b.probing = true
			b.mu.Unlock()
			return nil
		}
		wait := interval
		if b.state == Open {
			wait = min(wait, time.Until(b.until))
		}
		ch := b.changed
		b.mu.Unlock()
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-ch:
			t.Stop()
		case <-t.C:
			if heartbeat != nil {
				heartbeat()
			}
		}
	}
}

// Success records a write the target took (or refused for good: it is up).
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails, b.probing, b.cooldown = 0, false, b.opts.Cooldown
	b.set(Closed)
}

// Failure records a retryable failure.
func (b *Breaker) Failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails++
	switch {
	case b.state == HalfOpen:
		b.probing = false
		b.cooldown = min(b.cooldown*2, b.opts.MaxCooldown)
		b.until = time.Now().Add(b.cooldown)
		b.set(Open)
	case b.state == Closed && b.fails >= b.opts.Threshold:
		b.until = time.Now().Add(b.cooldown)
		b.set(Open)
	}
}

// Release gives up a probe turn without a result (the caller stopped).
func (b *Breaker) Release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.probing {
		b.probing = false
		close(b.changed)
		b.changed = make(chan struct{})
	}
}
