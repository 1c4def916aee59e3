package jsondiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// decode decodes JSON text with UseNumber, as flow outputs are read.
func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// decodeFloat decodes JSON text into float64 numbers.
func decodeFloat(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

type line struct {
	SKU  string  `json:"sku"`
	Qty  int     `json:"qty"`
	Note *string `json:"note,omitempty"`
	skip int
}

type shipment struct {
	ID      string    `json:"id"`
	Shipped time.Time `json:"shipped"`
	Lines   []line    `json:"lines"`
	Weight  float32   `json:"weight_kg"`
}

// money has a MarshalJSON method, as domain types often do.
type money struct {
	cents    int64
	currency string
}

func (m money) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"amount": json.Number(formatCents(m.cents)), "currency": m.currency})
}

func formatCents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// ch builds an expected change; old and new are JSON text ("" for none).
func ch(t *testing.T, kind Kind, path, oldJSON, newJSON string) Change {
	c := Change{Path: path, Kind: kind}
	if oldJSON != "" {
		c.Old = decode(t, oldJSON)
	}
	if newJSON != "" {
		c.New = decode(t, newJSON)
	}
	return c
}

func TestDiff(t *testing.T) {
	j := func(s string) any { return decode(t, s) }
	tenLines := `[{"sku":"L0","qty":1},{"sku":"L1","qty":1},{"sku":"L2","qty":1},{"sku":"L3","qty":1},{"sku":"L4","qty":1},{"sku":"L5","qty":1},{"sku":"L6","qty":1},{"sku":"L7","qty":1},{"sku":"L8","qty":1},{"sku":"L9","qty":1}]`
	elevenLines := strings.Replace(tenLines, `{"sku":"L5"`, `{"sku":"NEW","qty":7},{"sku":"L5"`, 1)
	note := "fragile"
	shipped := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)

	tests := []struct {
		name string
		a, b any
		want []Change
	}{
		// Objects.
		{"equal objects", j(`{"a":1,"b":{"c":[1,2]}}`), j(`{"b":{"c":[1,2]},"a":1}`), nil},
		{"nested change", j(`{"order":{"customer":{"name":"ACME","city":"Utrecht"}}}`), j(`{"order":{"customer":{"name":"ACME B.V.","city":"Utrecht"}}}`),
			[]Change{ch(t, Changed, "$.order.customer.name", `"ACME"`, `"ACME B.V."`)}},
		{"keys sorted, depth first", j(`{"z":1,"m":{"b":1,"a":1},"a":1}`), j(`{"z":2,"m":{"b":2,"a":2},"a":2}`),
			[]Change{
				ch(t, Changed, "$.a", `1`, `2`),
				ch(t, Changed, "$.m.a", `1`, `2`),
				ch(t, Changed, "$.m.b", `1`, `2`),
				ch(t, Changed, "$.z", `1`, `2`),
			}},
		{"added and removed keys", j(`{"keep":1,"old":{"x":1}}`), j(`{"keep":1,"new":[1]}`),
			[]Change{ch(t, Added, "$.new", ``, `[1]`), ch(t, Removed, "$.old", `{"x":1}`, ``)}},

		// null against a missing key: not the same.
		{"null removed", j(`{"note":null}`), j(`{}`), []Change{ch(t, Removed, "$.note", ``, ``)}},
		{"null added", j(`{}`), j(`{"note":null}`), []Change{ch(t, Added, "$.note", ``, ``)}},
		{"null to value", j(`{"note":null}`), j(`{"note":"x"}`), []Change{ch(t, Changed, "$.note", `null`, `"x"`)}},
		{"null equals null", j(`{"note":null}`), j(`{"note":null}`), nil},

		// Type changes.
		{"string to number", j(`{"qty":"1"}`), j(`{"qty":1}`), []Change{ch(t, Changed, "$.qty", `"1"`, `1`)}},
		{"false to null", j(`[false]`), j(`[null]`), []Change{ch(t, Changed, "$[0]", `false`, `null`)}},
		{"object to list", j(`{"a":{}}`), j(`{"a":[]}`), []Change{ch(t, Changed, "$.a", `{}`, `[]`)}},
		{"root scalar", j(`"x"`), j(`2`), []Change{ch(t, Changed, "$", `"x"`, `2`)}},
		{"root object to null", j(`{"a":1}`), nil, []Change{ch(t, Changed, "$", `{"a":1}`, `null`)}},

		// Numbers.
		{"1 == 1.0 == 1.00 == 1e0 == int 1", j(`[1, 1.0, 1.00, 1e0, 10e-1, 0.1e1]`), []any{1.0, json.Number("1.00"), 1, int64(1), uint8(1), float32(1)}, nil},
		{"zero and minus zero", j(`[0, -0, 0.0, -0e5]`), []any{0.0, math.Copysign(0, -1), 0, json.Number("0e-7")}, nil},
		{"float32 shortest form", j(`[0.1]`), []any{float32(0.1)}, nil},
		{"exact numbers differ in last digit", j(`[12345678901234567890123]`), j(`[12345678901234567890124]`),
			[]Change{ch(t, Changed, "$[0]", `12345678901234567890123`, `12345678901234567890124`)}},
		{"huge exponents", j(`[1e99999999999999999999, 10e99999999999999999999]`), j(`[10e99999999999999999998, 1e100000000000000000000]`), nil},
		{"float64 against exact numbers", decodeFloat(t, `[0.1, 1e21, 2.5]`), j(`[0.1, 1000000000000000000000, 2.50]`), nil},
		{"float64 beyond its precision", decodeFloat(t, `[12345678901234567890]`), j(`[12345678901234567890]`),
			[]Change{ch(t, Changed, "$[0]", `12345678901234567000`, `12345678901234567890`)}},
		{"number changed", j(`{"qty":1}`), j(`{"qty":1.5}`), []Change{ch(t, Changed, "$.qty", `1`, `1.5`)}},
		{"NaN equals NaN", []any{math.NaN()}, []any{math.NaN()}, nil},
		{"NaNs with other bits in a list", []any{"x", []any{math.NaN(), 1}}, []any{[]any{math.Float64frombits(0x7ff8000000000bad), 1}}, []Change{{Path: "$[0]", Kind: Removed, Old: "x"}}},

		// Lists.
		{"insert in the middle", j(tenLines), j(elevenLines), []Change{ch(t, Added, "$[5]", ``, `{"sku":"NEW","qty":7}`)}},
		{"remove from the middle", j(elevenLines), j(tenLines), []Change{ch(t, Removed, "$[5]", `{"sku":"NEW","qty":7}`, ``)}},
		{"append", j(`[1,2]`), j(`[1,2,3,4]`), []Change{ch(t, Added, "$[2]", ``, `3`), ch(t, Added, "$[3]", ``, `4`)}},
		{"remove tail", j(`[1,2,3]`), j(`[1]`), []Change{ch(t, Removed, "$[1]", `2`, ``), ch(t, Removed, "$[2]", `3`, ``)}},
		{"empty to full", j(`{"l":[]}`), j(`{"l":["a"]}`), []Change{ch(t, Added, "$.l[0]", ``, `"a"`)}},
		{"move to front", j(`["a","b","c"]`), j(`["c","a","b"]`), []Change{ch(t, Added, "$[0]", ``, `"c"`), ch(t, Removed, "$[2]", `"c"`, ``)}},
		{"swap", j(`["a","b"]`), j(`["b","a"]`), []Change{ch(t, Removed, "$[0]", `"a"`, ``), ch(t, Added, "$[1]", ``, `"a"`)}},
		{"element changed in place", j(`{"lines":[{"sku":"A","qty":1},{"sku":"B","qty":2},{"sku":"C","qty":3}]}`), j(`{"lines":[{"sku":"A","qty":1},{"sku":"B","qty":5},{"sku":"C","qty":3}]}`),
			[]Change{ch(t, Changed, "$.lines[1].qty", `2`, `5`)}},
		{"remove one, change the next", j(`{"lines":[{"sku":"A","qty":1},{"sku":"B","qty":2},{"sku":"C","qty":3}]}`), j(`{"lines":[{"sku":"B","qty":5},{"sku":"C","qty":3}]}`),
			[]Change{ch(t, Removed, "$.lines[0]", `{"sku":"A","qty":1}`, ``), ch(t, Changed, "$.lines[0].qty", `2`, `5`)}},
		{"change one, insert after", j(`[{"sku":"A","qty":1},{"sku":"Z","qty":9}]`), j(`[{"sku":"A","qty":2},{"sku":"B","qty":1},{"sku":"Z","qty":9}]`),
			[]Change{ch(t, Changed, "$[0].qty", `1`, `2`), ch(t, Added, "$[1]", ``, `{"sku":"B","qty":1}`)}},
		{"scalars replaced pair left to right", j(`["a","b","c","d"]`), j(`["a","x","d"]`),
			[]Change{ch(t, Changed, "$[1]", `"b"`, `"x"`), ch(t, Removed, "$[2]", `"c"`, ``)}},
		{"same type pairs before type change", j(`[{"x":1},"s"]`), j(`["t"]`),
			[]Change{ch(t, Removed, "$[0]", `{"x":1}`, ``), ch(t, Changed, "$[0]", `"s"`, `"t"`)}},
		{"nested lists", j(`[[1,2],[3]]`), j(`[[1,2,9],[3]]`), []Change{ch(t, Added, "$[0][2]", ``, `9`)}},

		// Paths.
		{"keys needing quotes", j(`{"straße":1,"order-id":1,"":1,"a.b":1,"say \"hi\"":1,"日本":1,"1st":1,"_ok9":1,"new\nline":1,"esc\u0085":1}`),
			j(`{"straße":2,"order-id":2,"":2,"a.b":2,"say \"hi\"":2,"日本":2,"1st":2,"_ok9":2,"new\nline":2,"esc\u0085":2}`),
			[]Change{
				ch(t, Changed, `$[""]`, `1`, `2`),
				ch(t, Changed, `$["1st"]`, `1`, `2`),
				ch(t, Changed, `$._ok9`, `1`, `2`),
				ch(t, Changed, `$["a.b"]`, `1`, `2`),
				ch(t, Changed, `$["esc\u0085"]`, `1`, `2`),
				ch(t, Changed, `$["new\nline"]`, `1`, `2`),
				ch(t, Changed, `$["order-id"]`, `1`, `2`),
				ch(t, Changed, `$["say \"hi\""]`, `1`, `2`),
				ch(t, Changed, `$["straße"]`, `1`, `2`),
				ch(t, Changed, `$["日本"]`, `1`, `2`),
			}},

		// Go values.
		{"time.Time against its JSON string", map[string]any{"shipped": shipped}, j(`{"shipped":"2024-03-01T12:30:00Z"}`), nil},
		{"time.Time changed", map[string]any{"shipped": shipped}, map[string]any{"shipped": shipped.Add(time.Hour)},
			[]Change{ch(t, Changed, "$.shipped", `"2024-03-01T12:30:00Z"`, `"2024-03-01T13:30:00Z"`)}},
		{"struct with json tags", shipment{ID: "S1", Shipped: shipped, Lines: []line{{SKU: "A", Qty: 1, skip: 5}}, Weight: 2.5},
			j(`{"id":"S1","shipped":"2024-03-01T12:30:00Z","lines":[{"sku":"A","qty":1}],"weight_kg":2.5}`), nil},
		{"struct changed", shipment{ID: "S1", Shipped: shipped, Lines: []line{{SKU: "A", Qty: 1}}},
			shipment{ID: "S1", Shipped: shipped, Lines: []line{{SKU: "A", Qty: 1, Note: &note}, {SKU: "B", Qty: 2}}},
			[]Change{ch(t, Added, "$.lines[0].note", ``, `"fragile"`), ch(t, Added, "$.lines[1]", ``, `{"sku":"B","qty":2}`)}},
		{"MarshalJSON", map[string]any{"total": money{1250, "EUR"}}, j(`{"total":{"amount":12.50,"currency":"EUR"}}`), nil},
		{"MarshalJSON changed", map[string]any{"total": money{1250, "EUR"}}, map[string]any{"total": money{1275, "EUR"}},
			[]Change{ch(t, Changed, "$.total.amount", `12.50`, `12.75`)}},
		{"typed maps and slices", map[string]string{"a": "x"}, map[string]any{"a": "x"}, nil},
		{"[]int against []any", []int{1, 2, 3}, []any{1.0, json.Number("2"), uint(3)}, nil},
		{"json.RawMessage", json.RawMessage(`{"a":[1,2]}`), j(`{"a":[1,2.0]}`), nil},
		{"nil pointer is null", map[string]any{"p": (*line)(nil)}, j(`{"p":null}`), nil},
		{"unmarshallable value", map[string]any{"f": func() {}}, j(`{"f":null}`),
			[]Change{{Path: "$.f", Kind: Changed, New: nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.a, tt.b)
			if !sameChanges(got, tt.want) {
				t.Errorf("Diff:\n%s\nwant:\n%s", Format(got, false), Format(tt.want, false))
			}
			if eq := Equal(tt.a, tt.b); eq != (len(tt.want) == 0) {
				t.Errorf("Equal = %v with %d changes", eq, len(tt.want))
			}
			if eq := Equal(tt.b, tt.a); eq != (len(tt.want) == 0) {
				t.Errorf("Equal reversed = %v with %d changes", eq, len(tt.want))
			}
		})
	}
}

// sameChanges compares changes by path and kind and their values with Equal
// (an unmarshallable Old in want is not compared).
func sameChanges(got, want []Change) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Path != w.Path || g.Kind != w.Kind || !Equal(g.New, w.New) {
			return false
		}
		if w.Old != nil || g.Kind != Changed {
			if !Equal(g.Old, w.Old) {
				return false
			}
		}
	}
	return true
}

func TestChangeJSON(t *testing.T) {
	got, err := json.Marshal(Diff(decode(t, `{"a":1,"b":false,"c":null}`), decode(t, `{"a":2,"b":true,"d":"x"}`)))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"path":"$.a","kind":"changed","old":1,"new":2},` +
		`{"path":"$.b","kind":"changed","old":false,"new":true},` +
		`{"path":"$.c","kind":"removed"},` +
		`{"path":"$.d","kind":"added","new":"x"}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDiffDoesNotModifyInputs(t *testing.T) {
	const a, b = `{"l":[{"x":1},{"y":2},3,[4]],"m":{"k":"v"}}`, `{"l":[3,{"y":3},[5],{"x":1}],"n":1}`
	x, y := decode(t, a), decode(t, b)
	Diff(x, y)
	Diff(y, x)
	for _, c := range []struct {
		v    any
		text string
	}{{x, a}, {y, b}} {
		got, _ := json.Marshal(c.v)
		want, _ := json.Marshal(decode(t, c.text))
		if !bytes.Equal(got, want) {
			t.Errorf("input modified: %s", got)
		}
	}
}

func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		changes []Change
		want    string
	}{
		{nil, "0 changed, 0 added, 0 removed"},
		{[]Change{{Kind: Changed}, {Kind: Added}, {Kind: Changed}, {Kind: "other"}}, "2 changed, 1 added, 0 removed"},
		{Diff(decode(t, `{"a":1,"b":[1,2]}`), decode(t, `{"b":[1],"c":3}`)), "0 changed, 1 added, 2 removed"},
	} {
		if got := Summary(tt.changes); got != tt.want {
			t.Errorf("Summary = %q, want %q", got, tt.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	same := [][]string{
		{"0", "-0", "0.000", "-0.0e-9", "0e99999999999999999999"},
		{"1", "1.00", "1e0", "10e-1", "0.001e3", "1E+0"},
		{"100", "1e2", "1E+2", "0.1e3", "100.000"},
		{"-0.025", "-25e-3", "-0.0250", "-2.5E-2"},
		{"12500", "12.5e3", "125e2"},
		{"1e-2", "1e-0000000000000000000000000002", "100e-4"},
		{"1e99999999999999999999", "10e99999999999999999998", "0.1e100000000000000000000"},
	}
	for gi, group := range same {
		for _, s := range group {
			for _, u := range group {
				if !Equal(json.Number(s), json.Number(u)) {
					t.Errorf("%s != %s", s, u)
				}
			}
			// Different from every number of the other groups.
			for gj, other := range same {
				if gj == gi {
					continue
				}
				for _, u := range other {
					if Equal(json.Number(s), json.Number(u)) {
						t.Errorf("%s == %s", s, u)
					}
				}
			}
		}
	}
	for _, bad := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x10", "1_0", "NaN", "Infinity", "1 ", "--1"} {
		if validNumber(bad) {
			t.Errorf("validNumber(%q) = true", bad)
		}
	}
	// An invalid json.Number equals only itself.
	if !Equal(json.Number("0x10"), json.Number("0x10")) || Equal(json.Number("0x10"), 16) ||
		Equal(json.Number("1_0"), 10.0) || Equal(json.Number("01"), json.Number("1")) {
		t.Error("invalid json.Number compared by value")
	}
	// A float64 is the shortest decimal that reads back as it.
	if !Equal(0.1, json.Number("0.1")) || !Equal(1e21, json.Number("1000000000000000000000")) ||
		!Equal(-1.5e-7, json.Number("-0.00000015")) || !Equal(5e-324, json.Number("5e-324")) {
		t.Error("float64 against its exact value")
	}
	if Equal(0.1, json.Number("0.10000000000000001")) || Equal(0.0, json.Number("1e-400")) ||
		Equal(math.Inf(1), json.Number("1e400")) || Equal(math.NaN(), json.Number("0")) {
		t.Error("float64 equals a number beyond its precision")
	}
	if !Equal(int64(math.MaxInt64), json.Number("9223372036854775807")) || !Equal(uint64(math.MaxUint64), json.Number("18446744073709551615")) {
		t.Error("integers not exact")
	}
}

func TestHashAgreesWithEqual(t *testing.T) {
	nan2 := math.Float64frombits(0x7ff8000000000bad)
	pairs := [][2]any{
		{math.NaN(), nan2},
		{[]any{math.NaN()}, []any{nan2}},
		{0.0, json.Number("-0.0e7")},
		{0.1, json.Number("0.10")},
		{1e21, json.Number("1000000000000000000000")},
		{json.Number("1e99999999999999999999"), json.Number("10e99999999999999999998")},
		{json.Number("0x10"), json.Number("0x10")},
		{[]int{1, 2}, []any{1.0, json.Number("2.0")}},
		{map[string]any{"a": 1, "b": []any{"x"}}, map[string]any{"b": []string{"x"}, "a": uint8(1)}},
	}
	for _, p := range pairs {
		var d differ
		if !Equal(p[0], p[1]) {
			t.Errorf("%v != %v", p[0], p[1])
		}
		if d.hash(p[0]) != d.hash(p[1]) {
			t.Errorf("hash(%v) != hash(%v)", p[0], p[1])
		}
	}
}

func TestEqualDoesNotAllocate(t *testing.T) {
	a, b := benchBodies(t)
	c := decode(t, mustJSON(t, a))
	if !Equal(a, c) {
		t.Fatal("copy not equal")
	}
	if n := testing.AllocsPerRun(100, func() { Equal(a, b); Equal(a, c) }); n != 0 {
		t.Errorf("Equal allocates %v times per run", n)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
