package schedule

import (
	"context"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// maxCatchUp bounds the ticks skipped over to find the latest missed one.
const maxCatchUp = 1 << 20

// clock is the time a watch runs on: the wall clock, or a test's.
type clock struct {
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

var wallClock = clock{now: time.Now, after: time.After}

// watchReader fires at each time of the schedule after it started.
//
// Next blocks until the next time of the schedule (computed in the
// source's zone, so daylight-saving changes are the zone's) and returns
// its message. Times before the watch started are not replayed. When Next
// is called late (serve held it back, or the machine slept) and several
// times have passed, they are coalesced: one message for the latest.
type watchReader struct {
	ctx  context.Context
	t    *ticker
	clk  clock
	last time.Time // the last tick delivered (at first: when the watch started)
	seq  int
}

func watch(ctx context.Context, sp *engine.SourcePlan, _ *engine.WatchContext) (engine.RecordReader, error) {
	t, err := newTicker(sp)
	if err != nil {
		return nil, err
	}
	return newWatch(ctx, t, wallClock), nil
}

func newWatch(ctx context.Context, t *ticker, clk clock) *watchReader {
	return &watchReader{ctx: ctx, t: t, clk: clk, last: clk.now()}
}

func (w *watchReader) Next() (*engine.Message, bool, error) {
	next := w.t.sched.Next(w.last.In(w.t.loc))
	if next.IsZero() {
		// A schedule that never fires (30 February): wait for the end.
		<-w.ctx.Done()
		return nil, false, nil
	}
	for {
		if w.ctx.Err() != nil {
			return nil, false, nil
		}
		now := w.clk.now()
		if !next.After(now) {
			break
		}
		select {
		case <-w.clk.after(next.Sub(now)):
		case <-w.ctx.Done():
			return nil, false, nil
		}
	}
	now := w.clk.now()
	for range maxCatchUp {
		later := w.t.sched.Next(next)
		if later.IsZero() || later.After(now) {
			break
		}
		next = later
	}
	w.last = next
	w.seq++
	return w.t.message(next, now, w.seq), true, nil
}

func (w *watchReader) Close() error { return nil }

var _ engine.RecordReader = (*watchReader)(nil)
