package hclfmt

import (
	"fmt"
	"path/filepath"
	"strings"
)

const diffContext = 3

// maxEdits bounds the Myers search. Its trace grows with the square of the
// number of edits; past this bound the remaining difference is shown as one
// block of deletions then insertions, still a correct diff, only not a
// minimal one.
const maxEdits = 2000

// UnifiedDiff returns the unified diff that turns a into b, with
// "--- a/NAME" and "+++ b/NAME" headers and hunks of diffContext lines of
// context, or "" if a and b are equal.
func UnifiedDiff(name string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	al, bl := splitKeepNL(string(a)), splitKeepNL(string(b))
	edits := diffLines(al, bl)

	var sb strings.Builder
	name = filepath.ToSlash(name)
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n", name, name)
	for _, h := range hunks(edits) {
		writeHunk(&sb, edits[h[0]:h[1]])
	}
	return sb.String()
}

// splitKeepNL splits s into lines that keep their "\n", so that a last line
// without one differs from the same text with one.
func splitKeepNL(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

type edit struct {
	op   byte // ' ', '-' or '+'
	text string
	a, b int // 0-based index of the line in a and b before this edit
}

// diffLines returns an edit script from a to b: common prefix and suffix
// are matched directly and the middle goes through Myers' O(ND) algorithm.
func diffLines(a, b []string) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}

	var ops []byte
	for range pre {
		ops = append(ops, ' ')
	}
	ops = append(ops, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for range suf {
		ops = append(ops, ' ')
	}
	groupChanges(ops)

	edits := make([]edit, 0, len(ops))
	i, j := 0, 0
	for _, op := range ops {
		e := edit{op: op, a: i, b: j}
		switch op {
		case ' ':
			e.text = a[i]
			i++
			j++
		case '-':
			e.text = a[i]
			i++
		case '+':
			e.text = b[j]
			j++
		}
		edits = append(edits, e)
	}
	return edits
}

// myers returns the shortest edit script from a to b as a string of ' ',
// '-' and '+' (deletions before insertions within a change), falling back to
// "delete all, insert all" beyond maxEdits.
func myers(a, b []string) []byte {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replaceAll(n, m)
	}
	limit := min(n+m, maxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3)
	// trace[d] holds v[off-d .. off+d] as it was at the end of round d.
	var trace [][]int
	for d := 0; d <= limit; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1] // down: insertion
			} else {
				x = v[off+k-1] + 1 // right: deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
				return backtrack(trace, n, m)
			}
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
	}
	return replaceAll(n, m)
}

// backtrack walks the trace from (n, m) back to (0, 0), collecting the
// script in reverse.
func backtrack(trace [][]int, n, m int) []byte {
	at := func(d, k int) int { return trace[d][k+d] }
	var rev []byte
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		k := x - y
		var prevK int
		if k == -d || k != d && at(d-1, k-1) < at(d-1, k+1) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(d-1, prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, ' ')
			x--
			y--
		}
		if x == prevX {
			rev = append(rev, '+')
		} else {
			rev = append(rev, '-')
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		rev = append(rev, ' ')
		x--
		y--
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// groupChanges puts each run of changes in the order people expect,
// deletions before insertions; within a run any order is a valid script.
func groupChanges(ops []byte) {
	for i := 0; i < len(ops); {
		if ops[i] == ' ' {
			i++
			continue
		}
		j, dels := i, 0
		for ; j < len(ops) && ops[j] != ' '; j++ {
			if ops[j] == '-' {
				dels++
			}
		}
		for k := i; k < j; k++ {
			ops[k] = '+'
			if k-i < dels {
				ops[k] = '-'
			}
		}
		i = j
	}
}

func replaceAll(n, m int) []byte {
	ops := make([]byte, 0, n+m)
	for range n {
		ops = append(ops, '-')
	}
	for range m {
		ops = append(ops, '+')
	}
	return ops
}

// hunks groups edits into [start, end) ranges: each change with up to
// diffContext equal lines around it, changes closer than 2*diffContext
// sharing a hunk, as diff -u does.
func hunks(edits []edit) [][2]int {
	var out [][2]int
	i := 0
	for {
		for i < len(edits) && edits[i].op == ' ' {
			i++
		}
		if i == len(edits) {
			return out
		}
		start := max(i-diffContext, 0)
		last := i
		for j := i + 1; j < len(edits); j++ {
			if edits[j].op != ' ' {
				last = j
			} else if j-last > 2*diffContext {
				break
			}
		}
		end := min(last+diffContext+1, len(edits))
		out = append(out, [2]int{start, end})
		i = end
	}
}

func writeHunk(sb *strings.Builder, h []edit) {
	var na, nb int
	for _, e := range h {
		if e.op != '+' {
			na++
		}
		if e.op != '-' {
			nb++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(h[0].a, na), hunkRange(h[0].b, nb))
	for _, e := range h {
		sb.WriteByte(e.op)
		if text, ok := strings.CutSuffix(e.text, "\n"); ok {
			sb.WriteString(text + "\n")
		} else {
			sb.WriteString(e.text + "\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats a hunk's line range as diff -u does: "start,count",
// with ",1" left out and an empty range given as the line before it.
func hunkRange(first, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", first)
	case 1:
		return fmt.Sprintf("%d", first+1)
	}
	return fmt.Sprintf("%d,%d", first+1, count)
}
