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
// numbers and bools. Untyped (any) values get the plain JSON shapes. The
// error names the path of the offending value.
func coerce(v any, t *dsl.Type, path string) (any, error) {
	if v == nil {
		if t != nil && t.Kind != dsl.KindAny && !t.Optional {
			return nil, fmt.Errorf("%s is required (%s) but missing or null", path, t)
		}
		return nil, nil
	}
	kind := dsl.KindAny
	if t != nil {
		kind = t.Kind
	}
	switch kind {
	case dsl.KindAny:
		return plain(v), nil
	case dsl.KindString:
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		}
	case dsl.KindNumber:
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err == nil {
				return f, nil
			}
		case float64:
			return x, nil
		case int:
			return float64(x), nil
		case exprlib.Decimal:
			return x.Float64(), nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
	case dsl.KindInt:
		switch x := v.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil {
				return int(i), nil
			}
			if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return int(f), nil
			}
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int(x), nil
			}
		case int:
			return x, nil
		case string:
			if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
				return i, nil
			}
		}
	case dsl.KindDecimal:
		switch x := v.(type) {
		case exprlib.Decimal:
			return x, nil
		case json.Number:
			if d, err := exprlib.ParseDecimal(x.String()); err == nil {
				return d, nil
			}
		case string:
			if d, err := exprlib.ParseDecimal(strings.TrimSpace(x)); err == nil {
				return d, nil
			}
		case float64:
			if d, err := exprlib.DecimalFromFloat(x); err == nil {
				return d, nil
			}
		case int:
			return exprlib.DecimalFromInt(int64(x)), nil
		}
	case dsl.KindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, nil
			}
		}
	case dsl.KindTime:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			if tm, err := parseTime(x); err == nil {
				return tm, nil
			}
		}
	case dsl.KindDuration:
		switch x := v.(type) {
		case time.Duration:
			return x, nil
		case string:
			if d, err := time.ParseDuration(x); err == nil {
				return d, nil
			}
		}
	case dsl.KindList:
		if xs, ok := v.([]any); ok {
			out := make([]any, len(xs))
			for i, x := range xs {
				c, err := coerce(x, t.Elem, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				out[i] = c
			}
			return out, nil
		}
	case dsl.KindMap:
		if m, ok := v.(map[string]any); ok {
			out := make(map[string]any, len(m))
			for k, x := range m {
				c, err := coerce(x, t.Elem, path+"."+k)
				if err != nil {
					return nil, err
				}
				out[k] = c
			}
			return out, nil
		}
	case dsl.KindObject:
		if m, ok := v.(map[string]any); ok {
			return coerceObject(m, t, path)
		}
	}
	return nil, fmt.Errorf("%s: expected %s, got %s", path, t, describeValue(v))
}

// coerceObject converts the declared fields of an object in place (the map
// is the decoder's own, so no copy is needed) and keeps undeclared ones as
// plain values: a schema says what a flow relies on, not all a system sends.
func coerceObject(m map[string]any, t *dsl.Type, path string) (map[string]any, error) {
	for _, f := range t.Fields {
		c, err := coerce(m[f.Name], f.Type, path+"."+f.Name)
		if err != nil {
			return nil, err
		}
		if c != nil || hasKey(m, f.Name) {
			m[f.Name] = c
		}
	}
	if len(m) > len(t.Fields) {
		for k, v := range m {
			if t.Field(k) == nil {
				m[k] = plain(v)
			}
		}
	}
	return m, nil
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// plain turns json.Number into float64 throughout, so untyped data behaves
// like JSON numbers in expressions.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
	}
	return v
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
