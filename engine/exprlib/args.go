package exprlib

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Run-time argument conversion. The compile-time Types reject statically
// wrong arguments; these helpers handle values whose type was unknown when
// the expression was compiled (fields of untyped records).

func describe(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

func argErr(fn, param, want string, v any) error {
	return fmt.Errorf("%s: %s must be %s, got %s", fn, param, want, describe(v))
}

func argString(fn, param string, v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", argErr(fn, param, "a string", v)
}

// toInt converts integer kinds and integral floats (JSON numbers) to int.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int8:
		return int(n), true
	case int16:
		return int(n), true
	case int32:
		return int(n), true
	case int64:
		if n < math.MinInt || n > math.MaxInt {
			return 0, false
		}
		return int(n), true
	case uint:
		if uint64(n) > math.MaxInt {
			return 0, false
		}
		return int(n), true
	case uint8:
		return int(n), true
	case uint16:
		return int(n), true
	case uint32:
		return int(n), true
	case uint64:
		if n > math.MaxInt {
			return 0, false
		}
		return int(n), true
	case float64:
		if n != math.Trunc(n) || n < math.MinInt64 || n >= math.MaxInt64 {
			return 0, false
		}
		return int(n), true
	case float32:
		return toInt(float64(n))
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return 0, false
		}
		return toInt(i)
	}
	return 0, false
}

func argInt(fn, param string, v any) (int, error) {
	if i, ok := toInt(v); ok {
		return i, nil
	}
	return 0, argErr(fn, param, "an integer", v)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func argFloat(fn, param string, v any) (float64, error) {
	if f, ok := toFloat(v); ok {
		return f, nil
	}
	return 0, argErr(fn, param, "a number", v)
}

func argTime(fn, param string, v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case *time.Time:
		if t != nil {
			return *t, nil
		}
	}
	return time.Time{}, argErr(fn, param, "a time", v)
}
