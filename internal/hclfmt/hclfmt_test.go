package hclfmt

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s", path, UnifiedDiff(path, want, got))
	}
}

// Inputs are NAME.in rather than *.hcl so that "flowctl fmt ." at the top
// of the repository leaves them alone.
func TestFormatGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "format", "*.in"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, diags := Format(name+".hcl", src)
			if diags.HasErrors() {
				t.Fatalf("unexpected errors: %s", diags.Error())
			}
			checkGolden(t, strings.TrimSuffix(in, ".in")+".golden", got)

			again, diags := Format(name+".hcl", got)
			if diags.HasErrors() || !bytes.Equal(again, got) {
				t.Errorf("not idempotent:\n%s", UnifiedDiff(name, got, again))
			}
		})
	}
}

func TestFormatSyntaxError(t *testing.T) {
	src := []byte("flow \"x\" {\n  to = sink.y\n  from = \n}\n")
	got, diags := Format("flows/x.hcl", src)
	if got != nil {
		t.Errorf("formatted a broken file: %q", got)
	}
	if !diags.HasErrors() {
		t.Fatal("no diagnostics for a syntax error")
	}
	s := diags[0].Subject
	if s == nil || s.Filename != "flows/x.hcl" || s.Start.Line != 3 {
		t.Errorf("subject = %+v, want flows/x.hcl line 3", s)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{
		"b.hcl", "a.hcl", "notes.txt", "sub/c.hcl", "sub/deeper/d.hcl",
		".git/config.hcl", "sub/.cache/e.hcl", ".#lock.hcl", "sub/x.hcl.bak",
	} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := func(f string) string { return filepath.Join(dir, f) }

	got, err := Files([]string{dir, j("notes.txt"), j("a.hcl"), j("sub")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{j("a.hcl"), j("b.hcl"), j("notes.txt"), j("sub/c.hcl"), j("sub/deeper/d.hcl")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Files =\n%v\nwant\n%v", got, want)
	}

	// A hidden directory named on the command line is still searched.
	if got, err := Files([]string{j(".git")}); err != nil || len(got) != 1 {
		t.Errorf("Files(.git) = %v, %v", got, err)
	}

	// Relative paths stay relative.
	t.Chdir(dir)
	got, err = Files([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[a.hcl b.hcl sub/c.hcl sub/deeper/d.hcl]"; fmt.Sprint(got) != filepath.FromSlash(want) {
		t.Errorf("Files(.) = %v", got)
	}

	_, err = Files([]string{"a.hcl", "missing"})
	if err == nil || err.Error() != "missing: no such file or directory" {
		t.Errorf("missing path: err = %v", err)
	}

	if got, err := Files([]string{filepath.Join("sub", ".cache")}); err != nil || len(got) != 1 {
		t.Errorf("Files(sub/.cache) = %v, %v", got, err)
	}
}

func TestUnifiedDiffGolden(t *testing.T) {
	as, err := filepath.Glob(filepath.Join("testdata", "diff", "*.a"))
	if err != nil || len(as) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, pa := range as {
		base := strings.TrimSuffix(pa, ".a")
		name := filepath.Base(base)
		t.Run(name, func(t *testing.T) {
			a, err := os.ReadFile(pa)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(base + ".b")
			if err != nil {
				t.Fatal(err)
			}
			got := UnifiedDiff(name+".hcl", a, b)
			checkGolden(t, base+".diff", []byte(got))
			if patched := apply(t, a, got); patched != string(b) {
				t.Errorf("applying the diff gives %q, want %q", patched, b)
			}
		})
	}
}

func TestUnifiedDiffEqual(t *testing.T) {
	if d := UnifiedDiff("x", []byte("a\n"), []byte("a\n")); d != "" {
		t.Errorf("diff of equal texts = %q", d)
	}
}

// TestUnifiedDiffRandom checks on random texts that every diff applies
// cleanly and, against a dynamic-programming LCS, that it is minimal.
func TestUnifiedDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randText := func() []byte {
		var b strings.Builder
		n := r.IntN(25)
		for range n {
			b.WriteString(string(rune('a' + r.IntN(4))))
			if r.IntN(10) > 0 || b.Len() == 0 {
				b.WriteString("\n")
			}
		}
		return []byte(b.String())
	}
	for i := range 2000 {
		a, b := randText(), randText()
		d := UnifiedDiff("f", a, b)
		if patched := apply(t, a, d); patched != string(b) {
			t.Fatalf("case %d: a=%q b=%q\n%s\npatched=%q", i, a, b, d, patched)
		}
		al, bl := splitKeepNL(string(a)), splitKeepNL(string(b))
		changes := 0
		for _, l := range strings.Split(d, "\n") {
			if (l != "" && (l[0] == '-' || l[0] == '+')) && !strings.HasPrefix(l, "--- ") && !strings.HasPrefix(l, "+++ ") {
				changes++
			}
		}
		if want := len(al) + len(bl) - 2*lcs(al, bl); changes != want {
			t.Fatalf("case %d: %d changed lines, minimum is %d\n%s", i, changes, want, d)
		}
	}
}

// TestUnifiedDiffLarge exercises the maxEdits fallback on a file where
// every line changes.
func TestUnifiedDiffLarge(t *testing.T) {
	var a, b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&a, "line %d\n", i)
		fmt.Fprintf(&b, "  line %d\n", i)
	}
	d := UnifiedDiff("big", []byte(a.String()), []byte(b.String()))
	if patched := apply(t, []byte(a.String()), d); patched != b.String() {
		t.Fatal("large diff does not apply")
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// apply is a strict patch(1): it checks every header count and context
// line, so a diff that applies here is well formed.
func apply(t *testing.T, a []byte, diff string) string {
	t.Helper()
	if diff == "" {
		return string(a)
	}
	src := splitKeepNL(string(a))
	lines := strings.SplitAfter(diff, "\n")
	if !strings.HasPrefix(lines[0], "--- a/") || !strings.HasPrefix(lines[1], "+++ b/") {
		t.Fatalf("bad headers:\n%s", diff)
	}
	var out []string
	pos := 0 // next line of src to copy
	i := 2
	for i < len(lines) && lines[i] != "" {
		var aStart, aCount, bStart, bCount int
		hdr := strings.TrimSuffix(lines[i], "\n")
		parseRange := func(s string) (int, int) {
			start, count, found := strings.Cut(s, ",")
			n, err := strconv.Atoi(start)
			if err != nil {
				t.Fatalf("bad hunk header %q", hdr)
			}
			c := 1
			if found {
				if c, err = strconv.Atoi(count); err != nil {
					t.Fatalf("bad hunk header %q", hdr)
				}
			}
			return n, c
		}
		f := strings.Fields(hdr)
		if len(f) != 4 || f[0] != "@@" || f[3] != "@@" {
			t.Fatalf("bad hunk header %q", hdr)
		}
		aStart, aCount = parseRange(strings.TrimPrefix(f[1], "-"))
		bStart, bCount = parseRange(strings.TrimPrefix(f[2], "+"))
		first := aStart - 1
		if aCount == 0 {
			first = aStart
		}
		if first < pos {
			t.Fatalf("hunk %q overlaps the previous one", hdr)
		}
		out = append(out, src[pos:first]...)
		if bStart != len(out)+1 && !(bCount == 0 && bStart == len(out)) {
			t.Fatalf("hunk %q: new start should be %d", hdr, len(out)+1)
		}
		pos = first
		i++
		var na, nb int
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			op, text := lines[i][0], lines[i][1:]
			i++
			if i < len(lines) && lines[i] == "\\ No newline at end of file\n" {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			switch op {
			case ' ', '-':
				if pos >= len(src) || src[pos] != text {
					t.Fatalf("hunk %q: line %d is %q in the diff", hdr, pos+1, text)
				}
				pos++
				na++
				if op == ' ' {
					out = append(out, text)
					nb++
				}
			case '+':
				out = append(out, text)
				nb++
			default:
				t.Fatalf("bad diff line %q", lines[i-1])
			}
		}
		if na != aCount || nb != bCount {
			t.Fatalf("hunk %q has %d/%d lines", hdr, na, nb)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}
