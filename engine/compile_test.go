package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	_ "github.com/flowctl/flowctl/connectors/all"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/hashicorp/hcl/v2"
)

// marker is an expected diagnostic written in a test flow file as a trailing
// comment: `# ERROR: text` or `# WARNING: text`, optionally `# ERROR@+1:` for
// a diagnostic on the next line. text must occur in "summary: detail".
var markerRE = regexp.MustCompile(`^\s*(ERROR|WARNING)(@[+-]\d+)?:\s*(.+?)\s*$`)

type expectation struct {
	severity hcl.DiagnosticSeverity
	line     int
	text     string
}

func (e expectation) String() string {
	sev := "ERROR"
	if e.severity == hcl.DiagWarning {
		sev = "WARNING"
	}
	return fmt.Sprintf("line %d %s: %s", e.line, sev, e.text)
}

func expectations(t *testing.T, src []byte) []expectation {
	var out []expectation
	for i, line := range strings.Split(string(src), "\n") {
		for _, comment := range strings.Split(line, "#")[1:] {
			m := markerRE.FindStringSubmatch(comment)
			if m == nil {
				continue
			}
			e := expectation{severity: hcl.DiagError, line: i + 1, text: m[3]}
			if m[1] == "WARNING" {
				e.severity = hcl.DiagWarning
			}
			if m[2] != "" {
				var off int
				fmt.Sscanf(m[2][1:], "%d", &off)
				e.line += off
			}
			out = append(out, e)
		}
	}
	return out
}

func lintFile(t *testing.T, path string) hcl.Diagnostics {
	t.Helper()
	_, _, diags := engine.LoadAndCompile([]string{path}, engine.Options{Mode: engine.ModeLint, LookupEnv: func(string) (string, bool) { return "", false }})
	return diags
}

func describe(d *hcl.Diagnostic) string {
	line := 0
	if d.Subject != nil {
		line = d.Subject.Start.Line
	}
	sev := "ERROR"
	if d.Severity == hcl.DiagWarning {
		sev = "WARNING"
	}
	return fmt.Sprintf("line %d %s [%s]: %s: %s", line, sev, dsl.DiagCode(d), d.Summary, d.Detail)
}

// TestInvalid checks that each file under testdata/invalid produces exactly
// the diagnostics marked in it: severity, line and message.
func TestInvalid(t *testing.T) {
	files, _ := filepath.Glob("../testdata/invalid/*.hcl")
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(t, src)
			if len(want) == 0 {
				t.Fatal("file has no # ERROR/# WARNING markers")
			}
			got := lintFile(t, path)
			used := make([]bool, len(got))
			for _, w := range want {
				found := false
				for i, d := range got {
					if used[i] || d.Severity != w.severity || d.Subject == nil || d.Subject.Start.Line != w.line {
						continue
					}
					if strings.Contains(d.Summary+": "+d.Detail, w.text) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing diagnostic: %s", w)
				}
			}
			for i, d := range got {
				if !used[i] {
					t.Errorf("unexpected diagnostic: %s", describe(d))
				}
			}
			if t.Failed() {
				var all []string
				for _, d := range got {
					all = append(all, describe(d))
				}
				sort.Strings(all)
				t.Logf("all diagnostics:\n%s", strings.Join(all, "\n"))
			}
		})
	}
}

// TestValid checks that each configuration under testdata/valid compiles
// without any diagnostic.
func TestValid(t *testing.T) {
	units, err := dsl.Discover([]string{"../testdata/valid"})
	if err != nil || len(units) == 0 {
		t.Fatalf("no valid configurations: %v", err)
	}
	for _, u := range units {
		for _, f := range u.Files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				for _, d := range lintFile(t, f) {
					t.Errorf("%s", describe(d))
				}
			})
		}
	}
}
