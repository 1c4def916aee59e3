// Package docs_test keeps docs/flow-language.md and examples/ honest: every
// configuration in the reference compiles without diagnostics, every
// example lints clean, and the reference names every function, diagnostic
// code and connector field the engine knows.
//
// Fenced blocks in flow-language.md are treated by their info string:
//
//	```hcl                 a complete configuration: no errors, no warnings
//	```hcl fragment        part of a configuration: not checked
//	```hcl fails FC007     a configuration showing a diagnostic: compiling it
//	                       must report FC007 (and only the codes listed)
//
// A ```text block right after a ```hcl fails block shows what `flowctl lint`
// prints for it (the file named orders.hcl); `go test ./docs -update`
// regenerates those blocks after a message changes.
package docs_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	_ "github.com/flowctl/flowctl/connectors/all"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/flowctl/flowctl/internal/hclfmt"
	"github.com/hashicorp/hcl/v2"
)

// -update rewrites the ```text blocks that follow ```hcl fails blocks with
// the current lint output.
var update = flag.Bool("update", false, "rewrite the diagnostic output shown in "+reference)

const reference = "flow-language.md"

// block is one fenced code block of the reference.
type block struct {
	line int    // line of the opening fence (1-based)
	info string // info string after ```
	src  string
}

func readReference(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(reference)
	if err != nil {
		t.Fatalf("read %s: %v", reference, err)
	}
	return string(b)
}

// fencedBlocks returns every ``` block of a markdown text.
func fencedBlocks(t *testing.T, md string) []block {
	t.Helper()
	var out []block
	var cur *block
	var body strings.Builder
	sc := bufio.NewScanner(strings.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{line: n, info: strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))}
			body.Reset()
		case cur != nil && trimmed == "```":
			cur.src = body.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: code block is never closed", reference, cur.line)
	}
	return out
}

// compile loads and compiles one in-memory flow file in lint mode.
func compile(name string, src []byte) hcl.Diagnostics {
	cfg, diags := dsl.Load([]string{name}, map[string][]byte{name: src})
	for _, d := range diags {
		if d.Severity == hcl.DiagError && dsl.DiagCode(d) == dsl.CodeSyntax {
			return diags // the compiler would only repeat noise
		}
	}
	_, cd := engine.Compile(cfg, engine.Options{Mode: engine.ModeLint, LookupEnv: noEnv})
	diags = append(diags, cd...)
	dsl.SortDiagnostics(diags)
	return diags
}

// noEnv hides the test process's environment, so env() and secret() are
// unknown values exactly as in a clean `flowctl lint`.
func noEnv(string) (string, bool) { return "", false }

// describe renders diagnostics with positions translated from the block to
// the markdown file (hcl line 1 is the line after the fence).
func describe(b block, diags hcl.Diagnostics) string {
	var s strings.Builder
	for _, d := range diags {
		pos := reference
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d:%d", reference, b.line+d.Subject.Start.Line, d.Subject.Start.Column)
		}
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		fmt.Fprintf(&s, "\n  %s: %s %s: %s: %s", pos, sev, dsl.DiagCode(d), d.Summary, d.Detail)
	}
	return s.String()
}

func codesOf(diags hcl.Diagnostics) []string {
	var codes []string
	for _, d := range diags {
		c := string(dsl.DiagCode(d))
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	return codes
}

// TestReferenceExamples compiles every hcl block of the reference.
func TestReferenceExamples(t *testing.T) {
	blocks := fencedBlocks(t, readReference(t))
	checked := 0
	for _, b := range blocks {
		fields := strings.Fields(b.info)
		if len(fields) == 0 || fields[0] != "hcl" {
			continue
		}
		name := fmt.Sprintf("%s:%d", reference, b.line)
		switch {
		case len(fields) == 1:
			checked++
			t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
				if diags := compile(name, []byte(b.src)); len(diags) > 0 {
					t.Errorf("%s: example has diagnostics:%s", name, describe(b, diags))
				}
			})
		case fields[1] == "fragment":
			// Part of a configuration; not compiled.
		case fields[1] == "fails":
			want := fields[2:]
			sort.Strings(want)
			checked++
			t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
				if len(want) == 0 {
					t.Fatalf("%s: ```hcl fails needs the expected codes, e.g. ```hcl fails FC004", name)
				}
				diags := compile(name, []byte(b.src))
				if got := codesOf(diags); !slices.Equal(got, want) {
					t.Errorf("%s: want diagnostics %v, got %v:%s", name, want, got, describe(b, diags))
				}
			})
		default:
			t.Errorf("%s: unknown hcl block kind %q; use ```hcl, ```hcl fragment or ```hcl fails CODE...", name, b.info)
		}
	}
	if checked < 20 {
		t.Errorf("only %d hcl blocks were checked; is the reference still there?", checked)
	}
}

// TestExamplesLintClean compiles every configuration under examples/ and
// wants no diagnostics at all, warnings included.
func TestExamplesLintClean(t *testing.T) {
	units, err := dsl.Discover([]string{filepath.Join("..", "examples")})
	if err != nil {
		t.Fatal(err)
	}
	if len(units) < 5 {
		t.Fatalf("found %d example configurations, want at least the five scenarios", len(units))
	}
	for _, u := range units {
		t.Run(filepath.Base(u.Dir), func(t *testing.T) {
			cfg, diags := dsl.LoadFiles(u.Files)
			_, cd := engine.Compile(cfg, engine.Options{Mode: engine.ModeLint, LookupEnv: noEnv})
			diags = append(diags, cd...)
			for _, d := range diags {
				t.Errorf("%s: %s", dsl.DiagCode(d), d.Error())
			}
			if len(cfg.Flows) == 0 {
				t.Errorf("%s declares no flow", u.Dir)
			}
		})
	}
}

// TestExamplesHaveReadmeAndData checks the layout every scenario follows.
func TestExamplesHaveReadmeAndData(t *testing.T) {
	units, err := dsl.Discover([]string{filepath.Join("..", "examples")})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if _, err := os.Stat(filepath.Join(u.Dir, "README.md")); err != nil {
			t.Errorf("%s has no README.md", u.Dir)
		}
		data, _ := filepath.Glob(filepath.Join(u.Dir, "testdata", "*"))
		if len(data) == 0 {
			t.Errorf("%s has no sample data in testdata/", u.Dir)
		}
	}
}

// backticked reports whether the reference mentions name in code style.
func backticked(md, name string) bool {
	return strings.Contains(md, "`"+name+"`") || strings.Contains(md, "`"+name+"(")
}

// TestReferenceNamesEveryFunction wants every function the engine offers to
// appear in the reference: the flowctl expr functions (Func literals in
// engine/ and its subpackages), the static HCL functions and the expr
// built-ins the compiler suggests.
func TestReferenceNamesEveryFunction(t *testing.T) {
	md := readReference(t)
	names := engine.StaticFunctionNames()
	for _, f := range engine.Functions() {
		names = append(names, f.Name)
	}
	for _, n := range names {
		if !backticked(md, n) {
			t.Errorf("%s does not document function %s", reference, n)
		}
	}
}

const (
	funcTableBegin = "<!-- functions:begin (generated by go test ./docs -update) -->"
	funcTableEnd   = "<!-- functions:end -->"
)

// renderFunctionTable renders the flowctl function library from the same
// data the compiler uses.
func renderFunctionTable() string {
	var b strings.Builder
	b.WriteString("| Function | What it does | Example |\n|---|---|---|\n")
	for _, f := range engine.Functions() {
		esc := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
		fmt.Fprintf(&b, "| `%s` | %s | `%s` |\n", esc(f.Signature), esc(f.Doc), esc(f.Example))
	}
	return b.String()
}

// TestFunctionTable keeps the generated function table in the reference in
// step with engine.Functions(); -update rewrites it.
func TestFunctionTable(t *testing.T) {
	md := readReference(t)
	i, j := strings.Index(md, funcTableBegin), strings.Index(md, funcTableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", reference, funcTableBegin, funcTableEnd)
	}
	want := renderFunctionTable()
	got := md[i+len(funcTableBegin)+1 : j]
	if got == want {
		return
	}
	if *update {
		md = md[:i+len(funcTableBegin)+1] + want + md[j:]
		if err := os.WriteFile(reference, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the function table in %s is stale; run go test ./docs -run TestFunctionTable -update", reference)
}

// TestReferenceNamesEveryCode wants every diagnostic code declared in
// dsl/diag.go in the reference's code table.
func TestReferenceNamesEveryCode(t *testing.T) {
	md := readReference(t)
	src, err := os.ReadFile(filepath.Join("..", "dsl", "diag.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*(Code\w+)\s+Code\s*=\s*"(FC\d+)"`)
	matches := re.FindAllStringSubmatch(string(src), -1)
	if len(matches) < 10 {
		t.Fatalf("found only %d diagnostic codes in dsl/diag.go", len(matches))
	}
	for _, m := range matches {
		row := regexp.MustCompile("(?m)^\\|\\s*`?" + m[2] + "`?\\s*\\|")
		if !row.MatchString(md) {
			t.Errorf("%s has no table row for %s (%s)", reference, m[2], m[1])
		}
	}
}

// TestReferenceNamesEveryConnectorField wants a section per connection,
// source and target kind (a heading such as `### target "odoo"`) that
// mentions each of the kind's fields and nested blocks.
func TestReferenceNamesEveryConnectorField(t *testing.T) {
	md := readReference(t)
	reg := engine.DefaultRegistry
	kinds := reg.Kinds(nil)
	if len(kinds) == 0 {
		t.Fatal("no connectors registered")
	}
	for _, kind := range kinds {
		c, _ := reg.Get(kind)
		check := func(role string, spec *engine.Spec) {
			heading := fmt.Sprintf("%s %q", role, kind)
			sec, ok := section(md, heading)
			if !ok {
				t.Errorf("%s has no section headed `%s`", reference, heading)
				return
			}
			checkSpec(t, heading, sec, spec)
		}
		if c.Connection != nil {
			check("connection", c.Connection)
		}
		if c.Source != nil {
			check("source", &c.Source.Spec)
		}
		if c.Target != nil {
			check("target", &c.Target.Spec)
		}
	}
}

func checkSpec(t *testing.T, heading, sec string, spec *engine.Spec) {
	t.Helper()
	for _, f := range spec.Fields {
		if !backticked(sec, f.Name) {
			t.Errorf("section `%s` does not document field %s", heading, f.Name)
		}
	}
	for _, b := range spec.Blocks {
		if !backticked(sec, b.Name) {
			t.Errorf("section `%s` does not document block %s", heading, b.Name)
		}
		checkSpec(t, heading+" "+b.Name, sec, b.Spec)
	}
}

// section returns the text under the first heading that contains title
// (in backticks or not), up to the next heading of the same or a higher
// level.
func section(md, title string) (string, bool) {
	lines := strings.Split(md, "\n")
	start, level := -1, 0
	inFence := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(l, "#") {
			continue
		}
		lv := len(l) - len(strings.TrimLeft(l, "#"))
		if start >= 0 {
			if lv <= level {
				return strings.Join(lines[start:i], "\n"), true
			}
			continue
		}
		if strings.Contains(strings.ReplaceAll(l, "`", ""), title) {
			start, level = i, lv
		}
	}
	if start >= 0 {
		return strings.Join(lines[start:], "\n"), true
	}
	return "", false
}

// TestFencesAreClosedAndTagged guards against a block silently escaping the
// checks: every fence carries a language.
func TestFencesAreClosedAndTagged(t *testing.T) {
	for _, b := range fencedBlocks(t, readReference(t)) {
		if b.info == "" {
			t.Errorf("%s:%d: code block without a language (use hcl, hcl fragment, text, sh, ...)", reference, b.line)
		}
		if strings.HasPrefix(b.info, "hcl") && bytes.Contains([]byte(b.src), []byte("\t")) {
			t.Errorf("%s:%d: hcl block indented with tabs; flowctl fmt uses two spaces", reference, b.line)
		}
	}
}

// TestDiagnosticOutputs compares each ```text block that follows a
// ```hcl fails block with the text lint prints for that configuration.
func TestDiagnosticOutputs(t *testing.T) {
	md := readReference(t)
	lines := strings.Split(md, "\n")
	blocks := fencedBlocks(t, md)
	type edit struct {
		from, to int // lines of the text block's body, 0-based, [from, to)
		text     string
	}
	var edits []edit
	for i := 0; i+1 < len(blocks); i++ {
		b, next := blocks[i], blocks[i+1]
		if !strings.HasPrefix(b.info, "hcl fails") || next.info != "text" {
			continue
		}
		// Only a text block that directly follows (blank lines between).
		between := strings.TrimSpace(strings.Join(lines[b.line+strings.Count(b.src, "\n"):next.line-1], "\n"))
		if between != "```" && between != "" {
			continue
		}
		const name = "orders.hcl"
		src := []byte(b.src)
		diags := compile(name, src)
		var out bytes.Buffer
		if err := diagfmt.Text(&out, diags, map[string][]byte{name: src}, diagfmt.Options{}); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if got == next.src {
			continue
		}
		if *update {
			edits = append(edits, edit{from: next.line, to: next.line + strings.Count(next.src, "\n"), text: got})
			continue
		}
		t.Errorf("%s:%d: the output shown differs from what lint prints now (go test ./docs -run TestDiagnosticOutputs -update):\n--- shown\n%s--- lint\n%s",
			reference, next.line, next.src, got)
	}
	if len(edits) == 0 {
		return
	}
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		body := strings.Split(strings.TrimSuffix(e.text, "\n"), "\n")
		lines = append(lines[:e.from], append(body, lines[e.to:]...)...)
	}
	if err := os.WriteFile(reference, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("rewrote %d output blocks in %s", len(edits), reference)
}

// TestReferenceExamplesFormatted wants every hcl block (fragments and
// failing examples included) in the layout `flowctl fmt` gives it, so that
// readers copy canonical code.
func TestReferenceExamplesFormatted(t *testing.T) {
	for _, b := range fencedBlocks(t, readReference(t)) {
		if b.info != "hcl" && !strings.HasPrefix(b.info, "hcl ") {
			continue
		}
		if strings.HasPrefix(b.info, "hcl fails FC001") {
			continue // a syntax error cannot be formatted
		}
		name := fmt.Sprintf("%s:%d", reference, b.line)
		got, diags := hclfmt.Format(name, []byte(b.src))
		if diags.HasErrors() {
			t.Errorf("%s: cannot format: %s", name, diags.Error())
			continue
		}
		if string(got) != b.src {
			t.Errorf("%s: not in canonical layout; flowctl fmt gives:\n%s", name, got)
		}
	}
}

// TestReferenceTables checks that every row of a markdown table has as many
// cells as its header: a stray | (write \| in a table, even in code) would
// shift the columns.
func TestReferenceTables(t *testing.T) {
	lines := strings.Split(readReference(t), "\n")
	cells := func(l string) int {
		l = strings.TrimSpace(l)
		l = strings.ReplaceAll(l, `\|`, "")
		return strings.Count(l, "|") - 1
	}
	inFence, header := false, 0
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(l, "|") {
			header = 0
			continue
		}
		if header == 0 {
			header = cells(l)
			continue
		}
		if n := cells(l); n != header {
			t.Errorf("%s:%d: table row has %d cells, its header %d", reference, i+1, n, header)
		}
	}
}

// TestConnectorsReference keeps docs/connectors.md equal to what
// `flowctl docs connectors` prints; -update rewrites it.
func TestConnectorsReference(t *testing.T) {
	var b strings.Builder
	if err := engine.DefaultRegistry.WriteConnectorDocs(&b); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("connectors.md")
	if err != nil && !*update {
		t.Fatal(err)
	}
	if string(got) == b.String() {
		return
	}
	if *update {
		if err := os.WriteFile("connectors.md", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/connectors.md is stale; run go test ./docs -run TestConnectorsReference -update")
}
