package odootest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// searchRecs evaluates a domain and returns the records in order, after
// offset and limit (limit < 0: no limit).
func (e *env) searchRecs(m *model, domain any, offset, limit int, order string) ([]*rec, error) {
	match, err := e.compileSearch(m, domain)
	if err != nil {
		return nil, err
	}
	keys, err := m.parseOrder(order)
	if err != nil {
		return nil, err
	}
	order_ := e.orderedIDs(m, keys)
	want := -1 // records to collect, -1 for all
	if limit >= 0 {
		want = offset + limit
	}
	var recs []*rec
	for _, id := range order_ {
		if want >= 0 && len(recs) >= want {
			break
		}
		if r := m.recs[id]; match(r) {
			recs = append(recs, r)
		}
	}
	if offset > 0 {
		if offset >= len(recs) {
			recs = nil
		} else {
			recs = recs[offset:]
		}
	}
	return recs, nil
}

// orderedIDs returns every record id of m in the given order, from the
// cache when no record changed since it was sorted.
func (e *env) orderedIDs(m *model, keys []orderKey) []int {
	if len(keys) == 1 && keys[0].f.name == "id" {
		if !keys[0].desc {
			return m.ids
		}
		out := make([]int, len(m.ids))
		for i, id := range m.ids {
			out[len(out)-1-i] = id
		}
		return out
	}
	var sig strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sig, "%s %v %v,", k.f.name, k.desc, k.nullsFirst)
	}
	if c, ok := m.sorted[sig.String()]; ok && c.version == e.s.version {
		return c.ids
	}
	recs := make([]*rec, len(m.ids))
	for i, id := range m.ids {
		recs[i] = m.recs[id]
	}
	e.sortRecs(m, recs, keys)
	ids := make([]int, len(recs))
	for i, r := range recs {
		ids[i] = r.id
	}
	if m.sorted == nil || len(m.sorted) > 32 {
		m.sorted = map[string]sortedIDs{}
	}
	m.sorted[sig.String()] = sortedIDs{version: e.s.version, ids: ids}
	return ids
}

// compileSearch compiles a search domain, adding active = True when the
// model has an active field, the domain does not mention it and the context
// does not set active_test to false.
func (e *env) compileSearch(m *model, domain any) (func(*rec) bool, error) {
	match, err := e.compileDomain(m, domain)
	if err != nil {
		return nil, err
	}
	if m.byName["active"] == nil || mentionsActive(domain) {
		return match, nil
	}
	if at, ok := e.ctx["active_test"]; ok && !truthy(at) {
		return match, nil
	}
	return func(r *rec) bool {
		return r.v["active"] == true && match(r)
	}, nil
}

func mentionsActive(domain any) bool {
	list, _ := domain.([]any)
	for _, el := range list {
		if leaf, ok := el.([]any); ok && len(leaf) > 0 {
			if leaf[0] == "active" {
				return true
			}
		}
	}
	return false
}

type orderKey struct {
	f          *field
	desc       bool
	nullsFirst bool
}

func (m *model) parseOrder(order string) ([]orderKey, error) {
	if strings.TrimSpace(order) == "" {
		order = m.order
	}
	invalid := valueErr("Invalid \"order\" specified (%s). A valid \"order\" specification is a "+
		"comma-separated list of valid field names (optionally followed by asc/desc for the direction)", order)
	var keys []orderKey
	for _, part := range strings.Split(order, ",") {
		words := strings.Fields(strings.ToLower(part))
		if len(words) == 0 {
			return nil, invalid
		}
		f := m.byName[strings.Fields(part)[0]]
		if f == nil || f.x2many() {
			return nil, invalid
		}
		k := orderKey{f: f}
		rest := words[1:]
		if len(rest) > 0 && (rest[0] == "asc" || rest[0] == "desc") {
			k.desc = rest[0] == "desc"
			rest = rest[1:]
		}
		k.nullsFirst = k.desc // PostgreSQL: NULLS LAST ascending, FIRST descending
		switch {
		case len(rest) == 0:
		case len(rest) == 2 && rest[0] == "nulls" && (rest[1] == "first" || rest[1] == "last"):
			k.nullsFirst = rest[1] == "first"
		default:
			return nil, invalid
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// sortKey is one record's value for an order key: nil is NULL.
func (e *env) sortKey(m *model, r *rec, f *field) any {
	v := e.value(m, r, f)
	switch f.typ {
	case "many2one":
		if id, ok := v.(int); ok {
			return e.displayNameOf(f.relation, id)
		}
		return nil
	case "boolean":
		if v == nil {
			return nil
		}
		if v.(bool) {
			return 1.0
		}
		return 0.0
	case "integer", "many2one_reference":
		if v == nil {
			return nil
		}
		return float64(v.(int))
	}
	return v
}

func compareKeys(a, b any) int {
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	}
	return 0
}

func (e *env) sortRecs(m *model, recs []*rec, keys []orderKey) {
	if len(recs) < 2 {
		return
	}
	// Fast path: id order.
	if len(keys) == 1 && keys[0].f.name == "id" {
		if keys[0].desc {
			sort.Slice(recs, func(i, j int) bool { return recs[i].id > recs[j].id })
		} else {
			sort.Slice(recs, func(i, j int) bool { return recs[i].id < recs[j].id })
		}
		return
	}
	flat := make([]any, len(recs)*len(keys))
	vals := make([][]any, len(recs))
	for i, r := range recs {
		vals[i] = flat[i*len(keys) : (i+1)*len(keys)]
		for j, k := range keys {
			vals[i][j] = e.sortKey(m, r, k.f)
		}
	}
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		va, vb := vals[idx[a]], vals[idx[b]]
		for j, k := range keys {
			x, y := va[j], vb[j]
			if x == nil || y == nil {
				if x == nil && y == nil {
					continue
				}
				return (x == nil) == k.nullsFirst
			}
			c := compareKeys(x, y)
			if c == 0 {
				continue
			}
			if k.desc {
				return c > 0
			}
			return c < 0
		}
		return recs[idx[a]].id < recs[idx[b]].id
	})
	sorted := make([]*rec, len(recs))
	for i, j := range idx {
		sorted[i] = recs[j]
	}
	copy(recs, sorted)
}

// fieldsGet describes fields like Odoo's fields_get: field name -> sorted
// attributes.
func (e *env) fieldsGet(m *model, names []string, attrs []string) (object, error) {
	want := map[string]bool{}
	for _, a := range attrs {
		want[a] = true
	}
	out := object{}
	for _, f := range m.fields {
		if len(names) > 0 && !containsString(names, f.name) {
			continue
		}
		d := object{}
		addAttr := func(k string, v any) {
			if len(want) == 0 || want[k] {
				d = append(d, member{k, v})
			}
		}
		// Alphabetical, as Odoo's description attributes.
		if f.typ == "many2one" || f.typ == "one2many" || f.typ == "many2many" {
			addAttr("relation", f.relation)
		}
		if f.typ == "one2many" {
			addAttr("relation_field", f.inverse)
		}
		addAttr("readonly", f.readonly)
		addAttr("required", f.required)
		if f.typ == "selection" {
			sel := make([]any, len(f.selection))
			for i, s := range f.selection {
				sel[i] = []any{s[0], s[1]}
			}
			addAttr("selection", sel)
		}
		addAttr("sortable", f.compute == nil && !f.x2many())
		addAttr("store", f.compute == nil && f.typ != "one2many")
		addAttr("string", f.label)
		addAttr("type", f.typ)
		out = append(out, member{f.name, d})
	}
	return out, nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// nameSearch matches display names (and product codes) with operator.
func (e *env) nameSearch(m *model, name string, domain any, operator string, limit int) ([]any, error) {
	var dom []any
	if d, ok := domain.([]any); ok {
		dom = append(dom, d...)
	}
	if name != "" || (operator != "ilike" && operator != "like" && operator != "=ilike" && operator != "=like") {
		if m.name == "product.product" {
			dom = append([]any{"&", "|", []any{"default_code", operator, name}, []any{"name", operator, name}}, wrapAnd(dom)...)
		} else {
			dom = append([]any{"&", []any{"display_name", operator, name}}, wrapAnd(dom)...)
		}
	}
	recs, err := e.searchRecs(m, dom, 0, limit, "")
	if err != nil {
		return nil, err
	}
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = []any{r.id, e.displayName(m, r)}
	}
	return out, nil
}

// wrapAnd makes a domain usable as one operand: implicit ANDs made explicit,
// or the TRUE leaf when empty.
func wrapAnd(dom []any) []any {
	if len(dom) == 0 {
		return []any{[]any{json.Number("1"), "=", json.Number("1")}}
	}
	var ops []any
	for i := countExprs(dom); i > 1; i-- {
		ops = append(ops, "&")
	}
	return append(ops, dom...)
}

func countExprs(dom []any) int {
	need, count := 0, 0
	for _, el := range dom {
		switch el {
		case "&", "|":
			need += 1
			continue
		case "!":
			continue
		}
		if need > 0 {
			need--
		} else {
			count++
		}
	}
	return count
}
