package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/codec"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/nats-io/nats.go/jetstream"
)

// gate pauses a flow's intake: the backlog is over its limit, or the
// journal refuses writes. Each reason holds the gate closed on its own.
type gate struct {
	paused  atomic.Bool
	mu      sync.Mutex
	reasons map[string]string
	opened  chan struct{}
}

func newGate() *gate { return &gate{reasons: map[string]string{}, opened: make(chan struct{})} }

func (g *gate) close(reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	name, _, _ := strings.Cut(reason, " ")
	g.reasons[name] = reason
	g.paused.Store(true)
}

func (g *gate) open(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.reasons[name]; !ok {
		return
	}
	delete(g.reasons, name)
	if len(g.reasons) == 0 {
		g.paused.Store(false)
		close(g.opened)
		g.opened = make(chan struct{})
	}
}

func (g *gate) why() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, r := range g.reasons {
		out = append(out, r)
	}
	return strings.Join(out, "; ")
}

// wait returns once the gate is open (or ctx ends).
func (g *gate) wait(ctx context.Context) error {
	for g.paused.Load() {
		g.mu.Lock()
		ch := g.opened
		paused := len(g.reasons) > 0
		g.mu.Unlock()
		if !paused {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-time.After(time.Second):
		}
	}
	return ctx.Err()
}

// entryOf builds the journal entry of an inbound message.
func (fr *flowRun) entryOf(m *engine.Message) *durable.Entry {
	e := &durable.Entry{Flow: fr.fp.Name, Plan: fr.s.opts.PlanHash, ID: m.ID, Source: m.Source, Line: m.Line, ReceivedAt: m.ReceivedAt}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = time.Now().UTC()
		m.ReceivedAt = e.ReceivedAt
	}
	if m.Err != nil {
		e.DecodeError, e.Record = m.Err.Error(), m.Raw
		if e.Record == nil {
			e.Record = []byte{}
		}
		return e
	}
	enc := encoders.Get().(*codec.Encoder)
	data, err := enc.Append(nil, m.Record)
	encoders.Put(enc)
	if err != nil {
		// Keep what we can say about it: the message still goes through
		// the journal and ends in the dead-letter store with the reason.
		e.DecodeError, e.Record = "record cannot be journaled as JSON: "+err.Error(), []byte(fmt.Sprintf("%v", m.Record))
		return e
	}
	e.Record = data
	fr.keyMu.Lock()
	e.Key = fr.keyProc.Key(m)
	fr.keyMu.Unlock()
	return e
}

// encoders write journal records: compact JSON as encoding/json writes it
// (but for <, > and & left unescaped), at a fraction of the cost.
var encoders = sync.Pool{New: func() any { return new(codec.Encoder) }}

// backpressure is what a webhook sender hears while intake is paused.
var errBackpressure = errors.New("cannot take messages now (backlog limit reached or journal unavailable); retry later")

// accept journals one webhook message; it returns once it is durable.
func (fr *flowRun) accept(ctx context.Context, m *engine.Message) error {
	s := fr.s
	if s.closing.Load() {
		return engine.Retryable(errors.New("shutting down; retry later"), 5*time.Second)
	}
	if fr.gate.paused.Load() {
		return engine.Retryable(errBackpressure, 5*time.Second)
	}
	e := fr.entryOf(m)
	ack, err := s.opts.Store.AppendSync(ctx, e)
	if err != nil {
		if ctx.Err() != nil {
			return engine.Retryable(errors.New("request ended before the message was journaled"), 5*time.Second)
		}
		// Like a watched source: pause intake (later requests get 503 at
		// once), say why in /readyz, probe again shortly.
		fr.journalFailed(s.log.With("flow", fr.fp.Name, "source", "webhook"), m, err)
		return engine.Retryable(fmt.Errorf("journal unavailable: %w", err), 5*time.Second)
	}
	fr.countIn(ack.Duplicate)
	if !ack.Duplicate {
		fr.noteJournaled()
	}
	return nil
}

// countIn counts a message the journal confirmed: a new one, or a repeat
// of one it already had (same source id within the dedupe window: a
// source offering it again, a sender retrying), which is not work.
func (fr *flowRun) countIn(duplicate bool) {
	if duplicate {
		fr.s.m.Deduped.WithLabelValues(fr.fp.Name).Inc()
		return
	}
	fr.s.m.In.WithLabelValues(fr.fp.Name).Inc()
}

// pending is a message whose journal write is on its way.
type pending struct {
	m   *engine.Message
	fut jetstream.PubAckFuture
}

// runWatch reads a watched source: each message is journaled, and only
// once the journal has it is the source's receipt acknowledged.
func (fr *flowRun) runWatch(ctx context.Context) {
	s := fr.s
	log := s.log.With("flow", fr.fp.Name, "source", fr.fp.Source.Kind)
	wc := &engine.WatchContext{RunContext: *s.opts.Context, State: s.opts.Store.SourceState(fr.fp.Name), Logger: log}
	acks := make(chan pending, 4096)
	var ackWG sync.WaitGroup
	ackWG.Add(1)
	go func() {
		defer ackWG.Done()
		fr.settleJournaled(acks)
	}()
	defer func() {
		close(acks)
		ackWG.Wait()
	}()
	backoff := time.Second
	for ctx.Err() == nil {
		r, err := fr.watch(ctx, fr.fp.Source, wc)
		if err != nil {
			log.Error("cannot watch the source; retrying", "error", err, "retry_in", backoff.String())
			engine.Sleep(ctx, backoff)
			backoff = min(backoff*2, time.Minute)
			continue
		}
		backoff = time.Second
		for {
			if fr.gate.wait(ctx) != nil {
				break
			}
			m, ok, err := r.Next()
			if err != nil {
				log.Error("reading the source", "error", err)
				engine.Sleep(ctx, time.Second)
				break // reopen
			}
			if !ok {
				break
			}
			e := fr.entryOf(m)
			fut, err := s.opts.Store.Append(e)
			for errors.Is(err, jetstream.ErrTooManyStalledMsgs) && ctx.Err() == nil {
				// The client's window of unconfirmed writes is full: wait
				// for the journal to catch up rather than call it failed.
				fut, err = s.opts.Store.Append(e)
			}
			if err != nil {
				fr.journalFailed(log, m, err)
				continue
			}
			fr.noteJournaled() // counted as sent: the gate must not wait for the answers
			acks <- pending{m: m, fut: fut}
		}
		r.Close()
	}
}

// settleJournaled acknowledges messages to their sources in the order
// they were read, as the journal confirms them.
func (fr *flowRun) settleJournaled(acks <-chan pending) {
	s := fr.s
	log := s.log.With("flow", fr.fp.Name)
	for p := range acks {
		select {
		case ack := <-p.fut.Ok():
			fr.countIn(ack.Duplicate)
			if p.m.Receipt != nil {
				if err := p.m.Receipt.Ack(context.Background()); err != nil {
					log.Warn("the source could not record a journaled message as taken; it may offer it again (deduped)", "error", err)
				}
			}
			fr.gate.open("journal")
		case err := <-p.fut.Err():
			fr.journalFailed(log, p.m, err)
		}
	}
}

// journalFailed hands a message back to its source and pauses intake.
func (fr *flowRun) journalFailed(log *slog.Logger, m *engine.Message, err error) {
	s := fr.s
	s.m.JournalErrors.WithLabelValues(fr.fp.Name).Inc()
	s.journalFailed(err)
	fr.gate.close("journal write failed: " + err.Error())
	log.Error("journal write failed; the source keeps the message and intake pauses", "error", err)
	if m.Receipt != nil {
		m.Receipt.Nack(context.Background(), fmt.Errorf("not journaled: %w", err))
	}
	// Probe again in a moment: the monitor does not watch the journal.
	go func() {
		time.Sleep(2 * time.Second)
		fr.gate.open("journal")
	}()
}
