package flowtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine/codec"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// File is one parsed test file.
type File struct {
	Path  string
	Tests []*Test
}

// Test is one `test "name" {}` block.
type Test struct {
	Name        string
	Description string
	File        string    // the test file
	DeclRange   hcl.Range // the block header, for file:line in reports

	Flow      string     // "" when the configuration's only flow is meant
	FlowRange *hcl.Range // nil when flow is not set

	Vars      map[string]cty.Value // variable overrides
	VarRanges map[string]hcl.Range // where each is set
	Env       map[string]string    // the only environment env(), secret() and FLOWCTL_VAR_* see

	Input       []Record // inline records
	InputFile   string   // or records from this file (resolved against the test file's directory)
	InputFormat string   // format of InputFile; "" means by extension
	InputRange  hcl.Range

	inputFileRange hcl.Range

	Expects []*Expect

	Rejected      []RecordExpectation // exactly these records are rejected (none when unset)
	Skipped       []RecordExpectation
	CheckSkipped  bool // expect_skipped is set: exactly these records are skipped
	Warnings      []RecordExpectation
	CheckWarnings bool // expect_warnings is set: exactly these warnings are raised

	NoOutput      []Name // targets that must receive nothing
	NoOutputAll   bool   // expect_no_output = true: every target without an expect block
	NoOutputRange hcl.Range

	// Set when the suite is compiled.
	flowName string
	plan     planRef
}

// Record is one inline input record.
type Record struct {
	Data  map[string]any
	Range hcl.Range
}

// Name is a name with the place it is written.
type Name struct {
	Name  string
	Range hcl.Range
}

// Expect is an `expect "target" {}` block: what one target receives.
type Expect struct {
	Target      string
	TargetRange hcl.Range
	DeclRange   hcl.Range

	Body     []any // expected bodies in order (JSON-like values)
	HasBody  bool
	Partial  bool // compare only the object keys written in Body
	Keys     []string
	HasKeys  bool
	Count    int
	HasCount bool
}

// RecordExpectation is one element of expect_rejected, expect_skipped or
// expect_warnings: a record (1-based input position) and, optionally, the
// rule and a substring of the message (for skips: of the reason).
type RecordExpectation struct {
	Record  int
	Rule    string
	Message string
	Range   hcl.Range
}

func (e RecordExpectation) String() string {
	s := fmt.Sprintf("record %d", e.Record)
	if e.Rule != "" {
		s += fmt.Sprintf(" by %s", e.Rule)
	}
	if e.Message != "" {
		s += fmt.Sprintf(" with %q", e.Message)
	}
	return s
}

// Pos is the test's file:line.
func (t *Test) Pos() string {
	return fmt.Sprintf("%s:%d", t.File, t.DeclRange.Start.Line)
}

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "test", LabelNames: []string{"name"}}}}

var testSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"}, {Name: "flow"}, {Name: "vars"}, {Name: "env"},
		{Name: "input"}, {Name: "input_file"}, {Name: "input_format"},
		{Name: "expect_rejected"}, {Name: "expect_skipped"}, {Name: "expect_warnings"}, {Name: "expect_no_output"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "expect", LabelNames: []string{"target"}}},
}

var expectSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "body"}, {Name: "partial"}, {Name: "keys"}, {Name: "count"},
}}

// ParseFile parses the source of one test file. It reads nothing else:
// names of flows, targets and variables and the input file are checked by
// Load.
func ParseFile(name string, src []byte) (*File, hcl.Diagnostics) {
	f := &File{Path: name}
	if !utf8.Valid(src) {
		p := hcl.Pos{Line: 1, Column: 1}
		return f, hcl.Diagnostics{dsl.Errorf(dsl.CodeSyntax, hcl.Range{Filename: name, Start: p, End: p},
			"Invalid UTF-8", "%s is not valid UTF-8 text. Test files must be UTF-8 encoded.", name)}
	}
	hf, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	dsl.WithCode(diags, dsl.CodeSyntax)
	if hf == nil || hf.Body == nil || diags.HasErrors() {
		return f, diags
	}
	content, cd := hf.Body.Content(fileSchema)
	diags = append(diags, dsl.WithCode(cd, dsl.CodeSchema)...)
	seen := map[string]hcl.Range{}
	for _, blk := range content.Blocks {
		t, td := parseTest(name, blk)
		diags = append(diags, td...)
		if prev, dup := seen[t.Name]; dup {
			diags = append(diags, dsl.Errorf(dsl.CodeDuplicate, blk.LabelRanges[0], "Duplicate test name",
				"A test named %q is already declared at %s; test names must be unique in a file.", t.Name, prev))
			continue
		}
		seen[t.Name] = blk.DefRange
		f.Tests = append(f.Tests, t)
	}
	if len(f.Tests) == 0 && !diags.HasErrors() {
		diags = append(diags, dsl.Errorf(dsl.CodeEmpty, hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
			"Test file without tests", "%s declares no test block; write at least one: test \"name\" { ... }.", name))
	}
	return f, diags
}

func parseTest(file string, blk *hcl.Block) (*Test, hcl.Diagnostics) {
	t := &Test{Name: blk.Labels[0], File: file, DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(testSchema)
	dsl.WithCode(diags, dsl.CodeSchema)
	if strings.TrimSpace(t.Name) == "" {
		diags = append(diags, dsl.Errorf(dsl.CodeSchema, blk.LabelRanges[0], "Empty test name",
			"Give the test a name that says what it checks, e.g. test \"cancelled orders are skipped\"."))
	}
	attrs := content.Attributes
	var d hcl.Diagnostics
	if a := attrs["description"]; a != nil {
		t.Description, d = stringAttr(a)
		diags = append(diags, d...)
	}
	if a := attrs["flow"]; a != nil {
		t.Flow, d = stringAttr(a)
		diags = append(diags, d...)
		r := a.Expr.Range()
		t.FlowRange = &r
	}
	if a := attrs["vars"]; a != nil {
		t.Vars, t.VarRanges = map[string]cty.Value{}, map[string]hcl.Range{}
		diags = append(diags, objectItems(a, func(key string, keyRange hcl.Range, x hcl.Expression) hcl.Diagnostics {
			v, vd := x.Value(nil)
			if vd.HasErrors() {
				return literalOnly(a.Name, x)
			}
			if v.IsNull() {
				return hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, x.Range(), "Invalid variable value",
					"vars.%s is null; leave it out to use the variable's default.", key)}
			}
			t.Vars[key], t.VarRanges[key] = v, hcl.RangeBetween(keyRange, x.Range())
			return nil
		})...)
	}
	if a := attrs["env"]; a != nil {
		t.Env = map[string]string{}
		diags = append(diags, objectItems(a, func(key string, _ hcl.Range, x hcl.Expression) hcl.Diagnostics {
			v, vd := x.Value(nil)
			if vd.HasErrors() {
				return literalOnly(a.Name, x)
			}
			s, err := convert.Convert(v, cty.String)
			if err != nil || s.IsNull() {
				return hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, x.Range(), "Invalid environment value",
					"env.%s must be a string.", key)}
			}
			t.Env[key] = s.AsString()
			return nil
		})...)
	}
	inputDiags := t.parseInput(attrs)
	diags = append(diags, inputDiags...)
	for _, b := range content.Blocks {
		e, ed := parseExpect(b)
		diags = append(diags, ed...)
		t.Expects = append(t.Expects, e)
	}
	if a := attrs["expect_rejected"]; a != nil {
		t.Rejected, d = recordExpectations(a, "message")
		diags = append(diags, d...)
	}
	if a := attrs["expect_skipped"]; a != nil {
		t.Skipped, d = recordExpectations(a, "reason")
		t.CheckSkipped = true
		diags = append(diags, d...)
	}
	if a := attrs["expect_warnings"]; a != nil {
		t.Warnings, d = recordExpectations(a, "message")
		t.CheckWarnings = true
		diags = append(diags, d...)
	}
	if a := attrs["expect_no_output"]; a != nil {
		diags = append(diags, t.parseNoOutput(a)...)
	}
	diags = append(diags, t.checkRecordNumbers(!inputDiags.HasErrors())...)
	return t, diags
}

func (t *Test) parseInput(attrs hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	in, inFile := attrs["input"], attrs["input_file"]
	switch {
	case in != nil && inFile != nil:
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeSchema, inFile.NameRange, "Both input and input_file",
			"A test reads its records either inline (input = [...]) or from a file (input_file = \"...\"), not both.")}
	case in == nil && inFile == nil:
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeSchema, t.DeclRange, "Test without input",
			"Test %q needs input records: input = [{ ... }, ...] or input_file = \"testdata/records.ndjson\".", t.Name)}
	case in != nil:
		t.InputRange = in.Range
		elems, d := listItems(in)
		if d != nil {
			return d
		}
		for i, x := range elems {
			v, vd := x.Value(nil)
			if vd.HasErrors() {
				diags = append(diags, literalOnly(in.Name, x)...)
				continue
			}
			data, err := toJSON(v)
			m, ok := data.(map[string]any)
			if err != nil || !ok {
				diags = append(diags, dsl.Errorf(dsl.CodeStaticType, x.Range(), "Input record is not an object",
					"Record %d of input must be an object, e.g. { name = \"SO1\", total = 12.5 }.", i+1))
				continue
			}
			t.Input = append(t.Input, Record{Data: m, Range: x.Range()})
		}
	default:
		t.InputRange = inFile.Range
		p, d := stringAttr(inFile)
		if d != nil {
			return d
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(t.File), p)
		}
		t.InputFile, t.inputFileRange = p, inFile.Expr.Range()
	}
	if a := attrs["input_format"]; a != nil {
		f, d := stringAttr(a)
		diags = append(diags, d...)
		switch f {
		case "ndjson", "jsonl", "json", "csv":
			t.InputFormat = f
		default:
			if d == nil {
				diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Unknown input format",
					"input_format must be ndjson, json or csv, not %q.", f))
			}
		}
		if inFile == nil {
			diags = append(diags, dsl.Errorf(dsl.CodeSchema, a.NameRange, "input_format without input_file",
				"input_format says how to read input_file; inline input needs none."))
		}
	} else if t.InputFile != "" && codec.DetectFormat(t.InputFile) == "" {
		diags = append(diags, dsl.Errorf(dsl.CodeStaticType, inFile.Expr.Range(), "Unknown input format",
			"Cannot tell the format of %s from its extension (.ndjson, .jsonl, .json, .csv); set input_format.", t.InputFile))
	}
	return diags
}

func (t *Test) parseNoOutput(a *hcl.Attribute) hcl.Diagnostics {
	t.NoOutputRange = a.Expr.Range()
	v, d := a.Expr.Value(nil)
	if d.HasErrors() {
		return literalOnly(a.Name, a.Expr)
	}
	if v.Type() == cty.Bool && !v.IsNull() {
		t.NoOutputAll = v.True()
		return nil
	}
	elems, diags := listItems(a)
	if diags != nil {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Invalid expect_no_output",
			"expect_no_output is a list of target names, e.g. [\"review\"], or true for every target without an expect block.")}
	}
	for _, x := range elems {
		s, err := stringValue(x)
		if err != nil {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, x.Range(), "Invalid target name",
				"expect_no_output lists target names as strings."))
			continue
		}
		t.NoOutput = append(t.NoOutput, Name{Name: s, Range: x.Range()})
	}
	return diags
}

// checkRecordNumbers checks what can be checked without the configuration:
// record numbers within the inline input, no record listed twice.
func (t *Test) checkRecordNumbers(inputOK bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	inline := inputOK && t.InputFile == "" && t.InputRange.Filename != ""
	check := func(what string, list []RecordExpectation, unique bool) map[int]bool {
		seen := map[int]bool{}
		for _, e := range list {
			if inline && e.Record > len(t.Input) {
				diags = append(diags, dsl.Errorf(dsl.CodeReference, e.Range, "No such input record",
					"%s names record %d, but the test's input has %s.", what, e.Record, plural(len(t.Input), "record")))
			}
			if unique && seen[e.Record] {
				diags = append(diags, dsl.Errorf(dsl.CodeDuplicate, e.Range, "Record listed twice",
					"Record %d is already listed in %s; a record is rejected or skipped once.", e.Record, what))
			}
			seen[e.Record] = true
		}
		return seen
	}
	rej := check("expect_rejected", t.Rejected, true)
	check("expect_skipped", t.Skipped, true)
	check("expect_warnings", t.Warnings, false)
	for _, e := range t.Skipped {
		if rej[e.Record] {
			diags = append(diags, dsl.Errorf(dsl.CodeDuplicate, e.Range, "Record both rejected and skipped",
				"Record %d is listed in expect_rejected and in expect_skipped; a record is one or the other.", e.Record))
		}
	}
	return diags
}

func parseExpect(b *hcl.Block) (*Expect, hcl.Diagnostics) {
	e := &Expect{Target: b.Labels[0], TargetRange: b.LabelRanges[0], DeclRange: b.DefRange}
	content, diags := b.Body.Content(expectSchema)
	dsl.WithCode(diags, dsl.CodeSchema)
	attrs := content.Attributes
	if a := attrs["body"]; a != nil {
		e.HasBody = true
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			diags = append(diags, literalOnly(a.Name, a.Expr)...)
		} else if !(v.Type().IsTupleType() || v.Type().IsListType()) || v.IsNull() {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "body must be a list",
				"body lists the bodies written to target %q, in order; write a single body as [{ ... }].", e.Target))
		} else if j, err := toJSON(v); err != nil {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Invalid body", "%v", err))
		} else {
			e.Body = j.([]any)
		}
	}
	if a := attrs["partial"]; a != nil {
		v, d := a.Expr.Value(nil)
		if b, err := convert.Convert(v, cty.Bool); d.HasErrors() || err != nil || b.IsNull() {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Invalid value", "partial must be true or false."))
		} else {
			e.Partial = b.True()
		}
		if !e.HasBody {
			diags = append(diags, dsl.Errorf(dsl.CodeSchema, a.NameRange, "partial without body",
				"partial = true compares only the fields written in body; set body too."))
		}
	}
	if a := attrs["keys"]; a != nil {
		e.HasKeys = true
		elems, d := listItems(a)
		diags = append(diags, d...)
		for _, x := range elems {
			s, err := stringValue(x)
			if err != nil {
				diags = append(diags, dsl.Errorf(dsl.CodeStaticType, x.Range(), "Invalid key",
					"keys lists the idempotency keys of the operations, in order, as strings."))
				continue
			}
			e.Keys = append(e.Keys, s)
		}
	}
	if a := attrs["count"]; a != nil {
		n, d := wholeNumber(a.Expr, 0)
		if d != nil {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Invalid count",
				"count is the number of operations on target %q: a whole number, 0 or more.", e.Target))
		}
		e.Count, e.HasCount = n, true
	}
	if len(attrs) == 0 && !diags.HasErrors() {
		diags = append(diags, dsl.Errorf(dsl.CodeSchema, b.DefRange, "Empty expect block",
			"expect %q checks nothing: set body (the bodies written, in order), keys (their idempotency keys) or count.", e.Target))
	}
	return e, diags
}

// recordExpectations reads a list whose elements are record numbers or
// objects { record = N, rule = "...", <msgKey> = "..." }.
func recordExpectations(a *hcl.Attribute, msgKey string) ([]RecordExpectation, hcl.Diagnostics) {
	elems, diags := listItems(a)
	if diags != nil {
		return nil, diags
	}
	var out []RecordExpectation
	allowed := []string{"record", "rule", msgKey}
	usage := fmt.Sprintf("Each element of %s is a record number (its 1-based position in the input) or an object: { record = 2, rule = \"...\", %s = \"...\" }; rule and %s are optional.", a.Name, msgKey, msgKey)
	for _, x := range elems {
		e := RecordExpectation{Range: x.Range()}
		if n, d := wholeNumber(x, 1); d == nil {
			e.Record = n
			out = append(out, e)
			continue
		}
		items, err := hcl.ExprMap(x)
		if err != nil {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, x.Range(), "Invalid "+a.Name+" element", "%s", usage))
			continue
		}
		ok := true
		for _, kv := range items {
			key, kd := keyString(kv.Key)
			if kd != nil {
				diags = append(diags, kd...)
				ok = false
				continue
			}
			switch key {
			case "record":
				n, d := wholeNumber(kv.Value, 1)
				if d != nil {
					diags = append(diags, dsl.Errorf(dsl.CodeStaticType, kv.Value.Range(), "Invalid record number",
						"record is the record's 1-based position in the input: a whole number, 1 or more."))
					ok = false
				}
				e.Record = n
			case "rule", msgKey:
				s, err := stringValue(kv.Value)
				if err != nil {
					diags = append(diags, dsl.Errorf(dsl.CodeStaticType, kv.Value.Range(), "Invalid "+key, "%s must be a string.", key))
					ok = false
				}
				if key == "rule" {
					e.Rule = s
				} else {
					e.Message = s
				}
			default:
				diags = append(diags, dsl.Errorf(dsl.CodeSchema, kv.Key.Range(), "Unsupported key "+strconvQuote(key),
					"%s elements take %s.%s", a.Name, strings.Join(allowed, ", "), dsl.DidYouMean(key, allowed)))
				ok = false
			}
		}
		if ok && e.Record == 0 {
			diags = append(diags, dsl.Errorf(dsl.CodeSchema, x.Range(), "Missing record number",
				"Say which record: { record = 2, ... } (its 1-based position in the input)."))
			ok = false
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, diags
}

// objectItems calls fn for each key of an object-valued attribute, in
// source order.
func objectItems(a *hcl.Attribute, fn func(key string, keyRange hcl.Range, x hcl.Expression) hcl.Diagnostics) hcl.Diagnostics {
	items, err := hcl.ExprMap(a.Expr)
	if err != nil {
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Invalid "+a.Name,
			"%s must be an object: %s = { name = value, ... }.", a.Name, a.Name)}
	}
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for _, kv := range items {
		key, kd := keyString(kv.Key)
		if kd != nil {
			diags = append(diags, kd...)
			continue
		}
		if seen[key] {
			diags = append(diags, dsl.Errorf(dsl.CodeDuplicate, kv.Key.Range(), "Duplicate key", "%s.%s is set twice.", a.Name, key))
			continue
		}
		seen[key] = true
		diags = append(diags, fn(key, kv.Key.Range(), kv.Value)...)
	}
	return diags
}

func keyString(x hcl.Expression) (string, hcl.Diagnostics) {
	v, d := x.Value(nil)
	if !d.HasErrors() {
		if s, err := convert.Convert(v, cty.String); err == nil && !s.IsNull() && s.IsKnown() {
			return s.AsString(), nil
		}
	}
	return "", hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, x.Range(), "Invalid key", "Keys are names or strings.")}
}

// listItems returns the element expressions of a list-valued attribute.
func listItems(a *hcl.Attribute) ([]hcl.Expression, hcl.Diagnostics) {
	elems, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		return nil, hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Invalid "+a.Name,
			"%s must be a list: %s = [ ... ].", a.Name, a.Name)}
	}
	return elems, nil
}

func stringAttr(a *hcl.Attribute) (string, hcl.Diagnostics) {
	s, err := stringValue(a.Expr)
	if err != nil {
		return "", hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, a.Expr.Range(), "Invalid "+a.Name,
			"%s must be a literal string.", a.Name)}
	}
	return s, nil
}

func stringValue(x hcl.Expression) (string, error) {
	v, d := x.Value(nil)
	if d.HasErrors() {
		return "", d
	}
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return "", fmt.Errorf("not a string")
	}
	return v.AsString(), nil
}

// wholeNumber reads a literal whole number >= min.
func wholeNumber(x hcl.Expression, min int) (int, hcl.Diagnostics) {
	bad := hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, x.Range(), "Invalid number", "Expected a whole number.")}
	v, d := x.Value(nil)
	if d.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return 0, bad
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return 0, bad
	}
	n, _ := bf.Int64()
	if n < int64(min) || n > 1<<31 {
		return 0, bad
	}
	return int(n), nil
}

func literalOnly(name string, x hcl.Expression) hcl.Diagnostics {
	return hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, x.Range(), "Literal value required",
		"%s takes literal values (strings, numbers, bools, null, lists and objects); variables and functions are not available in test files.", name)}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if noun == "body" {
		return fmt.Sprintf("%d bodies", n)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
