package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine/exprlib"
)

// coerce converts a decoded value to the runtime representation of t:
// JSON numbers (json.Number) become float64, int or Decimal, strings become
// time.Time or time.Duration where the schema says so, CSV strings become
// numbers and bools. Untyped (any) values get the plain JSON shapes. Maps
// and lists are converted in place (they are the decoder's own). The error
// names the path of the offending value under root.
func coerce(v any, t *dsl.Type, root string) (any, error) {
	out, _, err := coerceValue(v, t)
	if err != nil {
		return nil, err.withRoot(root)
	}
	return out, nil
}

// coerceError builds its path only when a value fails, on the way back up:
// the success path allocates no path strings.
type coerceError struct {
	segs []string // innermost first
	msg  string
}

func (e *coerceError) withRoot(root string) error {
	var b strings.Builder
	b.WriteString(root)
	for i := len(e.segs) - 1; i >= 0; i-- {
		b.WriteString(e.segs[i])
	}
	return fmt.Errorf("%s%s", b.String(), e.msg)
}

func (e *coerceError) in(seg string) *coerceError {
	e.segs = append(e.segs, seg)
	return e
}

// coerceValue returns the converted value and whether it differs from v
// (so callers only write back what changed).
func coerceValue(v any, t *dsl.Type) (any, bool, *coerceError) {
	if v == nil {
		if t != nil && t.Kind != dsl.KindAny && !t.Optional {
			return nil, false, &coerceError{msg: fmt.Sprintf(" is required (%s) but missing or null", t)}
		}
		return nil, false, nil
	}
	kind := dsl.KindAny
	if t != nil {
		kind = t.Kind
	}
	switch kind {
	case dsl.KindAny:
		p, changed := plain(v)
		return p, changed, nil
	case dsl.KindString:
		switch x := v.(type) {
		case string:
			return x, false, nil
		case json.Number:
			return x.String(), true, nil
		}
	case dsl.KindNumber:
		switch x := v.(type) {
		case json.Number:
			if f, err := x.Float64(); err == nil {
				return f, true, nil
			}
		case float64:
			return x, false, nil
		case int:
			return float64(x), true, nil
		case exprlib.Decimal:
			return x.Float64(), true, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, true, nil
			}
		}
	case dsl.KindInt:
		switch x := v.(type) {
		case json.Number:
			if i, err := strconv.Atoi(string(x)); err == nil {
				return i, true, nil
			}
			if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return int(f), true, nil
			}
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int(x), true, nil
			}
		case int:
			return x, false, nil
		case string:
			if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
				return i, true, nil
			}
		}
	case dsl.KindDecimal:
		switch x := v.(type) {
		case exprlib.Decimal:
			return x, false, nil
		case json.Number:
			if d, err := exprlib.ParseDecimal(x.String()); err == nil {
				return d, true, nil
			}
		case string:
			if d, err := exprlib.ParseDecimal(strings.TrimSpace(x)); err == nil {
				return d, true, nil
			}
		case float64:
			if d, err := exprlib.DecimalFromFloat(x); err == nil {
				return d, true, nil
			}
		case int:
			return exprlib.DecimalFromInt(int64(x)), true, nil
		}
	case dsl.KindBool:
		switch x := v.(type) {
		case bool:
			return x, false, nil
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, true, nil
			}
		}
	case dsl.KindTime:
		switch x := v.(type) {
		case time.Time:
			return x, false, nil
		case string:
			if tm, err := parseTime(x); err == nil {
				return tm, true, nil
			}
		}
	case dsl.KindDuration:
		switch x := v.(type) {
		case time.Duration:
			return x, false, nil
		case string:
			if d, err := time.ParseDuration(x); err == nil {
				return d, true, nil
			}
		}
	case dsl.KindList:
		if xs, ok := v.([]any); ok {
			for i, x := range xs {
				c, changed, err := coerceValue(x, t.Elem)
				if err != nil {
					return nil, false, err.in("[" + strconv.Itoa(i) + "]")
				}
				if changed {
					xs[i] = c
				}
			}
			return xs, false, nil
		}
	case dsl.KindMap:
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				c, changed, err := coerceValue(x, t.Elem)
				if err != nil {
					return nil, false, err.in("." + k)
				}
				if changed {
					m[k] = c
				}
			}
			return m, false, nil
		}
	case dsl.KindObject:
		if m, ok := v.(map[string]any); ok {
			if err := coerceObject(m, t); err != nil {
				return nil, false, err
			}
			return m, false, nil
		}
	}
	return nil, false, &coerceError{msg: fmt.Sprintf(": expected %s, got %s", t, describeValue(v))}
}

// coerceObject converts the declared fields of an object in place and keeps
// undeclared ones as plain values: a schema says what a flow relies on, not
// all a system sends.
func coerceObject(m map[string]any, t *dsl.Type) *coerceError {
	declared := 0
	for _, f := range t.Fields {
		v, present := m[f.Name]
		if present {
			declared++
		}
		c, changed, err := coerceValue(v, f.Type)
		if err != nil {
			return err.in("." + f.Name)
		}
		if changed {
			m[f.Name] = c
		}
	}
	if len(m) > declared {
		for k, v := range m {
			if t.Field(k) == nil {
				if p, changed := plain(v); changed {
					m[k] = p
				}
			}
		}
	}
	return nil
}

// plain turns json.Number into float64 throughout (in place), so untyped
// data behaves like JSON numbers in expressions.
func plain(v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f, true
		}
		return x.String(), true
	case map[string]any:
		for k, e := range x {
			if p, changed := plain(e); changed {
				x[k] = p
			}
		}
	case []any:
		for i, e := range x {
			if p, changed := plain(e); changed {
				x[i] = p
			}
		}
	}
	return v, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05", // Odoo's datetime format (UTC)
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTime reads ISO 8601 / RFC 3339 timestamps and Odoo's "YYYY-MM-DD
// HH:MM:SS"; values without a zone are UTC, as Odoo sends them.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as a time", s)
}

func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case float64, int:
		return fmt.Sprintf("number %v", x)
	case bool:
		return fmt.Sprintf("bool %v", x)
	case []any:
		return fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
