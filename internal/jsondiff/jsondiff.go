// Package jsondiff computes a structural diff of JSON-like values, for
// analysts comparing what two versions of a flow write and for flow tests
// comparing expected with actual output.
//
// # Values
//
// The values compared are those encoding/json decodes into an any:
// map[string]any, []any, string, float64, json.Number, bool and nil. Go
// integers, unsigned integers and float32 are accepted as numbers. Any other
// value (a time.Time, a struct with json tags, a map[string]string, a
// json.RawMessage, a type with a MarshalJSON method, a typed nil pointer...)
// is first normalised through a JSON round trip: json.Marshal, then decoding
// with UseNumber. A value that cannot be marshalled (a channel, a function, a
// NaN inside a struct) is compared with reflect.DeepEqual and is never equal
// to a JSON value. Values must be acyclic.
//
// # Comparison
//
//   - Objects are compared key by key. A key that is present with the value
//     null is not the same as an absent key: {"note": null} against {} is
//     reported as Removed $.note (Old nil), and the reverse as Added. JSON
//     consumers, schemas ("required") and patch semantics tell the two
//     apart, so the diff does too.
//   - Numbers are compared by value, exactly: 1, 1.0, json.Number("1.00"),
//     int(1) and json.Number("1e0") are equal, as are 0 and -0, but
//     json.Number("12345678901234567890") differs from
//     json.Number("12345678901234567891"). A float64 stands for the decimal
//     json.Marshal writes for it, the shortest that reads back as the same
//     float64: float64(0.1) equals json.Number("0.1") but not
//     json.Number("0.10000000000000001"), which decodes to the same
//     float64; the bodies written would differ. So a value always equals
//     its own JSON round trip, and equality is transitive. NaN equals NaN.
//   - A change of type (the string "1" against the number 1, null against
//     false) is Changed.
//   - Lists are aligned element by element: the longest common subsequence
//     of equal elements (Myers' algorithm, after the common prefix and
//     suffix) is matched, so one line inserted into a 10-line list is one
//     Added change, not a Changed for each later line and an Added at the
//     end; a line moved to the front is one Added and one Removed. Between two matched elements, the
//     removed and inserted elements are paired up where they look alike
//     (objects sharing equal fields, then keys; values of the same type),
//     in order and without crossing, earlier elements first on a tie; each
//     pair is diffed recursively, so a line whose quantity changed is
//     reported as $.lines[2].qty Changed. Unpaired elements are Removed or
//     Added. Bounds keep this near-linear: when the middles of two lists
//     differ by more than 500 insertions and deletions, they are not aligned
//     (taken as one run); when a run has more than 10000 removed × inserted
//     combinations, its elements are paired index by index. The result is
//     then still correct, only longer than needed.
//
// # Paths
//
// A Change's Path is JSONPath-like: "$" is the root, ".name" an object key
// that is an ASCII identifier ([A-Za-z_][A-Za-z0-9_]*), ["any key"] any other
// key as a JSON string (so "straße", "order-id" and "" are quoted; control
// characters, DEL and C1 controls are escaped as \u00XX), and [3] a list
// index. List indexes are positions in the new list, except the last index
// of a Removed path, which is the removed element's position in the old
// list: the path of an Added or Changed change locates New in the new
// document.
//
// Changes come depth-first in document order: object keys sorted by byte
// value, list elements in alignment order (within a run of differences,
// removals, then additions, then the next pair).
package jsondiff

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Kind is the kind of a Change.
type Kind string

// The kinds of Change.
const (
	Added   Kind = "added"
	Removed Kind = "removed"
	Changed Kind = "changed"
)

// Change is one difference at a path.
//
// Old and New hold the values compared, after normalisation (see the package
// documentation): a Go value that is not plain JSON appears in its decoded
// JSON form, numbers as json.Number.
type Change struct {
	// Path is JSONPath-like: "$" root, ".field" for object keys that are
	// identifiers, ["odd key"] otherwise, "[3]" for list indexes, e.g.
	// "$.lines[2].qty".
	Path string `json:"path"`
	Kind Kind   `json:"kind"`
	Old  any    `json:"old,omitempty"` // for Removed and Changed
	New  any    `json:"new,omitempty"` // for Added and Changed
}

// Diff compares a (old, expected) with b (new, actual) and returns their
// differences in a deterministic order, or nil when they are equal.
func Diff(a, b any) []Change {
	d := differ{path: append(make([]byte, 0, 64), '$')}
	d.diff(a, b)
	return d.changes
}

// Equal reports whether Diff(a, b) would return no changes. For plain JSON
// values it allocates nothing.
func Equal(a, b any) bool { return equal(a, b) }

// Summary counts changes by kind, e.g. "2 changed, 1 added, 0 removed".
func Summary(changes []Change) string {
	var c, a, r int
	for _, ch := range changes {
		switch ch.Kind {
		case Changed:
			c++
		case Added:
			a++
		case Removed:
			r++
		}
	}
	return fmt.Sprintf("%d changed, %d added, %d removed", c, a, r)
}

type differ struct {
	changes []Change
	path    []byte // path of the values being compared; grows and shrinks
	memo    map[memoKey]memoEntry
}

func (d *differ) emit(k Kind, oldV, newV any) {
	d.changes = append(d.changes, Change{Path: string(d.path), Kind: k, Old: oldV, New: newV})
}

func (d *differ) diff(a, b any) {
	a, b = normalize(a), normalize(b)
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			d.diffObject(x, y)
			return
		}
	case []any:
		if y, ok := b.([]any); ok {
			d.diffList(x, y)
			return
		}
	}
	if !equalNormalized(a, b) {
		d.emit(Changed, a, b)
	}
}

func (d *differ) diffObject(a, b map[string]any) {
	// Collect the keys to visit, leaving out equal scalars so that equal
	// objects cost no sorting.
	var keys []string
	for k, av := range a {
		if bv, ok := b[k]; !ok || !scalarEqual(av, bv) {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	n := len(d.path)
	for _, k := range keys {
		d.path = appendKey(d.path[:n], k)
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inB:
			d.emit(Removed, normalize(av), nil)
		case !inA:
			d.emit(Added, nil, normalize(bv))
		default:
			d.diff(av, bv)
		}
	}
	d.path = d.path[:n]
}

// scalarEqual reports whether a is a JSON scalar equal to b.
func scalarEqual(a, b any) bool {
	switch a.(type) {
	case nil, bool, string, float64, json.Number:
		return equalNormalized(a, b)
	}
	return false
}
