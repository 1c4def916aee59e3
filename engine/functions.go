package engine

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"
	"github.com/flowctl/flowctl/engine/exprlib"
)

// Func is a function available to runtime expressions, beyond expr's
// built-ins. Signature and Doc feed docs/flow-language.md.
type Func = exprlib.Func

// Functions lists every flowctl function of runtime expressions: the
// exprlib library plus lookup, which reads this configuration's tables.
func Functions() []Func {
	return append(exprlib.Funcs(), lookupFunc(nil))
}

func lookupFunc(tables map[string]map[string]any) Func {
	return Func{
		Name:      "lookup",
		Signature: "lookup(table string, key any) any",
		Doc:       "Row (an object of the CSV columns, or the inline value) for key in a lookup table; nil when absent.",
		Example:   `lookup('carriers', record.carrier_code).name`,
		Fn: func(p ...any) (any, error) {
			name, _ := p[0].(string)
			t, ok := tables[name]
			if !ok {
				return nil, fmt.Errorf("lookup: table %q is not loaded", name)
			}
			return t[fmt.Sprint(p[1])], nil
		},
		Types: []any{new(func(string, any) any)},
	}
}

// Clock is the time source of now() in a plan's expressions. Runs may pin
// it (RunOptions.Now) so tests and diffs of flows that use now() are
// deterministic.
type Clock struct {
	now atomic.Pointer[func() time.Time]
}

// Now returns the pinned time, or the wall clock.
func (c *Clock) Now() time.Time {
	if f := c.now.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// Set pins the clock; nil restores the wall clock.
func (c *Clock) Set(f func() time.Time) {
	if f == nil {
		c.now.Store(nil)
		return
	}
	c.now.Store(&f)
}

func (c *compiler) initFunctions() {
	lf := lookupFunc(c.tables)
	c.funcOpts = append(exprlib.Options(), expr.Function(lf.Name, lf.Fn, lf.Types...),
		// Replaces expr's now() so runs can pin it.
		expr.Function("now", func(...any) (any, error) { return c.clock.Now(), nil }, new(func() time.Time)))
	for _, f := range Functions() {
		c.funcNames = append(c.funcNames, f.Name)
	}
	// expr built-ins used most in mappings, for "did you mean" suggestions.
	c.funcNames = append(c.funcNames, "len", "upper", "lower", "trim", "split", "join", "date", "duration", "now",
		"map", "filter", "all", "any", "none", "one", "sum", "first", "last", "keys", "values", "string", "int", "float",
		"abs", "round", "floor", "ceil", "max", "min", "hasPrefix", "hasSuffix", "replace", "repeat", "indexOf", "toJSON", "fromJSON")
}
