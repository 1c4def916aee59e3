package dsl

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Expr is a runtime expression: expr-language source held in an HCL string.
// It remembers where each byte of the decoded source sits in the flow file so
// that expr's errors can point inside the string.
type Expr struct {
	Source string    // decoded expr source
	Range  hcl.Range // the HCL expression, quotes included
	Attr   string    // attribute (or field) name, for messages

	file    []byte // whole flow file
	offsets []int  // offsets[i] = file byte offset of Source[i]; len(Source)+1 entries
}

// RangeOf maps a rune range [from, to) of Source (as expr reports it) to a
// range in the flow file.
func (e *Expr) RangeOf(from, to int) hcl.Range {
	if e.offsets == nil {
		return e.Range
	}
	bf, bt := runeToByte(e.Source, from), runeToByte(e.Source, to)
	if bt <= bf {
		bt = bf + 1
		if bt > len(e.Source) {
			bt = len(e.Source)
		}
	}
	start := e.offsets[bf]
	end := e.offsets[bt]
	if bt > 0 && bt <= len(e.Source) {
		// End just after the last byte covered rather than at the next
		// source byte, which may be after an escape sequence.
		end = e.offsets[bt-1] + 1
	}
	if end < start {
		end = start
	}
	return hcl.Range{Filename: e.Range.Filename, Start: posAt(e.file, start), End: posAt(e.file, end)}
}

func runeToByte(s string, runes int) int {
	if runes <= 0 {
		return 0
	}
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

// posAt computes an hcl.Pos for a byte offset in src.
func posAt(src []byte, off int) hcl.Pos {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for i := 0; i < off; {
		r, size := utf8.DecodeRune(src[i:])
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += size
	}
	return hcl.Pos{Line: line, Column: col, Byte: off}
}

// NewExpr builds a runtime expression from an attribute. The value must be a
// literal string (quoted or heredoc) without interpolation; a bare number or
// bool is taken as an expr literal for convenience.
func NewExpr(name string, x hcl.Expression, file []byte) (*Expr, hcl.Diagnostics) {
	rng := x.Range()
	switch v := x.(type) {
	case *hclsyntax.LiteralValueExpr:
		switch v.Val.Type() {
		case cty.Number:
			bf := v.Val.AsBigFloat()
			return &Expr{Source: bf.Text('g', -1), Range: rng, Attr: name}, nil
		case cty.Bool:
			return &Expr{Source: strconv.FormatBool(v.Val.True()), Range: rng, Attr: name}, nil
		}
	case *hclsyntax.TemplateExpr:
		var b strings.Builder
		for _, p := range v.Parts {
			lit, ok := p.(*hclsyntax.LiteralValueExpr)
			if !ok || lit.Val.Type() != cty.String {
				return nil, hcl.Diagnostics{Errorf(CodeExprSyntax, p.Range(), "Interpolation in a runtime expression",
					"%s is an expr expression evaluated per record; it cannot contain HCL ${...} templates. Refer to static values inside the expression instead, e.g. \"record.total > var.limit\".", name)}
			}
			b.WriteString(lit.Val.AsString())
		}
		e := &Expr{Source: b.String(), Range: rng, Attr: name, file: file}
		e.offsets = alignOffsets(e.Source, file, rng)
		return e, nil
	case *hclsyntax.ScopeTraversalExpr:
		src := string(rng.SliceBytes(file))
		return nil, hcl.Diagnostics{Errorf(CodeExprSyntax, rng, "Runtime expression must be a string",
			"%s is evaluated per record in expr syntax and is written as a string: %s = %q.", name, name, src)}
	}
	return nil, hcl.Diagnostics{Errorf(CodeExprSyntax, rng, "Runtime expression must be a string",
		"%s takes an expr expression written as a string, e.g. \"record.name\".", name)}
}

// alignOffsets maps each byte of decoded to its byte offset in the file.
// Quoted strings are walked escape by escape; heredocs (no escapes but $${ and
// %%{, and possibly stripped indentation) are aligned greedily.
func alignOffsets(decoded string, file []byte, rng hcl.Range) []int {
	if file == nil || rng.End.Byte > len(file) {
		return nil
	}
	raw := file[rng.Start.Byte:rng.End.Byte]
	offs := make([]int, 0, len(decoded)+1)
	base := rng.Start.Byte
	if len(raw) > 0 && raw[0] == '"' {
		for i := 1; i < len(raw)-1; {
			c := raw[i]
			n := 1 // decoded bytes this source step produces
			step := 1
			switch {
			case c == '\\' && i+1 < len(raw)-1:
				switch raw[i+1] {
				case 'u':
					step = 6
					n = utf8Len(raw, i+2, 4)
				case 'U':
					step = 10
					n = utf8Len(raw, i+2, 8)
				default:
					step = 2
				}
			case (c == '$' || c == '%') && i+2 < len(raw) && raw[i+1] == c && raw[i+2] == '{':
				// $${ decodes to ${: the first byte maps to the second char.
				offs = append(offs, base+i+1)
				i += 2
				continue
			}
			for k := 0; k < n; k++ {
				offs = append(offs, base+i)
			}
			i += step
		}
	} else {
		// Heredoc: content starts after the first newline.
		j := 0
		if nl := indexByte(raw, '\n'); nl >= 0 {
			j = nl + 1
		}
		for i := 0; i < len(decoded); i++ {
			for j < len(raw) && raw[j] != decoded[i] {
				j++
			}
			if j >= len(raw) {
				return nil
			}
			offs = append(offs, base+j)
			j++
		}
	}
	if len(offs) != len(decoded) {
		return nil // unexpected encoding; fall back to the whole range
	}
	end := base + len(raw)
	if len(raw) > 0 && raw[0] == '"' {
		end--
	}
	return append(offs, end)
}

func utf8Len(raw []byte, at, hexDigits int) int {
	if at+hexDigits > len(raw) {
		return 1
	}
	v, err := strconv.ParseUint(string(raw[at:at+hexDigits]), 16, 32)
	if err != nil {
		return 1
	}
	return utf8.RuneLen(rune(v))
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}
