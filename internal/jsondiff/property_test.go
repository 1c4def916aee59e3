package jsondiff

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Small alphabets, so that random values often share keys and elements.
var (
	genKeys    = []string{"a", "b", "sku", "qty", "straße", "order-id", "", "日本", "x y", `q"t`}
	genStrings = []string{"", "a", "b", "ACME", "1", "null", "ü", "\x1b[31m", "line\nbreak"}
	genNumbers = []string{"0", "-0", "1", "1.0", "1e0", "2", "2.50", "-3", "0.1", "12345678901234567890", "1e400", "1e-400"}
)

// genValue returns a random JSON value (as decoded with UseNumber).
func genValue(r *rand.Rand, depth int) any {
	n := 7
	if depth <= 0 {
		n = 5
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return genStrings[r.IntN(len(genStrings))]
	case 3, 4:
		return json.Number(genNumbers[r.IntN(len(genNumbers))])
	case 5:
		m := map[string]any{}
		for range r.IntN(5) {
			m[genKeys[r.IntN(len(genKeys))]] = genValue(r, depth-1)
		}
		return m
	default:
		l := make([]any, r.IntN(7))
		for i := range l {
			l[i] = genValue(r, depth-1)
		}
		return l
	}
}

// mutate returns a copy of v with random changes, or with none (but perhaps
// another representation of its numbers) when the dice say so.
func mutate(r *rand.Rand, v any, depth int) any {
	if r.IntN(5) == 0 {
		return genValue(r, depth)
	}
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			switch r.IntN(8) {
			case 0: // drop the key
			case 1:
				m[k] = nil
			case 2, 3, 4:
				m[k] = mutate(r, e, depth-1)
			default:
				m[k] = e
			}
		}
		if r.IntN(4) == 0 {
			m[genKeys[r.IntN(len(genKeys))]] = genValue(r, depth-1)
		}
		return m
	case []any:
		l := slices.Clone(x)
		for range r.IntN(3) {
			switch i := r.IntN(len(l) + 1); r.IntN(4) {
			case 0:
				l = slices.Insert(l, i, genValue(r, depth-1))
			case 1:
				if i < len(l) {
					l = slices.Delete(l, i, i+1)
				}
			case 2:
				if i < len(l) {
					l[i] = mutate(r, l[i], depth-1)
				}
			case 3:
				if j := r.IntN(len(l) + 1); i < len(l) && j < len(l) {
					l[i], l[j] = l[j], l[i]
				}
			}
		}
		return l
	case json.Number:
		// Another representation of the same number, sometimes.
		if r.IntN(2) == 0 {
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				return f
			}
			return json.Number(respell(string(x)))
		}
		return json.Number(genNumbers[r.IntN(len(genNumbers))])
	}
	return v
}

// respell writes the JSON number s another way: 1 as 1e0, 1e5 as 1.0e5,
// 1.5e5 as 1.50e5.
func respell(s string) string {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s + "e0"
	}
	if strings.Contains(s[:i], ".") {
		return s[:i] + "0" + s[i:]
	}
	return s[:i] + ".0" + s[i:]
}

// goify rewrites parts of a JSON value as Go values that normalise back to
// it: typed maps and slices, integers, structs.
func goify(r *rand.Rand, v any) any {
	switch x := v.(type) {
	case map[string]any:
		allStrings := true
		for _, e := range x {
			if _, ok := e.(string); !ok {
				allStrings = false
			}
		}
		if allStrings && r.IntN(2) == 0 {
			m := make(map[string]string, len(x))
			for k, e := range x {
				m[k] = e.(string)
			}
			return m
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = goify(r, e)
		}
		if r.IntN(3) == 0 {
			return json.RawMessage(mustMarshal(m))
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = goify(r, e)
		}
		if r.IntN(4) == 0 {
			type wrapped []any
			return wrapped(l)
		}
		return l
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && r.IntN(2) == 0 {
			return i
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil && r.IntN(2) == 0 {
			return uint(u)
		}
	case string:
		if r.IntN(4) == 0 {
			return &x
		}
	}
	return v
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// lookup returns the value at path in v, understanding the paths Diff
// writes.
func lookup(v any, path string) (any, error) {
	if !strings.HasPrefix(path, "$") {
		return nil, fmt.Errorf("no $")
	}
	p := path[1:]
	for p != "" {
		switch {
		case p[0] == '.':
			i := 1
			for i < len(p) && p[i] != '.' && p[i] != '[' {
				i++
			}
			m, ok := normalize(v).(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: not an object before %s", path, p)
			}
			if v, ok = m[p[1:i]]; !ok {
				return nil, fmt.Errorf("%s: no key %s", path, p[1:i])
			}
			p = p[i:]
		case strings.HasPrefix(p, `["`):
			dec := json.NewDecoder(strings.NewReader(p[1:]))
			var k string
			if err := dec.Decode(&k); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			end := 1 + int(dec.InputOffset())
			if end >= len(p) || p[end] != ']' {
				return nil, fmt.Errorf("%s: no ] after key", path)
			}
			m, ok := normalize(v).(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: not an object before %s", path, p)
			}
			if v, ok = m[k]; !ok {
				return nil, fmt.Errorf("%s: no key %q", path, k)
			}
			p = p[end+1:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			i, err := strconv.Atoi(p[1:max(end, 1)])
			if end < 0 || err != nil {
				return nil, fmt.Errorf("%s: bad index in %s", path, p)
			}
			l, ok := normalize(v).([]any)
			if !ok || i < 0 || i >= len(l) {
				return nil, fmt.Errorf("%s: no element %d", path, i)
			}
			v, p = l[i], p[end+1:]
		default:
			return nil, fmt.Errorf("%s: bad path at %s", path, p)
		}
	}
	return v, nil
}

// checkConsistent checks the properties that hold for any x and y.
func checkConsistent(t *testing.T, x, y any) {
	t.Helper()
	show := func() string { return fmt.Sprintf("x = %s\ny = %s", render(x), render(y)) }
	if d := Diff(x, x); len(d) != 0 || !Equal(x, x) {
		t.Fatalf("Diff(x, x) =\n%s%s", Format(d, false), show())
	}
	d := Diff(x, y)
	eq := Equal(x, y)
	if eq != (len(d) == 0) {
		t.Fatalf("Equal = %v but Diff =\n%s%s", eq, Format(d, false), show())
	}
	if Equal(y, x) != eq || (len(Diff(y, x)) == 0) != eq {
		t.Fatalf("not symmetric\n%s", show())
	}
	var hd differ
	if eq && hd.hash(x) != hd.hash(y) {
		t.Fatalf("equal values hash differently\n%s", show())
	}
	if budgetEq, left := equalWithin(x, y, eqBudget); left >= 0 && budgetEq != eq {
		t.Fatalf("equalWithin = %v\n%s", budgetEq, show())
	}
	if d2 := Diff(x, y); !reflect.DeepEqual(d, d2) {
		t.Fatalf("not deterministic:\n%s\n%s", Format(d, false), Format(d2, false))
	}
	seen := map[string]bool{}
	for _, c := range d {
		// Added and Changed paths lead to New in y; no path is reported
		// twice for a side.
		side := c.Path
		if c.Kind == Removed {
			side = "old " + side
		} else {
			v, err := lookup(y, c.Path)
			if err != nil {
				t.Fatalf("%v\n%s", err, show())
			}
			if !Equal(v, c.New) {
				t.Fatalf("%s: New = %s, y has %s", c.Path, render(c.New), render(v))
			}
		}
		if seen[side] {
			t.Fatalf("path %s reported twice:\n%s", c.Path, Format(d, false))
		}
		seen[side] = true
		switch c.Kind {
		case Added:
			if c.Old != nil {
				t.Fatalf("%s: Added with Old", c.Path)
			}
		case Removed:
			if c.New != nil {
				t.Fatalf("%s: Removed with New", c.Path)
			}
		case Changed:
			if Equal(c.Old, c.New) {
				t.Fatalf("%s: Changed between equal values", c.Path)
			}
		default:
			t.Fatalf("kind %q", c.Kind)
		}
	}
	if out := Format(d, false); strings.ContainsFunc(out, func(r rune) bool { return r != '\n' && needsEscape(r) }) {
		t.Fatalf("Format writes control characters: %q", out)
	}
}

func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	equalPairs := 0
	const n = 10000
	for i := range n {
		x := genValue(r, 4)
		y := mutate(r, x, 4)
		checkConsistent(t, x, y)
		if Equal(x, y) {
			equalPairs++
		}
		// The same values written as Go values normalise to the same JSON.
		gx, gy := goify(r, x), goify(r, y)
		if !Equal(x, gx) || !Equal(gx, x) {
			t.Fatalf("goify changed x:\n%s\n%s", render(x), render(gx))
		}
		if got, want := Summary(Diff(gx, gy)), Summary(Diff(x, y)); got != want {
			t.Fatalf("Go values diff differently: %s, want %s\n%s\n%s", got, want, render(x), render(y))
		}
		checkConsistent(t, gx, gy)
		// A value equals its JSON round trip, whatever the decoding.
		text := mustMarshal(x)
		if nx := decode(t, string(text)); !Equal(x, nx) {
			t.Fatalf("%s decoded differs: %s", text, Format(Diff(x, nx), false))
		}
		var fx any
		if json.Unmarshal(text, &fx) == nil {
			if nfx := decode(t, string(mustMarshal(fx))); !Equal(fx, nfx) {
				t.Fatalf("%s decoded as float64 differs from its round trip: %s", text, Format(Diff(fx, nfx), false))
			}
		}
		if i == n-1 {
			t.Logf("%d pairs, %d equal", n, equalPairs)
		}
	}
	if equalPairs < n/20 || equalPairs > n*3/4 {
		t.Errorf("generator makes %d equal pairs out of %d", equalPairs, n)
	}
}

// TestListAlignment checks that a single edit to a list of distinct
// elements is reported as one change, whatever the position.
func TestListAlignment(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		n := 1 + r.IntN(30)
		var x []any
		for i := range n {
			x = append(x, map[string]any{"line": float64(i), "sku": fmt.Sprint("S", i), "qty": float64(r.IntN(5))})
		}
		i := r.IntN(n)
		var y []any
		var want Change
		switch r.IntN(3) {
		case 0:
			y = slices.Insert(slices.Clone(x), i, any(map[string]any{"line": 99.0}))
			want = Change{Path: fmt.Sprintf("$[%d]", i), Kind: Added}
		case 1:
			y = slices.Delete(slices.Clone(x), i, i+1)
			want = Change{Path: fmt.Sprintf("$[%d]", i), Kind: Removed}
		case 2:
			y = slices.Clone(x)
			y[i] = map[string]any{"line": float64(i), "sku": fmt.Sprint("S", i), "qty": 7.0}
			want = Change{Path: fmt.Sprintf("$[%d].qty", i), Kind: Changed}
		}
		d := Diff(x, y)
		if len(d) != 1 || d[0].Path != want.Path || d[0].Kind != want.Kind {
			if !(want.Kind == Changed && len(d) == 0) { // qty was already 7
				t.Fatalf("want %s %s, got\n%s", want.Kind, want.Path, Format(d, false))
			}
		}
	}
}

// TestLongListsBounded checks that lists too different for the Myers bound
// still diff correctly.
func TestLongListsBounded(t *testing.T) {
	var x, y []any
	for i := range 3000 {
		x = append(x, float64(i))
		y = append(y, float64(3000-i))
	}
	d := Diff(x, y)
	checkConsistent(t, x, y)
	if len(d) == 0 || len(d) > 3000 {
		t.Errorf("%d changes", len(d))
	}
	// Past the Myers bound but small enough to pair by similarity: each of
	// the 20 old lines finds its changed counterpart among 500 new ones.
	x, y = nil, nil
	for i := range 500 {
		if i%25 == 0 {
			x = append(x, map[string]any{"sku": fmt.Sprint("S", i), "qty": 1.0, "n": 1.0})
		}
		y = append(y, map[string]any{"sku": fmt.Sprint("S", i), "qty": 2.0, "n": 1.0})
	}
	checkConsistent(t, x, y)
	if got := Summary(Diff(x, y)); got != "20 changed, 480 added, 0 removed" {
		t.Errorf("got %s", got)
	}
	var changed []string
	for _, c := range Diff(x, y) {
		if c.Kind == Changed {
			changed = append(changed, c.Path)
		}
	}
	if len(changed) != 20 || changed[1] != "$[25].qty" || changed[19] != "$[475].qty" {
		t.Errorf("changed: %v", changed)
	}

	// Long, mostly equal lists still align exactly.
	x, y = nil, nil
	for i := range 3000 {
		x = append(x, float64(i))
	}
	y = slices.Insert(slices.Clone(x), 1500, any("new"))
	y = slices.Delete(y, 10, 11)
	if got := Format(Diff(x, y), false); got != "- $[10]:   10\n+ $[1499]: \"new\"\n" {
		t.Errorf("got\n%s", got)
	}
}

// TestDeepValues diffs values nested as deep as encoding/json allows. Each
// level's list alignment hashes its elements; the hashes of large
// containers are kept, or this would take time quadratic in the depth
// (seconds instead of milliseconds).
func TestDeepValues(t *testing.T) {
	const depth = 9999
	for _, open := range []string{"[", "[0,", `{"a":[`, `[{"a":`} {
		closing := map[string]string{"[": "]", "[0,": "]", `{"a":[`: "]}", `[{"a":`: "}]"}[open]
		x := decode(t, strings.Repeat(open, depth/2)+"1"+strings.Repeat(closing, depth/2))
		y := decode(t, strings.Repeat(open, depth/2)+"2"+strings.Repeat(closing, depth/2))
		d := Diff(x, y)
		if len(d) != 1 || d[0].Kind != Changed || !Equal(d[0].Old, 1) {
			t.Fatalf("%s: %d changes", open, len(d))
		}
		if v, err := lookup(y, d[0].Path); err != nil || !Equal(v, 2) {
			t.Fatalf("%s: path: %v", open, err)
		}
		if Equal(x, y) || !Equal(x, x) {
			t.Fatalf("%s: Equal", open)
		}
	}
}
