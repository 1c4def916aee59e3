package odootest

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// sortedKeys returns a map's keys in order, so errors are deterministic.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func invalidField(m *model, name string) *Error {
	return valueErr("Invalid field %s on model %s", pyRepr(name), pyRepr(m.name))
}

// convert turns a client value into a field's internal value
// (Odoo's convert_to_cache). nil means NULL.
func (e *env) convert(m *model, f *field, v any) (any, error) {
	wrong := func() error {
		return valueErr("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(v))
	}
	switch f.typ {
	case "boolean":
		return truthy(v), nil
	case "integer", "many2one_reference":
		if isFalse(v) {
			return 0, nil
		}
		if i, ok := toInt(v); ok {
			return i, nil
		}
		if fl, ok := toFloat(v); ok {
			return int(fl), nil
		}
		return nil, wrong()
	case "float", "monetary":
		if isFalse(v) {
			return 0.0, nil
		}
		if fl, ok := toFloat(v); ok {
			return fl, nil
		}
		return nil, wrong()
	}
	if isFalse(v) {
		return nil, nil
	}
	switch f.typ {
	case "char", "text":
		switch x := v.(type) {
		case string:
			if x == "" {
				return nil, nil // empty char fields read back as false
			}
			return x, nil
		case json.Number:
			return string(x), nil
		case bool:
			return "True", nil
		}
		return nil, wrong()
	case "selection":
		s, ok := v.(string)
		if ok {
			for _, opt := range f.selection {
				if opt[0] == s {
					return s, nil
				}
			}
		}
		return nil, wrong()
	case "date":
		s, ok := v.(string)
		if !ok || len(s) < 10 {
			return nil, wrong()
		}
		if _, err := time.Parse(dLayout, s[:10]); err != nil {
			return nil, valueErr("time data %s does not match format '%%Y-%%m-%%d'", pyRepr(s))
		}
		return s[:10], nil
	case "datetime":
		s, ok := v.(string)
		if !ok {
			return nil, wrong()
		}
		if len(s) == 10 {
			if _, err := time.Parse(dLayout, s); err == nil {
				return s + " 00:00:00", nil
			}
		}
		if len(s) > 19 && s[19] == '.' {
			s = s[:19] // microseconds are dropped
		}
		if _, err := time.Parse(dtLayout, s); err != nil {
			return nil, valueErr("time data %s does not match format '%%Y-%%m-%%d %%H:%%M:%%S'", pyRepr(s))
		}
		return s, nil
	case "many2one":
		if id, ok := toInt(v); ok {
			return id, nil
		}
		return nil, wrong()
	}
	return nil, wrong()
}

func notNullErr(m *model, f *field) *Error {
	return validationErr("The operation cannot be completed:\n"+
		"- Create/update: a mandatory field is not set.\n"+
		"- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n"+
		"Model: %s (%s)\nField: %s (%s)\n", m.label, m.name, f.label, f.name)
}

func fkErr(m *model, f *field) *Error {
	return validationErr("The operation cannot be completed: another model requires the record being deleted. "+
		"If possible, archive it instead.\n\nModel: %s (%s)\nConstraint: %s_%s_fkey\n",
		m.label, m.name, strings.ReplaceAll(m.name, ".", "_"), f.name)
}

// checkRecord verifies NOT NULL and foreign keys of the stored fields.
func (e *env) checkRecord(m *model, r *rec) error {
	for _, f := range m.fields {
		if !f.stored() {
			continue
		}
		v, ok := r.v[f.name]
		if f.required && !ok {
			return notNullErr(m, f)
		}
		if f.typ == "many2one" && ok {
			if e.model(f.relation).get(v.(int)) == nil {
				return fkErr(m, f)
			}
		}
	}
	return nil
}

// createOne creates one record from client values and returns its id.
func (e *env) createOne(m *model, vals map[string]any) (int, error) {
	if vals == nil {
		vals = map[string]any{}
	}
	keys := sortedKeys(vals)
	for _, k := range keys {
		if m.byName[k] == nil {
			return 0, invalidField(m, k)
		}
	}
	// Ids come from a PostgreSQL sequence: not given back on rollback.
	id := m.nextID
	m.nextID++
	r := &rec{id: id, v: map[string]any{}}
	var x2m []*field
	for _, f := range m.fields {
		v, given := vals[f.name]
		if !given {
			if d, ok := e.ctx["default_"+f.name]; ok && f.compute == nil && f.name != "id" {
				v, given = d, true
			}
		}
		if !given || !f.stored() && f.typ != "one2many" {
			if !given && f.def != nil && f.stored() {
				r.v[f.name] = f.def(e)
			}
			continue
		}
		if f.x2many() {
			x2m = append(x2m, f)
			continue
		}
		cv, err := e.convert(m, f, v)
		if err != nil {
			return 0, err
		}
		if cv != nil {
			r.v[f.name] = cv
		}
	}
	if m.beforeCreate != nil {
		if err := m.beforeCreate(e, r); err != nil {
			return 0, err
		}
	}
	if err := e.checkRecord(m, r); err != nil {
		return 0, err
	}
	now := e.nowString()
	r.v["create_date"] = now
	r.v["write_date"] = now
	e.insert(m, r)
	for _, f := range x2m {
		v, ok := vals[f.name]
		if !ok {
			v = e.ctx["default_"+f.name]
		}
		if err := e.applyX2many(m, r, f, v); err != nil {
			return 0, err
		}
	}
	if m.check != nil {
		if err := m.check(e, r); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// missing returns the ids that are not records of m.
func (m *model) missing(ids []int) []int {
	var out []int
	for _, id := range ids {
		if m.get(id) == nil {
			out = append(out, id)
		}
	}
	return out
}

func (e *env) write(m *model, ids []int, vals map[string]any) error {
	keys := sortedKeys(vals)
	for _, k := range keys {
		if m.byName[k] == nil {
			return invalidField(m, k)
		}
	}
	if miss := m.missing(ids); len(miss) > 0 {
		return missingErr(m.name, miss, e.uid)
	}
	for _, id := range ids {
		r := m.get(id)
		if r == nil {
			continue // deleted by an earlier record's cascade
		}
		for _, k := range keys {
			f := m.byName[k]
			if f.compute != nil || f.name == "id" || f.name == "create_date" || f.name == "write_date" {
				continue // computed fields without inverse are ignored
			}
			if f.x2many() {
				if err := e.applyX2many(m, r, f, vals[k]); err != nil {
					return err
				}
				continue
			}
			cv, err := e.convert(m, f, vals[k])
			if err != nil {
				return err
			}
			if cv == nil && f.required {
				return notNullErr(m, f)
			}
			if f.typ == "many2one" && cv != nil && e.model(f.relation).get(cv.(int)) == nil {
				return fkErr(m, f)
			}
			e.set(m, r, k, cv)
		}
		e.set(m, r, "write_date", e.nowString())
		if m.check != nil {
			if err := m.check(e, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyX2many applies x2many commands (or a plain id list) to r.f.
func (e *env) applyX2many(m *model, r *rec, f *field, v any) error {
	cm := e.model(f.relation)
	bad := func(c any) error {
		return valueErr("Wrong value for %s.%s: %s", m.name, f.name, pyRepr(c))
	}
	if isFalse(v) {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return bad(v)
	}
	// A list of ids replaces the content, like [6, 0, ids].
	if len(list) > 0 {
		if _, isID := toInt(list[0]); isID {
			list = []any{[]any{json.Number("6"), json.Number("0"), list}}
		}
	}
	current := func() []int { return e.ids(m, r, f.name) }
	setM2M := func(ids []int) { e.set(m, r, f.name, dedup(ids)) }
	// detach removes child from an one2many: deleted when the inverse is
	// required or cascading, else its inverse is cleared.
	detach := func(child int) error {
		cr := cm.get(child)
		if cr == nil || e.ref(cm, cr, f.inverse) != r.id {
			return nil
		}
		inv := cm.byName[f.inverse]
		if inv.required || inv.cascade {
			return e.unlink(cm, []int{child})
		}
		e.set(cm, cr, f.inverse, nil)
		return nil
	}
	attach := func(child int) error {
		cr := cm.get(child)
		if cr == nil {
			return missingErr(cm.name, []int{child}, e.uid)
		}
		e.set(cm, cr, f.inverse, r.id)
		return nil
	}
	for _, c := range list {
		cmd, ok := c.([]any)
		if !ok || len(cmd) == 0 {
			return bad(c)
		}
		code, ok := toInt(cmd[0])
		if !ok {
			return bad(c)
		}
		arg := func(i int) any {
			if i < len(cmd) {
				return cmd[i]
			}
			return nil
		}
		id, _ := toInt(arg(1))
		switch code {
		case 0: // create
			vals, _ := arg(2).(map[string]any)
			child := map[string]any{}
			for k, v := range vals {
				child[k] = v
			}
			if f.typ == "one2many" {
				child[f.inverse] = json.Number(itoa(r.id))
			}
			nid, err := e.createOne(cm, child)
			if err != nil {
				return err
			}
			if f.typ == "many2many" {
				setM2M(append(current(), nid))
			}
		case 1: // update
			vals, _ := arg(2).(map[string]any)
			if err := e.write(cm, []int{id}, vals); err != nil {
				return err
			}
		case 2: // delete
			if err := e.unlink(cm, []int{id}); err != nil {
				return err
			}
		case 3: // unlink
			if f.typ == "one2many" {
				if err := detach(id); err != nil {
					return err
				}
			} else {
				setM2M(without(current(), id))
			}
		case 4: // link
			if f.typ == "one2many" {
				if err := attach(id); err != nil {
					return err
				}
			} else {
				if cm.get(id) == nil {
					return fkErr(m, f)
				}
				setM2M(append(current(), id))
			}
		case 5: // clear
			if f.typ == "one2many" {
				for _, child := range current() {
					if err := detach(child); err != nil {
						return err
					}
				}
			} else {
				setM2M(nil)
			}
		case 6: // set
			ids, ok := toIDs(arg(2))
			if !ok {
				return bad(c)
			}
			if f.typ == "one2many" {
				keep := map[int]bool{}
				for _, id := range ids {
					keep[id] = true
				}
				for _, child := range current() {
					if !keep[child] {
						if err := detach(child); err != nil {
							return err
						}
					}
				}
				for _, id := range ids {
					if err := attach(id); err != nil {
						return err
					}
				}
			} else {
				for _, id := range ids {
					if cm.get(id) == nil {
						return fkErr(m, f)
					}
				}
				setM2M(ids)
			}
		default:
			return bad(c)
		}
	}
	return nil
}

func dedup(ids []int) []int {
	if len(ids) == 0 {
		return nil
	}
	seen := map[int]bool{}
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func without(ids []int, id int) []int {
	out := make([]int, 0, len(ids))
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// unlink deletes records; deleting an id that no longer exists is not an
// error (as in Odoo).
func (e *env) unlink(m *model, ids []int) error {
	for _, id := range ids {
		if r := m.get(id); r != nil && m.beforeUnlink != nil {
			if err := m.beforeUnlink(e, r); err != nil {
				return err
			}
		}
	}
	for _, id := range ids {
		if err := e.unlinkRec(m, id); err != nil {
			return err
		}
	}
	return nil
}

// unlinkRec deletes one record and applies ON DELETE rules to what refers
// to it: cascade, RESTRICT for required many2ones, SET NULL otherwise; its
// external ids are removed too.
func (e *env) unlinkRec(m *model, id int) error {
	r := m.get(id)
	if r == nil {
		return nil
	}
	e.remove(m, r)
	for _, mm := range e.s.modelList {
		for _, f := range mm.fields {
			switch {
			case f.typ == "many2one" && f.relation == m.name:
				for _, child := range mm.referrers(f.name, id) {
					cr := mm.get(child)
					if cr == nil {
						continue
					}
					switch {
					case f.cascade:
						if err := e.unlinkRec(mm, child); err != nil {
							return err
						}
					case f.required:
						return fkErr(mm, f)
					default:
						e.set(mm, cr, f.name, nil)
					}
				}
			case f.typ == "many2many" && f.relation == m.name:
				for _, oid := range mm.ids {
					or := mm.recs[oid]
					if ids, ok := or.v[f.name].([]int); ok && containsInt(ids, id) {
						e.set(mm, or, f.name, nilIfEmpty(without(ids, id)))
					}
				}
			}
		}
	}
	imd := e.model("ir.model.data")
	for _, xid := range append([]int(nil), imd.keys[1].idx[m.name+","+itoa(id)]...) {
		e.remove(imd, imd.recs[xid])
	}
	return nil
}

func nilIfEmpty(ids []int) any {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

func containsInt(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// readValue converts an internal value to what read returns.
func (e *env) readValue(f *field, v any, classic bool) any {
	switch f.typ {
	case "integer", "many2one_reference":
		if v == nil {
			return 0
		}
		return v
	case "float", "monetary":
		switch x := v.(type) {
		case float64:
			return pyFloat(x)
		case int:
			return pyFloat(float64(x))
		}
		return pyFloat(0)
	case "boolean":
		b, _ := v.(bool)
		return b
	case "many2one":
		id, ok := v.(int)
		if !ok {
			return false
		}
		if !classic {
			return id
		}
		return []any{id, e.displayNameOf(f.relation, id)}
	case "one2many", "many2many":
		ids, _ := v.([]int)
		return idList(ids)
	}
	if v == nil {
		return false
	}
	return v
}

// resolveFields validates a read's field list; empty means all fields.
func (m *model) resolveFields(names []string) ([]*field, error) {
	if len(names) == 0 {
		return m.fields, nil
	}
	out := []*field{m.byName["id"]}
	seen := map[string]bool{"id": true}
	for _, n := range names {
		f := m.byName[n]
		if f == nil {
			return nil, invalidField(m, n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, f)
		}
	}
	return out, nil
}

func (e *env) readRecords(m *model, recs []*rec, fields []*field, classic bool) []any {
	out := make([]any, 0, len(recs))
	for _, r := range recs {
		o := make(object, len(fields))
		for i, f := range fields {
			o[i] = member{f.name, e.readValue(f, e.value(m, r, f), classic)}
		}
		out = append(out, o)
	}
	return out
}

// read returns the existing records among ids (missing ones are skipped).
func (e *env) read(m *model, ids []int, names []string, classic bool) ([]any, error) {
	fields, err := m.resolveFields(names)
	if err != nil {
		return nil, err
	}
	recs := make([]*rec, 0, len(ids))
	for _, id := range ids {
		if r := m.get(id); r != nil {
			recs = append(recs, r)
		}
	}
	return e.readRecords(m, recs, fields, classic), nil
}
