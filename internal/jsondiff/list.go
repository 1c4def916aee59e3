package jsondiff

import (
	"encoding/json"
	"slices"
	"strconv"
)

// maxEdits bounds the Myers search between two lists, after their common
// prefix and suffix: its trace grows with the square of the number of
// edits (500 edits: about 1 MB). Past it, the middle of the lists is
// treated as one run of differences.
const maxEdits = 500

// maxPairCells bounds the alignment of the removed and inserted elements of
// one run (len(removed) × len(inserted) similarity scores, each comparing two
// elements' top-level fields). Larger runs are paired index by index.
const maxPairCells = 10000

// match pairs element i of one list with element j of the other.
type match struct{ i, j int }

func (d *differ) diffList(a, b []any) {
	n, m := len(a), len(b)
	pre := 0
	for pre < n && pre < m && d.eq(a[pre], b[pre]) {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && d.eq(a[n-1-suf], b[m-1-suf]) {
		suf++
	}
	am, bm := normalizeAll(a[pre:n-suf]), normalizeAll(b[pre:m-suf])
	var matches []match
	if len(am) > 0 && len(bm) > 0 && len(am)+len(bm) > 2 {
		matches = d.commonSubsequence(am, bm)
	}
	base := len(d.path)
	i, j := 0, 0
	for _, mt := range matches {
		d.diffRun(base, am[i:mt.i], bm[j:mt.j], pre+i, pre+j)
		i, j = mt.i+1, mt.j+1
	}
	d.diffRun(base, am[i:], bm[j:], pre+i, pre+j)
	d.path = d.path[:base]
}

// diffRun reports a run of differences: the elements a, at index ai of the
// old list, were replaced by the elements b, at index bj of the new list.
// Elements that look alike are paired and diffed; the others are Removed or
// Added.
func (d *differ) diffRun(base int, a, b []any, ai, bj int) {
	i, j := 0, 0
	for _, p := range d.pairRun(a, b) {
		for ; i < p.i; i++ {
			d.index(base, ai+i)
			d.emit(Removed, a[i], nil)
		}
		for ; j < p.j; j++ {
			d.index(base, bj+j)
			d.emit(Added, nil, b[j])
		}
		d.index(base, bj+j)
		d.diff(a[i], b[j])
		i++
		j++
	}
	for ; i < len(a); i++ {
		d.index(base, ai+i)
		d.emit(Removed, a[i], nil)
	}
	for ; j < len(b); j++ {
		d.index(base, bj+j)
		d.emit(Added, nil, b[j])
	}
}

func (d *differ) index(base, i int) {
	d.path = append(strconv.AppendInt(append(d.path[:base], '['), int64(i), 10), ']')
}

// normalizeAll returns xs with every element normalised, copying xs only
// when an element changes.
func normalizeAll(xs []any) []any {
	for i, x := range xs {
		if !isPlain(x) {
			out := slices.Clone(xs)
			for k := i; k < len(out); k++ {
				out[k] = normalize(out[k])
			}
			return out
		}
	}
	return xs
}

// commonSubsequence returns the pairs of equal elements of a longest common
// subsequence of a and b, or nil when that takes more than maxEdits edits.
func (d *differ) commonSubsequence(a, b []any) []match {
	ha := make([]uint64, len(a))
	for i, x := range a {
		ha[i] = d.hash(x)
	}
	hb := make([]uint64, len(b))
	for j, y := range b {
		hb[j] = d.hash(y)
	}
	// Elements with equal hashes are almost always equal, and the search
	// follows each diagonal forward only, so that each pair of equal
	// elements is compared in full about once.
	eq := func(i, j int) bool { return ha[i] == hb[j] && equalNormalized(a[i], b[j]) }
	return myers(len(a), len(b), eq, maxEdits)
}

// myers is Myers' O(ND) difference algorithm. It returns the matched pairs
// of a shortest edit script turning n elements into m, in increasing order,
// or nil when every script has more than maxD edits.
func myers(n, m int, eq func(i, j int) bool, maxD int) []match {
	maxD = min(maxD, n+m)
	off := maxD + 1
	v := make([]int32, 2*maxD+3) // v[off+k]: furthest x on diagonal k
	var trace [][]int32          // trace[d][d+k]: v after step d, for |k| <= d
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = int(v[off+k+1]) // step down: insertion
			} else {
				x = int(v[off+k-1]) + 1 // step right: deletion
			}
			y := x - k
			for x < n && y < m && eq(x, y) {
				x++
				y++
			}
			v[off+k] = int32(x)
			if x >= n && y >= m {
				return backtrack(trace, d, n, m)
			}
		}
		trace = append(trace, slices.Clone(v[off-d:off+d+1]))
	}
	return nil
}

func backtrack(trace [][]int32, d, x, y int) []match {
	var out []match
	for ; d > 0; d-- {
		prev := trace[d-1] // prev[d-1+k] is v[k] after step d-1
		at := func(k int) int { return int(prev[d-1+k]) }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			out = append(out, match{x, y})
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		x--
		y--
		out = append(out, match{x, y})
	}
	slices.Reverse(out)
	return out
}

// pairRun chooses which removed elements (a) to diff against which inserted
// ones (b): an order-keeping matching that maximises the summed similarity,
// then the number of pairs, preferring to pair early elements when that
// leaves a choice.
func (d *differ) pairRun(a, b []any) []match {
	k, l := len(a), len(b)
	if k == 0 || l == 0 {
		return nil
	}
	if k == 1 && l == 1 {
		return []match{{0, 0}}
	}
	if k*l > maxPairCells {
		out := make([]match, min(k, l))
		for i := range out {
			out[i] = match{i, i}
		}
		return out
	}
	// score[i*(l+1)+j]: best matching of a[:i] with b[:j]. A pair is worth
	// its similarity × K + 1, K exceeding any number of pairs, so that
	// similarity counts first and the number of pairs second.
	K := int64(min(k, l) + 1)
	w := l + 1
	score := make([]int64, (k+1)*w)
	for i := 1; i <= k; i++ {
		for j := 1; j <= l; j++ {
			s := max(score[(i-1)*w+j], score[i*w+j-1])
			s = max(s, score[(i-1)*w+j-1]+int64(d.similarity(a[i-1], b[j-1]))*K+1)
			score[i*w+j] = s
		}
	}
	var out []match
	for i, j := k, l; i > 0 && j > 0; {
		switch s := score[i*w+j]; {
		case s == score[(i-1)*w+j]:
			i--
		case s == score[i*w+j-1]:
			j--
		default:
			out = append(out, match{i - 1, j - 1})
			i--
			j--
		}
	}
	slices.Reverse(out)
	return out
}

// similarity scores how much two normalised values look alike, from 0 (not
// at all, or different types) to 1000 (equal). Values of the same type
// score at least 1. For objects, each key in both counts 2 when the values
// are equal and 1 otherwise, out of 2 per key in either; lists likewise by
// index.
func (d *differ) similarity(x, y any) int {
	switch xv := x.(type) {
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok {
			return 0
		}
		if len(xv)+len(yv) == 0 {
			return 1000
		}
		n := 0
		for k, e := range xv {
			if f, ok := yv[k]; ok {
				n++
				if d.eq(e, f) {
					n++
				}
			}
		}
		return max(1, 1000*n/(len(xv)+len(yv)))
	case []any:
		yv, ok := y.([]any)
		if !ok {
			return 0
		}
		if len(xv)+len(yv) == 0 {
			return 1000
		}
		n := 0
		for i := range min(len(xv), len(yv)) {
			n++
			if d.eq(xv[i], yv[i]) {
				n++
			}
		}
		return max(1, 1000*n/(len(xv)+len(yv)))
	}
	if equalNormalized(x, y) {
		return 1000
	}
	if sameType(x, y) {
		return 1
	}
	return 0
}

func sameType(x, y any) bool {
	switch x.(type) {
	case nil:
		return y == nil
	case bool:
		_, ok := y.(bool)
		return ok
	case string:
		_, ok := y.(string)
		return ok
	case float64, json.Number:
		switch y.(type) {
		case float64, json.Number:
			return true
		}
	}
	return false
}
