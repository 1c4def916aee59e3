package odoo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/exprlib"
	"github.com/zclconf/go-cty/cty"
)

// Odoo's wire formats for dates and datetimes (always UTC).
const (
	dateLayout     = "2006-01-02"
	datetimeLayout = "2006-01-02 15:04:05"
)

// ctyToGo converts a static HCL value (a domain) to the JSON shapes Odoo
// takes: strings, json.Number, bools, lists and objects. null is false, as
// Odoo spells "no value" in domains.
func ctyToGo(v cty.Value) (any, error) {
	if v == cty.NilVal || v.IsNull() {
		return false, nil
	}
	if !v.IsWhollyKnown() {
		return nil, errors.New("the value is not known until run time")
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Bool:
		return v.True(), nil
	case t == cty.Number:
		return bigNumber(v.AsBigFloat()), nil
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			g, err := ctyToGo(e)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			g, err := ctyToGo(e)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = g
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", t.FriendlyName())
}

func bigNumber(f *big.Float) json.Number {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return json.Number(strconv.FormatInt(i, 10))
		}
	}
	return json.Number(f.Text('g', -1))
}

// checkDomain checks the shape of a domain: a list of [field, operator,
// value] terms and the prefix operators "&", "|" and "!", with as many
// operands as the operators need. Odoo checks fields and operators.
func checkDomain(d any) ([]any, error) {
	list, ok := d.([]any)
	if !ok {
		return nil, fmt.Errorf("domain must be a list of [field, operator, value] terms, not %s", describe(d))
	}
	if _, err := normalizeDomain(list); err != nil {
		return nil, err
	}
	return list, nil
}

// normalizeDomain makes a domain's implicit ANDs explicit, as Odoo's
// expression.normalize_domain does, so it can be combined with another
// domain as one operand.
func normalizeDomain(d []any) ([]any, error) {
	if len(d) == 0 {
		return []any{[]any{json.Number("1"), "=", json.Number("1")}}, nil
	}
	var out []any
	expected := 1
	for i, tok := range d {
		if expected == 0 {
			out = append([]any{"&"}, out...)
			expected = 1
		}
		switch x := tok.(type) {
		case string:
			switch x {
			case "&", "|":
				expected++
			case "!":
			default:
				return nil, fmt.Errorf("domain element %d: %q is not an operator (\"&\", \"|\" or \"!\"); a term is a list [field, operator, value]", i+1, x)
			}
		case []any:
			if len(x) != 3 {
				return nil, fmt.Errorf("domain element %d: a term is [field, operator, value], not %d values", i+1, len(x))
			}
			if _, ok := x[0].(string); !ok {
				if _, num := x[0].(json.Number); !num { // (1, '=', 1) is Odoo's TRUE leaf
					return nil, fmt.Errorf("domain element %d: the field must be a string", i+1)
				}
			}
			if _, ok := x[1].(string); !ok {
				return nil, fmt.Errorf("domain element %d: the operator must be a string", i+1)
			}
			expected--
		default:
			return nil, fmt.Errorf("domain element %d: expected a term [field, operator, value] or an operator, got %s", i+1, describe(tok))
		}
		out = append(out, tok)
	}
	if expected != 0 {
		return nil, errors.New("domain: an operator (\"&\", \"|\", \"!\") is missing an operand")
	}
	return out, nil
}

// andDomains combines domains with AND; each must be well formed.
func andDomains(ds ...[]any) []any {
	var parts [][]any
	for _, d := range ds {
		if len(d) > 0 {
			n, _ := normalizeDomain(d)
			parts = append(parts, n)
		}
	}
	var out []any
	for i := 1; i < len(parts); i++ {
		out = append(out, "&")
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// wireValues converts a record body into values Odoo accepts: time.Time
// becomes Odoo's UTC "YYYY-MM-DD HH:MM:SS" (a date field's own "YYYY-MM-DD"
// when types says the field is a date), null becomes false, decimals keep
// their digits. Lists (x2many command lists such as [[0, 0, {...}]]) and
// nested objects pass through converted the same way.
func wireValues(body map[string]any, types map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(body))
	for k, v := range body {
		var w any
		var err error
		if tm, ok := v.(time.Time); ok && types[k] == "date" {
			w = tm.Format(dateLayout)
		} else if w, err = wireValue(v); err != nil {
			return nil, fmt.Errorf("field %s: %v", k, err)
		}
		out[k] = w
	}
	return out, nil
}

func wireValue(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case string, bool, json.Number, int, int64, int32, float64:
		return x, nil
	case float32:
		return float64(x), nil
	case exprlib.Decimal:
		return json.Number(x.String()), nil
	case time.Time:
		return x.UTC().Format(datetimeLayout), nil
	case time.Duration:
		return nil, fmt.Errorf("a duration (%v) has no Odoo field type; convert it to a number", x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			w, err := wireValue(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
			out[k] = w
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			w, err := wireValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %v", i, err)
			}
			out[i] = w
		}
		return out, nil
	}
	// Other Go values (typed slices, structs): through JSON.
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Func || rv.Kind() == reflect.Chan {
		return nil, fmt.Errorf("cannot send %T", v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cannot send %T: %v", v, err)
	}
	var g any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	return wireValue(g)
}

// toID reads a record id from an evaluated expression.
func toID(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, x > 0
	case int64:
		return int(x), x > 0
	case float64:
		if x == math.Trunc(x) && x > 0 && x < 1<<53 {
			return int(x), true
		}
	case json.Number:
		if i, err := strconv.Atoi(string(x)); err == nil {
			return i, i > 0
		}
		if f, err := x.Float64(); err == nil {
			return toID(f)
		}
	case exprlib.Decimal:
		return toID(json.Number(x.String()))
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return i, i > 0
		}
	case []any:
		// A many2one read from Odoo: [id, "name"].
		if len(x) == 2 {
			if _, ok := x[1].(string); ok {
				return toID(x[0])
			}
		}
	}
	return 0, false
}

// idList reads a list of ids from a result (create, search).
func idList(v any) ([]int, bool) {
	switch x := v.(type) {
	case []any:
		out := make([]int, 0, len(x))
		for _, e := range x {
			id, ok := toID(e)
			if !ok {
				return nil, false
			}
			out = append(out, id)
		}
		return out, true
	default:
		if id, ok := toID(v); ok {
			return []int{id}, true
		}
	}
	return nil, false
}

// normalizeRecord turns Odoo's false for an empty field into null, except
// for boolean fields where false is the value. many2one [id, name] pairs,
// x2many id lists and date strings are kept as Odoo sends them.
func normalizeRecord(rec map[string]any, types map[string]string) {
	for k, v := range rec {
		if b, ok := v.(bool); ok && !b && types[k] != "boolean" {
			rec[k] = nil
		}
	}
}

// describe names a value's kind for error messages, without its content
// when that could be long.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case json.Number, int, int64, float64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// idsText renders ids for messages: [1, 2, 3].
func idsText(ids []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 10 && len(ids) > 11 {
			fmt.Fprintf(&b, "… %d more", len(ids)-10)
			break
		}
		b.WriteString(strconv.Itoa(id))
	}
	b.WriteByte(']')
	return b.String()
}

// checkSource checks a source's domain at lint time: its shape, as far as
// it is known before a run (Odoo checks fields and operators).
func checkSource(v *engine.Values) []string {
	d := v.Cty("domain")
	if d == cty.NilVal || d.IsNull() || !d.IsWhollyKnown() {
		return nil
	}
	g, err := ctyToGo(d)
	if err == nil {
		_, err = checkDomain(g)
	}
	if err != nil {
		return []string{err.Error()}
	}
	return nil
}
