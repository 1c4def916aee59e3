package odootest

import (
	"fmt"
	"sort"
	"strings"
)

// pyNone is a method result of None: JSON-RPC replies without "result",
// JSON-2 with null, XML-RPC with fault 1 (None cannot be marshalled).
type pyNone struct{}

type param struct {
	name     string
	required bool
}

// methodSpec is a public model method: its Python signature (after self)
// and its implementation.
type methodSpec struct {
	name     string
	class    string // class in TypeError messages; "" = the model's
	params   []param
	model    bool // @api.model: called without ids
	existing bool // the ids must exist (MissingError otherwise)
	fn       func(e *env, c *call) (any, error)
}

// call is one bound method call.
type call struct {
	m     *model
	spec  *methodSpec
	ids   []int
	args  map[string]any
	json2 bool
}

func (c *call) arg(name string) any { return c.args[name] }

func (c *call) has(name string) bool { _, ok := c.args[name]; return ok }

func (c *call) qualname() string {
	class := c.spec.class
	if class == "" {
		class = c.m.class
	}
	return class + "." + c.spec.name
}

func p(name string) param  { return param{name: name, required: true} }
func op(name string) param { return param{name: name} }

func (s *Server) addMethod(models []string, spec methodSpec) {
	for _, name := range models {
		sp := spec
		s.models[name].methods[sp.name] = &sp
	}
}

// lookupMethod resolves model.method as Odoo's get_public_method: private
// names are refused, unknown ones raise AttributeError.
func (s *Server) lookupMethod(model, method string) (*model, *methodSpec, *Error) {
	m := s.models[model]
	if m == nil {
		return nil, nil, userErr("Object %s doesn't exist", model)
	}
	if strings.HasPrefix(method, "_") {
		return m, nil, accessErr("Private methods (such as '%s.%s') cannot be called remotely.", model, method)
	}
	spec := m.methods[method]
	if spec == nil {
		return m, nil, newErr(AttributeError, "The method '%s.%s' does not exist", model, method)
	}
	return m, spec, nil
}

// bindPositional binds execute_kw's args and kwargs like a Python call:
// record methods take the ids as the first argument.
func bindPositional(m *model, spec *methodSpec, args []any, kwargs map[string]any) (*call, map[string]any, *Error) {
	c := &call{m: m, spec: spec, args: map[string]any{}}
	ctx := map[string]any{}
	if v, ok := kwargs["context"]; ok && !isFalse(v) {
		cm, ok := v.(map[string]any)
		if !ok {
			return nil, nil, typeErr("'%T' object is not a mapping", v)
		}
		ctx = cm
	}
	if !spec.model {
		if len(args) == 0 {
			return nil, nil, newErr(IndexError, "list index out of range")
		}
		ids, ok := toIDs(args[0])
		if !ok {
			return nil, nil, typeErr("unhashable ids %s", pyRepr(args[0]))
		}
		c.ids = ids
		args = args[1:]
	}
	if len(args) > len(spec.params) {
		req := 1
		for _, p := range spec.params {
			if p.required {
				req++
			}
		}
		max := 1 + len(spec.params)
		if req == max {
			return nil, nil, typeErr("%s() takes %d positional arguments but %d were given", c.qualname(), max, len(args)+1)
		}
		return nil, nil, typeErr("%s() takes from %d to %d positional arguments but %d were given",
			c.qualname(), req, max, len(args)+1)
	}
	for i, a := range args {
		c.args[spec.params[i].name] = a
	}
	for _, k := range sortedKeys(kwargs) {
		if k == "context" {
			continue
		}
		if !spec.hasParam(k) {
			return nil, nil, typeErr("%s() got an unexpected keyword argument '%s'", c.qualname(), k)
		}
		if c.has(k) {
			return nil, nil, typeErr("%s() got multiple values for argument '%s'", c.qualname(), k)
		}
		c.args[k] = kwargs[k]
	}
	var missing []string
	for _, p := range spec.params {
		if p.required && !c.has(p.name) {
			missing = append(missing, "'"+p.name+"'")
		}
	}
	if len(missing) > 0 {
		plural := "argument"
		if len(missing) > 1 {
			plural = "arguments"
		}
		list := strings.Join(missing, ", ")
		if len(missing) > 1 {
			list = strings.Join(missing[:len(missing)-1], ", ") + " and " + missing[len(missing)-1]
		}
		return nil, nil, typeErr("%s() missing %d required positional %s: %s", c.qualname(), len(missing), plural, list)
	}
	return c, ctx, nil
}

func (spec *methodSpec) hasParam(name string) bool {
	for _, p := range spec.params {
		if p.name == name {
			return true
		}
	}
	return false
}

// bindNamed binds a JSON-2 body (named parameters) as inspect.Signature.bind
// does; binding errors are 422 UnprocessableEntity.
func bindNamed(m *model, spec *methodSpec, ids []int, body map[string]any) (*call, *Error) {
	if spec.model && len(ids) > 0 {
		return nil, httpErr(werkzeugUnprocessable, 422, fmt.Sprintf("cannot call %s.%s with ids", m.name, spec.name))
	}
	c := &call{m: m, spec: spec, ids: ids, args: map[string]any{}, json2: true}
	for _, k := range sortedKeys(body) {
		if !spec.hasParam(k) {
			return nil, httpErr(werkzeugUnprocessable, 422, fmt.Sprintf("got an unexpected keyword argument '%s'", k))
		}
		c.args[k] = body[k]
	}
	for _, p := range spec.params {
		if p.required && !c.has(p.name) {
			return nil, httpErr(werkzeugUnprocessable, 422, fmt.Sprintf("missing a required argument: '%s'", p.name))
		}
	}
	return c, nil
}

// invoke runs a bound call in its own transaction.
func (s *Server) invoke(uid int, ctx map[string]any, c *call) (any, error) {
	return s.transaction(uid, ctx, func(e *env) (any, error) {
		if c.spec.existing {
			if miss := c.m.missing(c.ids); len(miss) > 0 {
				return nil, missingErr(c.m.name, miss, uid)
			}
		}
		return c.spec.fn(e, c)
	})
}

// transaction runs fn under the server lock; an error (or a panic) rolls
// back every change fn made.
func (s *Server) transaction(uid int, ctx map[string]any, fn func(e *env) (any, error)) (res any, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx == nil {
		ctx = map[string]any{}
	}
	e := &env{s: s, uid: uid, ctx: ctx, now: s.now()}
	defer func() {
		if p := recover(); p != nil {
			e.rollback()
			res, err = nil, newErr("builtins.Exception", "%v", p)
		}
	}()
	res, err = fn(e)
	if err != nil {
		e.rollback()
		return nil, err
	}
	return res, nil
}

// Argument helpers.

// limitArg reads a limit: None, False and 0 mean no limit (Odoo only adds
// LIMIT when the value is truthy).
func limitArg(c *call) (int, error) {
	n, err := intArg(c, "limit", -1)
	if err != nil || n <= 0 {
		return -1, err
	}
	return n, nil
}

func intArg(c *call, name string, def int) (int, error) {
	v, ok := c.args[name]
	if !ok || v == nil {
		return def, nil
	}
	if b, isBool := v.(bool); isBool && !b {
		return def, nil
	}
	i, ok := toInt(v)
	if !ok {
		return 0, typeErr("%s must be an integer, not %s", name, pyRepr(v))
	}
	return i, nil
}

func stringArg(c *call, name, def string) string {
	if s, ok := c.args[name].(string); ok {
		return s
	}
	return def
}

func stringList(v any) ([]string, error) {
	if isFalse(v) {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		if s, ok := v.(string); ok {
			return []string{s}, nil
		}
		return nil, typeErr("expected a list of field names, got %s", pyRepr(v))
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, typeErr("expected a list of field names, got %s", pyRepr(v))
		}
		out = append(out, s)
	}
	return out, nil
}

func (s *Server) defineMethods() {
	var all []string
	for name := range s.models {
		all = append(all, name)
	}
	sort.Strings(all)

	s.addMethod(all, methodSpec{name: "search", class: "BaseModel", model: true,
		params: []param{p("domain"), op("offset"), op("limit"), op("order")},
		fn: func(e *env, c *call) (any, error) {
			offset, err := intArg(c, "offset", 0)
			if err != nil {
				return nil, err
			}
			limit, err := limitArg(c)
			if err != nil {
				return nil, err
			}
			recs, err := e.searchRecs(c.m, c.arg("domain"), offset, limit, stringArg(c, "order", ""))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(recs))
			for i, r := range recs {
				out[i] = r.id
			}
			return out, nil
		}})
	s.addMethod(all, methodSpec{name: "search_read", class: "BaseModel", model: true,
		params: []param{op("domain"), op("fields"), op("offset"), op("limit"), op("order")},
		fn: func(e *env, c *call) (any, error) {
			names, err := stringList(c.arg("fields"))
			if err != nil {
				return nil, err
			}
			fields, err := c.m.resolveFields(names)
			if err != nil {
				return nil, err
			}
			offset, err := intArg(c, "offset", 0)
			if err != nil {
				return nil, err
			}
			limit, err := limitArg(c)
			if err != nil {
				return nil, err
			}
			recs, err := e.searchRecs(c.m, c.arg("domain"), offset, limit, stringArg(c, "order", ""))
			if err != nil {
				return nil, err
			}
			return e.readRecords(c.m, recs, fields, true), nil
		}})
	s.addMethod(all, methodSpec{name: "search_count", class: "BaseModel", model: true,
		params: []param{p("domain"), op("limit")},
		fn: func(e *env, c *call) (any, error) {
			limit, err := limitArg(c)
			if err != nil {
				return nil, err
			}
			recs, err := e.searchRecs(c.m, c.arg("domain"), 0, limit, "id")
			if err != nil {
				return nil, err
			}
			return len(recs), nil
		}})
	s.addMethod(all, methodSpec{name: "read", class: "BaseModel",
		params: []param{op("fields"), op("load")},
		fn: func(e *env, c *call) (any, error) {
			names, err := stringList(c.arg("fields"))
			if err != nil {
				return nil, err
			}
			classic := true
			if l, ok := c.args["load"]; ok && isFalse(l) {
				classic = false
			}
			return e.read(c.m, c.ids, names, classic)
		}})
	s.addMethod(all, methodSpec{name: "create", class: "BaseModel", model: true,
		params: []param{p("vals_list")},
		fn: func(e *env, c *call) (any, error) {
			switch v := c.arg("vals_list").(type) {
			case map[string]any:
				id, err := e.createOne(c.m, v)
				if err != nil {
					return nil, err
				}
				if c.json2 {
					return []any{id}, nil
				}
				return id, nil
			case []any:
				out := make([]any, 0, len(v))
				for _, x := range v {
					vals, ok := x.(map[string]any)
					if !ok {
						return nil, valueErr("create() expects a dict or a list of dicts, got %s", pyRepr(x))
					}
					id, err := e.createOne(c.m, vals)
					if err != nil {
						return nil, err
					}
					out = append(out, id)
				}
				return out, nil
			}
			return nil, valueErr("create() expects a dict or a list of dicts, got %s", pyRepr(c.arg("vals_list")))
		}})
	s.addMethod(all, methodSpec{name: "write", class: "BaseModel",
		params: []param{p("vals")},
		fn: func(e *env, c *call) (any, error) {
			vals, ok := c.arg("vals").(map[string]any)
			if !ok {
				return nil, valueErr("write() expects a dict, got %s", pyRepr(c.arg("vals")))
			}
			if err := e.write(c.m, c.ids, vals); err != nil {
				return nil, err
			}
			return true, nil
		}})
	s.addMethod(all, methodSpec{name: "unlink", class: "BaseModel",
		fn: func(e *env, c *call) (any, error) {
			if err := e.unlink(c.m, c.ids); err != nil {
				return nil, err
			}
			return true, nil
		}})
	s.addMethod(all, methodSpec{name: "fields_get", class: "BaseModel", model: true,
		params: []param{op("allfields"), op("attributes")},
		fn: func(e *env, c *call) (any, error) {
			names, err := stringList(c.arg("allfields"))
			if err != nil {
				return nil, err
			}
			attrs, err := stringList(c.arg("attributes"))
			if err != nil {
				return nil, err
			}
			return e.fieldsGet(c.m, names, attrs)
		}})
	// name_search's domain parameter is "args" up to 17, "domain" from 18.
	domainParam := "domain"
	if s.opts.Version <= 17 {
		domainParam = "args"
	}
	s.addMethod(all, methodSpec{name: "name_search", class: "BaseModel", model: true,
		params: []param{op("name"), op(domainParam), op("operator"), op("limit")},
		fn: func(e *env, c *call) (any, error) {
			limit, err := intArg(c, "limit", 100)
			if err != nil {
				return nil, err
			}
			if v, ok := c.args["limit"]; ok && !truthy(v) {
				limit = -1 // limit=None: everything
			}
			return e.nameSearch(c.m, stringArg(c, "name", ""), c.arg(domainParam), stringArg(c, "operator", "ilike"), limit)
		}})
	s.addMethod(all, methodSpec{name: "load", class: "BaseModel", model: true,
		params: []param{p("fields"), p("data")},
		fn: func(e *env, c *call) (any, error) {
			fields, err := stringList(c.arg("fields"))
			if err != nil {
				return nil, err
			}
			rowsIn, ok := c.arg("data").([]any)
			if !ok {
				return nil, typeErr("data must be a list of rows")
			}
			rows := make([][]any, len(rowsIn))
			for i, r := range rowsIn {
				rows[i], _ = r.([]any)
			}
			return e.load(c.m, fields, rows)
		}})

	s.defineWorkflows()
}
