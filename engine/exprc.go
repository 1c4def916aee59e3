package engine

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/checker/nature"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine/exprlib"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// scope is the set of names a runtime expression can see at one point of a
// flow: record, meta, the outputs of earlier map and split steps.
type scope struct {
	names map[string]*dsl.Type
	conf  *conf.Config // expr configuration for this scope, built on first use
}

func newScope(record *dsl.Type) *scope {
	return &scope{names: map[string]*dsl.Type{"record": record, "meta": metaType}}
}

func (s *scope) with(name string, t *dsl.Type) *scope {
	n := &scope{names: make(map[string]*dsl.Type, len(s.names)+1)}
	for k, v := range s.names {
		n.names[k] = v
	}
	n.names[name] = t
	return n
}

// metaType is what every expression sees as meta: facts about the message.
var metaType = dsl.ObjectOf(
	&dsl.Field{Name: "flow", Type: dsl.StringType},
	&dsl.Field{Name: "source", Type: dsl.StringType},
	&dsl.Field{Name: "id", Type: dsl.StringType},
	&dsl.Field{Name: "file", Type: dsl.StringType},
	&dsl.Field{Name: "line", Type: dsl.IntType},
	&dsl.Field{Name: "received_at", Type: dsl.TimeType},
)

// reservedNames cannot be used as step names: expressions see them already.
var reservedNames = map[string]bool{"record": true, "meta": true, "var": true, "local": true}

var (
	timeRType     = reflect.TypeOf(time.Time{})
	durationRType = reflect.TypeOf(time.Duration(0))
	decimalRType  = reflect.TypeOf(exprlib.Decimal{})
)

// exprType turns a record type into the type the expr checker uses: objects
// become strict maps so unknown fields are compile errors.
func exprType(t *dsl.Type) types.Type {
	if t == nil {
		return types.Any
	}
	switch t.Kind {
	case dsl.KindString:
		return types.String
	case dsl.KindNumber:
		return types.Float64
	case dsl.KindInt:
		return types.Int
	case dsl.KindBool:
		return types.Bool
	case dsl.KindTime:
		return types.TypeOf(time.Time{})
	case dsl.KindDuration:
		return types.TypeOf(time.Duration(0))
	case dsl.KindDecimal:
		return types.TypeOf(exprlib.Decimal{})
	case dsl.KindList:
		return types.Array(exprType(t.Elem))
	case dsl.KindMap:
		return types.Map{types.Extra: exprType(t.Elem)}
	case dsl.KindObject:
		m := types.Map{}
		for _, f := range t.Fields {
			m[f.Name] = exprType(f.Type)
		}
		return m
	}
	return types.Any
}

// ctyExprType gives the expr type of a static (var/local) value.
func ctyExprType(ty cty.Type) types.Type {
	switch {
	case ty == cty.String:
		return types.String
	case ty == cty.Number:
		return types.Float64
	case ty == cty.Bool:
		return types.Bool
	case ty.IsListType() || ty.IsSetType():
		return types.Array(ctyExprType(ty.ElementType()))
	case ty.IsTupleType():
		return types.Array(types.Any)
	case ty.IsMapType():
		return types.Map{types.Extra: ctyExprType(ty.ElementType())}
	case ty.IsObjectType():
		m := types.Map{}
		for n, at := range ty.AttributeTypes() {
			m[n] = ctyExprType(at)
		}
		return m
	}
	return types.Any
}

// natureType reads back what the checker inferred about a result.
func natureType(n *nature.Nature) *dsl.Type {
	if n == nil || n.Type == nil {
		return dsl.AnyType
	}
	switch n.Type {
	case timeRType:
		return dsl.TimeType
	case durationRType:
		return dsl.DurationType
	case decimalRType:
		return dsl.DecimalType
	}
	switch n.Type.Kind() {
	case reflect.String:
		return dsl.StringType
	case reflect.Bool:
		return dsl.BoolType
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return dsl.IntType
	case reflect.Float32, reflect.Float64:
		return dsl.NumberType
	case reflect.Slice, reflect.Array:
		if n.Ref != nil {
			return dsl.ListOf(natureType(n.Ref))
		}
		return dsl.ListOf(dsl.AnyType)
	case reflect.Map:
		if n.TypeData != nil && n.Strict && n.Fields != nil {
			t := &dsl.Type{Kind: dsl.KindObject}
			for _, name := range mapKeys(n.Fields) {
				f := n.Fields[name]
				t.Fields = append(t.Fields, &dsl.Field{Name: name, Type: natureType(&f)})
			}
			return t
		}
		return dsl.MapOf(dsl.AnyType)
	}
	return dsl.AnyType
}

// assignable reports whether a value of type src fits a slot of type dst,
// and if not, why. Unknown (any) types always fit: the runtime checks them.
func assignable(dst, src *dsl.Type) (bool, string) {
	if dst == nil || src == nil || dst.Kind == dsl.KindAny || src.Kind == dsl.KindAny {
		return true, ""
	}
	numeric := func(k dsl.Kind) bool { return k == dsl.KindNumber || k == dsl.KindInt || k == dsl.KindDecimal }
	if numeric(dst.Kind) && numeric(src.Kind) {
		return true, ""
	}
	if dst.Kind != src.Kind {
		if dst.Kind == dsl.KindObject && src.Kind == dsl.KindMap {
			return true, "" // a map literal: fields are checked at run time
		}
		return false, fmt.Sprintf("expected %s, got %s", dst.String(), src.String())
	}
	switch dst.Kind {
	case dsl.KindList, dsl.KindMap:
		if ok, why := assignable(dst.Elem, src.Elem); !ok {
			return false, "element: " + why
		}
	case dsl.KindObject:
		for _, f := range dst.Fields {
			sf := src.Field(f.Name)
			if sf == nil {
				if !f.Type.Optional {
					return false, fmt.Sprintf("field %q is missing", f.Name)
				}
				continue
			}
			if ok, why := assignable(f.Type, sf.Type); !ok {
				return false, fmt.Sprintf("field %q: %s", f.Name, why)
			}
		}
	}
	return true, ""
}

// compileExpr type-checks and compiles a runtime expression in a scope.
// want, when not nil and not any, is the type the result must have.
func (c *compiler) compileExpr(e *dsl.Expr, sc *scope, want *dsl.Type) (*Program, hcl.Diagnostics) {
	if e == nil {
		return nil, nil
	}
	if strings.TrimSpace(e.Source) == "" {
		return nil, hcl.Diagnostics{dsl.Errorf(dsl.CodeExprSyntax, e.Range, "Empty expression",
			"%s needs an expr expression, e.g. \"record.name\".", e.Attr)}
	}
	config := c.configFor(sc)
	tree, err := parser.ParseWithConfig(e.Source, config)
	if err != nil {
		return nil, hcl.Diagnostics{c.exprDiag(dsl.CodeExprSyntax, "Expression syntax error", e, err, sc)}
	}
	diags := c.checkNames(e, tree.Node, sc)
	if diags.HasErrors() {
		return nil, diags
	}
	if _, err := new(checker.Checker).PatchAndCheck(tree, config); err != nil {
		return nil, append(diags, c.exprDiag(dsl.CodeExprType, "Expression type error", e, err, sc))
	}
	if err := optimizer.Optimize(&tree.Node, config); err != nil {
		return nil, append(diags, c.exprDiag(dsl.CodeExprType, "Expression type error", e, err, sc))
	}
	ast.Walk(&tree.Node, fastFetch{})
	prog, err := exprcompiler.Compile(tree, config)
	if err != nil {
		return nil, append(diags, c.exprDiag(dsl.CodeExprType, "Expression type error", e, err, sc))
	}
	got := natureType(prog.Node().Nature())
	p := &Program{Expr: e, Program: prog, Type: got, Path: fieldPath(tree.Node)}
	if want != nil && want.Kind != dsl.KindAny {
		if ok, why := assignable(want, got); !ok {
			summary := "Wrong expression type"
			if want.Kind == dsl.KindBool {
				summary = fmt.Sprintf("%s must be a boolean expression", e.Attr)
			}
			diags = append(diags, dsl.Errorf(dsl.CodeExprType, e.RangeOf(0, len([]rune(e.Source))), summary,
				"%s: %s.", e.Attr, why))
		}
	}
	return p, diags
}

// fieldPath returns the identifiers of a plain path expression (a.b.c with
// constant names, no indexing, calls or ?.), or nil.
func fieldPath(n ast.Node) []string {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return []string{n.Value}
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok || n.Optional || n.Method {
			return nil
		}
		if base := fieldPath(n.Node); base != nil {
			return append(base, prop.Value)
		}
	}
	return nil
}

// configFor builds the expr configuration of a scope once: building the
// typed environment is most of the cost of compiling a short expression.
func (c *compiler) configFor(sc *scope) *conf.Config {
	if sc.conf != nil {
		return sc.conf
	}
	env := types.Map{}
	for n, t := range sc.names {
		env[n] = exprType(t)
	}
	env["var"] = c.varType
	env["local"] = c.localType
	config := conf.CreateNew()
	expr.Env(env)(config)
	for _, op := range c.funcOpts {
		op(config)
	}
	fastGetOption(config)
	for name := range config.Disabled {
		delete(config.Builtins, name)
	}
	config.Check()
	sc.conf = config
	return config
}

// checkNames walks the tree for things the expr checker cannot know about:
// secret variables, lookup tables, and which var/local names are used.
func (c *compiler) checkNames(e *dsl.Expr, root ast.Node, sc *scope) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ast.Find(root, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.MemberNode:
			id, ok := n.Node.(*ast.IdentifierNode)
			prop, ok2 := n.Property.(*ast.StringNode)
			if !ok || !ok2 {
				return false
			}
			switch id.Value {
			case "var":
				c.static.usedVars[prop.Value] = true
				if v, ok := c.static.vars[prop.Value]; ok && v.Sensitive {
					loc := n.Location()
					diags = append(diags, dsl.Errorf(dsl.CodeSecret, e.RangeOf(loc.From, loc.To), "Secret in a runtime expression",
						"var.%s is sensitive; runtime expressions produce record data, which is printed in dry runs, diffs and logs. Pass secrets only to connection fields marked secret.", prop.Value))
				}
			case "local":
				c.static.usedLocals[prop.Value] = true
			}
		case *ast.CallNode:
			id, ok := n.Callee.(*ast.IdentifierNode)
			if !ok || id.Value != "lookup" || len(n.Arguments) == 0 {
				return false
			}
			if s, ok := n.Arguments[0].(*ast.StringNode); ok {
				c.usedLookups[s.Value] = true
				if _, known := c.lookupDecls[s.Value]; !known {
					loc := s.Location()
					diags = append(diags, dsl.Errorf(dsl.CodeReference, e.RangeOf(loc.From, loc.To), "Unknown lookup table",
						"No lookup %q is declared.%s", s.Value, dsl.DidYouMean(s.Value, mapKeys(c.lookupDecls))))
				}
			}
		}
		return false
	})
	return diags
}

// exprDiag turns an expr error into a diagnostic pointing inside the string.
func (c *compiler) exprDiag(code dsl.Code, summary string, e *dsl.Expr, err error, sc *scope) *hcl.Diagnostic {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return dsl.Errorf(code, e.Range, summary, "%s: %v", e.Attr, err)
	}
	msg := fe.Message
	rng := e.RangeOf(fe.From, fe.To)
	if fe.To <= fe.From {
		rng = e.RangeOf(fe.From, fe.From+tokenLen(e.Source, fe.From))
	}
	var suggestion string
	switch {
	case strings.HasPrefix(msg, "unknown field "):
		name := strings.TrimPrefix(msg, "unknown field ")
		msg = fmt.Sprintf("unknown field %q", name)
		summary = fmt.Sprintf("Unknown field %q", name)
		suggestion = dsl.DidYouMean(name, c.fieldCandidates(e, fe.From, name, sc))
		rng = e.RangeOf(fe.From, fe.From+len([]rune(name)))
	case strings.HasPrefix(msg, "invalid operation: "):
		summary = "Type mismatch"
	case strings.HasPrefix(msg, "unknown name "):
		name := strings.TrimPrefix(msg, "unknown name ")
		msg = fmt.Sprintf("unknown name %q", name)
		summary = fmt.Sprintf("Unknown name %q", name)
		candidates := append(mapKeys(sc.names), "var", "local")
		suggestion = dsl.DidYouMean(name, append(candidates, c.funcNames...))
		rng = e.RangeOf(fe.From, fe.From+len([]rune(name)))
	}
	return dsl.Errorf(code, rng, summary, "%s: %s.%s", e.Attr, msg, suggestion)
}

// tokenLen is the length in runes of the identifier-ish token at a rune offset
// (at least 1), so a diagnostic underlines a whole word.
func tokenLen(src string, from int) int {
	rs := []rune(src)
	n := 0
	for i := from; i < len(rs); i++ {
		r := rs[i]
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			n++
			continue
		}
		break
	}
	if n == 0 {
		return 1
	}
	return n
}

// fieldCandidates finds the object type a failing member access applies to
// and returns its field names; failing that, every field name in scope.
func (c *compiler) fieldCandidates(e *dsl.Expr, at int, name string, sc *scope) []string {
	tree, err := parser.Parse(e.Source)
	if err == nil {
		var found *ast.MemberNode
		ast.Find(tree.Node, func(n ast.Node) bool {
			m, ok := n.(*ast.MemberNode)
			if !ok {
				return false
			}
			if p, ok := m.Property.(*ast.StringNode); ok && p.Value == name && found == nil {
				found = m
			}
			return false
		})
		if found != nil {
			if id, ok := found.Node.(*ast.IdentifierNode); ok && (id.Value == "var" || id.Value == "local") {
				if id.Value == "var" {
					return mapKeys(c.static.vars)
				}
				return mapKeys(c.static.locals)
			}
			if t := c.resolveType(found.Node, sc); t != nil && t.Kind == dsl.KindObject {
				return t.FieldNames()
			}
		}
	}
	var all []string
	var walk func(t *dsl.Type)
	walk = func(t *dsl.Type) {
		if t == nil {
			return
		}
		for _, f := range t.Fields {
			all = append(all, f.Name)
			walk(f.Type)
		}
		walk(t.Elem)
	}
	for _, t := range sc.names {
		walk(t)
	}
	return all
}

// resolveType follows identifiers, member accesses and indexing through
// the scope's types.
func (c *compiler) resolveType(n ast.Node, sc *scope) *dsl.Type {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return sc.names[n.Value]
	case *ast.MemberNode:
		base := c.resolveType(n.Node, sc)
		if base == nil {
			return nil
		}
		if p, ok := n.Property.(*ast.StringNode); ok && base.Kind == dsl.KindObject {
			if f := base.Field(p.Value); f != nil {
				return f.Type
			}
			return nil
		}
		if base.Kind == dsl.KindList || base.Kind == dsl.KindMap {
			return base.Elem
		}
	}
	return nil
}
