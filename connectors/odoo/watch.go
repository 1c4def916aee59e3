package odoo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// watchSaveEvery is how often, at most, a watch saves its position while a
// long pass is being read.
const watchSaveEvery = 5 * time.Second

// watcher is the odoo source under serve: passes of a Reader, one every
// `every`, each starting from the position the previous one reached.
//
// The position is the Reader's: the cursor after the last record
// acknowledged in order (see ackTracker). It is saved in the SourceState
// at the end of every pass, at most watchSaveEvery apart during a long
// pass and while waiting for the next one, and when the watch closes; a
// new watch resumes from the saved position. The next pass starts from the
// previous pass's position, not from its last delivered record: a message
// refused (Nack) or not yet acknowledged is read again — with the same
// Message.ID while the record is unchanged, so serve journals it once.
//
// Failures (Odoo down, a 5xx, a bad domain) are logged and the pass is
// tried again after `every`: only the end of ctx ends the watch.
type watcher struct {
	ctx   context.Context
	sp    *engine.SourcePlan
	rc    engine.RunContext
	state engine.SourceState
	log   *slog.Logger
	every time.Duration
	// wait sleeps d or until ctx ends (false).
	wait func(ctx context.Context, d time.Duration) bool
	now  func() time.Time

	loaded   bool
	started  bool
	cur      *Reader // the pass being read
	last     *Reader // the previous pass (its acknowledgements still count)
	from     *Cursor // where the next pass starts
	saved    *Cursor // the position last saved
	lastSave time.Time
	closed   bool
}

func watch(ctx context.Context, sp *engine.SourcePlan, wc *engine.WatchContext) (engine.RecordReader, error) {
	w := &watcher{ctx: ctx, sp: sp, every: sp.Values.Duration("every"), wait: waitCtx, now: time.Now}
	if wc != nil {
		w.rc, w.state, w.log = wc.RunContext, wc.State, wc.Logger
	}
	if w.every <= 0 {
		w.every = time.Minute
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("source", "odoo", "model", sp.Values.String("model"))
	return w, nil
}

func waitCtx(ctx context.Context, d time.Duration) bool {
	return engine.Sleep(ctx, d) == nil
}

func (w *watcher) Next() (*engine.Message, bool, error) {
	for {
		if w.ctx.Err() != nil || w.closed {
			return nil, false, nil
		}
		if w.cur == nil {
			if w.started && !w.pause() {
				return nil, false, nil
			}
			w.started = true
			if !w.load() {
				continue
			}
			if w.last != nil {
				if pos, ok := w.last.Position(); ok {
					w.from = &pos
				}
			}
			r, err := openReader(w.ctx, w.sp, &w.rc, w.from)
			if err != nil {
				w.failed("opening the source", err)
				continue
			}
			w.cur = r
		}
		m, ok, err := w.cur.Next()
		if err != nil || !ok {
			if err != nil {
				w.failed("reading", err)
			}
			w.cur.Close()
			w.last, w.cur = w.cur, nil
			w.save()
			continue
		}
		if w.now().Sub(w.lastSave) >= watchSaveEvery {
			w.save()
		}
		return m, true, nil
	}
}

// failed logs a failed poll; the next pass tries again.
func (w *watcher) failed(what string, err error) {
	if w.ctx.Err() != nil {
		return
	}
	if retry, _ := engine.IsRetryable(err); retry {
		w.log.Warn("poll failed; trying again at the next interval", "during", what, "error", err, "every", w.every)
		return
	}
	w.log.Error("poll failed; trying again at the next interval", "during", what, "error", err, "every", w.every)
}

// pause waits `every` before the next pass, saving the position the
// acknowledgements that arrive meanwhile reach.
func (w *watcher) pause() bool {
	end := w.now().Add(w.every)
	for {
		d := end.Sub(w.now())
		if d <= 0 {
			return true
		}
		if !w.wait(w.ctx, min(d, watchSaveEvery)) {
			return false
		}
		w.save()
	}
}

// load reads the saved position once.
func (w *watcher) load() bool {
	if w.loaded {
		return true
	}
	if w.state != nil {
		data, err := w.state.Load(w.ctx)
		if err != nil {
			w.failed("loading the saved position", err)
			return false
		}
		if len(data) > 0 {
			var c Cursor
			if err := json.Unmarshal(data, &c); err != nil {
				// A position that cannot be read cannot be trusted either:
				// stop rather than read everything again.
				w.log.Error("the saved position is not a cursor; fix or remove it", "error", err, "position", string(data))
				return false
			}
			w.from, w.saved = &c, &c
		}
	}
	w.loaded = true
	return true
}

// position is the newest acknowledged position.
func (w *watcher) position() (Cursor, bool) {
	for _, r := range []*Reader{w.cur, w.last} {
		if r != nil {
			if pos, ok := r.Position(); ok {
				return pos, true
			}
		}
	}
	return Cursor{}, false
}

// save stores the position when it moved.
func (w *watcher) save() {
	_ = w.saveCtx(w.ctx) // logged; tried again at the next save
}

func (w *watcher) saveCtx(ctx context.Context) error {
	w.lastSave = w.now()
	pos, ok := w.position()
	if !ok || (w.saved != nil && *w.saved == pos) {
		return nil
	}
	if w.state == nil {
		w.saved = &pos
		return nil
	}
	data, _ := json.Marshal(pos)
	if err := w.state.Save(ctx, data); err != nil {
		if ctx.Err() == nil {
			w.log.Warn("saving the position failed; trying again later", "position", pos.String(), "error", err)
		}
		return fmt.Errorf("odoo source: saving position %s: %w", pos, err)
	}
	w.saved = &pos
	return nil
}

// Close ends the current pass and saves the position reached.
func (w *watcher) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.cur != nil {
		w.cur.Close()
		w.last, w.cur = w.cur, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 5*time.Second)
	defer cancel()
	return w.saveCtx(ctx)
}

var _ engine.RecordReader = (*watcher)(nil)
