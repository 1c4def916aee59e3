// Package exprlib is the flowctl function library for runtime (per-record)
// expressions written in expr.
//
// Every function is registered with expr function type declarations, so a
// call with wrong argument types is rejected when the flow is loaded, not when
// the first record arrives. Values whose type is unknown at compile time (a
// field of an untyped map[string]any record) pass the checker and are
// converted at run time; a value that cannot be converted is an error that
// names the function, e.g.
//
//	round_to: x must be a number, got string
//
// The library covers dates and times with time zones, exact decimal money
// arithmetic (the Decimal type, with + - * / and comparisons overloaded for
// Decimal operands), float rounding, unit conversion, strings and regular
// expressions, null handling, and hashing/UUIDs for idempotency keys. It
// deliberately does not redefine expr built-ins (date, duration, now, round,
// trim, upper, replace, ...).
//
// The package embeds the IANA time zone database (time/tzdata), so time zones
// work on hosts without /usr/share/zoneinfo.
package exprlib

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"

	_ "time/tzdata" // time zones must work on hosts without /usr/share/zoneinfo
)

// Func is one function available to runtime expressions.
type Func struct {
	Name      string
	Signature string // e.g. "round_to(x number, places int) number"
	Doc       string // one sentence
	Example   string // an expr expression using it, with literals only
	Fn        func(params ...any) (any, error)
	Types     []any // expr function type declarations, so calls are type-checked at compile time
}

var (
	libOnce sync.Once
	lib     []Func
	libOpts []expr.Option
)

// operators maps expr binary operators to the Decimal functions that
// implement them when both operands are statically known to be Decimal (or a
// Decimal and an int or float64).
var operators = []struct{ op, fn string }{
	{"+", "dec_add"},
	{"-", "dec_sub"},
	{"*", "dec_mul"},
	{"/", "dec_quo"},
	{"==", "dec_eq"},
	{"!=", "dec_ne"},
	{"<", "dec_lt"},
	{"<=", "dec_le"},
	{">", "dec_gt"},
	{">=", "dec_ge"},
}

func build() {
	var all []Func
	all = append(all, timeFuncs()...)
	all = append(all, decimalFuncs()...)
	all = append(all, numberFuncs()...)
	all = append(all, stringFuncs()...)
	all = append(all, miscFuncs()...)
	slices.SortFunc(all, func(a, b Func) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(all); i++ {
		if all[i].Name == all[i-1].Name {
			panic("exprlib: duplicate function " + all[i].Name)
		}
	}
	lib = all
	for _, f := range all {
		libOpts = append(libOpts, expr.Function(f.Name, f.Fn, f.Types...))
	}
	for _, o := range operators {
		libOpts = append(libOpts, expr.Operator(o.op, o.fn))
	}
}

// Funcs returns the whole library, sorted by name. The slice is a copy; the
// Funcs in it share their Fn and Types with the library.
func Funcs() []Func {
	libOnce.Do(build)
	return slices.Clone(lib)
}

// Options returns the expr options that install the library: an
// expr.Function for every Func and the expr.Operator overloads that make
// + - * / == != < <= > >= work on Decimal operands. Use it together with
// expr.Env, in either order:
//
//	expr.Compile(src, append(exprlib.Options(), expr.Env(env))...)
func Options() []expr.Option {
	libOnce.Do(build)
	return slices.Clone(libOpts)
}

// arity wraps fn so that it is called only with between min and max
// arguments (max < 0: no upper bound). The expr checker already enforces the
// declared Types; this guards direct calls of Func.Fn.
func arity(name string, min, max int, fn func(p ...any) (any, error)) func(p ...any) (any, error) {
	return func(p ...any) (any, error) {
		if len(p) < min || (max >= 0 && len(p) > max) {
			want := fmt.Sprint(min)
			switch {
			case max < 0:
				want = fmt.Sprintf("at least %d", min)
			case max != min:
				want = fmt.Sprintf("%d to %d", min, max)
			}
			return nil, fmt.Errorf("%s: want %s arguments, got %d", name, want, len(p))
		}
		return fn(p...)
	}
}
