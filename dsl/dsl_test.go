package dsl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/dsl"
	"github.com/hashicorp/hcl/v2"
)

func load(t *testing.T, src string) (*dsl.Config, hcl.Diagnostics) {
	t.Helper()
	return dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
}

// TestExprRangeOf checks that positions inside a runtime expression map to
// the right line and column of the flow file, through escapes and heredocs.
func TestExprRangeOf(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		token    string // token inside the decoded expression
		wantLine int
		wantCol  int
	}{
		{"quoted", "flow \"f\" {\n  key = \"record.name\"\n}\n", "name", 2, 17},
		{"escape before", "flow \"f\" {\n  key = \"\\\"x\\\" + record.name\"\n}\n", "name", 2, 25},
		{"unicode escape", "flow \"f\" {\n  key = \"'\\u00e9' + record.name\"\n}\n", "name", 2, 28},
		{"dollar escape", "flow \"f\" {\n  key = \"'$${x}' + record.name\"\n}\n", "name", 2, 27},
		{"multibyte", "flow \"f\" {\n  key = \"'é' + record.name\"\n}\n", "name", 2, 23},
		{"heredoc", "flow \"f\" {\n  key = <<EOT\nrecord.a +\n  record.name\nEOT\n}\n", "name", 4, 10},
		{"indented heredoc", "flow \"f\" {\n  key = <<-EOT\n    record.a +\n      record.name\n    EOT\n}\n", "name", 4, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := load(t, tt.src)
			if len(cfg.Flows) != 1 || cfg.Flows[0].Key == nil {
				t.Fatalf("no key parsed: %v", diags)
			}
			e := cfg.Flows[0].Key
			idx := strings.Index(e.Source, tt.token)
			if idx < 0 {
				t.Fatalf("token %q not in %q", tt.token, e.Source)
			}
			from := len([]rune(e.Source[:idx]))
			r := e.RangeOf(from, from+len([]rune(tt.token)))
			if r.Start.Line != tt.wantLine || r.Start.Column != tt.wantCol {
				t.Errorf("start = %d:%d, want %d:%d", r.Start.Line, r.Start.Column, tt.wantLine, tt.wantCol)
			}
			if got := string(r.SliceBytes([]byte(strings.TrimPrefix(tt.src, "\xef\xbb\xbf")))); got != tt.token {
				t.Errorf("range covers %q, want %q", got, tt.token)
			}
		})
	}
}

// TestBadFiles checks that unreadable, non-UTF-8 and empty files get a
// diagnostic naming the file, never a panic.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		sev     hcl.DiagnosticSeverity
		summary string
		line    int
	}{
		{"invalid utf-8", write("latin1.hcl", []byte("flow \"f\" {\n  description = \"caf\xe9\"\n}\n")), hcl.DiagError, "Invalid UTF-8", 2},
		{"empty", write("empty.hcl", nil), hcl.DiagWarning, "Empty flow file", 1},
		{"only comments", write("comments.hcl", []byte("# nothing here\n\n")), hcl.DiagWarning, "Empty flow file", 1},
		{"missing", filepath.Join(dir, "nope.hcl"), hcl.DiagError, "Cannot read flow file", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := dsl.LoadFiles([]string{tt.path})
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Severity != tt.sev || d.Summary != tt.summary {
				t.Errorf("got %v %q, want %v %q", d.Severity, d.Summary, tt.sev, tt.summary)
			}
			if d.Subject == nil || d.Subject.Filename != tt.path || d.Subject.Start.Line != tt.line {
				t.Errorf("subject = %v, want %s line %d", d.Subject, tt.path, tt.line)
			}
		})
	}
}

// TestBOM checks that a UTF-8 byte order mark is accepted.
func TestBOM(t *testing.T) {
	cfg, diags := load(t, "\xef\xbb\xbfflow \"f\" {\n  key = \"record.id\"\n  source \"file\" { path = \"x\" }\n  target \"stdout\" \"o\" {}\n}\n")
	if diags.HasErrors() || len(cfg.Flows) != 1 {
		t.Fatalf("diags: %v", diags)
	}
}

// TestDiscover checks configuration units: one per directory, flow tests
// and hidden directories left out, a named file on its own.
func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/one.hcl", "a/two.hcl", "a/one.flowtest.hcl", "b/c/three.hcl", ".hidden/x.hcl", "a/readme.md"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte("# x\n"), 0o644)
	}
	units, err := dsl.Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range units {
		var names []string
		for _, f := range u.Files {
			rel, _ := filepath.Rel(dir, f)
			names = append(names, rel)
		}
		got = append(got, strings.Join(names, ","))
	}
	want := []string{"a/one.hcl,a/two.hcl", "b/c/three.hcl"}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("units = %v, want %v", got, want)
	}
	if _, err := dsl.Discover([]string{filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing path: err = %v", err)
	}
	units, _ = dsl.Discover([]string{filepath.Join(dir, "a/one.hcl")})
	if len(units) != 1 || len(units[0].Files) != 1 {
		t.Errorf("single file: %v", units)
	}
}

// TestParseType covers the schema type language.
func TestParseType(t *testing.T) {
	cfg, diags := load(t, `schema "s" {
  a = string
  b = optional(list(object({ sku = string, qty = int })))
  c = map(number)
  d = time
  e = duration
  f = any
  g = bool
}`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{"string", "optional(list(object({sku = string, qty = int})))", "map(number)", "time", "duration", "any", "bool"}
	for i, f := range cfg.Schemas[0].Fields {
		ty, d := dsl.ParseType(f.TypeExpr, nil)
		if d.HasErrors() {
			t.Fatal(d)
		}
		if ty.String() != want[i] {
			t.Errorf("%s: %s, want %s", f.Name, ty, want[i])
		}
	}
}
