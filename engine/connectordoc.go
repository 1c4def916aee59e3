package engine

import (
	"fmt"
	"io"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// WriteConnectorDocs writes the reference of every registered connector as
// Markdown, from the same specs that drive decoding and lint.
func (r *Registry) WriteConnectorDocs(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Connectors\n\nGenerated from the connector specs by `flowctl docs connectors`; do not edit by hand.\n")
	b.WriteString("Fields marked **secret** take `secret(\"NAME\")` (or a sensitive variable) and are never printed.\n")
	b.WriteString("Besides the fields below, every source takes `schema` (the declared record type) and every target\n")
	b.WriteString("takes `body` (what to write; default: the last map's output, else `record`) and `idempotency_key`;\n")
	b.WriteString("sources and targets of a kind with connections take `connection = connection.KIND.NAME`.\n")
	for _, kind := range r.Kinds(nil) {
		c, _ := r.Get(kind)
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", kind, c.Doc)
		if c.Connection != nil {
			fmt.Fprintf(&b, "\n### connection \"%s\" \"NAME\"\n", kind)
			writeSpec(&b, c.Connection, "")
		}
		if c.Source != nil {
			fmt.Fprintf(&b, "\n### source \"%s\"\n\n%s\n", kind, c.Source.Doc)
			writeSpec(&b, &c.Source.Spec, "")
		}
		if c.Target != nil {
			fmt.Fprintf(&b, "\n### target \"%s\" \"NAME\"\n\n%s\n", kind, c.Target.Doc)
			writeSpec(&b, &c.Target.Spec, "")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSpec(b *strings.Builder, s *Spec, prefix string) {
	if len(s.Fields) > 0 {
		b.WriteString("\n| field | type | required | default | description |\n|---|---|---|---|---|\n")
		for _, f := range s.Fields {
			req := ""
			if f.Required {
				req = "yes"
			}
			desc := f.Doc
			if f.Secret {
				desc = "**secret**. " + desc
			}
			if len(f.OneOf) > 0 {
				desc += " One of " + quoteAll(f.OneOf) + "."
			}
			if f.Example != "" {
				desc += " Example: `" + f.Example + "`."
			}
			fmt.Fprintf(b, "| `%s%s` | %s | %s | %s | %s |\n", prefix, f.Name, fieldType(&f), req, defaultText(f.Default), strings.ReplaceAll(desc, "|", "\\|"))
		}
	}
	for _, blk := range s.Blocks {
		fmt.Fprintf(b, "\nBlock `%s%s { }`: %s\n", prefix, blk.Name, blk.Doc)
		writeSpec(b, blk.Spec, prefix+blk.Name+".")
	}
}

func fieldType(f *Field) string {
	switch {
	case f.Ref != "":
		return "reference to a " + f.Ref
	case f.Expr != nil:
		return "expression (" + f.Expr.String() + ")"
	case f.Type == cty.DynamicPseudoType:
		return "any"
	}
	return f.Type.FriendlyName()
}

func defaultText(v cty.Value) string {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() {
		return ""
	}
	switch v.Type() {
	case cty.String:
		return fmt.Sprintf("`%q`", v.AsString())
	case cty.Bool:
		return fmt.Sprintf("`%t`", v.True())
	case cty.Number:
		return "`" + v.AsBigFloat().Text('g', -1) + "`"
	}
	return ""
}
