package engine

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"

	"encoding/json"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/types"
	"github.com/flowctl/flowctl/dsl"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type compiler struct {
	cfg    *dsl.Config
	opts   *Options
	reg    *Registry
	static *staticEval

	varType, localType types.Type
	funcOpts           []expr.Option
	funcNames          []string

	schemas     map[string]*dsl.Schema
	schemaTypes map[string]*dsl.Type
	resolving   map[string]bool
	usedSchemas map[string]bool

	connDecls map[string]*dsl.Connection // by kind.name
	connPlans map[string]*ConnectionPlan
	usedConns map[string]bool

	lookupDecls map[string]*dsl.Lookup
	tables      map[string]map[string]any
	usedLookups map[string]bool

	clock *Clock
}

// Compile turns a configuration into a plan. Diagnostics are collected from
// every stage; the plan is nil when there are errors.
func Compile(cfg *dsl.Config, opts Options) (*Plan, hcl.Diagnostics) {
	c := &compiler{cfg: cfg, opts: &opts, reg: opts.Registry,
		schemas: map[string]*dsl.Schema{}, schemaTypes: map[string]*dsl.Type{}, resolving: map[string]bool{}, usedSchemas: map[string]bool{},
		connDecls: map[string]*dsl.Connection{}, connPlans: map[string]*ConnectionPlan{}, usedConns: map[string]bool{},
		lookupDecls: map[string]*dsl.Lookup{}, tables: map[string]map[string]any{}, usedLookups: map[string]bool{},
		clock: &Clock{},
	}
	if c.reg == nil {
		c.reg = DefaultRegistry
	}
	c.static = newStaticEval(cfg, c.opts)
	c.initFunctions()

	var diags hcl.Diagnostics
	diags = append(diags, c.static.evalVariables(cfg)...)
	diags = append(diags, c.static.evalLocals(cfg)...)
	plan := &Plan{Connections: c.connPlans, Lookups: c.lookupDecls, Globals: map[string]any{}, Clock: c.clock}
	c.varType, plan.Globals["var"] = staticScope(c.static.ctx.Variables["var"])
	c.localType, plan.Globals["local"] = staticScope(c.static.ctx.Variables["local"])

	for _, s := range cfg.Schemas {
		if _, dup := c.schemas[s.Name]; !dup {
			c.schemas[s.Name] = s
		}
	}
	for _, s := range cfg.Schemas {
		_, d := c.schemaType(s.Name, s.NameRange)
		diags = append(diags, d...)
	}
	for _, l := range cfg.Lookups {
		if _, dup := c.lookupDecls[l.Name]; dup {
			continue
		}
		c.lookupDecls[l.Name] = l
		diags = append(diags, c.loadLookup(l)...)
	}
	for _, conn := range cfg.Connections {
		diags = append(diags, c.connection(conn)...)
	}
	for _, f := range cfg.Flows {
		fp, d := c.flow(f)
		diags = append(diags, d...)
		if fp != nil {
			plan.Flows = append(plan.Flows, fp)
		}
	}
	diags = append(diags, c.unused()...)
	dsl.SortDiagnostics(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return plan, diags
}

// staticScope gives the expr type and runtime value of var or local. Secret
// values are left out of the runtime value (expressions may not use them).
func staticScope(v cty.Value) (types.Type, map[string]any) {
	t := types.Map{}
	vals := map[string]any{}
	if v == cty.NilVal || !v.Type().IsObjectType() {
		return t, vals
	}
	for name, at := range v.Type().AttributeTypes() {
		t[name] = ctyExprType(at)
		av := v.GetAttr(name)
		if IsSecret(av) || !av.IsWhollyKnown() {
			continue
		}
		vals[name] = ctyToGo(av)
	}
	return t, vals
}

// ctyToGo converts a known static value to plain Go data via JSON.
func ctyToGo(v cty.Value) any {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// schemaType resolves a declared schema to a type, following references to
// other schemas and reporting cycles.
func (c *compiler) schemaType(name string, rng hcl.Range) (*dsl.Type, hcl.Diagnostics) {
	if t, ok := c.schemaTypes[name]; ok {
		return t, nil
	}
	s, ok := c.schemas[name]
	if !ok {
		return dsl.AnyType, hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, rng, "Reference to undeclared schema",
			"There is no schema %q.%s", name, dsl.DidYouMean(name, mapKeys(c.schemas)))}
	}
	if c.resolving[name] {
		return dsl.AnyType, hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, rng, "Schema cycle",
			"schema.%s refers back to itself; schemas cannot be recursive.", name)}
	}
	c.resolving[name] = true
	defer delete(c.resolving, name)
	var diags hcl.Diagnostics
	t := &dsl.Type{Kind: dsl.KindObject, Schema: name}
	for _, f := range s.Fields {
		ft, d := dsl.ParseType(f.TypeExpr, func(ref string, r hcl.Range) (*dsl.Type, hcl.Diagnostics) {
			c.usedSchemas[ref] = true
			return c.schemaType(ref, r)
		})
		diags = append(diags, d...)
		if ft == nil {
			ft = dsl.AnyType
		}
		t.Fields = append(t.Fields, &dsl.Field{Name: f.Name, Type: ft, Range: f.DeclRange, NameRange: f.NameRange})
	}
	c.schemaTypes[name] = t
	return t, diags
}

// loadLookup reads a lookup table now, so a missing file or key column is a
// lint error and the runtime never touches the disk for it.
func (c *compiler) loadLookup(l *dsl.Lookup) hcl.Diagnostics {
	rows := map[string]any{}
	c.tables[l.Name] = rows
	if l.Values != nil {
		v, diags := c.static.eval(l.Values)
		if diags.HasErrors() || !v.IsWhollyKnown() {
			return diags
		}
		if IsSecret(v) {
			return append(diags, dsl.Errorf(dsl.CodeSecret, l.Values.Range(), "Secret in a lookup table",
				"Lookup values become record data and may be printed; they cannot hold secrets."))
		}
		if !(v.Type().IsObjectType() || v.Type().IsMapType()) {
			return append(diags, dsl.Errorf(dsl.CodeStaticType, l.Values.Range(), "Invalid lookup values",
				"values is a map from key to row, e.g. { DHL = { name = \"DHL Express\" } }."))
		}
		if m, ok := ctyToGo(v).(map[string]any); ok {
			for k, row := range m {
				rows[k] = row
			}
		}
		return diags
	}
	if l.File == "" {
		return nil
	}
	path := l.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.Dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, l.FileRange, "Cannot read lookup file",
			"%s: %v.", path, unwrapErr(err))}
	}
	defer f.Close()
	r := csv.NewReader(f)
	records, err := r.ReadAll()
	if err != nil {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, l.FileRange, "Invalid lookup file", "%s: %v.", path, err)}
	}
	if len(records) == 0 {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, l.FileRange, "Empty lookup file", "%s has no header row.", path)}
	}
	header := records[0]
	keyCol := -1
	for i, h := range header {
		if h == l.Key {
			keyCol = i
		}
	}
	if keyCol < 0 {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, l.DeclRange, "Unknown key column",
			"%s has no column %q; its columns are %s.%s", path, l.Key, joinNames(header), dsl.DidYouMean(l.Key, header))}
	}
	for _, rec := range records[1:] {
		row := make(map[string]any, len(header))
		for i, h := range header {
			row[h] = rec[i]
		}
		rows[rec[keyCol]] = row
	}
	return nil
}

func unwrapErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (c *compiler) connection(conn *dsl.Connection) hcl.Diagnostics {
	key := conn.Kind + "." + conn.Name
	if _, dup := c.connDecls[key]; dup {
		return nil // reported by dsl
	}
	c.connDecls[key] = conn
	k, ok := c.reg.Get(conn.Kind)
	if !ok || k.Connection == nil {
		kinds := c.reg.Kinds(func(k *Connector) bool { return k.Connection != nil })
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, conn.KindRange, "Unknown connection kind",
			"There is no connector %q with connections. Known kinds: %s.%s", conn.Kind, joinNames(kinds), dsl.DidYouMean(conn.Kind, kinds))}
	}
	vals, diags := c.decodeBody(conn.Body, k.Connection, newScope(dsl.AnyType), conn.DeclRange)
	c.connPlans[key] = &ConnectionPlan{Kind: conn.Kind, Name: conn.Name, Values: vals, Range: conn.DeclRange}
	return diags
}

// resolveConnection finds the connection a source or target refers to and
// checks that its kind fits.
func (c *compiler) resolveConnection(v *Value, kind string) (*ConnectionPlan, hcl.Diagnostics) {
	if v == nil || v.Ref == nil {
		return nil, nil
	}
	ref := v.Ref
	key := ref.Parts[0] + "." + ref.Parts[1]
	c.usedConns[key] = true
	cp, ok := c.connPlans[key]
	if !ok {
		if _, declared := c.connDecls[key]; declared {
			return nil, nil // its own errors were reported
		}
		return nil, hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, ref.Range, "Reference to undeclared connection",
			"There is no connection %s.%s", ref.String(), dsl.DidYouMean(key, mapKeys(c.connDecls)))}
	}
	if cp.Kind != kind {
		return nil, hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, ref.Range, "Wrong connection kind",
			"%s is a %s connection; this block needs a %s connection.", ref.String(), cp.Kind, kind)}
	}
	return cp, nil
}

func (c *compiler) resolveSchema(v *Value) (*dsl.Type, hcl.Diagnostics) {
	if v == nil || v.Ref == nil {
		return nil, nil
	}
	c.usedSchemas[v.Ref.Parts[0]] = true
	return c.schemaType(v.Ref.Parts[0], v.Ref.Range)
}

// commonSourceFields are accepted by every source.
func commonSourceFields(k *Connector) []Field {
	fs := []Field{{Name: "schema", Ref: "schema", Doc: "Declared type of the records this source delivers."}}
	if k.Connection != nil {
		fs = append(fs, Field{Name: "connection", Ref: "connection", Required: true, Doc: "The connection to read through."})
	}
	return fs
}

// commonTargetFields are accepted by every target.
func commonTargetFields(k *Connector) []Field {
	fs := []Field{
		{Name: "body", Expr: dsl.AnyType, Doc: "What to write: an expression, by default the last map's output (or record)."},
		{Name: "idempotency_key", Expr: dsl.AnyType, Doc: "Expression naming the write; the same key is written once."},
	}
	if k.Connection != nil {
		fs = append(fs, Field{Name: "connection", Ref: "connection", Required: true, Doc: "The connection to write through."})
	}
	return fs
}

func withFields(s Spec, extra []Field) *Spec {
	out := Spec{Blocks: s.Blocks, Check: s.Check}
	out.Fields = append(append(out.Fields, extra...), s.Fields...)
	return &out
}

func (c *compiler) flow(f *dsl.Flow) (*FlowPlan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	fp := &FlowPlan{Name: f.Name, Description: f.Description, Milestone: f.Milestone, Ordered: f.Ordered, Range: f.DeclRange}
	record := dsl.AnyType
	if f.Source != nil {
		sp, d := c.source(f.Source)
		diags = append(diags, d...)
		if sp != nil {
			fp.Source = sp
			record = sp.RecordType
		}
	}
	sc := newScope(record)
	if f.Key != nil {
		p, d := c.compileExpr(f.Key, sc, nil)
		diags = append(diags, d...)
		fp.Key = p
		diags = append(diags, scalarKey(p)...)
	}
	last := "record"
	for _, st := range f.Steps {
		var step StepPlan
		var d hcl.Diagnostics
		switch st := st.(type) {
		case *dsl.Validate:
			step, d = c.validate(st, sc)
		case *dsl.Map:
			step, d = c.mapStep(st, sc)
			if d2 := c.bindName(st.Name, st.NameRange, sc); d2 != nil {
				d = append(d, d2...)
			} else {
				sc = sc.with(st.Name, step.Type)
				last = st.Name
			}
		case *dsl.Split:
			step, d = c.split(st, sc)
			if d2 := c.bindName(st.Name, st.NameRange, sc); d2 != nil {
				d = append(d, d2...)
			} else {
				sc = sc.with(st.Name, step.Type)
			}
		}
		diags = append(diags, d...)
		fp.Steps = append(fp.Steps, step)
	}
	byName := map[string]*TargetPlan{}
	for _, t := range f.Targets {
		tp, d := c.target(t, sc, last)
		diags = append(diags, d...)
		if tp != nil {
			fp.Targets = append(fp.Targets, tp)
			byName[t.Name] = tp
		}
	}
	diags = append(diags, c.routes(f, fp, sc, byName)...)
	return fp, diags
}

// scalarKey checks that a key expression yields a string or number: keys
// are compared and stored as text.
func scalarKey(p *Program) hcl.Diagnostics {
	if p == nil {
		return nil
	}
	switch p.Type.Kind {
	case dsl.KindList, dsl.KindObject, dsl.KindMap:
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeExprType, p.RangeOf(0, len([]rune(p.Source))), "Invalid key",
			"%s must be a string or number, not %s.", p.Attr, p.Type)}
	}
	return nil
}

func (c *compiler) bindName(name string, rng hcl.Range, sc *scope) hcl.Diagnostics {
	if reservedNames[name] {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeDuplicate, rng, "Reserved name",
			"%q is already a name in expressions (record, meta, var, local); choose another step name.", name)}
	}
	if _, taken := sc.names[name]; taken {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeDuplicate, rng, "Name already bound",
			"An earlier step already binds %q.", name)}
	}
	return nil
}

func (c *compiler) source(s *dsl.Source) (*SourcePlan, hcl.Diagnostics) {
	k, ok := c.reg.Get(s.Kind)
	if !ok || k.Source == nil {
		kinds := c.reg.Kinds(func(k *Connector) bool { return k.Source != nil })
		return nil, hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, s.KindRange, "Unknown source kind",
			"There is no source %q. Known sources: %s.%s", s.Kind, joinNames(kinds), dsl.DidYouMean(s.Kind, kinds))}
	}
	vals, diags := c.decodeBody(s.Body, withFields(k.Source.Spec, commonSourceFields(k)), newScope(dsl.AnyType), s.DeclRange)
	sp := &SourcePlan{Kind: s.Kind, Values: vals, Range: s.DeclRange, RecordType: dsl.AnyType}
	cp, d := c.resolveConnection(vals.Attrs["connection"], s.Kind)
	diags = append(diags, d...)
	sp.Connection = cp
	if t, d := c.resolveSchema(vals.Attrs["schema"]); t != nil {
		diags = append(diags, d...)
		sp.RecordType = t
	} else if k.Source.RecordType != nil {
		sp.RecordType = k.Source.RecordType(vals)
	}
	return sp, diags
}

func (c *compiler) validate(v *dsl.Validate, sc *scope) (StepPlan, hcl.Diagnostics) {
	st := StepPlan{Kind: "validate", Name: v.Name, OnFail: v.OnFail, Range: v.DeclRange}
	var diags, d hcl.Diagnostics
	st.When, d = c.compileExpr(v.When, sc, dsl.BoolType)
	diags = append(diags, d...)
	st.Check, d = c.compileExpr(v.Check, sc, dsl.BoolType)
	diags = append(diags, d...)
	st.Message, d = c.compileExpr(v.Message, sc, dsl.StringType)
	diags = append(diags, d...)
	return st, diags
}

func (c *compiler) mapStep(m *dsl.Map, sc *scope) (StepPlan, hcl.Diagnostics) {
	st := StepPlan{Kind: "map", Name: m.Name, Range: m.DeclRange}
	var diags hcl.Diagnostics
	var schema *dsl.Type
	if m.Schema != nil {
		c.usedSchemas[m.Schema.Parts[0]] = true
		t, d := c.schemaType(m.Schema.Parts[0], m.Schema.Range)
		diags = append(diags, d...)
		if !d.HasErrors() {
			schema = t
		}
	}
	if m.When != nil {
		p, d := c.compileExpr(m.When, sc, dsl.BoolType)
		st.When = p
		diags = append(diags, d...)
	}
	var out *dsl.Type
	st.Fields, out, diags = c.mapFields(m.Fields, schema, sc, m.DeclRange, diags)
	st.Type = out
	if schema != nil {
		st.Type = schema
	}
	return st, diags
}

// mapFields compiles map fields against an optional declared type and
// returns the inferred output type.
func (c *compiler) mapFields(fields []*dsl.MapField, schema *dsl.Type, sc *scope, blockRange hcl.Range, diags hcl.Diagnostics) ([]*FieldPlan, *dsl.Type, hcl.Diagnostics) {
	out := &dsl.Type{Kind: dsl.KindObject}
	var plans []*FieldPlan
	mapped := map[string]bool{}
	for _, f := range fields {
		var want *dsl.Type
		if schema != nil && schema.Kind == dsl.KindObject {
			sf := schema.Field(f.Name)
			if sf == nil {
				diags = append(diags, dsl.Errorf(dsl.CodeSchema, f.NameRange, fmt.Sprintf("Unknown field %q", f.Name),
					"%s has no field %q.%s", schema.String(), f.Name, dsl.DidYouMean(f.Name, schema.FieldNames())))
				continue
			}
			want = sf.Type
		}
		mapped[f.Name] = true
		fp := &FieldPlan{Name: f.Name}
		var ft *dsl.Type
		if f.Fields != nil {
			var sub []*FieldPlan
			sub, ft, diags = c.mapFields(f.Fields, want, sc, f.DeclRange, diags)
			fp.Fields = sub
			if want != nil && want.Kind != dsl.KindObject && want.Kind != dsl.KindAny {
				diags = append(diags, dsl.Errorf(dsl.CodeExprType, f.NameRange, "Wrong field type",
					"%s: expected %s, got an object.", f.Name, want.String()))
			}
		} else {
			p, d := c.compileExpr(f.Expr, sc, want)
			diags = append(diags, d...)
			fp.Program = p
			ft = dsl.AnyType
			if p != nil {
				ft = p.Type
			}
		}
		if want != nil {
			ft = want
		}
		plans = append(plans, fp)
		out.Fields = append(out.Fields, &dsl.Field{Name: f.Name, Type: ft, Range: f.DeclRange, NameRange: f.NameRange})
	}
	if schema != nil && schema.Kind == dsl.KindObject {
		for _, sf := range schema.Fields {
			if !mapped[sf.Name] && !sf.Type.Optional {
				diags = append(diags, dsl.Errorf(dsl.CodeSchema, blockRange, fmt.Sprintf("Missing field %q", sf.Name),
					"%s requires %s (%s); map it or declare it optional(...) in the schema.", schema.String(), sf.Name, sf.Type.String()))
			}
		}
	}
	return plans, out, diags
}

func (c *compiler) split(s *dsl.Split, sc *scope) (StepPlan, hcl.Diagnostics) {
	st := StepPlan{Kind: "split", Name: s.Name, Range: s.DeclRange, Type: dsl.AnyType}
	p, diags := c.compileExpr(s.Each, sc, dsl.ListOf(dsl.AnyType))
	st.Each = p
	if p != nil && p.Type.Kind == dsl.KindList {
		st.Type = p.Type.Elem
	}
	return st, diags
}

func (c *compiler) target(t *dsl.Target, sc *scope, last string) (*TargetPlan, hcl.Diagnostics) {
	k, ok := c.reg.Get(t.Kind)
	if !ok || k.Target == nil {
		kinds := c.reg.Kinds(func(k *Connector) bool { return k.Target != nil })
		return nil, hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, t.KindRange, "Unknown target kind",
			"There is no target %q. Known targets: %s.%s", t.Kind, joinNames(kinds), dsl.DidYouMean(t.Kind, kinds))}
	}
	vals, diags := c.decodeBody(t.Body, withFields(k.Target.Spec, commonTargetFields(k)), sc, t.DeclRange)
	tp := &TargetPlan{Kind: t.Kind, Name: t.Name, Values: vals, Range: t.DeclRange, Operation: "write"}
	for _, name := range mapKeys(vals.Attrs) {
		if a := vals.Attrs[name]; a.Expr != nil && name != "body" && name != "idempotency_key" {
			tp.ExprFields = append(tp.ExprFields, &FieldPlan{Name: name, Program: a.Expr})
		}
	}
	if k.Target.Operation != nil && !diags.HasErrors() {
		tp.Operation = k.Target.Operation(vals)
	}
	cp, d := c.resolveConnection(vals.Attrs["connection"], t.Kind)
	diags = append(diags, d...)
	tp.Connection = cp
	if b := vals.Attrs["body"]; b != nil {
		tp.Body = b.Expr
	} else {
		e := &dsl.Expr{Source: last, Range: t.DeclRange, Attr: "body"}
		tp.Body, d = c.compileExpr(e, sc, nil)
		diags = append(diags, d...)
	}
	if key := vals.Attrs["idempotency_key"]; key != nil {
		tp.IdempotencyKey = key.Expr
		diags = append(diags, scalarKey(key.Expr)...)
	} else if k.Target.Dedupes == nil || !k.Target.Dedupes(vals) {
		diags = append(diags, dsl.Warnf(dsl.CodeNoIdempotency, t.DeclRange, "Target has no idempotency key",
			"A %s target cannot tell a repeated write from a new one; set idempotency_key (e.g. \"record.name\") so a redelivered message is not written twice.", t.Kind))
	}
	return tp, diags
}

func (c *compiler) routes(f *dsl.Flow, fp *FlowPlan, sc *scope, byName map[string]*TargetPlan) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var catchAll *dsl.Route
	routed := map[string]bool{}
	for _, r := range f.Routes {
		rp := &RoutePlan{Range: r.DeclRange}
		if catchAll != nil {
			diags = append(diags, dsl.Warnf(dsl.CodeUnreachable, r.DeclRange, "Route can never match",
				"The route at %s has no when condition and takes every record first.", catchAll.DeclRange.String()))
		}
		if r.When != nil {
			p, d := c.compileExpr(r.When, sc, dsl.BoolType)
			diags = append(diags, d...)
			rp.When = p
		} else if catchAll == nil {
			catchAll = r
		}
		for _, ref := range r.Targets {
			tp, ok := byName[ref.Parts[0]]
			if !ok {
				known := false
				for _, t := range f.Targets {
					known = known || t.Name == ref.Parts[0]
				}
				if !known {
					names := make([]string, 0, len(f.Targets))
					for _, t := range f.Targets {
						names = append(names, t.Name)
					}
					diags = append(diags, dsl.Errorf(dsl.CodeReference, ref.Range, "Reference to undeclared target",
						"Flow %q has no target %q.%s", f.Name, ref.Parts[0], dsl.DidYouMean(ref.Parts[0], names)))
				}
				continue
			}
			routed[ref.Parts[0]] = true
			rp.Targets = append(rp.Targets, tp)
		}
		fp.Routes = append(fp.Routes, rp)
	}
	if len(f.Routes) > 0 {
		for _, t := range f.Targets {
			if !routed[t.Name] {
				diags = append(diags, dsl.Warnf(dsl.CodeUnreachable, t.DeclRange, "Target receives nothing",
					"Flow %q has routes, and none of them sends records to target %q.", f.Name, t.Name))
			}
		}
	}
	return diags
}

// unused warns about declarations nothing refers to.
func (c *compiler) unused() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, conn := range c.cfg.Connections {
		if !c.usedConns[conn.Kind+"."+conn.Name] {
			diags = append(diags, dsl.Warnf(dsl.CodeUnused, conn.DeclRange, "Unused connection",
				"connection.%s.%s is declared but no source or target uses it.", conn.Kind, conn.Name))
		}
	}
	for _, s := range c.cfg.Schemas {
		if !c.usedSchemas[s.Name] {
			diags = append(diags, dsl.Warnf(dsl.CodeUnused, s.DeclRange, "Unused schema",
				"schema.%s is declared but nothing uses it.", s.Name))
		}
	}
	for _, v := range c.cfg.Variables {
		if !c.static.usedVars[v.Name] {
			diags = append(diags, dsl.Warnf(dsl.CodeUnused, v.DeclRange, "Unused variable",
				"var.%s is declared but nothing uses it.", v.Name))
		}
	}
	for _, l := range c.cfg.Locals {
		if !c.static.usedLocals[l.Name] {
			diags = append(diags, dsl.Warnf(dsl.CodeUnused, l.DeclRange, "Unused local value",
				"local.%s is declared but nothing uses it.", l.Name))
		}
	}
	for _, l := range c.cfg.Lookups {
		if !c.usedLookups[l.Name] {
			diags = append(diags, dsl.Warnf(dsl.CodeUnused, l.DeclRange, "Unused lookup table",
				"lookup %q is declared but no expression calls lookup('%s', ...).", l.Name, l.Name))
		}
	}
	return diags
}

// LoadAndCompile reads files as one configuration and compiles it. Compiling
// is skipped when a file is unreadable or has syntax errors: its errors would
// only be noise. Diagnostics come sorted.
func LoadAndCompile(files []string, opts Options) (*dsl.Config, *Plan, hcl.Diagnostics) {
	cfg, diags := dsl.LoadFiles(files)
	var plan *Plan
	if !hasFatal(diags) {
		var cd hcl.Diagnostics
		plan, cd = Compile(cfg, opts)
		diags = append(diags, cd...)
	}
	dsl.SortDiagnostics(diags)
	if diags.HasErrors() {
		plan = nil
	}
	return cfg, plan, diags
}

func hasFatal(diags hcl.Diagnostics) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && dsl.DiagCode(d) == dsl.CodeSyntax {
			return true
		}
	}
	return false
}
