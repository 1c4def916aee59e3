package jsondiff

import (
	"fmt"
	"strings"
	"testing"
)

// benchBodies returns two order bodies of 51 top-level fields with a nested
// list of 12 (old) and 13 (new) order lines of 6 fields: the new one has
// three fields changed, one added, one removed, a line inserted in the
// middle and one line's quantity changed (7 changes).
func benchBodies(t testing.TB) (a, b any) {
	t.Helper()
	body := func(v int) string {
		var sb strings.Builder
		sb.WriteString("{")
		for i := range 44 {
			switch i % 4 {
			case 0:
				fmt.Fprintf(&sb, "%q:%q,", fmt.Sprintf("field_%02d", i), fmt.Sprintf("value %d", i))
			case 1:
				fmt.Fprintf(&sb, "%q:%d.5,", fmt.Sprintf("amount_%02d", i), i*100)
			case 2:
				fmt.Fprintf(&sb, "%q:%v,", fmt.Sprintf("flag_%02d", i), i%3 == 0)
			case 3:
				fmt.Fprintf(&sb, "%q:null,", fmt.Sprintf("opt_%02d", i))
			}
		}
		customer := "ACME"
		if v == 1 {
			customer = "ACME B.V."
		}
		fmt.Fprintf(&sb, `"customer":{"name":%q,"vat":"NL123456789B01","address":{"street":"Main 1","city":"Utrecht","country":"NL"}},`, customer)
		status, total := "confirmed", "1234.50"
		if v == 1 {
			status, total = "shipped", "1244.45"
		}
		fmt.Fprintf(&sb, `"currency":"EUR","status":%q,"created":"2024-03-01T12:30:00Z",`, status)
		if v == 0 {
			sb.WriteString(`"note":"fragile",`)
		} else {
			sb.WriteString(`"priority":"express",`)
		}
		sb.WriteString(`"lines":[`)
		for i := range 12 {
			if i > 0 {
				sb.WriteString(",")
			}
			if v == 1 && i == 6 {
				sb.WriteString(`{"line":99,"sku":"SKU-NEW","qty":1,"price":9.95,"unit":"EA","tags":["new"]},`)
			}
			qty := i + 1
			if v == 1 && i == 9 {
				qty = 42
			}
			fmt.Fprintf(&sb, `{"line":%d,"sku":"SKU-%04d","qty":%d,"price":%d.25,"unit":"EA","tags":["a","b"]}`, i+1, i*7, qty, i+3)
		}
		fmt.Fprintf(&sb, `],"total":%s}`, total)
		return sb.String()
	}
	return decode(t, body(0)), decode(t, body(1))
}

func BenchmarkDiff(b *testing.B) {
	x, y := benchBodies(b)
	if n := len(Diff(x, y)); n != 7 {
		b.Fatalf("%d changes:\n%s", n, Format(Diff(x, y), false))
	}
	b.ReportAllocs()
	for b.Loop() {
		Diff(x, y)
	}
}

func BenchmarkDiffEqual(b *testing.B) {
	x, _ := benchBodies(b)
	y := decode(b, mustJSON(b, x))
	b.ReportAllocs()
	for b.Loop() {
		Diff(x, y)
	}
}

func BenchmarkEqual(b *testing.B) {
	x, _ := benchBodies(b)
	y := decode(b, mustJSON(b, x))
	b.ReportAllocs()
	for b.Loop() {
		Equal(x, y)
	}
}

func BenchmarkFormat(b *testing.B) {
	x, y := benchBodies(b)
	changes := Diff(x, y)
	b.ReportAllocs()
	for b.Loop() {
		Format(changes, true)
	}
}

// BenchmarkDiffLongList diffs two lists of 2000 objects with 50 scattered
// insertions, removals and changes.
func BenchmarkDiffLongList(b *testing.B) {
	var x, y []any
	for i := range 2000 {
		e := map[string]any{"sku": fmt.Sprint("S", i), "qty": float64(i % 7)}
		x = append(x, e)
		switch i % 40 {
		case 0:
			y = append(y, map[string]any{"sku": "NEW", "qty": 1.0}, e)
		case 10:
			// removed
		case 20:
			y = append(y, map[string]any{"sku": e["sku"], "qty": 99.0})
		default:
			y = append(y, e)
		}
	}
	if n := len(Diff(x, y)); n != 150 {
		b.Fatalf("%d changes", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		Diff(x, y)
	}
}
