package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// pollWatch is the http source under serve: a pass over the endpoint (every
// page, as a one-shot run reads it), then a wait of `every`, then another
// pass, until ctx is done.
//
// The endpoint has no position the source could keep, so every pass reads
// everything it serves again. Each message's ID is a digest of the record
// (RecordID): a record served unchanged by a later pass has the same id,
// and serve journals it once while the id is within the journal's dedupe
// window. Receipts do nothing: a refused message is offered again by the
// next pass anyway. A failed pass (the API down, a page that is not JSON)
// is logged and tried again after `every`.
type pollWatch struct {
	ctx   context.Context
	sp    *engine.SourcePlan
	every time.Duration
	log   *slog.Logger
	wait  func(context.Context, time.Duration) error

	cur     *poller
	started bool
}

func watchPoll(ctx context.Context, sp *engine.SourcePlan, wc *engine.WatchContext) (engine.RecordReader, error) {
	w := &pollWatch{ctx: ctx, sp: sp, every: sp.Values.Duration("every"), wait: engine.Sleep}
	if wc != nil {
		w.log = wc.Logger
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("source", "http", "path", sp.Values.String("path"))
	if w.every <= 0 {
		w.every = time.Minute
	}
	return w, nil
}

func (w *pollWatch) Next() (*engine.Message, bool, error) {
	for {
		if w.ctx.Err() != nil {
			return nil, false, nil
		}
		if w.cur == nil {
			if w.started && w.wait(w.ctx, w.every) != nil {
				return nil, false, nil
			}
			w.started = true
			p, err := newPoller(w.ctx, w.sp)
			if err != nil {
				w.failed(err)
				continue
			}
			w.cur = p
		}
		m, ok, err := w.cur.Next()
		if err != nil || !ok {
			if err != nil {
				w.failed(err)
			}
			w.cur.Close()
			w.cur = nil
			continue
		}
		m.ID = RecordID(m)
		m.Receipt = noReceipt{}
		return m, true, nil
	}
}

func (w *pollWatch) failed(err error) {
	if w.ctx.Err() != nil {
		return
	}
	w.log.Warn("poll failed; trying again at the next interval", "error", err, "every", w.every)
}

func (w *pollWatch) Close() error {
	if w.cur != nil {
		w.cur.Close()
		w.cur = nil
	}
	return nil
}

// RecordID is the id of a polled record: "sha256:" and the first 32 hex
// digits of the SHA-256 of its canonical JSON (object keys sorted, numbers
// as the API wrote them); an item that is not an object is hashed as its
// raw JSON.
func RecordID(m *engine.Message) string {
	data := m.Raw
	if m.Record != nil {
		b, err := encodeJSON(m.Record)
		if err != nil {
			return ""
		}
		data = b
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// noReceipt is the receipt of a message the source need not track.
type noReceipt struct{}

func (noReceipt) Ack(context.Context) error         { return nil }
func (noReceipt) Nack(context.Context, error) error { return nil }

var _ engine.RecordReader = (*pollWatch)(nil)
