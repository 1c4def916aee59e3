package diagfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apparentlymart/go-textseg/v15/textseg"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite golden files")

const ordersFile = "flows/orders.hcl"

var ordersSrc = `# Orders from the web shop go to the warehouse.
source "http" "orders" {
  listen = ":8080"
  path   = "/orders"
  method = "POST"
}

sink "sftp" "warehouse" {
  host = var.warehouse_host
  dir  = "/inbound/orders"
  retry {
    attempts = 5
    backoff  = "10s"
  }
}
`

const unicodeFile = "flows/ünïcode.hcl"

// Tabs, a combining diaeresis (one character, two code points), CJK (two
// cells wide) and an emoji: each breaks a byte- or rune-counting marker.
var unicodeSrc = "mapping \"customer\" {\n" +
	"\tname\t= \"Zoe\u0308 Ångström\"\n" +
	"\tcity\t= \"東京\" # Tokyo\n" +
	"\tnote\t= \"🚚 express\"\n" +
	"}\n"

// at returns the range of the nth (1-based) occurrence of needle in src,
// counting lines and characters the way hcl.Pos does.
func at(file, src, needle string, nth int) *hcl.Range {
	off := -1
	for i := 0; i < nth; i++ {
		j := strings.Index(src[off+1:], needle)
		if j < 0 {
			panic(fmt.Sprintf("%q: occurrence %d of %q not found", file, nth, needle))
		}
		off += 1 + j
	}
	return &hcl.Range{Filename: file, Start: pos(src, off), End: pos(src, off+len(needle))}
}

// span returns the range from the start of from to the end of to.
func span(file, src, from, to string) *hcl.Range {
	a, b := at(file, src, from, 1), at(file, src, to, 1)
	return &hcl.Range{Filename: file, Start: a.Start, End: b.End}
}

func pos(src string, off int) hcl.Pos {
	lineStart := strings.LastIndex(src[:off], "\n") + 1
	col, err := textseg.TokenCount([]byte(src[lineStart:off]), textseg.ScanGraphemeClusters)
	if err != nil {
		panic(err)
	}
	return hcl.Pos{Line: strings.Count(src[:off], "\n") + 1, Column: col + 1, Byte: off}
}

type code string

func (c code) DiagCode() string { return string(c) }

// wrapped hides a Coded value behind hcl.DiagnosticExtraUnwrapper, as a
// layer that adds its own extra information would.
type wrapped struct{ inner any }

func (w wrapped) UnwrapDiagnosticExtra() any { return w.inner }

type goldenCase struct {
	name     string
	diags    hcl.Diagnostics
	sources  map[string][]byte
	opts     Options
	textOnly bool // the case is about Text rendering alone
}

func goldenCases(t *testing.T) []goldenCase {
	sources := map[string][]byte{ordersFile: []byte(ordersSrc), unicodeFile: []byte(unicodeSrc)}

	const badFile = "flows/broken.hcl"
	badSrc := "sink \"sftp\" \"entrepôt\" {\n  host = \"sftp.example.com\"\n  dir  = \"/in\" \"/out\"\n"
	_, parseDiags := hclsyntax.ParseConfig([]byte(badSrc), badFile, hcl.InitialPos)
	if !parseDiags.HasErrors() {
		t.Fatal("broken.hcl parsed without errors")
	}

	return []goldenCase{
		{name: "empty", sources: sources},
		{
			name: "error_one_line",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Unsupported argument",
				Detail:   `An argument named "method" is not expected here.`,
				Subject:  at(ordersFile, ordersSrc, "method", 1),
				Extra:    code("FC102"),
			}},
			sources: sources,
		},
		{
			name: "warning_detail",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagWarning,
				Summary:  "Backoff shorter than the poll interval",
				Detail: "The retry backoff of 10s is shorter than the warehouse server's poll interval of 60s, " +
					"so most retries will find the same file still locked and fail again. " +
					"Use a backoff of at least the poll interval, for example:\n\n" +
					"    backoff = \"60s\"\n\nThis is a warning only; the flow still runs.",
				Subject: at(ordersFile, ordersSrc, `"10s"`, 1),
				Extra:   code("FC210"),
			}},
			sources: sources,
		},
		{
			name: "multi_line",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Retry block not allowed here",
				Detail:   "SFTP sinks retry through the connection pool; remove this block.",
				Subject:  span(ordersFile, ordersSrc, "retry {", "  }"),
				Extra:    code("FC104"),
			}},
			sources: sources,
		},
		{
			name: "tab_utf8",
			diags: hcl.Diagnostics{
				{
					Severity: hcl.DiagWarning,
					Summary:  "Name is not ASCII",
					Subject:  at(unicodeFile, unicodeSrc, "Ångström", 1),
				},
				{
					Severity: hcl.DiagWarning,
					Summary:  "City names must be romanised",
					Subject:  at(unicodeFile, unicodeSrc, `"東京"`, 1),
				},
				{
					Severity: hcl.DiagError,
					Summary:  "Unknown service level",
					Detail:   `"express" is not a service level of this carrier.`,
					Subject:  at(unicodeFile, unicodeSrc, "express", 1),
				},
			},
			sources: sources,
		},
		{
			name: "no_subject",
			diags: hcl.Diagnostics{
				{Severity: hcl.DiagError, Summary: "No flows found", Detail: "The directory holds no flow blocks."},
				{Severity: hcl.DiagWarning, Summary: "Deprecated setting in flowctl.hcl"},
			},
			sources: sources,
		},
		{
			name: "missing_source",
			diags: hcl.Diagnostics{
				{
					Severity: hcl.DiagError,
					Summary:  "Flow file changed while reading",
					Subject: &hcl.Range{Filename: "flows/gone.hcl",
						Start: hcl.Pos{Line: 3, Column: 5, Byte: 40}, End: hcl.Pos{Line: 3, Column: 9, Byte: 44}},
				},
				{
					Severity: hcl.DiagError,
					Summary:  "Position past the end of the file",
					Detail:   "The source is shorter than the diagnostic claims.",
					Subject: &hcl.Range{Filename: ordersFile,
						Start: hcl.Pos{Line: 99, Column: 1, Byte: 5000}, End: hcl.Pos{Line: 99, Column: 4, Byte: 5003}},
				},
			},
			sources: sources,
		},
		{
			name: "codes_and_escapes",
			diags: hcl.Diagnostics{
				{
					Severity: hcl.DiagError,
					Summary:  "Unknown connector: sftp, v2",
					Detail:   "100% sure.\nLine two.",
					Subject:  at(ordersFile, ordersSrc, `"sftp"`, 1),
					Extra:    code("FC101"),
				},
				{
					Severity: hcl.DiagError,
					Summary:  "Unknown connector",
					Subject:  at(ordersFile, ordersSrc, `"http"`, 1),
					Extra:    wrapped{code("FC101")},
				},
				{
					Severity: hcl.DiagWarning,
					Summary:  "Plain diagnostic",
					Subject:  at(ordersFile, ordersSrc, "listen", 1),
					Extra:    wrapped{"no code here"},
				},
			},
			sources: sources,
		},
		{
			name:    "hcl_parse_error",
			diags:   parseDiags,
			sources: map[string][]byte{badFile: []byte(badSrc)},
		},
		{
			name: "color",
			diags: hcl.Diagnostics{
				{
					Severity: hcl.DiagError,
					Summary:  "Unknown variable",
					Detail:   "There is no variable named \"warehouse_host\" in this flow or its environment file.",
					Subject:  at(ordersFile, ordersSrc, "var.warehouse_host", 1),
				},
				{
					Severity: hcl.DiagWarning,
					Summary:  "Unused block",
					Subject:  at(ordersFile, ordersSrc, "source", 1),
				},
			},
			sources:  sources,
			opts:     Options{Color: true, Width: 40},
			textOnly: true,
		},
	}
}

func render(t *testing.T, c goldenCase, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if format == "sarif" {
		err = SARIF(&buf, c.diags, "1.2.3")
	} else {
		err = Write(&buf, format, c.diags, c.sources, c.opts)
	}
	if err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		for _, format := range Formats {
			if c.textOnly && format != "text" {
				continue
			}
			t.Run(c.name+"/"+format, func(t *testing.T) {
				got := render(t, c, format)
				checkGolden(t, filepath.Join("testdata", "golden", c.name+"."+format), got)
			})
		}
	}
}

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
		t.Errorf("%s differs from output:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// compileSARIFSchema compiles the official SARIF 2.1.0 schema (testdata, see
// testdata/README.md) with format assertions on, so that for example an
// artifact URI that is not a URI reference fails.
func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	const id = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

var (
	uriField = regexp.MustCompile(`"uri": "([^"]*)"`)
	uriChars = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$`)
)

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := compileSARIFSchema(t)
	cases := goldenCases(t)
	// Absolute paths and names that need escaping must still give URIs.
	cases = append(cases, goldenCase{name: "awkward_paths", diags: hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "a", Subject: &hcl.Range{Filename: "/abs/dir with space/x.hcl",
			Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 2}}},
		{Severity: hcl.DiagError, Summary: "b", Subject: &hcl.Range{Filename: "c:weird#name%.hcl",
			Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 2}}},
		{Severity: hcl.DiagInvalid, Summary: "zero positions", Subject: &hcl.Range{Filename: "z.hcl"}},
	}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := render(t, c, "sarif")
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(doc); err != nil {
				t.Errorf("invalid SARIF: %v\n%s", err, out)
			}
			// The schema's draft-04 "uri" formats are lax (Go's url.Parse
			// accepts spaces), so check the URI characters of RFC 3986 here.
			for _, m := range uriField.FindAllSubmatch(out, -1) {
				if !uriChars.Match(m[1]) {
					t.Errorf("artifact URI %s has characters that must be escaped", m[1])
				}
			}
		})
	}

	// The validator must be able to say no, or the test above proves nothing.
	for _, bad := range []string{
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"flowctl"}},
			"results":[{"message":{"text":"x"},"level":"fatal"}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"flowctl"}},
			"results":[{"message":{"text":"x"},"locations":[{"physicalLocation":
			{"artifactLocation":{"uri":"x.hcl"},"region":{"startLine":0}}}]}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"flowctl"}},"extra":1}]}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(doc) == nil {
			t.Errorf("schema accepted invalid SARIF %s", bad)
		}
	}
}

func TestSARIFStructure(t *testing.T) {
	var c goldenCase
	for _, gc := range goldenCases(t) {
		if gc.name == "codes_and_escapes" {
			c = gc
		}
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(render(t, c, "sarif"), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	if got, want := strings.Join(ids, ","), "FC101,FC000"; got != want {
		t.Errorf("rules = %s, want %s", got, want)
	}
	for i, r := range run.Results {
		if ids[r.RuleIndex] != r.RuleID {
			t.Errorf("result %d: ruleIndex %d points at %s, ruleId is %s", i, r.RuleIndex, ids[r.RuleIndex], r.RuleID)
		}
		al := r.Locations[0].PhysicalLocation.ArtifactLocation
		if al.URI != ordersFile || al.URIBaseID != "%SRCROOT%" {
			t.Errorf("result %d: artifactLocation %+v", i, al)
		}
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		extra any
		want  string
	}{
		{nil, "FC000"},
		{code("FC301"), "FC301"},
		{wrapped{code("FC302")}, "FC302"},
		{wrapped{wrapped{code("FC303")}}, "FC303"},
		{code(""), "FC000"},
		{"not coded", "FC000"},
	} {
		if got := Code(&hcl.Diagnostic{Extra: tc.extra}); got != tc.want {
			t.Errorf("Code(extra %#v) = %q, want %q", tc.extra, got, tc.want)
		}
	}
	if got := Code(nil); got != "FC000" {
		t.Errorf("Code(nil) = %q", got)
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "xml", nil, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("Write(xml) error = %v", err)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three four five six\n\n  keep   this  \nsupercalifragilistic x", 10)
	want := "one two\nthree four\nfive six\n\n  keep   this\nsupercalifragilistic\nx"
	if got != want {
		t.Errorf("wrap:\n%s\nwant:\n%s", got, want)
	}
}

// TestTextOddInput feeds ranges that no parser would produce, and sources
// with CRLF, escapes and invalid UTF-8: rendering must never panic.
func TestTextOddInput(t *testing.T) {
	src := map[string][]byte{
		"crlf.hcl": []byte("a = 1\r\nb = \x1b[31m\r\n"),
		"bad.hcl":  []byte("a = \xff\xfe\n"),
		"empty":    {},
	}
	var diags hcl.Diagnostics
	for _, f := range []string{"crlf.hcl", "bad.hcl", "empty", "missing"} {
		for _, line := range []int{-1, 0, 1, 2, 3, 1 << 30} {
			for _, col := range []int{-5, 0, 1, 3, 100} {
				for _, endLine := range []int{-1, line, line + 1, line + 5} {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "s\x07",
						Subject: &hcl.Range{Filename: f, Start: hcl.Pos{Line: line, Column: col},
							End: hcl.Pos{Line: endLine, Column: col - 2}}})
				}
			}
		}
	}
	diags = append(diags, nil)
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := Write(&buf, format, diags, src, Options{}); err != nil {
			t.Fatal(err)
		}
		if format == "text" && bytes.ContainsAny(buf.Bytes(), "\x1b\x07\r") {
			t.Error("control character from the input reached the text output")
		}
	}
}

func TestTextCRLF(t *testing.T) {
	src := "a = 1\r\nbb = 2\r\n"
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "x", Subject: at("f.hcl", src, "2", 1)}
	var buf bytes.Buffer
	if err := Text(&buf, hcl.Diagnostics{d}, map[string][]byte{"f.hcl": []byte(src)}, Options{}); err != nil {
		t.Fatal(err)
	}
	want := "  1: a = 1\n  2: bb = 2\n          ^\n"
	if !strings.Contains(buf.String(), want) || strings.Contains(buf.String(), "\r") {
		t.Errorf("got:\n%q\nwant it to contain:\n%q", buf.String(), want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	diags := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "x"}}
	for _, format := range Formats {
		if err := Write(failWriter{}, format, diags, nil, Options{}); err == nil {
			t.Errorf("%s: write error not reported", format)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add([]byte(unicodeSrc), 2, 3, 4, 1)
	f.Add([]byte("\t\t\xff\n"), 1, 2, 1, 9)
	f.Fuzz(func(t *testing.T, src []byte, line, col, endLine, endCol int) {
		d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "s", Subject: &hcl.Range{Filename: "f",
			Start: hcl.Pos{Line: line, Column: col}, End: hcl.Pos{Line: endLine, Column: endCol}}}
		var buf bytes.Buffer
		if err := Text(&buf, hcl.Diagnostics{d}, map[string][]byte{"f": src}, Options{}); err != nil {
			t.Fatal(err)
		}
	})
}
