package flowtest

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/internal/hclfmt"
)

const testingDoc = "../../docs/testing.md"

type docBlock struct {
	line int
	info string
	src  string
}

func docBlocks(t *testing.T) []docBlock {
	t.Helper()
	f, err := os.Open(testingDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docBlock
	var cur *docBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		trimmed := strings.TrimSpace(l)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &docBlock{line: n, info: strings.TrimPrefix(trimmed, "```")}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.src += l + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: code block is never closed", testingDoc, cur.line)
	}
	return out
}

var fileHeader = regexp.MustCompile(`^# file: (\S+)\n`)

// TestDocExamples keeps docs/testing.md true: the blocks headed
// "# file: NAME" form a configuration with tests that all pass; every other
// hcl block that declares a test parses; every hcl block is formatted.
func TestDocExamples(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	parsed := 0
	for _, b := range docBlocks(t) {
		if b.info != "hcl" && !strings.HasPrefix(b.info, "hcl ") {
			continue
		}
		name := testingDoc + ":" + itoa(b.line)
		if got, diags := hclfmt.Format(name, []byte(b.src)); diags.HasErrors() {
			t.Errorf("%s: %s", name, diags.Error())
		} else if string(got) != b.src {
			t.Errorf("%s: not in canonical layout; flowctl fmt gives:\n%s", name, got)
		}
		if b.info != "hcl" {
			continue
		}
		if m := fileHeader.FindStringSubmatch(b.src); m != nil {
			files[m[1]] += b.src
			continue
		}
		if !strings.Contains(b.src, "test \"") {
			t.Errorf("%s: an hcl block is a test (or headed # file: NAME, or marked fragment)", name)
			continue
		}
		f, diags := ParseFile(name, []byte(b.src))
		if diags.HasErrors() {
			t.Errorf("%s: %s", name, diags.Error())
		}
		parsed += len(f.Tests)
	}
	if len(files) < 3 || parsed < 2 {
		t.Fatalf("found %d example files and %d other tests; is %s still there?", len(files), parsed, testingDoc)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Diags) > 0 {
		t.Fatalf("the worked example does not load:\n%s", diagText(s))
	}
	rep := s.Run(context.Background(), nil)
	if rep.Passed < 2 || rep.Failed > 0 {
		for _, r := range rep.Results {
			var b strings.Builder
			WriteResult(&b, r, TextOptions{})
			t.Log(b.String())
		}
		t.Errorf("worked example: %d passed, %d failed", rep.Passed, rep.Failed)
	}
}
