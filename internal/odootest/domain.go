package odootest

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// termOperators are the leaf operators Odoo accepts.
var termOperators = map[string]bool{
	"=": true, "!=": true, "<=": true, "<": true, ">": true, ">=": true, "=?": true,
	"=like": true, "=ilike": true, "like": true, "not like": true, "ilike": true,
	"not ilike": true, "in": true, "not in": true, "child_of": true, "parent_of": true,
}

// positiveOf maps a negative operator to the operator it negates.
var positiveOf = map[string]string{"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}

type matcher func(*rec) bool

func always(*rec) bool { return true }
func never(*rec) bool  { return false }

// compileDomain compiles a domain (a list of [field, operator, value]
// leaves and the prefix operators "&", "|", "!", with implicit AND).
func (e *env) compileDomain(m *model, domain any) (matcher, error) {
	if isFalse(domain) {
		return always, nil
	}
	list, ok := domain.([]any)
	if !ok {
		return nil, valueErr("Invalid domain: %s", pyRepr(domain))
	}
	p := &domParser{e: e, m: m, list: list}
	var parts []matcher
	for p.pos < len(list) {
		mt, err := p.expr()
		if err != nil {
			return nil, err
		}
		parts = append(parts, mt)
	}
	return andAll(parts), nil
}

func andAll(parts []matcher) matcher {
	switch len(parts) {
	case 0:
		return always
	case 1:
		return parts[0]
	case 2:
		a, b := parts[0], parts[1]
		return func(r *rec) bool { return a(r) && b(r) }
	}
	return func(r *rec) bool {
		for _, p := range parts {
			if !p(r) {
				return false
			}
		}
		return true
	}
}

type domParser struct {
	e    *env
	m    *model
	list []any
	pos  int
}

func (p *domParser) expr() (matcher, error) {
	if p.pos >= len(p.list) {
		return nil, valueErr("This domain is syntactically not correct: %s", pyRepr(p.list))
	}
	el := p.list[p.pos]
	p.pos++
	switch el {
	case "&", "|":
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		b, err := p.expr()
		if err != nil {
			return nil, err
		}
		if el == "&" {
			return func(r *rec) bool { return a(r) && b(r) }, nil
		}
		return func(r *rec) bool { return a(r) || b(r) }, nil
	case "!":
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		return func(r *rec) bool { return !a(r) }, nil
	}
	leaf, ok := el.([]any)
	if !ok || len(leaf) != 3 {
		return nil, valueErr("Invalid leaf %s", pyRepr(el))
	}
	return p.e.compileLeaf(p.m, leaf)
}

func (e *env) compileLeaf(m *model, leaf []any) (matcher, error) {
	op, ok := leaf[1].(string)
	if ok {
		op = strings.ToLower(op)
	}
	if !ok || !termOperators[op] {
		return nil, valueErr("Invalid leaf %s", tupleRepr(leaf))
	}
	// TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1).
	if n, isNum := toInt(leaf[0]); isNum {
		if r, _ := toInt(leaf[2]); op == "=" && r == 1 && (n == 1 || n == 0) {
			if n == 1 {
				return always, nil
			}
			return never, nil
		}
		return nil, valueErr("Invalid leaf %s", tupleRepr(leaf))
	}
	left, ok := leaf[0].(string)
	if !ok {
		return nil, valueErr("Invalid leaf %s", tupleRepr(leaf))
	}
	return e.compilePath(m, strings.Split(left, "."), op, leaf[2], leaf)
}

func (e *env) compilePath(m *model, path []string, op string, val any, leaf []any) (matcher, error) {
	f := m.byName[path[0]]
	if f == nil || (len(path) > 1 && !f.relational()) {
		return nil, valueErr("Invalid field %s.%s in leaf %s", m.name, path[0], tupleRepr(leaf))
	}
	if len(path) > 1 {
		cm := e.model(f.relation)
		if f.typ == "many2one" {
			sub, err := e.compilePath(cm, path[1:], op, val, leaf)
			if err != nil {
				return nil, err
			}
			return func(r *rec) bool {
				id, _ := r.v[f.name].(int)
				t := cm.get(id)
				return t != nil && sub(t)
			}, nil
		}
		// x2many: "any child matches"; a negative operator means "no child
		// matches the positive one".
		pos, neg := op, false
		if p, ok := positiveOf[op]; ok {
			pos, neg = p, true
		}
		sub, err := e.compilePath(cm, path[1:], pos, val, leaf)
		if err != nil {
			return nil, err
		}
		return func(r *rec) bool {
			for _, id := range e.value(m, r, f).([]int) {
				if t := cm.get(id); t != nil && sub(t) {
					return !neg
				}
			}
			return neg
		}, nil
	}
	if op == "=?" {
		if isFalse(val) {
			return always, nil
		}
		op = "="
	}
	if op == "child_of" || op == "parent_of" {
		return e.compileHierarchy(m, f, op, val)
	}
	switch f.typ {
	case "boolean":
		return e.compileBool(m, f, op, val)
	case "many2one", "one2many", "many2many":
		return e.compileRelational(m, f, op, val)
	}
	return e.compileScalar(m, f, op, val)
}

// getter returns a field's value for a record, reading stored values
// directly.
func (e *env) getter(m *model, f *field) func(*rec) any {
	if f.name == "id" {
		return func(r *rec) any { return r.id }
	}
	if f.stored() {
		name := f.name
		return func(r *rec) any { return r.v[name] }
	}
	return func(r *rec) any { return e.value(m, r, f) }
}

func numericType(typ string) bool {
	switch typ {
	case "integer", "float", "monetary", "many2one_reference":
		return true
	}
	return false
}

// scalarKey normalizes a field value or a domain value for comparison:
// float64 for numeric fields, string otherwise; nil for NULL.
func scalarKey(f *field, v any) any {
	if v == nil {
		return nil
	}
	if numericType(f.typ) || f.name == "id" {
		if x, ok := toFloat(v); ok {
			return x
		}
		return nil
	}
	switch x := v.(type) {
	case string:
		if f.typ == "datetime" && len(x) == 10 {
			return x + " 00:00:00"
		}
		return x
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "True"
		}
		return nil
	}
	return pyRepr(v)
}

// likeRegexp compiles a SQL LIKE pattern (% and _ wildcards, \ escapes).
func likeRegexp(pattern string, ci, wrap bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)")
	if ci {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	if wrap {
		b.WriteString(".*")
	}
	esc := false
	for _, r := range pattern {
		switch {
		case esc:
			b.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if wrap {
		b.WriteString(".*")
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func likeText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return itoa(x)
	case bool:
		if x {
			return "True"
		}
		return ""
	case nil:
		return ""
	}
	return pyRepr(v)
}

// likeMatcher returns a string predicate for a like-family operator
// (positive form) and whether the operator is negative.
func likeMatcher(op string, val any) (func(string) bool, bool) {
	pos, neg := op, false
	if p, ok := positiveOf[op]; ok {
		pos, neg = p, true
	}
	pattern := likeText(val)
	re := likeRegexp(pattern, pos == "ilike" || pos == "=ilike", pos == "like" || pos == "ilike")
	return re.MatchString, neg
}

func isLike(op string) bool {
	switch op {
	case "like", "ilike", "=like", "=ilike", "not like", "not ilike":
		return true
	}
	return false
}

func asList(val any) []any {
	if l, ok := val.([]any); ok {
		return l
	}
	return []any{val}
}

func (e *env) compileScalar(m *model, f *field, op string, val any) (matcher, error) {
	get := e.getter(m, f)
	key := func(r *rec) any {
		v := get(r)
		if s, ok := v.(string); ok && s == "" {
			return nil
		}
		return scalarKey(f, v)
	}
	if isLike(op) {
		match, neg := likeMatcher(op, val)
		return func(r *rec) bool {
			v := get(r)
			if v == nil {
				return neg
			}
			return match(likeText(v)) != neg
		}, nil
	}
	switch op {
	case "=", "!=":
		eq := op == "="
		if isFalse(val) {
			return func(r *rec) bool { return (key(r) == nil) == eq }, nil
		}
		want := scalarKey(f, val)
		return func(r *rec) bool {
			k := key(r)
			if k == nil {
				return !eq
			}
			return (k == want) == eq
		}, nil
	case "in", "not in":
		in := op == "in"
		set := map[any]bool{}
		hasFalse := false
		for _, x := range asList(val) {
			if isFalse(x) {
				hasFalse = true
				continue
			}
			if k := scalarKey(f, x); k != nil {
				set[k] = true
			}
		}
		return func(r *rec) bool {
			k := key(r)
			if k == nil {
				return hasFalse == in
			}
			return set[k] == in
		}, nil
	}
	// < <= > >=
	if isFalse(val) {
		return never, nil
	}
	want := scalarKey(f, val)
	if want == nil {
		return never, nil
	}
	return func(r *rec) bool {
		k := key(r)
		if k == nil {
			return false
		}
		var c int
		switch x := k.(type) {
		case float64:
			y, ok := want.(float64)
			if !ok {
				return false
			}
			c = compareKeys(x, y)
		case string:
			y, ok := want.(string)
			if !ok {
				return false
			}
			c = strings.Compare(x, y)
		}
		switch op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	}, nil
}

func (e *env) compileBool(m *model, f *field, op string, val any) (matcher, error) {
	get := e.getter(m, f)
	b := func(r *rec) bool { return get(r) == true }
	switch op {
	case "=":
		want := truthy(val)
		return func(r *rec) bool { return b(r) == want }, nil
	case "!=":
		want := truthy(val)
		return func(r *rec) bool { return b(r) != want }, nil
	case "in", "not in":
		set := map[bool]bool{}
		for _, x := range asList(val) {
			set[truthy(x)] = true
		}
		in := op == "in"
		return func(r *rec) bool { return set[b(r)] == in }, nil
	}
	num := &field{name: f.name, typ: "integer"}
	return e.compileScalar(m, num, op, val)
}

// nameMatches returns the ids of cm's records whose display name (or name)
// matches val with a positive operator.
func (e *env) nameMatches(cm *model, op string, val any) map[int]bool {
	set := map[int]bool{}
	var match func(string) bool
	if isLike(op) {
		match, _ = likeMatcher(op, val)
	} else {
		s := likeText(val)
		match = func(x string) bool { return x == s }
	}
	for _, id := range cm.ids {
		r := cm.recs[id]
		if match(e.displayName(cm, r)) {
			set[id] = true
			continue
		}
		if f := cm.byName["name"]; f != nil {
			if s, ok := e.value(cm, r, f).(string); ok && match(s) {
				set[id] = true
			}
		}
	}
	return set
}

func (e *env) compileRelational(m *model, f *field, op string, val any) (matcher, error) {
	cm := e.model(f.relation)
	get := e.getter(m, f)
	// ids returns the related ids of a record (empty when NULL).
	ids := func(r *rec) []int {
		switch x := get(r).(type) {
		case int:
			return []int{x}
		case []int:
			return x
		}
		return nil
	}
	pos, neg := op, false
	if p, ok := positiveOf[op]; ok {
		pos, neg = p, true
	}
	// set of target ids the positive operator accepts, plus whether NULL /
	// empty matches it.
	set := map[int]bool{}
	nullMatches := false
	switch {
	case isLike(pos):
		if isFalse(val) {
			val = ""
		}
		set = e.nameMatches(cm, pos, val)
	case pos == "=" || pos == "in":
		for _, x := range asList(val) {
			switch {
			case isFalse(x):
				nullMatches = true
			case isString(x):
				for id := range e.nameMatches(cm, "=", x) {
					set[id] = true
				}
			default:
				id, ok := toInt(x)
				if !ok {
					return nil, valueErr("Invalid value %s for %s.%s", pyRepr(x), m.name, f.name)
				}
				set[id] = true
			}
		}
	default: // < <= > >= compare ids
		want, ok := toInt(val)
		if !ok {
			return never, nil
		}
		return func(r *rec) bool {
			for _, id := range ids(r) {
				if (op == "<" && id < want) || (op == "<=" && id <= want) ||
					(op == ">" && id > want) || (op == ">=" && id >= want) {
					return true
				}
			}
			return false
		}, nil
	}
	return func(r *rec) bool {
		rel := ids(r)
		hit := len(rel) == 0 && nullMatches
		for _, id := range rel {
			if set[id] {
				hit = true
				break
			}
		}
		return hit != neg
	}, nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

// compileHierarchy handles child_of and parent_of, following the target
// model's parent field (res.partner.parent_id); without one they mean "in".
func (e *env) compileHierarchy(m *model, f *field, op string, val any) (matcher, error) {
	tm := m
	if f.name != "id" {
		if !f.relational() {
			return nil, valueErr("Invalid field %s.%s in leaf %s: %s requires a relational field",
				m.name, f.name, tupleRepr([]any{f.name, op, val}), op)
		}
		tm = e.model(f.relation)
	}
	roots := map[int]bool{}
	for _, x := range asList(val) {
		if isString(x) {
			for id := range e.nameMatches(tm, "ilike", x) {
				roots[id] = true
			}
		} else if id, ok := toInt(x); ok {
			roots[id] = true
		}
	}
	set := map[int]bool{}
	for id := range roots {
		set[id] = true
	}
	if tm.parent != "" {
		if op == "child_of" {
			queue := make([]int, 0, len(roots))
			for id := range roots {
				queue = append(queue, id)
			}
			for len(queue) > 0 {
				id := queue[0]
				queue = queue[1:]
				for _, c := range tm.referrers(tm.parent, id) {
					if !set[c] {
						set[c] = true
						queue = append(queue, c)
					}
				}
			}
		} else {
			for id := range roots {
				for r := tm.get(id); r != nil; {
					p, _ := r.v[tm.parent].(int)
					if p == 0 || set[p] {
						break
					}
					set[p] = true
					r = tm.get(p)
				}
			}
		}
	}
	get := e.getter(m, f)
	return func(r *rec) bool {
		switch x := get(r).(type) {
		case int:
			return set[x]
		case []int:
			for _, id := range x {
				if set[id] {
					return true
				}
			}
		}
		return false
	}, nil
}
