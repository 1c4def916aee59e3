package odootest

import (
	"sort"
	"time"
)

// field is one field of a model. Stored values live in rec.v under the
// field name; a missing key is SQL NULL. Internal representations:
// char/text/selection/date/datetime string, integer/many2one/
// many2one_reference int, float/monetary float64, boolean bool,
// many2many []int. one2many values are derived from the inverse many2one's
// index; computed fields have compute set and are never stored.
type field struct {
	name      string
	typ       string
	label     string
	relation  string // comodel of relational fields
	inverse   string // one2many: the many2one on relation pointing back
	required  bool
	readonly  bool
	selection [][2]string
	cascade   bool // many2one: ON DELETE CASCADE (else SET NULL, or RESTRICT when required)
	compute   func(e *env, r *rec) any
	def       func(e *env) any
}

func (f *field) relational() bool {
	return f.typ == "many2one" || f.typ == "one2many" || f.typ == "many2many"
}

func (f *field) x2many() bool { return f.typ == "one2many" || f.typ == "many2many" }

func (f *field) stored() bool { return f.compute == nil && f.typ != "one2many" && f.name != "id" }

// model is one Odoo model with its records.
type model struct {
	name, label string
	class       string // Python class name, for TypeError messages
	fields      []*field
	byName      map[string]*field
	order       string // default _order
	parent      string // _parent_name for child_of / parent_of
	methods     map[string]*methodSpec

	// displayName computes display_name; nil uses the name field.
	displayName func(e *env, r *rec) string
	// beforeCreate completes a new record's values (sequences, defaults
	// taken from other records) before required fields are checked.
	beforeCreate func(e *env, r *rec) error
	// check runs after create and write (constraints).
	check func(e *env, r *rec) error
	// beforeUnlink refuses to delete records in some states.
	beforeUnlink func(e *env, r *rec) error

	recs   map[int]*rec
	ids    []int // ascending
	nextID int
	// rev indexes every many2one: field -> target id -> ids (ascending).
	rev map[string]map[int][]int
	// keys are extra indexes on computed keys (ir.model.data).
	keys []*keyIndex
	// sorted caches every record's id in a given order, valid while the
	// server's version is unchanged (pages of one poll share one sort).
	sorted map[string]sortedIDs
}

type sortedIDs struct {
	version uint64
	ids     []int
}

// keyIndex maps key(r) to the ids of the records with that key; fields
// lists the fields the key is made of.
type keyIndex struct {
	fields []string
	key    func(r *rec) string
	idx    map[string][]int
}

func (m *model) addKeys(r *rec) {
	for _, k := range m.keys {
		key := k.key(r)
		k.idx[key] = insertSorted(k.idx[key], r.id)
	}
}

func (m *model) dropKeys(r *rec) {
	for _, k := range m.keys {
		key := k.key(r)
		if ids := removeSorted(k.idx[key], r.id); len(ids) > 0 {
			k.idx[key] = ids
		} else {
			delete(k.idx, key)
		}
	}
}

type rec struct {
	id int
	v  map[string]any
}

func (m *model) field(name string) *field { return m.byName[name] }

func (m *model) get(id int) *rec { return m.recs[id] }

// env is one call's execution context: the user, the call's Odoo context,
// and the undo log that rolls the call back when it fails (each call is its
// own transaction, as in Odoo).
type env struct {
	s    *Server
	uid  int
	ctx  map[string]any
	now  time.Time
	undo []func()
}

func (e *env) model(name string) *model { return e.s.models[name] }

func (e *env) nowString() string { return e.now.UTC().Format(dtLayout) }

func (e *env) today() string { return e.now.UTC().Format(dLayout) }

const (
	dtLayout = "2006-01-02 15:04:05"
	dLayout  = "2006-01-02"
)

func (e *env) rollback() {
	for i := len(e.undo) - 1; i >= 0; i-- {
		e.undo[i]()
	}
	e.undo = nil
	e.s.version++
}

func insertSorted(ids []int, id int) []int {
	i := sort.SearchInts(ids, id)
	if i < len(ids) && ids[i] == id {
		return ids
	}
	ids = append(ids, 0)
	copy(ids[i+1:], ids[i:])
	ids[i] = id
	return ids
}

func removeSorted(ids []int, id int) []int {
	i := sort.SearchInts(ids, id)
	if i < len(ids) && ids[i] == id {
		return append(ids[:i], ids[i+1:]...)
	}
	return ids
}

func (m *model) index(fname string, target, id int) {
	idx := m.rev[fname]
	if idx == nil {
		idx = map[int][]int{}
		m.rev[fname] = idx
	}
	idx[target] = insertSorted(idx[target], id)
}

func (m *model) unindex(fname string, target, id int) {
	if idx := m.rev[fname]; idx != nil {
		ids := removeSorted(idx[target], id)
		if len(ids) == 0 {
			delete(idx, target)
		} else {
			idx[target] = ids
		}
	}
}

// referrers returns the ids of m's records whose many2one fname is target.
func (m *model) referrers(fname string, target int) []int {
	return append([]int(nil), m.rev[fname][target]...)
}

// insert adds a record (undone on rollback).
func (e *env) insert(m *model, r *rec) {
	e.s.version++
	m.recs[r.id] = r
	m.ids = insertSorted(m.ids, r.id)
	m.addKeys(r)
	for _, f := range m.fields {
		if f.typ == "many2one" {
			if t, ok := r.v[f.name].(int); ok {
				m.index(f.name, t, r.id)
			}
		}
	}
	e.undo = append(e.undo, func() { m.drop(r) })
}

// drop removes a record without logging.
func (m *model) drop(r *rec) {
	delete(m.recs, r.id)
	m.ids = removeSorted(m.ids, r.id)
	m.dropKeys(r)
	for _, f := range m.fields {
		if f.typ == "many2one" {
			if t, ok := r.v[f.name].(int); ok {
				m.unindex(f.name, t, r.id)
			}
		}
	}
}

// remove deletes a record (undone on rollback).
func (e *env) remove(m *model, r *rec) {
	e.s.version++
	m.drop(r)
	e.undo = append(e.undo, func() {
		m.recs[r.id] = r
		m.ids = insertSorted(m.ids, r.id)
		m.addKeys(r)
		for _, f := range m.fields {
			if f.typ == "many2one" {
				if t, ok := r.v[f.name].(int); ok {
					m.index(f.name, t, r.id)
				}
			}
		}
	})
}

// set stores one value (nil = NULL), keeping the many2one index (undone on
// rollback). r must be in m.
func (e *env) set(m *model, r *rec, fname string, v any) {
	e.s.version++
	old, had := r.v[fname]
	f := m.byName[fname]
	keyed := m.keyed(fname)
	if keyed {
		m.dropKeys(r)
		defer m.addKeys(r)
	}
	if f != nil && f.typ == "many2one" {
		if t, ok := old.(int); ok {
			m.unindex(fname, t, r.id)
		}
		if t, ok := v.(int); ok {
			m.index(fname, t, r.id)
		}
	}
	if v == nil {
		delete(r.v, fname)
	} else {
		r.v[fname] = v
	}
	e.undo = append(e.undo, func() {
		if keyed {
			m.dropKeys(r)
			defer m.addKeys(r)
		}
		if f != nil && f.typ == "many2one" {
			if t, ok := v.(int); ok {
				m.unindex(fname, t, r.id)
			}
			if t, ok := old.(int); ok {
				m.index(fname, t, r.id)
			}
		}
		if had {
			r.v[fname] = old
		} else {
			delete(r.v, fname)
		}
	})
}

func (m *model) keyed(fname string) bool {
	for _, k := range m.keys {
		if containsString(k.fields, fname) {
			return true
		}
	}
	return false
}

// value returns a field's internal value: stored, computed or derived.
func (e *env) value(m *model, r *rec, f *field) any {
	switch {
	case f.name == "id":
		return r.id
	case f.compute != nil:
		return f.compute(e, r)
	case f.typ == "one2many":
		return e.model(f.relation).referrers(f.inverse, r.id)
	}
	return r.v[f.name]
}

func (e *env) val(m *model, r *rec, fname string) any { return e.value(m, r, m.byName[fname]) }

func (e *env) str(m *model, r *rec, fname string) string {
	s, _ := e.val(m, r, fname).(string)
	return s
}

func (e *env) num(m *model, r *rec, fname string) float64 {
	switch x := e.val(m, r, fname).(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return 0
}

func (e *env) ref(m *model, r *rec, fname string) int {
	i, _ := e.val(m, r, fname).(int)
	return i
}

func (e *env) boolean(m *model, r *rec, fname string) bool {
	b, _ := e.val(m, r, fname).(bool)
	return b
}

func (e *env) ids(m *model, r *rec, fname string) []int {
	ids, _ := e.val(m, r, fname).([]int)
	return ids
}

// displayName is the record's display_name.
func (e *env) displayName(m *model, r *rec) string {
	if m.displayName != nil {
		return m.displayName(e, r)
	}
	if f := m.byName["name"]; f != nil {
		if s, ok := e.value(m, r, f).(string); ok {
			return s
		}
	}
	return m.name + "," + itoa(r.id)
}

func (e *env) displayNameOf(model string, id int) string {
	m := e.model(model)
	if r := m.get(id); r != nil {
		return e.displayName(m, r)
	}
	return ""
}
