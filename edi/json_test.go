package edi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// jsonRoundTrip: parse → JSON → unmarshal → render → parse.
func jsonRoundTrip(t *testing.T, input []byte) (orig, back *Document, rendered []byte) {
	t.Helper()
	orig, _, err := Parse(bytes.NewReader(input), ParseOptions{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	j, err := json.Marshal(orig)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var mid Document
	if err := json.Unmarshal(j, &mid); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	j2, err := json.Marshal(&mid)
	if err != nil {
		t.Fatalf("marshal again: %v", err)
	}
	if !bytes.Equal(j, j2) {
		t.Errorf("JSON is not stable through unmarshal/marshal")
	}
	var out bytes.Buffer
	if err := Render(&out, &mid, nil, RenderOptions{Newline: true}); err != nil {
		t.Fatalf("render: %v", err)
	}
	back, _, err = Parse(bytes.NewReader(out.Bytes()), ParseOptions{})
	if err != nil {
		t.Fatalf("parse rendered: %v\n%s", err, out.Bytes())
	}
	return orig, back, out.Bytes()
}

func jsonSameTree(t *testing.T, a, b *Document) {
	t.Helper()
	ta, tb := modelTree(a), modelTree(b)
	if reflect.DeepEqual(ta, tb) {
		return
	}
	for i := 0; i < len(ta) || i < len(tb); i++ {
		var x, y string
		if i < len(ta) {
			x = ta[i]
		}
		if i < len(tb) {
			y = tb[i]
		}
		if x != y {
			t.Fatalf("trees differ at segment %d:\n  was %s\n  now %s", i+1, x, y)
		}
	}
}

// TestJSONRoundTripCorpus: every corpus file marked valid or
// valid-per-source gives the same tree (tags, elements, components,
// repetitions) after parse → JSON → unmarshal → render → parse.
func TestJSONRoundTripCorpus(t *testing.T) {
	n := 0
	for _, e := range readManifest(t) {
		if e.Status != "valid" && e.Status != "valid-per-source" {
			continue
		}
		n++
		t.Run(e.File, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(corpusDir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			orig, back, _ := jsonRoundTrip(t, b)
			jsonSameTree(t, orig, back)
			if len(orig.Interchanges) != len(back.Interchanges) {
				t.Fatalf("%d interchanges, now %d", len(orig.Interchanges), len(back.Interchanges))
			}
			for i, ic := range orig.Interchanges {
				if b := back.Interchanges[i]; b.UNA != ic.UNA || !modelSameDelims(b.Delims, ic.Delims) {
					t.Errorf("interchange %d: UNA %v delimiters %+v, now %v %+v", i+1, ic.UNA, ic.Delims, b.UNA, b.Delims)
				}
			}
		})
	}
	if n < 39 {
		t.Errorf("only %d valid files in the manifest", n)
	}
}

// TestJSONRoundTripOtherCorpus: edge and invalid files also survive the
// JSON form; only ISA padding (Render pads to fixed width) may differ.
func TestJSONRoundTripOtherCorpus(t *testing.T) {
	for _, e := range readManifest(t) {
		if e.Status != "edge" && e.Status != "invalid-intentional" {
			continue
		}
		t.Run(e.File, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(corpusDir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := Parse(bytes.NewReader(b), ParseOptions{}); err != nil {
				t.Skipf("not readable: %v", err)
			}
			if e.Status == "invalid-intentional" {
				doc, _, _ := Parse(bytes.NewReader(b), ParseOptions{})
				if err := Render(&bytes.Buffer{}, doc, nil, RenderOptions{}); err != nil {
					t.Skipf("cannot be rendered: %v", err)
				}
			}
			orig, back, _ := jsonRoundTrip(t, b)
			a, c := modelTree(orig), modelTree(back)
			if len(a) != len(c) {
				t.Fatalf("%d segments, now %d", len(a), len(c))
			}
			for i := range a {
				if a[i] != c[i] && !strings.HasPrefix(a[i], "ISA ") {
					t.Fatalf("segment %d:\n  was %s\n  now %s", i+1, a[i], c[i])
				}
			}
		})
	}
}

// TestJSONForm pins the JSON shape of one document.
func TestJSONForm(t *testing.T) {
	in := "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*0304*^*00501*000000001*0*P*>~" +
		"GS*SH*S*R*20240102*0304*1*X*005010~ST*856*0001~" +
		"REF*BM*A>B**X^Y>Z^~" +
		"SE*3*0001~GE*1*1~IEA*1*000000001~"
	doc, _, err := Parse(strings.NewReader(in), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	j, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":"x12","interchanges":[{"delimiters":{"segment":"~","element":"*","component":">","repetition":"^"},` +
		`"header":{"tag":"ISA","pos":1,"offset":0,"elements":["00","          ","00","          ","ZZ","SENDER         ","ZZ","RECEIVER       ","240102","0304","^","00501","000000001","0","P",">"]},` +
		`"groups":[{"header":{"tag":"GS","pos":2,"offset":106,"elements":["SH","S","R","20240102","0304","1","X","005010"]},` +
		`"transactions":[{"header":{"tag":"ST","pos":3,"offset":141,"elements":["856","0001"]},` +
		`"segments":[{"tag":"REF","pos":4,"offset":153,"elements":["BM",["A","B"],"",{"repetitions":["X",["Y","Z"],""]}]}],` +
		`"trailer":{"tag":"SE","pos":5,"offset":172,"elements":["3","0001"]}}],` +
		`"trailer":{"tag":"GE","pos":6,"offset":182,"elements":["1","1"]}}],` +
		`"trailer":{"tag":"IEA","pos":7,"offset":189,"elements":["1","000000001"]}}]}`
	if string(j) != want {
		t.Fatalf("JSON form changed:\n got %s\nwant %s", j, want)
	}
	// json.Marshal goes through MarshalJSON (and HTML-escapes '>'), and
	// reads back to the same document.
	j2, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var back Document
	if err := json.Unmarshal(j2, &back); err != nil {
		t.Fatal(err)
	}
	jsonSameTree(t, doc, &back)
	// Positions and offsets survive.
	if s := back.Interchanges[0].Groups[0].Transactions[0].Segments[0]; s.Pos != 4 || s.Offset != 153 {
		t.Fatalf("pos %d offset %d", s.Pos, s.Offset)
	}
}

// TestJSONLatin1: values that are not UTF-8 are carried as Latin-1 and
// come back as the same bytes.
func TestJSONLatin1(t *testing.T) {
	orig, back, rendered := jsonRoundTrip(t, mustRead(t, "testdata/model/edifact_latin1.edi"))
	jsonSameTree(t, orig, back)
	if !bytes.Contains(rendered, []byte("M\xfcller K\xe4se")) {
		t.Fatalf("Latin-1 bytes lost:\n%q", rendered)
	}
	j, _ := orig.MarshalJSON()
	if !bytes.Contains(j, []byte(`"encoding":"latin1"`)) || !bytes.Contains(j, []byte("Müller Käse")) {
		t.Fatalf("JSON: %s", j)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJSONLoops: a loop tree refers to segments by their position in the
// transaction and is rebuilt on the new segments.
func TestJSONLoops(t *testing.T) {
	doc, _, err := Parse(bytes.NewReader(mustRead(t, "testdata/model/x12_856.edi")), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tx := doc.Interchanges[0].Groups[0].Transactions[0]
	s := tx.Segments // BSN HL TD1 REF MAN HL PRF LIN SN1 CTT
	tx.Loops = &Loop{ID: "856", Segments: []*Segment{tx.Header, s[0], s[9], tx.Trailer}, Children: []*Loop{
		{ID: "HL", Segments: s[1:5], Children: []*Loop{{ID: "HL", Segments: s[5:9]}}},
	}}
	j, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(j, []byte(`"loops":{"id":"856","segments":[1,2,11,12],"children":[{"id":"HL","segments":[3,4,5,6],"children":[{"id":"HL","segments":[7,8,9,10]}]}]}`)) {
		t.Fatalf("loops JSON: %s", j)
	}
	var back Document
	if err := back.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	btx := back.Interchanges[0].Groups[0].Transactions[0]
	if btx.Loops == nil || btx.Loops.Segments[0] != btx.Header || btx.Loops.Children[0].Children[0].Segments[0] != btx.Segments[5] {
		t.Fatalf("loops not rebuilt on the new segments")
	}
	// A loop segment that is not in the transaction is an error.
	tx.Loops.Segments = append(tx.Loops.Segments, &Segment{Tag: "XX"})
	if _, err := doc.MarshalJSON(); err == nil {
		t.Fatal("foreign loop segment accepted")
	}
}

// TestJSONErrors: malformed JSON forms are rejected with a reason.
func TestJSONErrors(t *testing.T) {
	isa := `{"tag":"ISA","elements":["00"]}`
	ic := func(delims, body string) string {
		return `{"format":"x12","interchanges":[{"delimiters":` + delims + `,"header":` + isa + body + `,"trailer":null}]}`
	}
	x12 := `{"segment":"~","element":"*","component":">","repetition":""}`
	seg := func(elems string) string {
		return `,"groups":[{"header":null,"transactions":[{"header":{"tag":"ST","elements":["856","1"]},"segments":[{"tag":"REF","elements":` + elems + `}],"trailer":null}],"trailer":null}]`
	}
	for name, c := range map[string]struct{ in, want string }{
		"format":          {`{"format":"csv","interchanges":[]}`, "format"},
		"delimiter":       {ic(`{"segment":"~~","element":"*"}`, ""), "delimiters.segment"},
		"delimiter range": {ic(`{"segment":"~","element":"☃"}`, ""), "delimiters.element"},
		"x12 delimiter":   {ic(x12, seg(`["a*b"]`)), "element separator"},
		"repetition":      {ic(x12, seg(`[{"repetitions":["a","b"]}]`)), "no repetition separator"},
		"element type":    {ic(x12, seg(`[1]`)), "element must be"},
		"empty array":     {ic(x12, seg(`[[]]`)), "empty component"},
		"no tag":          {ic(x12, `,"other":[{"elements":[]}]`), "without tag"},
		"encoding":        {`{"format":"x12","interchanges":[{"delimiters":` + x12 + `,"encoding":"ebcdic","header":null,"trailer":null}]}`, "encoding"},
		"latin1":          {`{"format":"x12","interchanges":[{"delimiters":` + x12 + `,"encoding":"latin1","header":null,"other":[{"tag":"X","elements":["☃"]}],"trailer":null}]}`, "outside U+0000..U+00FF"},
		"no header":       {ic(x12, `,"messages":[{"header":null,"segments":[],"trailer":null}]`), "header is required"},
		"loop range":      {ic(x12, `,"messages":[{"header":{"tag":"UNH","elements":["1"]},"segments":[],"trailer":null,"loops":{"id":"0","segments":[3]}}]`), "outside the transaction"},
		"syntax":          {`{"format":`, "json"},
	} {
		t.Run(name, func(t *testing.T) {
			var d Document
			err := d.UnmarshalJSON([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want it to mention %q", err, c.want)
			}
		})
	}
	if _, err := DecodeJSON(strings.NewReader(`{"format":"edifact","interchanges":[]}`)); err != nil {
		t.Fatal(err)
	}
}

// TestRenderDelimiters renders with other delimiters and reads back the
// same tree.
func TestRenderDelimiters(t *testing.T) {
	t.Run("x12", func(t *testing.T) {
		doc, _, err := Parse(bytes.NewReader(mustRead(t, "testdata/model/x12_856.edi")), ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d := Delimiters{Segment: '\n', Element: '|', Component: '\\', Repetition: '!'}
		var out bytes.Buffer
		if err := Render(&out, doc, &d, RenderOptions{Newline: true}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(out.String(), "\n")
		if len(lines[0]) != 105 || lines[0][104] != '\\' || lines[0][82] != '!' {
			t.Fatalf("ISA: %q", lines[0])
		}
		if !strings.Contains(out.String(), "REF|BM|BOL123!BOL124\nMAN") || !strings.Contains(out.String(), "LIN||UP|012345678905|VN|ABC\\1\\X\n") {
			t.Fatalf("rendered:\n%s", out.String())
		}
		back, issues, err := Parse(&out, ParseOptions{Strict: true})
		if err != nil || len(issues) != 0 {
			t.Fatalf("err %v issues %v", err, issues)
		}
		// ISA11 and ISA16 follow the new separators.
		isa := back.Interchanges[0].Header
		if isa.Value(11) != "!" || isa.Value(16) != "\\" {
			t.Fatalf("ISA11 %q ISA16 %q", isa.Value(11), isa.Value(16))
		}
		isa.Elements[10], isa.Elements[15] = []byte("^"), []byte(">")
		jsonSameTree(t, doc, back)
	})
	t.Run("x12 conflict", func(t *testing.T) {
		doc, _, _ := Parse(bytes.NewReader(mustRead(t, "testdata/model/x12_856.edi")), ParseOptions{})
		d := Delimiters{Segment: '~', Element: '*', Component: '1', Repetition: '^'}
		if err := Render(&bytes.Buffer{}, doc, &d, RenderOptions{}); err == nil || !strings.Contains(err.Error(), "alphanumeric") {
			t.Fatalf("err %v", err)
		}
		d = Delimiters{Segment: '~', Element: '*', Component: '.', Repetition: '^'}
		err := Render(&bytes.Buffer{}, doc, &d, RenderOptions{})
		if err == nil || !strings.Contains(err.Error(), "segment 6 (TD1)") || !strings.Contains(err.Error(), "component separator") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("edifact", func(t *testing.T) {
		doc, _, err := Parse(bytes.NewReader(mustRead(t, "testdata/model/edifact_una.edi")), ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d := Delimiters{Segment: '#', Element: '|', Component: '^', Release: '\\', Decimal: ','}
		var out bytes.Buffer
		if err := Render(&out, doc, &d, RenderOptions{Newline: true}); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if !strings.HasPrefix(s, "UNA^|,\\ #\n") || !strings.Contains(s, "FTX|AAI|||Price 10:30 net? ok's#") || !strings.Contains(s, "NAD|CZ|4000001000001^^9||Ship+Co^Street 1#") {
			t.Fatalf("rendered:\n%s", s)
		}
		back, issues, err := Parse(&out, ParseOptions{Strict: true})
		if err != nil || len(issues) != 0 {
			t.Fatalf("err %v issues %v", err, issues)
		}
		jsonSameTree(t, doc, back)
		// Data with a delimiter and no release character cannot be written.
		d = Delimiters{Segment: '\'', Element: '+', Component: ':'}
		if err := Render(&bytes.Buffer{}, doc, &d, RenderOptions{}); err == nil || !strings.Contains(err.Error(), "no release character") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("isa padding", func(t *testing.T) {
		// An ISA that is not fixed width is padded.
		in := "ISA*00**00**ZZ*SENDER*ZZ*RECEIVER*240102*0304*U*00401*17*0*P*>~GS*FA*S*R*20240102*0304*1*X*004010~ST*997*0001~AK1*SH*1~AK9*A*1*1*1~SE*4*0001~GE*1*1~IEA*1*000000017~"
		doc, issues, err := Parse(strings.NewReader(in), ParseOptions{})
		if err != nil || len(issues) == 0 {
			t.Fatalf("err %v issues %v", err, issues)
		}
		var out bytes.Buffer
		if err := Render(&out, doc, nil, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		want := "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*0304*U*00401*000000017*0*P*>~"
		if !strings.HasPrefix(out.String(), want) {
			t.Fatalf("ISA: %q", out.String()[:106])
		}
		_, issues, err = Parse(&out, ParseOptions{Strict: true})
		if err != nil || len(issues) != 0 {
			t.Fatalf("padded: err %v issues %v", err, issues)
		}
	})
	t.Run("nil", func(t *testing.T) {
		if err := Render(&bytes.Buffer{}, nil, nil, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBuildSegment escapes for the delimiters given.
func TestBuildSegment(t *testing.T) {
	d := Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Repetition: '*'}
	s, err := BuildSegment(d, "FTX", [][][]string{{{"AAA"}}, {{""}}, {{"a:b", "c"}, {"d'e"}}, {{"50?+"}}})
	if err != nil {
		t.Fatal(err)
	}
	var raw []string
	for _, e := range s.Elements {
		raw = append(raw, string(e))
	}
	if want := []string{"AAA", "", "a?:b:c*d?'e", "50???+"}; !reflect.DeepEqual(raw, want) {
		t.Fatalf("raw %q", raw)
	}
	if got := SegmentElements(s); !reflect.DeepEqual(got, [][][]string{{{"AAA"}}, {{""}}, {{"a:b", "c"}, {"d'e"}}, {{"50?+"}}}) {
		t.Fatalf("elements %q", got)
	}
	if _, err := BuildSegment(Delimiters{Segment: '~', Element: '*'}, "N1", [][][]string{{{"a", "b"}}}); err == nil {
		t.Fatal("components without a separator accepted")
	}
}

// TestJSONDocExample keeps the example of docs/edi-json.md true: its text
// block parses to its json block.
func TestJSONDocExample(t *testing.T) {
	md, err := os.ReadFile("../docs/edi-json.md")
	if err != nil {
		t.Skipf("docs not available: %v", err)
	}
	block := func(info string) string {
		_, rest, ok := strings.Cut(string(md), "```"+info+"\n")
		if !ok {
			t.Fatalf("no ```%s block", info)
		}
		body, _, _ := strings.Cut(rest, "```")
		return body
	}
	doc, issues, err := Parse(strings.NewReader(block("text")), ParseOptions{Strict: true})
	if err != nil || len(issues) != 0 {
		t.Fatalf("err %v issues %v", err, issues)
	}
	var out bytes.Buffer
	if err := EncodeJSON(&out, doc, true); err != nil {
		t.Fatal(err)
	}
	if want := block("json"); out.String() != want {
		t.Fatalf("docs/edi-json.md example is stale:\n%s", modelDiff(want, out.String()))
	}
}
