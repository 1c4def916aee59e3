package flowtest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/hashicorp/hcl/v2"
)

// config is a small configuration with every outcome: delivered to one of
// two targets, rejected, skipped, warned about; a variable, env() and a
// secret.
const config = `
variable "max_qty" {
  type    = number
  default = 10
}

variable "label" {
  default = "std"
}

locals {
  depot = env("DEPOT", "RTM")
}

connection "http" "tms" {
  base_url = "http://127.0.0.1:1"
  bearer   = secret("TMS_TOKEN")
}

schema "order" {
  name   = string
  state  = string
  qty    = number
  price  = optional(decimal)
  window = optional(time)
  lines  = optional(list(object({ sku = string, qty = int })))
}

flow "orders" {
  key = "record.name"

  source "file" {
    path   = "orders.ndjson"
    schema = schema.order
  }

  validate "confirmed" {
    check   = "record.state == 'sale'"
    message = "'order ' + record.name + ' is ' + record.state"
    on_fail = "skip"
  }

  validate "has_window" {
    check   = "record.window != nil"
    message = "'order ' + record.name + ' has no window'"
  }

  validate "small" {
    check   = "record.qty < 100"
    message = "'order ' + record.name + ' is big'"
    on_fail = "warn"
  }

  map "job" {
    ref   = "record.name"
    qty   = "record.qty"
    price = "record.price"
    depot = "local.depot"
    label = "var.label"
    start = "record.window - duration('1h')"
  }

  route {
    when   = "job.qty > var.max_qty"
    target = target.review
  }

  route {
    target = target.dispatch
  }

  target "http" "dispatch" {
    connection      = connection.http.tms
    path            = "/jobs"
    body            = "job"
    idempotency_key = "'so-' + job.ref"
  }

  target "file" "review" {
    path            = "out/review.ndjson"
    body            = "job"
    idempotency_key = "'so-' + job.ref"
  }
}
`

// setup writes the configuration and test files into a temporary
// directory and returns it.
func setup(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["main.hcl"] = config
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func diagText(s *Suite) string {
	var b bytes.Buffer
	diagfmt.Text(&b, s.Diags, s.Sources, diagfmt.Options{Width: 1000})
	return b.String()
}

// load loads a suite that must have no diagnostics.
func load(t *testing.T, dir string, opts Options) *Suite {
	t.Helper()
	s, err := Load([]string{dir}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagText(s))
	}
	return s
}

// results runs a suite and returns its results by test name, with their
// text report.
func results(t *testing.T, s *Suite) (map[string]*Result, map[string]string) {
	t.Helper()
	rep := s.Run(context.Background(), nil)
	byName, text := map[string]*Result{}, map[string]string{}
	for _, r := range rep.Results {
		var b strings.Builder
		if err := WriteResult(&b, r, TextOptions{Verbose: true}); err != nil {
			t.Fatal(err)
		}
		byName[r.Test.Name], text[r.Test.Name] = r, b.String()
	}
	return byName, text
}

func TestPassingExpectations(t *testing.T) {
	t.Setenv("DEPOT", "FROM-THE-MACHINE")         // tests must not see it
	t.Setenv("FLOWCTL_VAR_max_qty", "1")          // nor this
	t.Setenv("TMS_TOKEN", "a-secret-of-the-host") // nor this
	dir := setup(t, map[string]string{"a.flowtest.hcl": `
test "bodies, keys and count" {
  input = [
    { name = "SO1", state = "sale", qty = 2, price = 12.50, window = "2025-03-10T09:00:00Z", lines = [{ sku = "A", qty = 2 }] },
    { name = "SO2", state = "sale", qty = 3, window = "2025-03-10T10:00:00+01:00" },
  ]
  expect "dispatch" {
    count = 2
    keys  = ["so-SO1", "so-SO2"]
    body = [
      { ref = "SO1", qty = 2.0, price = 12.50, depot = "RTM", label = "std", start = "2025-03-10T08:00:00Z" },
      { ref = "SO2", qty = 3, price = null, depot = "RTM", label = "std", start = "2025-03-10T09:00:00+01:00" },
    ]
  }
  expect_no_output = true
  expect_warnings  = []
}

test "partial bodies" {
  input = [{ name = "SO1", state = "sale", qty = 2, window = "2025-03-10T09:00:00Z" }]
  expect "dispatch" {
    partial = true
    body    = [{ ref = "SO1" }]
  }
}

test "vars and env" {
  vars  = { max_qty = 1, label = 42 }
  env   = { DEPOT = "AMS" }
  input = [{ name = "SO1", state = "sale", qty = 2, window = "2025-03-10T09:00:00Z" }]
  expect "review" {
    partial = true
    body    = [{ depot = "AMS", label = "42" }]
  }
  expect_no_output = ["dispatch"]
}

test "rejected, skipped and warned" {
  input = [
    { name = "SO1", state = "draft", qty = 1 },
    { name = "SO2", state = "sale", qty = 1 },
    { name = "SO3", state = "sale", qty = 500, window = "2025-03-10T09:00:00Z" },
    { name = "SO4", state = "sale" },
  ]
  expect "review" {
    keys = ["so-SO3"]
  }
  expect_rejected = [
    { record = 2, rule = "has_window", message = "SO2 has no window" },
    { record = 4, rule = "schema", message = "qty is required" },
  ]
  expect_skipped   = [{ record = 1, rule = "confirmed", reason = "SO1 is draft" }]
  expect_warnings  = [{ record = 3, rule = "small", message = "is big" }]
  expect_no_output = ["dispatch"]
}

test "numbers only" {
  input = [ 
    { name = "SO1", state = "sale", qty = 1, window = "2025-03-10T09:00:00Z" },
    { name = "SO2", state = "sale", qty = 1 },
  ]
  expect_rejected = [2]
  expect_skipped  = []
}
`})
	s := load(t, dir, Options{})
	res, text := results(t, s)
	if len(res) != 5 {
		t.Fatalf("ran %d tests, want 5", len(res))
	}
	for name, r := range res {
		if !r.Passed() {
			t.Errorf("%s failed:\n%s", name, text[name])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a test run wrote to a file target")
	}
}

func TestFailures(t *testing.T) {
	dir := setup(t, map[string]string{"a.flowtest.hcl": `
test "diff" {
  input = [
    { name = "SO1", state = "sale", qty = 2, window = "2025-03-10T09:00:00Z" },
    { name = "SO2", state = "sale", qty = 3, window = "2025-03-10T09:00:00Z" },
  ]
  expect "dispatch" {
    partial = true
    body    = [{ ref = "SO1", qty = 5 }, { ref = "SO2" }, { ref = "SO3" }]
    keys    = ["so-SO1"]
    count   = 3
  }
}

test "quiet targets" {
  vars  = { max_qty = 2 }
  input = [
    { name = "SO1", state = "sale", qty = 2, window = "2025-03-10T09:00:00Z" },
    { name = "SO2", state = "sale", qty = 3, window = "2025-03-10T09:00:00Z" },
  ]
  expect "dispatch" {
    count = 1
  }
  expect_no_output = true
}

test "outcomes" {
  input = [
    { name = "SO1", state = "draft", qty = 1 },
    { name = "SO2", state = "sale", qty = 1 },
    { name = "SO3", state = "sale", qty = 500, window = "2025-03-10T09:00:00Z" },
    { name = "SO4", state = "sale", qty = 1, window = "2025-03-10T09:00:00Z" },
  ]
  expect_rejected = [{ record = 2, rule = "other" }, { record = 4 }]
  expect_skipped  = [{ record = 1, reason = "cancelled" }]
  expect_warnings = [{ record = 4, rule = "small" }]
}
`})
	s := load(t, dir, Options{})
	res, text := results(t, s)
	want := map[string][]string{
		"diff": {
			`target "dispatch": 2 operations, want 3`,
			`target "dispatch": the bodies written differ from the expected ones (partial; 2 operations, 3 bodies expected):`,
			`written by: $[0] record 1 (line 4, key SO1), $[1] record 2 (line 5, key SO2)`,
			`~ $[0].qty: 5 → 2`,
			`- $[2]:     {"ref":"SO3"}`,
			`target "dispatch": the idempotency keys differ from keys:`,
			`+ $[1]: "so-SO2"`,
		},
		"quiet targets": {
			`target "review": expected no output, got 1 operation`,
			`$[0] record 2 (line 19, key SO2): {"depot":"RTM","label":"std","price":null,"qty":3,"ref":"SO2","start":"2025-03-10T08:00:00Z"}`,
		},
		"outcomes": {
			`record 1 (line 29, key SO1): skipped, but the reason does not contain "cancelled"`,
			`validate confirmed: order SO1 is draft`,
			`record 2 (line 30, key SO2): rejected by has_window, expected by other`,
			`record 4 (line 32, key SO4): expected to be rejected, but it was delivered`,
			`delivered to dispatch (1 operation)`,
			`record 4 (line 32, key SO4): expected a warning by small, none was raised`,
			`record 3 (line 31, key SO3): warning by small, which the test does not expect`,
			`if that is right, add { record = 3, rule = "small" } to expect_warnings`,
		},
	}
	for name, lines := range want {
		r := res[name]
		if r == nil {
			t.Fatalf("no result for %q", name)
		}
		if r.Passed() {
			t.Errorf("%s passed, want a failure", name)
		}
		for _, l := range lines {
			if !strings.Contains(text[name], l) {
				t.Errorf("%s: report lacks %q:\n%s", name, l, text[name])
			}
		}
	}
	var sum bytes.Buffer
	WriteSummary(&sum, &Report{Passed: 0, Failed: 3})
	if sum.String() != "0 passed, 3 failed\n" {
		t.Errorf("summary = %q", sum.String())
	}
}

func TestInputFileAndRunFilter(t *testing.T) {
	dir := setup(t, map[string]string{
		"a.flowtest.hcl": `
test "file" {
  input_file = "testdata/in.csv"
  expect "dispatch" {
    body = [{ ref = "SO1", qty = 2, price = 3.1, depot = "RTM", label = "std", start = "2025-03-10T08:00:00Z" }]
  }
  expect_rejected = [{ record = 2, rule = "schema" }]
}

test "other" {
  input = []
}
`,
		"testdata/in.csv": "name,state,qty,price,window\nSO1,sale,2,3.10,2025-03-10T09:00:00Z\nSO2,sale,two,1,2025-03-10T09:00:00Z\n",
	})
	s := load(t, dir, Options{Run: regexp.MustCompile("^file$")})
	if len(s.Selected) != 1 || s.Selected[0].Name != "file" {
		t.Fatalf("selected %d tests, want only \"file\"", len(s.Selected))
	}
	res, text := results(t, s)
	if !res["file"].Passed() {
		t.Errorf("file failed:\n%s", text["file"])
	}
	if r := res["file"]; r.Summary == nil || r.Summary.Records != 2 {
		t.Errorf("summary %+v, want 2 records", r.Summary)
	}
}

func TestRunTwiceIsTheSame(t *testing.T) {
	dir := setup(t, map[string]string{"a.flowtest.hcl": `
test "t" {
  input = [{ name = "SO1", state = "sale", qty = 2, window = "2025-03-10T09:00:00Z", lines = [{ sku = "A", qty = 1 }] }]
  expect "dispatch" {
    partial = true
    body    = [{ qty = 2, start = "2025-03-10T08:00:00Z" }]
  }
}
`})
	s := load(t, dir, Options{})
	for i := 0; i < 2; i++ {
		if r := RunTest(context.Background(), s.Selected[0]); !r.Passed() {
			t.Fatalf("run %d failed: %+v", i+1, r.Failures)
		}
	}
}

func TestDiagnostics(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // summary and line ("Unknown flow@2")
	}{
		{"unknown flow", `test "t" {
  flow  = "order"
  input = []
}`, []string{"Unknown flow@2"}},
		{"unknown target", `test "t" {
  input = []
  expect "dispatc" { count = 1 }
  expect_no_output = ["reviw"]
}`, []string{"Unknown target@3", "Unknown target@4"}},
		{"bad attribute", `test "t" {
  input = []
  expected_rejected = [1]
}`, []string{"Unsupported argument@3"}},
		{"both inputs", `test "t" {
  input = []
  input_file = "x.ndjson"
}`, []string{"Both input and input_file@3"}},
		{"no input", `test "t" {
}`, []string{"Test without input@1"}},
		{"missing file", `test "t" {
  input_file = "nope.ndjson"
}`, []string{"Cannot read input file@2"}},
		{"unknown format", `test "t" {
  input_file   = "main.hcl"
}`, []string{"Unknown input format@2"}},
		{"record not an object", `test "t" {
  input = [1]
}`, []string{"Input record is not an object@2"}},
		{"not literal", `test "t" {
  input = [{ a = var.x }]
}`, []string{"Literal value required@2"}},
		{"record out of range", `test "t" {
  input           = [{ name = "a" }]
  expect_rejected = [1, 2]
}`, []string{"No such input record@3"}},
		{"record twice", `test "t" {
  input           = [{ name = "a" }]
  expect_rejected = [1, { record = 1 }]
  expect_skipped  = [1]
}`, []string{"Record listed twice@3", "Record both rejected and skipped@4"}},
		{"bad expectation", `test "t" {
  input           = [{ name = "a" }]
  expect_rejected = [{ record = 1, rul = "x" }, { rule = "y" }, "z", 0]
}`, []string{"Unsupported key \"rul\"@3", "Missing record number@3", "Invalid expect_rejected element@3", "Invalid expect_rejected element@3"}},
		{"bad expect", `test "t" {
  input = []
  expect "dispatch" {
    body    = { ref = "x" }
    partial = "yes"
    count   = -1
    keys    = [1]
  }
  expect "review" {}
}`, []string{"body must be a list@4", "Invalid value@5", "Invalid count@6", "Invalid key@7", "Empty expect block@9"}},
		{"duplicate expect", `test "t" {
  input = []
  expect "dispatch" { count = 1 }
  expect "dispatch" { count = 1 }
  expect_no_output = ["dispatch"]
}`, []string{"Duplicate expect block@4", "Target both expected and without output@5"}},
		{"vars", `test "t" {
  vars  = { max_qt = 1, max_qty = "many" }
  input = []
}`, []string{"Unknown variable@2", "Invalid variable value@2"}},
		{"duplicate test", `test "t" {
  input = []
}
test "t" {
  input = []
}`, []string{"Duplicate test name@4"}},
		{"empty file", ``, []string{"Test file without tests@1"}},
		{"syntax", `test "t" {
  input = [
}`, []string{"Invalid expression@3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := setup(t, map[string]string{"a.flowtest.hcl": c.src})
			s, err := Load([]string{dir}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range s.Diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
					if filepath.Base(d.Subject.Filename) != "a.flowtest.hcl" {
						t.Errorf("diagnostic in %s, want the test file", d.Subject.Filename)
					}
				}
				if dsl.DiagCode(d) == "" {
					t.Errorf("diagnostic %q has no code", d.Summary)
				}
				got = append(got, d.Summary+"@"+itoa(line))
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("diagnostics %q, want %q\n%s", got, c.want, diagText(s))
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestWhichFlow(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`
flow "a" {
  source "file" { path = "x" }
  target "stdout" "out" {}
}
flow "b" {
  source "file" { path = "x" }
  target "stdout" "out" {}
}`), 0o644)
	os.WriteFile(filepath.Join(dir, "t.flowtest.hcl"), []byte(`
test "no flow" {
  input = []
}
test "flow b" {
  flow  = "b"
  input = [{ x = 1 }]
  expect "out" {
    body = [{ x = 1 }]
  }
}`), 0o644)
	s, err := Load([]string{dir}, Options{Run: regexp.MustCompile("flow b")})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Diags) != 1 || s.Diags[0].Summary != "Which flow?" {
		t.Fatalf("want one \"Which flow?\" diagnostic, got:\n%s", diagText(s))
	}
	os.WriteFile(filepath.Join(dir, "t.flowtest.hcl"), []byte(`
test "flow b" {
  flow  = "b"
  input = [{ x = 1 }]
  expect "out" {
    body = [{ x = 1 }]
  }
}`), 0o644)
	s = load(t, dir, Options{})
	if r := RunTest(context.Background(), s.Selected[0]); !r.Passed() {
		t.Errorf("flow b failed: %+v", r.Failures)
	}
}

func TestNoTests(t *testing.T) {
	dir := t.TempDir()
	_, err := Load([]string{dir}, Options{})
	if err == nil || !strings.Contains(err.Error(), "no test files (*.flowtest.hcl) found in "+dir) {
		t.Errorf("err = %v", err)
	}
	if _, err := Load([]string{filepath.Join(dir, "missing")}, Options{}); err == nil {
		t.Error("a missing path is not an error")
	}
}

func TestCompileErrorsWithTestVars(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`
variable "need" {}
flow "a" {
  source "file" { path = var.need }
  target "stdout" "out" {}
}`), 0o644)
	os.WriteFile(filepath.Join(dir, "t.flowtest.hcl"), []byte(`
test "given" {
  vars  = { need = "x" }
  input = []
}
test "missing" {
  input = []
}`), 0o644)
	s, err := Load([]string{dir}, Options{Run: regexp.MustCompile("given")})
	if err != nil || len(s.Diags) > 0 {
		t.Fatalf("given: %v\n%s", err, diagText(s))
	}
	s, _ = Load([]string{dir}, Options{})
	text := diagText(s)
	if !strings.Contains(text, `No value for variable "need"`) {
		t.Errorf("want the compile error, got:\n%s", text)
	}
}

func TestToJSON(t *testing.T) {
	f, diags := ParseFile("x.flowtest.hcl", []byte(`
test "t" {
  input = [{ n = 12.50, i = 3, big = 12345678901234567890, s = "x", b = true, z = null, l = [1, "a"], o = { "odd key" = 1 } }]
}`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got, _ := json.Marshal(f.Tests[0].Input[0].Data)
	want := `{"b":true,"big":12345678901234567890,"i":3,"l":[1,"a"],"n":12.5,"o":{"odd key":1},"s":"x","z":null}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if n, ok := f.Tests[0].Input[0].Data["n"].(json.Number); !ok || n != "12.5" {
		t.Errorf("numbers must be json.Number, got %T %v", f.Tests[0].Input[0].Data["n"], f.Tests[0].Input[0].Data["n"])
	}
}

func TestJUnit(t *testing.T) {
	dir := setup(t, map[string]string{
		"a.flowtest.hcl": `
test "passes" {
  input = []
}

test "fails <with> \"markup\"" {
  input = [{ name = "SO1", state = "sale", qty = 2, window = "2025-03-10T09:00:00Z" }]
  expect "dispatch" {
    partial = true
    body    = [{ ref = "SO]]>\u0001" }]
  }
}
`,
		"b.flowtest.hcl": `
test "errors" {
  input_file = "in.ndjson"
}
`,
		"in.ndjson": "{}\n",
	})
	s := load(t, dir, Options{})
	// Make the input file unreadable after loading: the run errors.
	os.Remove(filepath.Join(dir, "in.ndjson"))
	rep := s.Run(context.Background(), nil)
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Time     string   `xml:"time,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Time     string `xml:"time,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				File    string `xml:"file,attr"`
				Line    int    `xml:"line,attr"`
				Time    string `xml:"time,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("report does not parse: %v\n%s", err, buf.String())
	}
	if doc.Tests != 3 || doc.Failures != 1 || doc.Errors != 1 || len(doc.Suites) != 2 {
		t.Fatalf("tests %d failures %d errors %d suites %d:\n%s", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites), buf.String())
	}
	a := doc.Suites[0]
	if !strings.HasSuffix(a.Name, "a.flowtest.hcl") || a.Tests != 2 || a.Failures != 1 || len(a.Cases) != 2 {
		t.Errorf("suite a: %+v", a)
	}
	fail := a.Cases[1]
	if fail.Name != `fails <with> "markup"` || fail.Line != 6 || fail.Failure == nil {
		t.Fatalf("failed case: %+v", fail)
	}
	for _, s := range []string{`target "dispatch": the bodies written differ`, `~ $[0].ref: "SO]]>\u0001" → "SO1"`, "a.flowtest.hcl:6: fails"} {
		if !strings.Contains(fail.Failure.Body, s) {
			t.Errorf("failure body lacks %q:\n%s", s, fail.Failure.Body)
		}
	}
	if a.Cases[0].Failure != nil || !regexp.MustCompile(`^\d+\.\d{3}$`).MatchString(a.Cases[0].Time) {
		t.Errorf("passed case: %+v", a.Cases[0])
	}
	if e := doc.Suites[1].Cases[0].Error; e == nil || !strings.Contains(e.Message, "the flow could not run") {
		t.Errorf("errored case: %+v", doc.Suites[1].Cases[0])
	}
}
