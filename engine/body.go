package engine

import (
	"fmt"
	"slices"

	"github.com/flowctl/flowctl/dsl"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

func (s *Spec) bodySchema() *hcl.BodySchema {
	bs := &hcl.BodySchema{}
	for _, f := range s.Fields {
		bs.Attributes = append(bs.Attributes, hcl.AttributeSchema{Name: f.Name, Required: f.Required})
	}
	for _, b := range s.Blocks {
		bs.Blocks = append(bs.Blocks, hcl.BlockHeaderSchema{Type: b.Name})
	}
	return bs
}

// decodeBody decodes a connection, source or target body against a spec:
// static fields are evaluated and type-checked, expression fields compiled
// in sc, reference fields parsed (the caller resolves them).
func (c *compiler) decodeBody(body hcl.Body, spec *Spec, sc *scope, rng hcl.Range) (*Values, hcl.Diagnostics) {
	vals := &Values{Attrs: map[string]*Value{}, Blocks: map[string][]*Values{}, Range: rng}
	content, diags := body.Content(spec.bodySchema())
	dsl.WithCode(diags, dsl.CodeSchema)
	for i := range spec.Fields {
		f := &spec.Fields[i]
		a := content.Attributes[f.Name]
		if a == nil {
			if f.Default != cty.NilVal {
				vals.Attrs[f.Name] = &Value{Name: f.Name, Val: f.Default, Range: rng}
			}
			continue
		}
		v, d := c.decodeField(f, a, sc)
		diags = append(diags, d...)
		if v != nil {
			vals.Attrs[f.Name] = v
		}
	}
	for _, bs := range spec.Blocks {
		for i, blk := range content.Blocks.OfType(bs.Name) {
			if i > 0 && !bs.Multi {
				diags = append(diags, dsl.Errorf(dsl.CodeDuplicate, blk.DefRange, fmt.Sprintf("Duplicate %s block", bs.Name),
					"Only one %s block is allowed here.", bs.Name))
				continue
			}
			sub, d := c.decodeBody(blk.Body, bs.Spec, sc, blk.DefRange)
			diags = append(diags, d...)
			vals.Blocks[bs.Name] = append(vals.Blocks[bs.Name], sub)
		}
	}
	if spec.Check != nil && !diags.HasErrors() {
		for _, msg := range spec.Check(vals) {
			diags = append(diags, dsl.Errorf(dsl.CodeSchema, rng, "Invalid settings", "%s", msg))
		}
	}
	return vals, diags
}

func (c *compiler) decodeField(f *Field, a *hcl.Attribute, sc *scope) (*Value, hcl.Diagnostics) {
	v := &Value{Name: f.Name, Range: a.Range}
	switch {
	case f.Ref != "":
		n := 1
		if f.Ref == "connection" {
			n = 2
		}
		ref, diags := dsl.ParseRef(a.Expr, f.Ref, n)
		v.Ref = ref
		return v, diags
	case f.Expr != nil:
		e, diags := dsl.NewExpr(f.Name, a.Expr, c.cfg.Sources[a.Expr.Range().Filename])
		if diags.HasErrors() {
			return nil, diags
		}
		p, d := c.compileExpr(e, sc, f.Expr)
		v.Expr = p
		return v, append(diags, d...)
	}
	val, diags := c.static.eval(a.Expr)
	if diags.HasErrors() {
		return nil, diags
	}
	secret := IsSecret(val)
	if secret && !f.Secret {
		diags = append(diags, dsl.Errorf(dsl.CodeSecret, a.Expr.Range(), "Secret in a non-secret field",
			"%s is not a credential field, so its value may be printed in logs, dry runs and diffs; a secret() value or sensitive variable cannot go here.", f.Name))
		return nil, diags
	}
	if f.Secret && !secret && val.IsKnown() && !val.IsNull() {
		diags = append(diags, dsl.Warnf(dsl.CodeSecret, a.Expr.Range(), "Credential in plain text",
			"%s holds a credential written into the flow file; use secret(\"NAME\") so it is read at run time and never printed.", f.Name))
	}
	unmarked, marks := val.UnmarkDeep()
	conv, err := convert.Convert(unmarked, f.Type)
	if err != nil {
		diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), fmt.Sprintf("Invalid value for %s", f.Name),
			"%s must be %s: %v.", f.Name, friendlyType(f.Type), err))
		return nil, diags
	}
	if conv.IsKnown() && !conv.IsNull() {
		if len(f.OneOf) > 0 && f.Type == cty.String && !slices.Contains(f.OneOf, conv.AsString()) {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), fmt.Sprintf("Invalid value for %s", f.Name),
				"%s is one of %s; got %q.%s", f.Name, quoteAll(f.OneOf), conv.AsString(), dsl.DidYouMean(conv.AsString(), f.OneOf)))
			return nil, diags
		}
		if f.Check != nil {
			if err := f.Check(conv); err != nil {
				diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), fmt.Sprintf("Invalid value for %s", f.Name), "%s: %v.", f.Name, err))
				return nil, diags
			}
		}
	}
	if len(marks) > 0 {
		conv = conv.WithMarks(marks)
	}
	v.Val = conv
	if !conv.IsWhollyKnown() {
		v.Missing = c.static.missingNames(a.Expr)
	}
	return v, diags
}

func friendlyType(t cty.Type) string {
	if t == cty.DynamicPseudoType {
		return "any value"
	}
	return "a " + t.FriendlyName()
}

func quoteAll(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", s)
	}
	return out
}
