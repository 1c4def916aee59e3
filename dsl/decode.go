package dsl

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "connection", LabelNames: []string{"kind", "name"}},
	{Type: "schema", LabelNames: []string{"name"}},
	{Type: "lookup", LabelNames: []string{"name"}},
	{Type: "flow", LabelNames: []string{"name"}},
}}

var variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
}}

var lookupSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "file"}, {Name: "key"}, {Name: "values"},
}}

var flowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"}, {Name: "key"}, {Name: "milestone"}, {Name: "ordered"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "source", LabelNames: []string{"kind"}},
		{Type: "validate", LabelNames: []string{"name"}},
		{Type: "map", LabelNames: []string{"name"}},
		{Type: "split", LabelNames: []string{"name"}},
		{Type: "route"},
		{Type: "target", LabelNames: []string{"kind", "name"}},
	},
}

var validateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "when"}, {Name: "check", Required: true}, {Name: "message"}, {Name: "on_fail"},
}}

var splitSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "each", Required: true}}}

var routeSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "when"}, {Name: "target"}, {Name: "targets"},
}}

// Reserved attribute names inside a map block; every other attribute is a field.
var mapReserved = map[string]bool{"schema": true, "when": true}

type decoder struct {
	// broken is set while decoding a file with syntax errors: structural
	// checks (a flow without a source) would only repeat them.
	broken bool
	cfg    *Config
	src    []byte               // bytes of the file being decoded
	seen   map[string]hcl.Range // "kind name" → first declaration
}

func (d *decoder) unique(kind, name string, rng hcl.Range) hcl.Diagnostics {
	k := kind + " " + name
	if prev, ok := d.seen[k]; ok {
		return hcl.Diagnostics{Errorf(CodeDuplicate, rng, fmt.Sprintf("Duplicate %s %q", kind, name),
			"A %s named %q was already declared at %s.", kind, name, prev.String())}
	}
	d.seen[k] = rng
	return nil
}

func (d *decoder) validName(what, name string, rng hcl.Range) hcl.Diagnostics {
	if !hclsyntax.ValidIdentifier(name) {
		return hcl.Diagnostics{Errorf(CodeSchema, rng, "Invalid "+what+" name",
			"%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)}
	}
	return nil
}

func (d *decoder) file(body *hclsyntax.Body) hcl.Diagnostics {
	content, diags := body.Content(rootSchema)
	WithCode(diags, CodeSchema)
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "variable":
			diags = append(diags, d.variable(blk)...)
		case "locals":
			diags = append(diags, d.locals(blk)...)
		case "connection":
			kind, name := blk.Labels[0], blk.Labels[1]
			diags = append(diags, d.validName("connection", name, blk.LabelRanges[1])...)
			diags = append(diags, d.unique("connection", kind+"."+name, blk.DefRange)...)
			d.cfg.Connections = append(d.cfg.Connections, &Connection{Kind: kind, Name: name, Body: blk.Body,
				DeclRange: blk.DefRange, KindRange: blk.LabelRanges[0], NameRange: blk.LabelRanges[1]})
		case "schema":
			diags = append(diags, d.schema(blk)...)
		case "lookup":
			diags = append(diags, d.lookup(blk)...)
		case "flow":
			diags = append(diags, d.flow(blk)...)
		}
	}
	return diags
}

func (d *decoder) variable(blk *hcl.Block) hcl.Diagnostics {
	name := blk.Labels[0]
	diags := d.validName("variable", name, blk.LabelRanges[0])
	diags = append(diags, d.unique("variable", name, blk.DefRange)...)
	content, cd := blk.Body.Content(variableSchema)
	diags = append(diags, WithCode(cd, CodeSchema)...)
	v := &Variable{Name: name, Type: cty.DynamicPseudoType, DeclRange: blk.DefRange, NameRange: blk.LabelRanges[0]}
	if a := content.Attributes["type"]; a != nil {
		ty, td := typeexpr.TypeConstraint(a.Expr)
		diags = append(diags, WithCode(td, CodeStaticType)...)
		if !td.HasErrors() {
			v.Type = ty
		}
	}
	if a := content.Attributes["default"]; a != nil {
		v.Default = a.Expr
	}
	if a := content.Attributes["description"]; a != nil {
		s, sd := staticString(a)
		v.Description = s
		diags = append(diags, sd...)
	}
	if a := content.Attributes["sensitive"]; a != nil {
		b, sd := staticBool(a)
		v.Sensitive = b
		diags = append(diags, sd...)
	}
	d.cfg.Variables = append(d.cfg.Variables, v)
	return diags
}

func (d *decoder) locals(blk *hcl.Block) hcl.Diagnostics {
	attrs, diags := blk.Body.JustAttributes()
	WithCode(diags, CodeSchema)
	for _, a := range sortedAttrs(attrs) {
		diags = append(diags, d.unique("local", a.Name, a.NameRange)...)
		d.cfg.Locals = append(d.cfg.Locals, &Local{Name: a.Name, Expr: a.Expr, DeclRange: a.Range})
	}
	return diags
}

func (d *decoder) schema(blk *hcl.Block) hcl.Diagnostics {
	name := blk.Labels[0]
	diags := d.validName("schema", name, blk.LabelRanges[0])
	diags = append(diags, d.unique("schema", name, blk.DefRange)...)
	attrs, ad := blk.Body.JustAttributes()
	diags = append(diags, WithCode(ad, CodeSchema)...)
	s := &Schema{Name: name, DeclRange: blk.DefRange, NameRange: blk.LabelRanges[0]}
	for _, a := range sortedAttrs(attrs) {
		s.Fields = append(s.Fields, &SchemaField{Name: a.Name, TypeExpr: a.Expr, DeclRange: a.Range, NameRange: a.NameRange})
	}
	d.cfg.Schemas = append(d.cfg.Schemas, s)
	return diags
}

func (d *decoder) lookup(blk *hcl.Block) hcl.Diagnostics {
	name := blk.Labels[0]
	diags := d.validName("lookup", name, blk.LabelRanges[0])
	diags = append(diags, d.unique("lookup", name, blk.DefRange)...)
	content, cd := blk.Body.Content(lookupSchema)
	diags = append(diags, WithCode(cd, CodeSchema)...)
	l := &Lookup{Name: name, DeclRange: blk.DefRange, NameRange: blk.LabelRanges[0], Dir: filepath.Dir(blk.DefRange.Filename)}
	if a := content.Attributes["file"]; a != nil {
		l.File, cd = staticString(a)
		l.FileRange = a.Expr.Range()
		diags = append(diags, cd...)
	}
	if a := content.Attributes["key"]; a != nil {
		l.Key, cd = staticString(a)
		diags = append(diags, cd...)
	}
	if a := content.Attributes["values"]; a != nil {
		l.Values = a.Expr
	}
	switch {
	case l.File == "" && l.Values == nil:
		diags = append(diags, Errorf(CodeSchema, blk.DefRange, "Lookup has no rows",
			"A lookup table takes either file (a CSV file with a header row) and key (its key column), or values (an inline map)."))
	case l.File != "" && l.Values != nil:
		diags = append(diags, Errorf(CodeSchema, content.Attributes["values"].NameRange, "Conflicting lookup rows",
			"Give either file or values, not both."))
	case l.File != "" && l.Key == "":
		diags = append(diags, Errorf(CodeSchema, blk.DefRange, "Missing key column",
			"A CSV lookup needs key = \"<column>\" naming the column that rows are looked up by."))
	}
	d.cfg.Lookups = append(d.cfg.Lookups, l)
	return diags
}

func (d *decoder) flow(blk *hcl.Block) hcl.Diagnostics {
	name := blk.Labels[0]
	diags := d.validName("flow", name, blk.LabelRanges[0])
	diags = append(diags, d.unique("flow", name, blk.DefRange)...)
	content, cd := blk.Body.Content(flowSchema)
	diags = append(diags, WithCode(cd, CodeSchema)...)
	f := &Flow{Name: name, DeclRange: blk.DefRange, NameRange: blk.LabelRanges[0]}
	if a := content.Attributes["description"]; a != nil {
		f.Description, cd = staticString(a)
		diags = append(diags, cd...)
	}
	if a := content.Attributes["milestone"]; a != nil {
		f.Milestone, cd = staticString(a)
		diags = append(diags, cd...)
	}
	if a := content.Attributes["ordered"]; a != nil {
		f.Ordered, cd = staticBool(a)
		diags = append(diags, cd...)
	}
	if a := content.Attributes["key"]; a != nil {
		f.Key, cd = NewExpr("key", a.Expr, d.src)
		diags = append(diags, cd...)
	}
	local := map[string]hcl.Range{} // step and target names within this flow
	uniqueInFlow := func(kind, n string, rng hcl.Range) hcl.Diagnostics {
		k := kind + " " + n
		if prev, ok := local[k]; ok {
			return hcl.Diagnostics{Errorf(CodeDuplicate, rng, fmt.Sprintf("Duplicate %s %q", kind, n),
				"Flow %q already has a %s named %q at %s.", name, kind, n, prev.String())}
		}
		local[k] = rng
		return nil
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "source":
			if f.Source != nil {
				diags = append(diags, Errorf(CodeDuplicate, b.DefRange, "Duplicate source",
					"Flow %q already has a source at %s; a flow reads from exactly one source.", name, f.Source.DeclRange.String()))
				continue
			}
			f.Source = &Source{Kind: b.Labels[0], Body: b.Body, DeclRange: b.DefRange, KindRange: b.LabelRanges[0]}
		case "validate":
			diags = append(diags, uniqueInFlow("step", b.Labels[0], b.DefRange)...)
			v, vd := d.validate(b)
			diags = append(diags, vd...)
			f.Steps = append(f.Steps, v)
		case "map":
			diags = append(diags, uniqueInFlow("step", b.Labels[0], b.DefRange)...)
			m, md := d.mapBlock(b)
			diags = append(diags, md...)
			f.Steps = append(f.Steps, m)
		case "split":
			diags = append(diags, uniqueInFlow("step", b.Labels[0], b.DefRange)...)
			s, sd := d.split(b)
			diags = append(diags, sd...)
			f.Steps = append(f.Steps, s)
		case "route":
			r, rd := d.route(b)
			diags = append(diags, rd...)
			f.Routes = append(f.Routes, r)
		case "target":
			diags = append(diags, d.validName("target", b.Labels[1], b.LabelRanges[1])...)
			diags = append(diags, uniqueInFlow("target", b.Labels[1], b.DefRange)...)
			f.Targets = append(f.Targets, &Target{Kind: b.Labels[0], Name: b.Labels[1], Body: b.Body,
				DeclRange: b.DefRange, KindRange: b.LabelRanges[0], NameRange: b.LabelRanges[1]})
		}
	}
	if f.Source == nil && !d.broken {
		diags = append(diags, Errorf(CodeSchema, blk.DefRange, "Flow has no source",
			"Flow %q needs a source block, e.g. source \"file\" { path = \"orders.ndjson\" }.", name))
	}
	if len(f.Targets) == 0 && !d.broken {
		diags = append(diags, Errorf(CodeSchema, blk.DefRange, "Flow has no target",
			"Flow %q needs at least one target block, e.g. target \"stdout\" \"out\" { body = \"record\" }.", name))
	}
	d.cfg.Flows = append(d.cfg.Flows, f)
	return diags
}

func (d *decoder) validate(b *hcl.Block) (*Validate, hcl.Diagnostics) {
	content, diags := b.Body.Content(validateSchema)
	WithCode(diags, CodeSchema)
	v := &Validate{Name: b.Labels[0], OnFail: OnFailReject, DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	var ed hcl.Diagnostics
	if a := content.Attributes["when"]; a != nil {
		v.When, ed = NewExpr("when", a.Expr, d.src)
		diags = append(diags, ed...)
	}
	if a := content.Attributes["check"]; a != nil {
		v.Check, ed = NewExpr("check", a.Expr, d.src)
		diags = append(diags, ed...)
	}
	if a := content.Attributes["message"]; a != nil {
		v.Message, ed = NewExpr("message", a.Expr, d.src)
		diags = append(diags, ed...)
	}
	if a := content.Attributes["on_fail"]; a != nil {
		s, sd := staticString(a)
		diags = append(diags, sd...)
		switch OnFail(s) {
		case OnFailReject, OnFailSkip, OnFailWarn:
			v.OnFail = OnFail(s)
		default:
			if !sd.HasErrors() {
				diags = append(diags, Errorf(CodeStaticType, a.Expr.Range(), "Invalid on_fail",
					"on_fail is \"reject\" (the record goes to the rejects/dead-letter store), \"skip\" or \"warn\"; got %q.", s))
			}
		}
	}
	return v, diags
}

func (d *decoder) mapBlock(b *hcl.Block) (*Map, hcl.Diagnostics) {
	m := &Map{Name: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	body := b.Body.(*hclsyntax.Body)
	var diags hcl.Diagnostics
	if a := body.Attributes["schema"]; a != nil {
		var rd hcl.Diagnostics
		m.Schema, rd = ParseRef(a.Expr, "schema", 1)
		diags = append(diags, rd...)
	}
	if a := body.Attributes["when"]; a != nil {
		var ed hcl.Diagnostics
		m.When, ed = NewExpr("when", a.Expr, d.src)
		diags = append(diags, ed...)
	}
	fields, fd := d.mapFields(body, true)
	m.Fields = fields
	diags = append(diags, fd...)
	if len(m.Fields) == 0 {
		diags = append(diags, Errorf(CodeSchema, b.DefRange, "Map has no fields",
			"Map %q builds a record from its attributes (field = \"expression\"); it has none.", m.Name))
	}
	return m, diags
}

// mapFields reads the fields of a map block or of a nested object block.
func (d *decoder) mapFields(body *hclsyntax.Body, top bool) ([]*MapField, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var fields []*MapField
	seen := map[string]hcl.Range{}
	add := func(f *MapField) {
		if prev, ok := seen[f.Name]; ok {
			diags = append(diags, Errorf(CodeDuplicate, f.NameRange, fmt.Sprintf("Duplicate field %q", f.Name),
				"Field %q is already mapped at %s.", f.Name, prev.String()))
			return
		}
		seen[f.Name] = f.NameRange
		fields = append(fields, f)
	}
	for _, a := range sortedSyntaxAttrs(body.Attributes) {
		if top && mapReserved[a.Name] {
			continue
		}
		e, ed := NewExpr(a.Name, a.Expr, d.src)
		diags = append(diags, ed...)
		add(&MapField{Name: a.Name, Expr: e, DeclRange: a.SrcRange, NameRange: a.NameRange})
	}
	for _, blk := range body.Blocks {
		if len(blk.Labels) > 0 {
			diags = append(diags, Errorf(CodeSchema, blk.LabelRanges[0], "Unexpected label",
				"A nested object field is written as a block without labels: %s { ... }.", blk.Type))
		}
		sub, sd := d.mapFields(blk.Body, false)
		diags = append(diags, sd...)
		add(&MapField{Name: blk.Type, Fields: sub, DeclRange: blk.Range(), NameRange: blk.TypeRange})
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].DeclRange.Start.Byte < fields[j].DeclRange.Start.Byte })
	return fields, diags
}

func (d *decoder) split(b *hcl.Block) (*Split, hcl.Diagnostics) {
	content, diags := b.Body.Content(splitSchema)
	WithCode(diags, CodeSchema)
	s := &Split{Name: b.Labels[0], DeclRange: b.DefRange, NameRange: b.LabelRanges[0]}
	if a := content.Attributes["each"]; a != nil {
		var ed hcl.Diagnostics
		s.Each, ed = NewExpr("each", a.Expr, d.src)
		diags = append(diags, ed...)
	}
	return s, diags
}

func (d *decoder) route(b *hcl.Block) (*Route, hcl.Diagnostics) {
	content, diags := b.Body.Content(routeSchema)
	WithCode(diags, CodeSchema)
	r := &Route{DeclRange: b.DefRange}
	if a := content.Attributes["when"]; a != nil {
		var ed hcl.Diagnostics
		r.When, ed = NewExpr("when", a.Expr, d.src)
		diags = append(diags, ed...)
	}
	one, many := content.Attributes["target"], content.Attributes["targets"]
	switch {
	case one != nil && many != nil:
		diags = append(diags, Errorf(CodeSchema, many.NameRange, "Conflicting route targets", "Use target or targets, not both."))
	case one != nil:
		ref, rd := ParseRef(one.Expr, "target", 1)
		diags = append(diags, rd...)
		if ref != nil {
			r.Targets = append(r.Targets, ref)
		}
	case many != nil:
		items, ld := hcl.ExprList(many.Expr)
		diags = append(diags, WithCode(ld, CodeStaticType)...)
		for _, it := range items {
			ref, rd := ParseRef(it, "target", 1)
			diags = append(diags, rd...)
			if ref != nil {
				r.Targets = append(r.Targets, ref)
			}
		}
	default:
		diags = append(diags, Errorf(CodeSchema, b.DefRange, "Route has no target",
			"A route names where matching records go: target = target.NAME (or targets = [...])."))
	}
	return r, diags
}

// ParseRef reads a static reference root.part1[.part2...] with exactly n parts.
func ParseRef(x hcl.Expression, root string, n int) (*Ref, hcl.Diagnostics) {
	trav, diags := hcl.AbsTraversalForExpr(x)
	example := root + ".NAME"
	if root == "connection" {
		example = "connection.KIND.NAME"
	}
	if diags.HasErrors() || trav.RootName() != root || len(trav) != n+1 {
		return nil, hcl.Diagnostics{Errorf(CodeReference, x.Range(), "Invalid reference",
			"Expected a reference of the form %s.", example)}
	}
	ref := &Ref{Root: root, Range: x.Range()}
	for _, t := range trav[1:] {
		a, ok := t.(hcl.TraverseAttr)
		if !ok {
			return nil, hcl.Diagnostics{Errorf(CodeReference, x.Range(), "Invalid reference", "Expected a reference of the form %s.", example)}
		}
		ref.Parts = append(ref.Parts, a.Name)
	}
	return ref, nil
}

func staticString(a *hcl.Attribute) (string, hcl.Diagnostics) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return "", hcl.Diagnostics{Errorf(CodeStaticType, a.Expr.Range(), "Literal string required",
			"%s takes a literal string here; variables and functions are not available for it.", a.Name)}
	}
	if !v.IsWhollyKnown() {
		return "", nil // only after a syntax error, which is reported already
	}
	v, err := convert.Convert(v, cty.String)
	if err != nil || v.IsNull() {
		return "", hcl.Diagnostics{Errorf(CodeStaticType, a.Expr.Range(), "Invalid value", "%s must be a string.", a.Name)}
	}
	return v.AsString(), nil
}

func staticBool(a *hcl.Attribute) (bool, hcl.Diagnostics) {
	v, diags := a.Expr.Value(nil)
	if !diags.HasErrors() && !v.IsWhollyKnown() {
		return false, nil // only after a syntax error, which is reported already
	}
	if !diags.HasErrors() {
		if v, err := convert.Convert(v, cty.Bool); err == nil && !v.IsNull() {
			return v.True(), nil
		}
	}
	return false, hcl.Diagnostics{Errorf(CodeStaticType, a.Expr.Range(), "Invalid value", "%s must be true or false.", a.Name)}
}

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}

func sortedSyntaxAttrs(attrs hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}
