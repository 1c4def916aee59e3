package serve

import (
	"context"
	"fmt"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
)

// Helpers for flowctl replay and flowctl dlq retry, which run journaled
// messages through a Handler outside serve.

// WriteKey is the idempotency key Handle writes operation i of entry e
// under: the flow's key, or — when the flow gives none — the journal record
// and the operation's place in it, which identify the write just as well.
func WriteKey(e *durable.Entry, i int, op *engine.Operation) string {
	if op.Key != "" {
		return op.Key
	}
	return fmt.Sprintf("journal:%d/%d", e.Seq, i)
}

// Written looks up, for each operation of a result, the idempotency
// record of a write done before (nil where there is none, or where the
// write is still pending): what a real run would report as duplicate.
func (h *Handler) Written(ctx context.Context, e *durable.Entry, ops []engine.Operation) ([]*durable.IdemRecord, error) {
	out := make([]*durable.IdemRecord, len(ops))
	for i := range ops {
		rec, err := h.Store.Lookup(ctx, h.Flow.Name, ops[i].Target, WriteKey(e, i, &ops[i]))
		if err != nil {
			return nil, fmt.Errorf("idempotency store: %w", err)
		}
		if rec != nil && rec.State == durable.IdemDone {
			out[i] = rec
		}
	}
	return out, nil
}

// Settled is what became of a dead letter that was run again.
type Settled struct {
	Report
	// Removed: the dead letter was taken off the dead-letter stream
	// (delivered, duplicate or skipped now; or dead-lettered again, the
	// new record replacing it).
	Removed bool
	// NewSeq is the dead-letter sequence of the new record when it failed
	// again.
	NewSeq uint64
	// Err is a failure to settle the dead-letter stream itself.
	Err error
}

// Retry runs a dead letter's message through h (which must write: Writers
// set) and settles the dead-letter stream so that the message has one
// dead letter at most: the old record is removed when the message now goes
// through, and replaced by the new one when it fails again. A message that
// could not be settled now (target down, shutdown) keeps its dead letter.
func Retry(ctx context.Context, h *Handler, proc *engine.Processor, d *durable.DeadLetter) Settled {
	if d.Entry == nil {
		return Settled{Report: Report{Outcome: Requeue, Err: fmt.Errorf("dead letter %d holds no message", d.Seq)}}
	}
	s := Settled{Report: h.Handle(ctx, proc, d.Entry, nil)}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	switch s.Outcome {
	case Delivered, Duplicate, Skipped:
	case DeadLettered:
		// Handle stored the new dead letter (it is dead-lettered only once
		// that is durable); the old record goes now.
		s.NewSeq = s.DeadLetter.Seq
	default:
		return s
	}
	if err := h.Store.RemoveDeadLetter(sctx, d.Seq); err != nil {
		s.Err = fmt.Errorf("removing dead letter %d: %w", d.Seq, err)
		return s
	}
	s.Removed = true
	return s
}
