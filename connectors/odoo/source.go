package odoo

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/zclconf/go-cty/cty"
)

// Cursor is a position in an Odoo source's order of changes, for resuming
// a later poll where this one stopped.
//
// With cursor = "write_date" it means: every matching record last written
// before the second WriteDate ("YYYY-MM-DD HH:MM:SS", UTC) was delivered,
// and of the records written within that second, those with an id up to ID
// (ID 0: none of them). With cursor = "id", WriteDate is empty and every
// matching record with an id up to ID was delivered.
type Cursor struct {
	WriteDate string `json:"write_date,omitempty"`
	ID        int    `json:"id"`
}

func (c Cursor) String() string {
	if c.WriteDate == "" {
		return "id " + strconv.Itoa(c.ID)
	}
	return fmt.Sprintf("write_date %s, id %d", c.WriteDate, c.ID)
}

// Reader is the odoo source of a one-shot run: it pages through the
// model's matching records in cursor order, one page in memory at a time.
//
// Pages are cursor-based, not offsets: each search_read asks for the
// records after the last one read, so records written while the run reads
// neither shift a page (skipping or repeating records) nor are lost when
// they move behind the cursor: a record changed during the run comes again
// at the end with its new write_date.
//
// Odoo reads write_date to the second but stores it to the microsecond, and
// orders by the stored value: within one second, write_date order is not
// id order, and a domain on the displayed second cannot select "the rest of
// this second". So the reader never hands on part of a second: the last
// second of a write_date-ordered page is held back and the next page
// starts at it; a page that is all one second (more changes in a second
// than a page) makes the reader read that second in id order (write_date
// within the second, id > last) before it goes on from the next second.
// Pages therefore never loop (each call moves the second or the id
// forward) and never skip (see fetchScan and fetchSecond).
type Reader struct {
	ctx    context.Context
	cancel context.CancelFunc
	c      *client
	rt     retrier
	model  string
	domain []any
	fields []any // nil: every field
	strip  bool  // write_date was read for the cursor only
	byID   bool
	size   int
	types  map[string]string

	// Reading state.
	bucket   string // write_date: the second being read in id order ("" when scanning)
	afterID  int    // the last id read (id cursor, or within bucket)
	lower    string // write_date: scan from this second on ("" from the start)
	page     []delivery
	index    int
	finished bool

	acks *ackTracker
}

// delivery is a read record, its id and its position once delivered.
type delivery struct {
	rec map[string]any
	id  string
	pos Cursor
}

func openSource(sp *engine.SourcePlan, rc *engine.RunContext) (engine.RecordReader, error) {
	return OpenReader(sp, rc, nil)
}

// OpenReader opens the source; from resumes after a position a previous
// reader reported (nil: from the beginning).
func OpenReader(sp *engine.SourcePlan, rc *engine.RunContext, from *Cursor) (*Reader, error) {
	return openReader(context.Background(), sp, rc, from)
}

// openReader is OpenReader with the calls bound to parent (a watch's
// context): they end when it does.
func openReader(parent context.Context, sp *engine.SourcePlan, rc *engine.RunContext, from *Cursor) (*Reader, error) {
	v := sp.Values
	model := v.String("model")
	fail := func(err error) error { return fmt.Errorf("source odoo (%s): %w", model, err) }
	c, err := newClient(sp.Connection)
	if err != nil {
		return nil, fail(err)
	}
	ctx, cancel := context.WithCancel(parent)
	r := &Reader{ctx: ctx, cancel: cancel, c: c, rt: defaultRetrier, model: model,
		byID: v.String("cursor") == "id", size: v.Int("page_size"),
		acks: &ackTracker{pos: map[int]Cursor{}, acked: map[int]bool{}}}
	if rc != nil && rc.DryRun {
		r.acks.frozen = true
	}
	if r.size <= 0 {
		r.size = 200
	}
	if err := r.configure(v, from); err != nil {
		r.Close()
		return nil, fail(err)
	}
	return r, nil
}

func (r *Reader) configure(v *engine.Values, from *Cursor) error {
	if d := v.Cty("domain"); d != cty.NilVal && !d.IsNull() {
		g, err := ctyToGo(d)
		if err != nil {
			return fmt.Errorf("domain: %v", err)
		}
		if r.domain, err = checkDomain(g); err != nil {
			return err
		}
	}
	types, err := r.c.fieldTypes(r.ctx, r.rt, r.model)
	if err != nil {
		return err
	}
	r.types = types
	if f := v.Cty("fields"); f != cty.NilVal && !f.IsNull() && f.LengthInt() > 0 {
		hasWD := false
		for it := f.ElementIterator(); it.Next(); {
			_, e := it.Element()
			name := e.AsString()
			if _, ok := types[name]; !ok {
				return fmt.Errorf("fields: model %s has no field %q", r.model, name)
			}
			hasWD = hasWD || name == "write_date"
			r.fields = append(r.fields, name)
		}
		// write_date is read for the cursor, and for the message ids
		// (with an id cursor too, when the model has it).
		if !hasWD && (!r.byID || types["write_date"] != "") {
			r.fields = append(r.fields, "write_date")
			r.strip = true
		}
	}
	if !r.byID && types["write_date"] == "" {
		return fmt.Errorf("model %s has no write_date field; set cursor = \"id\"", r.model)
	}
	if from != nil {
		if from.WriteDate != "" {
			if _, err := time.Parse(datetimeLayout, from.WriteDate); err != nil {
				return fmt.Errorf("resuming from %v: write_date is not Odoo's YYYY-MM-DD HH:MM:SS", *from)
			}
		}
		r.acks.cur, r.acks.has = *from, true
		switch {
		case r.byID:
			r.afterID = from.ID
		case from.WriteDate == "":
		case from.ID > 0:
			r.bucket, r.afterID = from.WriteDate, from.ID
		default:
			r.lower = from.WriteDate
		}
	}
	return nil
}

// Position is the cursor after the last record whose outcome is final and
// kept, counting only records acknowledged (through their messages'
// receipts) in order: a later poll resumes from it. ok is false before the first acknowledgement of a
// reader that did not resume from a position. In a dry run it does not
// move.
func (r *Reader) Position() (c Cursor, ok bool) { return r.acks.position() }

func (r *Reader) Next() (*engine.Message, bool, error) {
	for len(r.page) == 0 {
		if r.finished {
			return nil, false, nil
		}
		if err := r.fetch(); err != nil {
			r.finished = true
			return nil, false, err
		}
	}
	d := r.page[0]
	r.page[0] = delivery{}
	r.page = r.page[1:]
	seq := r.index
	r.index++
	r.acks.add(seq, d.pos)
	return &engine.Message{Line: r.index, Source: "odoo " + r.model, Record: d.rec, ID: d.id,
		Receipt: &receipt{t: r.acks, seq: seq}}, true, nil
}

func (r *Reader) Close() error {
	r.cancel()
	r.c.close()
	return nil
}

// fetch reads the next page and works out where the one after it starts.
func (r *Reader) fetch() error {
	switch {
	case r.byID:
		recs, err := r.read(andDomains(r.domain, []any{[]any{"id", ">", r.afterID}}), "id asc")
		if err != nil {
			return err
		}
		for _, rec := range recs {
			id, _ := toID(rec["id"])
			r.afterID = id
			r.push(rec, Cursor{ID: id})
		}
		r.finished = len(recs) < r.size
		return nil
	case r.bucket != "":
		return r.fetchSecond()
	}
	return r.fetchScan()
}

// fetchScan reads a page in write_date order from r.lower on. Every second
// of the page but the last is complete and handed on; the last may be cut
// by the page's limit, so the next page starts at it again. A page that is
// all one second (a second holding a page or more of changes) is read
// again in id order (fetchSecond). The last page, shorter than a page,
// holds every remaining change: all of it is handed on, its last second in
// id order.
func (r *Reader) fetchScan() error {
	var extra []any
	if r.lower != "" {
		extra = []any{[]any{"write_date", ">=", r.lower}}
	}
	recs, err := r.read(andDomains(r.domain, extra), "write_date asc, id asc")
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		r.finished = true
		return nil
	}
	secs := make([]string, len(recs))
	for i, rec := range recs {
		if secs[i], err = second(rec["write_date"]); err != nil {
			id, _ := toID(rec["id"])
			return fmt.Errorf("%s record %d: write_date: %v", r.model, id, err)
		}
	}
	last := secs[len(secs)-1]
	tail := len(recs) < r.size
	if !tail && secs[0] == last {
		r.bucket, r.afterID = last, 0
		return r.fetchSecond()
	}
	cut := len(recs) // recs[cut:] are the last second's
	for cut > 0 && secs[cut-1] == last {
		cut--
	}
	for i, rec := range recs[:cut] {
		pos := Cursor{WriteDate: secs[i]}
		if secs[i+1] != secs[i] { // the end of a complete second
			if pos.WriteDate, err = nextSecond(secs[i]); err != nil {
				return err
			}
		}
		r.push(rec, pos)
	}
	if !tail {
		r.lower = last
		return nil
	}
	rest := recs[cut:]
	ids := make([]int, len(rest))
	for i, rec := range rest {
		ids[i], _ = toID(rec["id"])
	}
	sort.Sort(byID{ids, rest})
	for i, rec := range rest {
		r.push(rec, Cursor{WriteDate: last, ID: ids[i]})
	}
	r.finished = true
	return nil
}

// fetchSecond reads the changes of one second (r.bucket) in id order,
// after r.afterID; when the second is exhausted, the scan continues from
// the next.
func (r *Reader) fetchSecond() error {
	next, err := nextSecond(r.bucket)
	if err != nil {
		return err
	}
	recs, err := r.read(andDomains(r.domain, []any{"&", "&",
		[]any{"write_date", ">=", r.bucket}, []any{"write_date", "<", next}, []any{"id", ">", r.afterID}}), "id asc")
	if err != nil {
		return err
	}
	for _, rec := range recs {
		id, _ := toID(rec["id"])
		r.afterID = id
		r.push(rec, Cursor{WriteDate: r.bucket, ID: id})
	}
	if len(recs) < r.size {
		r.bucket, r.afterID, r.lower = "", 0, next
	}
	return nil
}

// byID sorts records by their ids.
type byID struct {
	ids  []int
	recs []map[string]any
}

func (b byID) Len() int           { return len(b.ids) }
func (b byID) Less(i, j int) bool { return b.ids[i] < b.ids[j] }
func (b byID) Swap(i, j int) {
	b.ids[i], b.ids[j] = b.ids[j], b.ids[i]
	b.recs[i], b.recs[j] = b.recs[j], b.recs[i]
}

func (r *Reader) push(rec map[string]any, pos Cursor) {
	id := messageID(r.model, rec)
	normalizeRecord(rec, r.types)
	if r.strip {
		delete(rec, "write_date")
	}
	r.page = append(r.page, delivery{rec: rec, id: id, pos: pos})
}

// messageID is a record's identity as delivered: model, id and write_date
// as Odoo sent it ("sale.order:42:2026-03-02 09:00:00"). A record changed
// since is a new message; the same version read again is the same one.
func messageID(model string, rec map[string]any) string {
	id, _ := toID(rec["id"])
	wd, _ := rec["write_date"].(string)
	return model + ":" + strconv.Itoa(id) + ":" + wd
}

// read calls search_read for one page, retrying retryable failures.
func (r *Reader) read(domain []any, order string) ([]map[string]any, error) {
	kwargs := map[string]any{"limit": r.size, "order": order}
	if r.fields != nil {
		kwargs["fields"] = r.fields
	}
	call := &rpc{model: r.model, method: "search_read", args: []any{domain}, names: []string{"domain"}, kwargs: kwargs}
	if domain == nil {
		call.args[0] = []any{}
	}
	var res any
	err := r.rt.do(r.ctx, func() error {
		var err error
		res, err = r.c.execute(r.ctx, call)
		return err
	})
	if err != nil {
		return nil, err
	}
	list, ok := res.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a list of records, got %s", call.what(), describe(res))
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		rec, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: expected records, got %s", call.what(), describe(x))
		}
		out[i] = rec
	}
	return out, nil
}

// second is the write_date's second, "YYYY-MM-DD HH:MM:SS".
func second(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("expected a datetime, got %s", describe(v))
	}
	if len(s) > len(datetimeLayout) {
		s = s[:len(datetimeLayout)]
	}
	if _, err := time.Parse(datetimeLayout, s); err != nil {
		return "", fmt.Errorf("%q is not Odoo's YYYY-MM-DD HH:MM:SS", s)
	}
	return s, nil
}

func nextSecond(s string) (string, error) {
	t, err := time.Parse(datetimeLayout, s)
	if err != nil {
		return "", fmt.Errorf("write_date %q is not Odoo's YYYY-MM-DD HH:MM:SS", s)
	}
	return t.Add(time.Second).Format(datetimeLayout), nil
}

// ackTracker moves the cursor over acknowledged messages: the position is
// that of the newest message such that it and every message before it were
// acknowledged. A nacked message is simply not acknowledged: it holds the
// cursor (the source must keep it) until it is.
type ackTracker struct {
	mu     sync.Mutex
	next   int            // the oldest message not yet passed
	pos    map[int]Cursor // positions of delivered messages not yet passed
	acked  map[int]bool
	cur    Cursor
	has    bool
	frozen bool // dry run: nothing moves
}

func (t *ackTracker) add(seq int, pos Cursor) {
	t.mu.Lock()
	t.pos[seq] = pos
	t.mu.Unlock()
}

func (t *ackTracker) ack(seq int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.frozen || seq < t.next {
		return
	}
	t.acked[seq] = true
	for t.acked[t.next] {
		t.cur, t.has = t.pos[t.next], true
		delete(t.acked, t.next)
		delete(t.pos, t.next)
		t.next++
	}
}

func (t *ackTracker) position() (Cursor, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur, t.has
}

type receipt struct {
	t   *ackTracker
	seq int
}

func (r *receipt) Ack(context.Context) error { r.t.ack(r.seq); return nil }

// Nack leaves the message unacknowledged: the cursor stays before it.
func (r *receipt) Nack(context.Context, error) error { return nil }

var _ engine.RecordReader = (*Reader)(nil)
