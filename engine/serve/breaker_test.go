package serve

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	var mu sync.Mutex
	var moves []BreakerState
	b := NewBreaker(BreakerOptions{Threshold: 3, Cooldown: 20 * time.Millisecond, MaxCooldown: 80 * time.Millisecond}, func(s BreakerState) {
		mu.Lock()
		moves = append(moves, s)
		mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wait := func() {
		t.Helper()
		if err := b.Wait(ctx, nil, 5*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	// Failures below the threshold keep it closed; a success resets the count.
	b.Failure()
	b.Failure()
	b.Success()
	b.Failure()
	b.Failure()
	if b.State() != Closed {
		t.Fatalf("state %v after 2 consecutive failures, want closed", b.State())
	}
	b.Failure()
	if b.State() != Open {
		t.Fatalf("state %v after 3 consecutive failures, want open", b.State())
	}
	// Open: Wait blocks for the cooldown, then lets one probe through.
	start := time.Now()
	wait()
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Errorf("probe let through after %v, want ≥ cooldown", d)
	}
	if b.State() != HalfOpen {
		t.Fatalf("state %v for the probe, want half-open", b.State())
	}
	// While the probe is out, others wait.
	second := make(chan time.Time, 1)
	go func() {
		b.Wait(ctx, nil, 5*time.Millisecond)
		second <- time.Now()
	}()
	time.Sleep(30 * time.Millisecond)
	select {
	case <-second:
		t.Fatal("a second caller went through while the probe was out")
	default:
	}
	// The probe fails: open again for twice as long.
	b.Failure()
	if b.State() != Open {
		t.Fatalf("state %v after a failed probe, want open", b.State())
	}
	// The waiting caller becomes the next probe, after the longer cooldown.
	got := <-second
	if b.State() != HalfOpen {
		t.Fatalf("state %v, want half-open", b.State())
	}
	_ = got
	b.Success()
	if b.State() != Closed {
		t.Fatalf("state %v after a good probe, want closed", b.State())
	}
	wait() // closed: at once
	mu.Lock()
	defer mu.Unlock()
	want := []BreakerState{Open, HalfOpen, Open, HalfOpen, Closed}
	if len(moves) != len(want) {
		t.Fatalf("moves %v, want %v", moves, want)
	}
	for i := range want {
		if moves[i] != want[i] {
			t.Fatalf("moves %v, want %v", moves, want)
		}
	}
}

func TestBreakerWaitHeartbeatAndCancel(t *testing.T) {
	b := NewBreaker(BreakerOptions{Threshold: 1, Cooldown: time.Hour, MaxCooldown: time.Hour}, nil)
	b.Failure()
	beats := 0
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	err := b.Wait(ctx, func() { beats++ }, 10*time.Millisecond)
	if err == nil {
		t.Fatal("Wait returned nil while open and cancelled")
	}
	if beats < 2 {
		t.Errorf("heartbeats while waiting: %d, want several", beats)
	}
}

func TestGate(t *testing.T) {
	g := newGate()
	g.close("backlog 10 ≥ limit 10")
	g.close("journal write failed: disk full")
	if !g.paused.Load() {
		t.Fatal("not paused")
	}
	g.open("backlog")
	if !g.paused.Load() {
		t.Fatal("opened while the journal reason still holds")
	}
	done := make(chan error, 1)
	go func() { done <- g.wait(context.Background()) }()
	time.Sleep(10 * time.Millisecond)
	g.open("journal")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait did not return after the gate opened")
	}
}
