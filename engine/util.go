package engine

import (
	"sort"
	"strings"
)

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func joinNames(names []string) string { return strings.Join(names, ", ") }

// CopyValue copies the maps and lists of a decoded record (other values
// are immutable): a source that hands out the same record twice, or a
// test that runs a record through a flow twice, gives each run its own,
// since coercion converts records in place.
func CopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = CopyValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = CopyValue(e)
		}
		return l
	}
	return v
}
