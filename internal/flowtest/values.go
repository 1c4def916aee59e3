package flowtest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// toJSON converts a literal HCL value to the Go values encoding/json
// decodes into (with UseNumber): map[string]any, []any, string,
// json.Number, bool and nil. Numbers stay exact, so schema coercion treats
// inline records exactly like records read from an NDJSON file.
func toJSON(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsKnown() {
		return nil, fmt.Errorf("value is not known")
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString(), nil
	case ty == cty.Number:
		return json.Number(v.AsBigFloat().Text('f', -1)), nil
	case ty == cty.Bool:
		return v.True(), nil
	case ty.IsObjectType() || ty.IsMapType():
		m := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			x, err := toJSON(ev)
			if err != nil {
				return nil, err
			}
			m[k.AsString()] = x
		}
		return m, nil
	case ty.IsTupleType() || ty.IsListType() || ty.IsSetType():
		l := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			x, err := toJSON(ev)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
		}
		return l, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", ty.FriendlyName())
}

// varString renders a variable value the way --var takes it: strings as
// they are, anything else as JSON, which HCL parses back.
func varString(v cty.Value) (string, error) {
	if v.Type() == cty.String {
		return v.AsString(), nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// plain turns a value from the engine (time.Time, decimals, typed maps...)
// into its JSON form, numbers as json.Number: what a target would write.
func plain(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// compact renders a plain value as one line of JSON.
func compact(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(bytes.TrimRight(buf.Bytes(), "\n"))
}
