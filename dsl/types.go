package dsl

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Kind is the kind of a record type.
type Kind int

// Record type kinds. Any accepts every value and turns off field checking.
const (
	KindAny Kind = iota
	KindString
	KindNumber
	KindInt
	KindBool
	KindTime
	KindDuration
	KindDecimal
	KindList
	KindMap
	KindObject
)

var kindNames = map[Kind]string{
	KindAny: "any", KindString: "string", KindNumber: "number", KindInt: "int", KindBool: "bool",
	KindTime: "time", KindDuration: "duration", KindDecimal: "decimal", KindList: "list", KindMap: "map", KindObject: "object",
}

// primitiveKeywords are the type keywords of schema fields.
var primitiveKeywords = map[string]Kind{
	"any": KindAny, "string": KindString, "number": KindNumber, "int": KindInt, "bool": KindBool,
	"time": KindTime, "duration": KindDuration, "decimal": KindDecimal,
}

// Type describes the shape of a record or field as expressions see it.
type Type struct {
	Kind     Kind
	Elem     *Type    // list and map element
	Fields   []*Field // object fields, in declaration order
	Optional bool     // the value may be null or missing
	Schema   string   // name of the schema this object came from, if any
}

// Field is one named member of an object type.
type Field struct {
	Name      string
	Type      *Type
	Range     hcl.Range // whole declaration
	NameRange hcl.Range
}

// Convenience constructors.
var (
	AnyType      = &Type{Kind: KindAny}
	StringType   = &Type{Kind: KindString}
	NumberType   = &Type{Kind: KindNumber}
	IntType      = &Type{Kind: KindInt}
	BoolType     = &Type{Kind: KindBool}
	TimeType     = &Type{Kind: KindTime}
	DurationType = &Type{Kind: KindDuration}
	DecimalType  = &Type{Kind: KindDecimal}
)

// ListOf returns list(elem).
func ListOf(elem *Type) *Type { return &Type{Kind: KindList, Elem: elem} }

// MapOf returns map(elem).
func MapOf(elem *Type) *Type { return &Type{Kind: KindMap, Elem: elem} }

// ObjectOf returns an object type with fields.
func ObjectOf(fields ...*Field) *Type { return &Type{Kind: KindObject, Fields: fields} }

// Field returns the named field of an object type, or nil.
func (t *Type) Field(name string) *Field {
	if t == nil {
		return nil
	}
	for _, f := range t.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// FieldNames lists an object's field names, sorted.
func (t *Type) FieldNames() []string {
	names := make([]string, 0, len(t.Fields))
	for _, f := range t.Fields {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}

// String renders the type in the schema language.
func (t *Type) String() string {
	if t == nil {
		return "any"
	}
	var s string
	switch t.Kind {
	case KindList:
		s = "list(" + t.Elem.String() + ")"
	case KindMap:
		s = "map(" + t.Elem.String() + ")"
	case KindObject:
		if t.Schema != "" {
			s = "schema." + t.Schema
			break
		}
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			parts[i] = f.Name + " = " + f.Type.String()
		}
		s = "object({" + strings.Join(parts, ", ") + "})"
	default:
		s = kindNames[t.Kind]
	}
	if t.Optional {
		return "optional(" + s + ")"
	}
	return s
}

// TypeExpr is an unresolved type expression from a schema field; schema
// references are resolved by the compiler once every schema is known.
type TypeExpr struct {
	Expr hcl.Expression
}

// SchemaResolver resolves `schema.NAME` inside a type expression.
type SchemaResolver func(name string, rng hcl.Range) (*Type, hcl.Diagnostics)

// ParseType turns a type expression into a Type. Keywords: any, string,
// number, int, bool, time, duration, decimal; constructors list(T), map(T),
// optional(T), object({name = T, ...}); and schema.NAME.
func ParseType(expr hcl.Expression, resolve SchemaResolver) (*Type, hcl.Diagnostics) {
	if kw := hcl.ExprAsKeyword(expr); kw != "" {
		if k, ok := primitiveKeywords[kw]; ok {
			return &Type{Kind: k}, nil
		}
		return nil, hcl.Diagnostics{Errorf(CodeStaticType, expr.Range(), "Unknown type",
			"%q is not a type. Types are any, string, number, int, bool, time, duration, decimal, list(T), map(T), object({...}), optional(T) and schema.NAME.%s",
			kw, DidYouMean(kw, typeWords()))}
	}
	if trav, d := hcl.AbsTraversalForExpr(expr); !d.HasErrors() && len(trav) == 2 && trav.RootName() == "schema" {
		name := trav[1].(hcl.TraverseAttr).Name
		if resolve == nil {
			return AnyType, nil
		}
		return resolve(name, expr.Range())
	}
	call, diags := hcl.ExprCall(expr)
	if diags.HasErrors() {
		return nil, hcl.Diagnostics{Errorf(CodeStaticType, expr.Range(), "Invalid type expression",
			"A field type is a keyword (string, number, int, bool, time, duration, decimal, any), list(T), map(T), object({...}), optional(T) or schema.NAME.")}
	}
	argc := func(n int) hcl.Diagnostics {
		if len(call.Arguments) != n {
			return hcl.Diagnostics{Errorf(CodeStaticType, call.ArgsRange, "Wrong number of type arguments",
				"%s() takes exactly %d argument.", call.Name, n)}
		}
		return nil
	}
	switch call.Name {
	case "list", "map", "optional":
		if d := argc(1); d != nil {
			return nil, d
		}
		inner, d := ParseType(call.Arguments[0], resolve)
		if d.HasErrors() {
			return nil, d
		}
		switch call.Name {
		case "list":
			return ListOf(inner), d
		case "map":
			return MapOf(inner), d
		default:
			cp := *inner
			cp.Optional = true
			return &cp, d
		}
	case "object":
		if d := argc(1); d != nil {
			return nil, d
		}
		return parseObjectType(call.Arguments[0], resolve)
	}
	return nil, hcl.Diagnostics{Errorf(CodeStaticType, call.NameRange, "Unknown type constructor",
		"%q is not a type constructor; use list, map, object or optional.%s", call.Name, DidYouMean(call.Name, []string{"list", "map", "object", "optional"}))}
}

func parseObjectType(expr hcl.Expression, resolve SchemaResolver) (*Type, hcl.Diagnostics) {
	obj, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, hcl.Diagnostics{Errorf(CodeStaticType, expr.Range(), "Invalid object type",
			"object() takes an object of field types, e.g. object({ sku = string, qty = number }).")}
	}
	var diags hcl.Diagnostics
	t := &Type{Kind: KindObject}
	seen := map[string]bool{}
	for _, item := range obj.Items {
		name := hcl.ExprAsKeyword(item.KeyExpr)
		if name == "" {
			diags = append(diags, Errorf(CodeStaticType, item.KeyExpr.Range(), "Invalid field name", "Object field names are bare identifiers."))
			continue
		}
		if seen[name] {
			diags = append(diags, Errorf(CodeDuplicate, item.KeyExpr.Range(), "Duplicate field", "Field %q is declared twice in this object type.", name))
			continue
		}
		seen[name] = true
		ft, d := ParseType(item.ValueExpr, resolve)
		diags = append(diags, d...)
		if ft == nil {
			ft = AnyType
		}
		rng := hcl.RangeBetween(item.KeyExpr.Range(), item.ValueExpr.Range())
		t.Fields = append(t.Fields, &Field{Name: name, Type: ft, Range: rng, NameRange: item.KeyExpr.Range()})
	}
	return t, diags
}

func typeWords() []string {
	w := []string{"list", "map", "object", "optional"}
	for k := range primitiveKeywords {
		w = append(w, k)
	}
	return w
}
