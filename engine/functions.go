package engine

import (
	"fmt"

	"github.com/expr-lang/expr"
)

// Func is a function available to runtime expressions, beyond expr's
// built-ins. Signature and Doc feed docs/flow-language.md.
type Func struct {
	Name      string
	Signature string
	Doc       string
	Example   string
	Fn        func(params ...any) (any, error)
	Types     []any // expr function type declarations, for checking calls
}

// functions returns the flowctl function library; lookup reads the
// compiler's tables.
func (c *compiler) functions() []Func {
	return []Func{
		{
			Name:      "lookup",
			Signature: "lookup(table string, key any) any",
			Doc:       "Row (an object of the CSV columns, or the inline value) for key in a lookup table; nil when absent.",
			Example:   `lookup('carriers', record.carrier_code).name`,
			Fn: func(p ...any) (any, error) {
				name, _ := p[0].(string)
				t, ok := c.tables[name]
				if !ok {
					return nil, fmt.Errorf("lookup table %q is not loaded", name)
				}
				return t[fmt.Sprint(p[1])], nil
			},
			Types: []any{new(func(string, any) any)},
		},
	}
}

func (c *compiler) initFunctions() {
	for _, f := range c.functions() {
		c.funcOpts = append(c.funcOpts, expr.Function(f.Name, f.Fn, f.Types...))
		c.funcNames = append(c.funcNames, f.Name)
	}
	// expr built-ins used most in mappings, for "did you mean" suggestions.
	c.funcNames = append(c.funcNames, "len", "upper", "lower", "trim", "split", "join", "date", "duration", "now",
		"map", "filter", "all", "any", "none", "one", "sum", "first", "last", "keys", "values", "string", "int", "float",
		"abs", "round", "floor", "ceil", "max", "min", "hasPrefix", "hasSuffix", "replace", "repeat", "indexOf", "toJSON", "fromJSON")
}
