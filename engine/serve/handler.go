package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/codec"
	"github.com/flowctl/flowctl/engine/durable"
)

// Outcome is what became of one journaled message.
type Outcome string

// Outcomes of Handle.
const (
	Delivered    Outcome = "delivered"     // every operation written (some may be duplicates)
	Duplicate    Outcome = "duplicate"     // every operation was written before: nothing written now
	Skipped      Outcome = "skipped"       // filtered out by the flow
	DeadLettered Outcome = "dead_lettered" // kept in the dead-letter store with its reason
	Requeue      Outcome = "requeue"       // not settled now (target down, store unreachable): deliver again later
	Stopped      Outcome = "stopped"       // shutdown interrupted it: deliver again
	DryRun       Outcome = "dry_run"       // computed only
)

// Report is the result of handling one message.
type Report struct {
	Outcome    Outcome
	Result     engine.Result
	Written    []string // targets written now
	Duplicates []string // targets skipped: written before under the same key
	DeadLetter *durable.DeadLetter
	RetryAfter time.Duration // Requeue: when to try again
	Err        error         // Requeue/Stopped: why
}

// Handler processes journaled messages of one flow: runs the plan,
// writes each operation once per idempotency key with retries and a
// circuit breaker per target, and dead-letters what cannot be processed.
// It is shared by serve's workers, replay and dlq retry; it is safe for
// concurrent use (each goroutine brings its own engine.Processor).
type Handler struct {
	Store    *durable.Store
	Flow     *engine.FlowPlan
	PlanHash string
	Writers  map[string]engine.TargetWriter // nil with DryRun
	Retry    map[string]engine.RetryPolicy
	Breakers map[string]*Breaker
	Metrics  *Metrics // nil: none
	Log      *slog.Logger
	// Rewrite ignores "done" idempotency records (replay --rewrite): the
	// write is made again, still under its idempotency key.
	Rewrite bool
	// Lease is how long another message's pending claim on a key is
	// respected before it is taken over (its owner is presumed dead).
	Lease time.Duration
	// Heartbeat is how often a long wait renews the message's lease.
	Heartbeat time.Duration
	Owner     string
}

// NewHandler prepares a handler; writers nil means dry run.
func NewHandler(st *durable.Store, fp *engine.FlowPlan, planHash string, writers map[string]engine.TargetWriter, m *Metrics, log *slog.Logger, bo BreakerOptions) *Handler {
	h := &Handler{Store: st, Flow: fp, PlanHash: planHash, Writers: writers, Metrics: m, Log: log,
		Retry: map[string]engine.RetryPolicy{}, Breakers: map[string]*Breaker{},
		Lease: 2 * time.Minute, Heartbeat: 10 * time.Second}
	if h.Log == nil {
		h.Log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	h.Owner = fmt.Sprintf("%s/%d", host, os.Getpid())
	for _, t := range fp.Targets {
		h.Retry[t.Name] = engine.RetryPolicyOf(t)
		name := t.Name
		h.Breakers[name] = NewBreaker(bo, func(s BreakerState) {
			if m != nil {
				m.Circuit.WithLabelValues(fp.Name, name).Set(float64(s))
				m.CircuitMoves.WithLabelValues(fp.Name, name, s.String()).Inc()
			}
			h.Log.Warn("circuit breaker "+s.String(), "flow", fp.Name, "target", name, "state", s.String())
		})
		if m != nil {
			m.Circuit.WithLabelValues(fp.Name, name).Set(0)
		}
	}
	return h
}

// MessageOf rebuilds an engine message from a journal entry.
func MessageOf(e *durable.Entry) *engine.Message {
	m := &engine.Message{Seq: int(e.Seq), Line: e.Line, Source: e.Source, ReceivedAt: e.ReceivedAt, ID: e.ID}
	if e.DecodeError != "" {
		m.Err, m.Raw = errors.New(e.DecodeError), e.Record
		return m
	}
	p := parsers.Get().(*codec.Parser)
	v, err := p.Parse(e.Record)
	parsers.Put(p)
	rec, _ := v.(map[string]any)
	if err == nil && rec == nil {
		err = fmt.Errorf("it is %T", v)
	}
	if err != nil {
		m.Err, m.Raw = fmt.Errorf("journal record is not a JSON object: %v", err), e.Record
		return m
	}
	m.Record = rec
	return m
}

// parsers decode journal records (the NDJSON reader's parser: the same
// values as encoding/json with UseNumber, at a fraction of the cost).
var parsers = sync.Pool{New: func() any { return new(codec.Parser) }}

// Handle processes one entry. heartbeat (may be nil) renews the message's
// lease during long waits.
func (h *Handler) Handle(ctx context.Context, proc *engine.Processor, e *durable.Entry, heartbeat func()) Report {
	res := proc.Process(MessageOf(e))
	rep := Report{Result: res}
	switch res.Outcome {
	case engine.Skipped:
		rep.Outcome = Skipped
		return rep
	case engine.Rejected:
		return h.deadLetter(ctx, e, rep, res.Reject.Rule, res.Reject.Message, res.Reject.Location, nil)
	}
	if h.Writers == nil {
		rep.Outcome = DryRun
		return rep
	}
	for i := range res.Ops {
		op := &res.Ops[i]
		dup, attempts, err := h.writeOnce(ctx, e, op, WriteKey(e, i, op), heartbeat)
		switch {
		case err == nil && dup:
			rep.Duplicates = append(rep.Duplicates, op.Target)
		case err == nil:
			rep.Written = append(rep.Written, op.Target)
		case ctx.Err() != nil:
			rep.Outcome, rep.Err = Stopped, ctx.Err()
			return rep
		default:
			var rq *requeueError
			if errors.As(err, &rq) {
				rep.Outcome, rep.Err, rep.RetryAfter = Requeue, rq.err, rq.after
				return rep
			}
			return h.deadLetter(ctx, e, rep, "target."+op.Target, fmt.Sprintf("writing to target %s: %v", op.Target, err), "", attempts)
		}
	}
	if len(rep.Written) == 0 && len(rep.Duplicates) > 0 {
		rep.Outcome = Duplicate
	} else {
		rep.Outcome = Delivered
	}
	return rep
}

// requeueError means: not this message's fault; try it again later.
type requeueError struct {
	err   error
	after time.Duration
}

func (e *requeueError) Error() string { return e.err.Error() }

// writeOnce writes one operation unless its key was written before.
func (h *Handler) writeOnce(ctx context.Context, e *durable.Entry, op *engine.Operation, key string, heartbeat func()) (dup bool, attempts []durable.Attempt, err error) {
	rec := durable.IdemRecord{Flow: h.Flow.Name, Target: op.Target, Key: key, Journal: e.Seq, Owner: h.Owner, At: time.Now().UTC()}
	var claim *durable.Claim
	for {
		if h.Rewrite {
			if err := h.Store.Forget(ctx, rec.Flow, rec.Target, key); err != nil {
				return false, nil, &requeueError{fmt.Errorf("idempotency store: %w", err), time.Second}
			}
		}
		c, done, err := h.Store.ClaimKey(ctx, rec, h.Lease)
		if done != nil {
			h.count(op.Target, "duplicate")
			return true, nil, nil
		}
		if errors.Is(err, durable.ErrBusy) {
			// Another message is writing this key right now; its outcome
			// decides whether this one is a duplicate.
			if err := h.pause(ctx, 200*time.Millisecond, heartbeat); err != nil {
				return false, nil, err
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, nil, ctx.Err()
			}
			return false, nil, &requeueError{fmt.Errorf("idempotency store: %w", err), time.Second}
		}
		claim = c
		break
	}
	res, attempts, err := h.writeRetry(ctx, op, h.renewing(ctx, claim, heartbeat))
	if err != nil {
		// Free the key so a retry (or dlq retry) can claim it. Done with a
		// fresh context: this must happen even during shutdown.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if rerr := h.Store.Release(rctx, claim); rerr != nil {
			h.Log.Warn("could not release an idempotency claim; it expires after the lease", "flow", h.Flow.Name, "target", op.Target, "error", rerr)
		}
		cancel()
		return false, attempts, err
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.Store.Done(dctx, claim, res.ID, res.Digest); err != nil {
		// Written but not recorded: a redelivery writes again under the
		// same idempotency key (the target's dedupe is the last line).
		h.Log.Error("target written but its idempotency record not stored", "flow", h.Flow.Name, "target", op.Target, "error", err)
	}
	return false, attempts, nil
}

// renewing returns a heartbeat that also keeps claim fresh (renewed once a
// quarter of the lease has passed): while this message writes, or waits on
// its target, another message with the same key must wait for its outcome,
// not take the claim over after the lease as if its owner had died. The
// heartbeat runs on one goroutine at a time, and never after writeRetry
// returned.
func (h *Handler) renewing(ctx context.Context, claim *durable.Claim, heartbeat func()) func() {
	last := time.Now()
	return func() {
		if heartbeat != nil {
			heartbeat()
		}
		if time.Since(last) < h.Lease/4 || ctx.Err() != nil {
			return
		}
		last = time.Now()
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := h.Store.Renew(rctx, claim); err != nil {
			h.Log.Warn("could not renew an idempotency claim", "flow", h.Flow.Name, "error", err)
		}
	}
}

// writeRetry tries a write until it succeeds, fails for good, or uses up
// the target's attempts. While the target's breaker is open it waits
// without using attempts; attempts used up while the breaker is open
// requeue the message rather than dead-letter it (the target is down, the
// message is not at fault).
func (h *Handler) writeRetry(ctx context.Context, op *engine.Operation, heartbeat func()) (engine.WriteResult, []durable.Attempt, error) {
	w := h.Writers[op.Target]
	pol := h.Retry[op.Target]
	br := h.Breakers[op.Target]
	var attempts []durable.Attempt
	for n := 1; ; n++ {
		if err := br.Wait(ctx, heartbeat, h.Heartbeat); err != nil {
			return engine.WriteResult{}, attempts, err
		}
		start := time.Now()
		res, err := h.writeHeartbeat(ctx, w, op, heartbeat)
		if h.Metrics != nil {
			h.Metrics.WriteSeconds.WithLabelValues(h.Flow.Name, op.Target).Observe(time.Since(start).Seconds())
		}
		if err == nil {
			br.Success()
			h.count(op.Target, "ok")
			return res, attempts, nil
		}
		if ctx.Err() != nil {
			br.Release()
			return res, attempts, ctx.Err()
		}
		h.count(op.Target, "error")
		retry, hint := engine.IsRetryable(err)
		a := durable.Attempt{At: start.UTC(), Target: op.Target, Error: err.Error()}
		var ce *engine.ConnectorError
		if errors.As(err, &ce) {
			a.Status = ce.Status
		}
		attempts = append(attempts, a)
		if !retry {
			br.Success() // it answered: it is up
			return res, attempts, err
		}
		br.Failure()
		if n >= pol.Attempts {
			if br.State() != Closed {
				return res, attempts, &requeueError{fmt.Errorf("target %s is down: %w", op.Target, err), max(hint, time.Second)}
			}
			return res, attempts, fmt.Errorf("gave up after %d attempts: %w", n, err)
		}
		if h.Metrics != nil {
			h.Metrics.Retries.WithLabelValues(h.Flow.Name, op.Target).Inc()
		}
		if err := h.pause(ctx, pol.Backoff(n, hint, rand.Float64), heartbeat); err != nil {
			return res, attempts, err
		}
	}
}

// writeHeartbeat writes, renewing the message's lease every Heartbeat
// while the target takes its time: a write slower than the ack wait would
// otherwise be handed to another worker, which takes the claim over (same
// journal record) and writes it again.
func (h *Handler) writeHeartbeat(ctx context.Context, w engine.TargetWriter, op *engine.Operation, heartbeat func()) (engine.WriteResult, error) {
	if heartbeat == nil || h.Heartbeat <= 0 {
		return write(ctx, w, op)
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(h.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				heartbeat()
			}
		}
	}()
	defer func() {
		close(stop)
		<-stopped
	}()
	return write(ctx, w, op)
}

// write makes one write. A connector that panics fails this write for
// good (the message is dead-lettered with the panic as its reason) rather
// than taking the process, and every message in flight, down with it.
func write(ctx context.Context, w engine.TargetWriter, op *engine.Operation) (res engine.WriteResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = engine.WriteResult{}, fmt.Errorf("target %s failed unexpectedly (panic: %v)\n%s", op.Target, r, debug.Stack())
		}
	}()
	if rw, ok := w.(engine.ResultWriter); ok {
		return rw.WriteResult(ctx, op)
	}
	return engine.WriteResult{}, w.Write(ctx, op)
}

func (h *Handler) count(target, result string) {
	if h.Metrics != nil {
		h.Metrics.Writes.WithLabelValues(h.Flow.Name, target, result).Inc()
	}
}

// pause sleeps d, renewing the message's lease meanwhile.
func (h *Handler) pause(ctx context.Context, d time.Duration, heartbeat func()) error {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		t := time.NewTimer(min(left, h.Heartbeat))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
			if heartbeat != nil && time.Until(deadline) > 0 {
				heartbeat()
			}
		}
	}
}

// deadLetter stores the message with its reason; if that fails the
// message is requeued (never dropped).
func (h *Handler) deadLetter(ctx context.Context, e *durable.Entry, rep Report, step, msg, loc string, attempts []durable.Attempt) Report {
	host, _ := os.Hostname()
	d := &durable.DeadLetter{Entry: e, Flow: h.Flow.Name, Plan: h.PlanHash, Step: step, Error: msg, Location: loc,
		Attempts: attempts, Written: rep.Written, At: time.Now().UTC(), Host: host}
	if h.Writers == nil {
		rep.Outcome, rep.DeadLetter = DeadLettered, d
		return rep
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.Store.DeadLetter(dctx, d); err != nil {
		rep.Outcome, rep.Err, rep.RetryAfter = Requeue, fmt.Errorf("storing the dead letter: %w", err), 2*time.Second
		return rep
	}
	rep.Outcome, rep.DeadLetter = DeadLettered, d
	return rep
}
