package edi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// modelGolden compares got with the golden file path (rewriting it with
// -update).
func modelGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", path, modelDiff(string(want), string(got)))
	}
}

// modelDiff shows the first differing line.
func modelDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return "(same lines)"
}

// modelIssueLines formats issues one per line for golden files.
func modelIssueLines(issues []Issue) string {
	var b strings.Builder
	for _, is := range issues {
		fmt.Fprintf(&b, "%s %s pos=%d offset=%d tag=%s", is.Severity, is.Code, is.SegmentPos, is.Offset, is.Tag)
		if is.Element > 0 {
			fmt.Fprintf(&b, " el=%d", is.Element)
		}
		if is.AckCode != "" {
			fmt.Fprintf(&b, " ack=%s", is.AckCode)
		}
		fmt.Fprintf(&b, " ctl=%s/%s/%s: %s\n", is.InterchangeControl, is.GroupControl, is.SetControl, is.Message)
	}
	if b.Len() == 0 {
		return "(none)\n"
	}
	return b.String()
}

// modelTree lists every segment of doc in render order as tag plus
// element structure: the "same tree" of the round-trip tests.
func modelTree(doc *Document) []string {
	var out []string
	add := func(s *Segment) {
		if s == nil {
			out = append(out, "<none>")
			return
		}
		out = append(out, fmt.Sprintf("%s %q", s.Tag, SegmentElements(s)))
	}
	tx := func(t *Transaction) {
		add(t.Header)
		for _, s := range t.Segments {
			add(s)
		}
		add(t.Trailer)
	}
	for _, ic := range doc.Interchanges {
		add(ic.Header)
		for _, it := range interchangeItems(ic) {
			switch {
			case it.group != nil:
				add(it.group.Header)
				for _, gi := range groupItems(it.group) {
					if gi.tx != nil {
						tx(gi.tx)
					} else {
						add(gi.seg)
					}
				}
				add(it.group.Trailer)
			case it.tx != nil:
				tx(it.tx)
			default:
				add(it.seg)
			}
		}
		add(ic.Trailer)
	}
	return out
}

func modelParseFile(t *testing.T, path string, opts ParseOptions) (*Document, []Issue, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, issues, err := Parse(bytes.NewReader(b), opts)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc, issues, b
}

// TestModelGolden parses every testdata/model/*.edi file and compares its
// JSON form, its tolerant-mode issues and its rendering with
// testdata/model/<name>.golden.
func TestModelGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/model/*.edi")
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	// Inputs written in canonical form render back byte for byte.
	canonical := map[string]bool{
		"x12_856.edi": true, "x12_multi.edi": true, "x12_ta1.edi": true, "x12_isb.edi": true,
		"x12_no_gs.edi": true, "x12_missing_trailers.edi": true, "x12_stray.edi": true,
		"x12_ellipsis.edi": true, "edifact_una.edi": true, "edifact_group.edi": true,
		"edifact_mixed.edi": true, "edifact_no_unb.edi": true, "edifact_syntax4.edi": true,
		"edifact_custom_una.edi": true, "edifact_latin1.edi": true, "edifact_levelb.edi": true,
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			doc, issues, input := modelParseFile(t, f, ParseOptions{})
			var out bytes.Buffer
			out.WriteString("# issues (tolerant)\n")
			out.WriteString(modelIssueLines(issues))
			out.WriteString("# json\n")
			if err := EncodeJSON(&out, doc, true); err != nil {
				t.Fatal(err)
			}
			var rendered bytes.Buffer
			if err := Render(&rendered, doc, nil, RenderOptions{Newline: true}); err != nil {
				t.Fatal(err)
			}
			out.WriteString("# render\n")
			out.Write(rendered.Bytes())
			modelGolden(t, strings.TrimSuffix(f, ".edi")+".golden", out.Bytes())

			if canonical[name] && !bytes.Equal(rendered.Bytes(), input) {
				t.Errorf("render is not byte-identical to the input:\n%s", modelDiff(string(input), rendered.String()))
			}
			// The same issues from ValidateEnvelopes and from Walk.
			if v := ValidateEnvelopes(doc, ValidateOptions{}); !reflect.DeepEqual(v, issues) {
				t.Errorf("ValidateEnvelopes differs from Parse:\n%s\nvs\n%s", modelIssueLines(v), modelIssueLines(issues))
			}
			wi, err := Walk(bytes.NewReader(input), ParseOptions{}, func(Event) error { return nil })
			if err != nil || !reflect.DeepEqual(wi, issues) {
				t.Errorf("Walk differs from Parse (err %v):\n%s\nvs\n%s", err, modelIssueLines(wi), modelIssueLines(issues))
			}
		})
	}
}

// TestModelPlacement checks where segments land in the tree.
func TestModelPlacement(t *testing.T) {
	t.Run("x12 multi", func(t *testing.T) {
		doc, _, _ := modelParseFile(t, "testdata/model/x12_multi.edi", ParseOptions{})
		if doc.Format != FormatX12 || len(doc.Interchanges) != 2 {
			t.Fatalf("format %v, %d interchanges", doc.Format, len(doc.Interchanges))
		}
		ic := doc.Interchanges[0]
		if ic.Control() != "000000007" || len(ic.Groups) != 2 || ic.Trailer == nil {
			t.Fatalf("interchange 1: control %q, %d groups", ic.Control(), len(ic.Groups))
		}
		g := ic.Groups[0]
		if g.Control() != "70" || len(g.Transactions) != 2 || g.Transactions[1].Control() != "0002" || g.Transactions[0].SetID() != "214" {
			t.Fatalf("group 1: %q %d", g.Control(), len(g.Transactions))
		}
		tx := g.Transactions[0]
		if len(tx.Segments) != 3 || tx.Segments[0].Tag != "B10" || tx.Trailer.Tag != "SE" {
			t.Fatalf("transaction body %v", modelTree(&Document{Interchanges: []*Interchange{{Groups: []*Group{{Transactions: []*Transaction{tx}}}}}}))
		}
		if all := tx.AllSegments(); len(all) != 5 || all[0] != tx.Header || all[4] != tx.Trailer {
			t.Fatalf("AllSegments: %d", len(all))
		}
		// Positions and offsets are kept.
		b10 := tx.Segments[0]
		if b10.Pos != 4 || b10.Offset <= 0 {
			t.Fatalf("B10 pos %d offset %d", b10.Pos, b10.Offset)
		}
	})
	t.Run("ta1 only", func(t *testing.T) {
		doc, _, _ := modelParseFile(t, "testdata/model/x12_ta1.edi", ParseOptions{Strict: true})
		ic := doc.Interchanges[0]
		if len(ic.TA1) != 1 || len(ic.Groups) != 0 || len(ic.Other) != 0 {
			t.Fatalf("TA1 %d groups %d other %d", len(ic.TA1), len(ic.Groups), len(ic.Other))
		}
	})
	t.Run("isb/ise", func(t *testing.T) {
		doc, issues, _ := modelParseFile(t, "testdata/model/x12_isb.edi", ParseOptions{Strict: true})
		ic := doc.Interchanges[0]
		if len(ic.Other) != 2 || ic.Other[0].Tag != "ISB" || ic.Other[1].Tag != "ISE" || len(issues) != 0 {
			t.Fatalf("other %v issues %v", ic.Other, issues)
		}
	})
	t.Run("st without gs", func(t *testing.T) {
		doc, _, _ := modelParseFile(t, "testdata/model/x12_no_gs.edi", ParseOptions{})
		ic := doc.Interchanges[0]
		if len(ic.Groups) != 1 || ic.Groups[0].Header != nil || len(ic.Groups[0].Transactions) != 1 {
			t.Fatalf("want one implicit group, got %d", len(ic.Groups))
		}
	})
	t.Run("edifact mixed", func(t *testing.T) {
		doc, _, _ := modelParseFile(t, "testdata/model/edifact_mixed.edi", ParseOptions{})
		ic := doc.Interchanges[0]
		if doc.Format != FormatEDIFACT || len(ic.Groups) != 1 || len(ic.Messages) != 1 || !ic.UNA {
			t.Fatalf("groups %d messages %d una %v", len(ic.Groups), len(ic.Messages), ic.UNA)
		}
		if m := ic.Messages[0]; m.Control() != "M2" || m.SetID() != "INVOIC" {
			t.Fatalf("message %q %q", m.Control(), m.SetID())
		}
	})
	t.Run("edifact without unb", func(t *testing.T) {
		doc, _, _ := modelParseFile(t, "testdata/model/edifact_no_unb.edi", ParseOptions{})
		ic := doc.Interchanges[0]
		if ic.Header != nil || len(ic.Messages) != 1 || ic.Trailer != nil || ic.UNA {
			t.Fatalf("implicit interchange: header %v messages %d", ic.Header, len(ic.Messages))
		}
	})
	t.Run("una detection", func(t *testing.T) {
		for file, want := range map[string]bool{
			"edifact_una.edi": true, "edifact_no_unb.edi": false, "edifact_levelb.edi": false,
			"edifact_custom_una.edi": true, "edifact_latin1.edi": true,
		} {
			doc, _, _ := modelParseFile(t, "testdata/model/"+file, ParseOptions{})
			if got := doc.Interchanges[0].UNA; got != want {
				t.Errorf("%s: UNA %v, want %v", file, got, want)
			}
		}
		// UNA text inside data is not a UNA.
		in := "UNB+UNOA:3+S+R+240102:0304+1'UNH+1+X:D:96A:UN'FTX+UNA:+.? '" + "UNT+3+1'UNZ+1+1'UNB+UNOA:3+S+R+240102:0304+2'UNZ+0+2'"
		doc, _, err := Parse(strings.NewReader(in), ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i, ic := range doc.Interchanges {
			if ic.UNA {
				t.Errorf("interchange %d: UNA detected in data", i+1)
			}
		}
	})
	t.Run("multi-byte terminator", func(t *testing.T) {
		doc, _, _ := modelParseFile(t, "testdata/model/x12_ellipsis.edi", ParseOptions{})
		if ic := doc.Interchanges[0]; ic.Terminator != "\u2026" {
			t.Fatalf("terminator %q", ic.Terminator)
		}
	})
}

// TestModelSyntaxError: a tokenizer error is returned wrapped, with the
// tree read so far.
func TestModelSyntaxError(t *testing.T) {
	doc, _, err := Parse(strings.NewReader("hello, world"), ParseOptions{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Code != CodeNotEDI {
		t.Fatalf("err %v", err)
	}
	if doc == nil || len(doc.Interchanges) != 0 {
		t.Fatalf("doc %+v", doc)
	}
	_, err = Walk(strings.NewReader("hello, world"), ParseOptions{}, func(Event) error { return nil })
	if !errors.As(err, &se) {
		t.Fatalf("walk err %v", err)
	}
	// Segment too long after a good interchange: the first one is kept.
	in := "UNB+UNOA:3+S+R+240102:0304+1'UNZ+0+1'UNB+UNOA:3+S+R+240102:0304+2'FTX+" + strings.Repeat("x", 200) + "'"
	doc, _, err = Parse(strings.NewReader(in), ParseOptions{Reader: ReaderOptions{MaxSegmentBytes: 100}})
	if !errors.As(err, &se) || se.Code != CodeSegmentTooLong {
		t.Fatalf("err %v", err)
	}
	if len(doc.Interchanges) != 2 || doc.Interchanges[0].Trailer == nil {
		t.Fatalf("partial doc: %d interchanges", len(doc.Interchanges))
	}
}

// TestModelWalkEvents checks the event sequence and that Walk keeps no
// tree.
func TestModelWalkEvents(t *testing.T) {
	b, err := os.ReadFile("testdata/model/x12_multi.edi")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	issues, err := Walk(bytes.NewReader(b), ParseOptions{}, func(ev Event) error {
		s := ev.Kind.String()
		switch ev.Kind {
		case EventTransaction:
			s += " " + ev.Transaction.SetID() + "/" + ev.Transaction.Control() + " in " + ev.Group.Control()
			if len(ev.Transaction.Segments) == 0 || ev.Transaction.Trailer == nil {
				t.Errorf("transaction without body or trailer")
			}
		case EventGroupEnd:
			s += fmt.Sprintf(" %s count=%d", ev.Group.Control(), ev.Count)
			if len(ev.Group.Transactions) != 0 {
				t.Errorf("Walk kept transactions")
			}
		case EventInterchangeEnd:
			s += fmt.Sprintf(" %s count=%d", ev.Interchange.Control(), ev.Count)
			if len(ev.Interchange.Groups) != 0 {
				t.Errorf("Walk kept groups")
			}
		}
		if ev.Format != FormatX12 {
			t.Errorf("event format %v", ev.Format)
		}
		got = append(got, s)
		return nil
	})
	if err != nil || len(issues) != 0 {
		t.Fatalf("err %v issues %v", err, issues)
	}
	want := []string{
		"interchange_start",
		"group_start", "transaction 214/0001 in 70", "transaction 214/0002 in 70", "group_end 70 count=2",
		"group_start", "transaction 204/0001 in 71", "group_end 71 count=1",
		"interchange_end 000000007 count=2",
		"interchange_start",
		"group_start", "transaction 997/0001 in 80", "group_end 80 count=1",
		"interchange_end 000000008 count=1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// ErrStop stops quietly; another error is returned as is.
	n := 0
	if _, err := Walk(bytes.NewReader(b), ParseOptions{}, func(ev Event) error {
		n++
		if ev.Kind == EventTransaction {
			return ErrStop
		}
		return nil
	}); err != nil || n != 3 {
		t.Fatalf("ErrStop: err %v after %d events", err, n)
	}
	boom := errors.New("boom")
	if _, err := Walk(bytes.NewReader(b), ParseOptions{}, func(Event) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("callback error: %v", err)
	}
}

// TestModelWalkIssuesPerEvent: issues come with the event that found them.
func TestModelWalkIssuesPerEvent(t *testing.T) {
	b, err := os.ReadFile("testdata/model/x12_missing_trailers.edi")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	_, err = Walk(bytes.NewReader(b), ParseOptions{Strict: true}, func(ev Event) error {
		for _, is := range ev.Issues {
			got = append(got, ev.Kind.String()+" "+is.Code+" "+is.Tag)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"transaction envelope.missing_trailer ST",
		"group_end envelope.missing_trailer GS",
		"interchange_end envelope.missing_trailer ISA",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

// TestModelWalkBoundedMemory walks a large generated interchange and
// checks that the heap does not grow with the input.
func TestModelWalkBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const sets = 200000 // ~ 40 MB of X12
	r := &modelGenX12{sets: sets}
	var peak uint64
	n := 0
	issues, err := Walk(r, ParseOptions{Strict: true}, func(ev Event) error {
		if ev.Kind == EventTransaction {
			n++
			if n%50000 == 0 {
				if h := modelHeap(); h > peak {
					peak = h
				}
			}
		}
		return nil
	})
	if err != nil || len(issues) != 0 {
		t.Fatalf("err %v, %d issues: %v", err, len(issues), issues[:min(3, len(issues))])
	}
	if n != sets {
		t.Fatalf("%d transactions, want %d", n, sets)
	}
	if peak > 64<<20 {
		t.Fatalf("heap peaked at %d MB walking %d MB", peak>>20, r.off>>20)
	}
	t.Logf("walked %d MB, heap peak %d MB", r.off>>20, peak>>20)
}

// modelGenX12 generates one interchange of many 856 sets on the fly.
type modelGenX12 struct {
	sets, i int
	buf     []byte
	state   int
	off     int64
}

func (g *modelGenX12) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.state == 0:
			g.buf = []byte("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*0304*U*00401*000000001*0*P*>~\nGS*SH*S*R*20240102*0304*1*X*004010~\n")
			g.state = 1
		case g.state == 1 && g.i < g.sets:
			g.i++
			g.buf = fmt.Appendf(nil, "ST*856*%04d~\nBSN*00*SHIP%d*20240102*0304~\nHL*1**S~\nTD1*CTN25*2~\nREF*BM*BOL%d~\nHL*2*1*O~\nPRF*PO%d~\nCTT*2~\nSE*9*%04d~\n", g.i, g.i, g.i, g.i, g.i)
		case g.state == 1:
			g.buf = fmt.Appendf(nil, "GE*%d*1~\nIEA*1*000000001~\n", g.sets)
			g.state = 2
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	g.off += int64(n)
	return n, nil
}

// modelHeap returns the live heap after a collection.
func modelHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestModelOptions: MaxIssues caps the collected issues (Walk still sees
// them all); SkipEnvelope turns the checks off.
func TestModelOptions(t *testing.T) {
	b := mustRead(t, "testdata/envelope/x12_counts.edi")
	_, all, _ := Parse(bytes.NewReader(b), ParseOptions{})
	if len(all) != 7 {
		t.Fatalf("%d issues", len(all))
	}
	_, capped, _ := Parse(bytes.NewReader(b), ParseOptions{MaxIssues: 2})
	if !reflect.DeepEqual(capped, all[:2]) {
		t.Fatalf("capped: %v", capped)
	}
	seen := 0
	got, err := Walk(bytes.NewReader(b), ParseOptions{MaxIssues: 2}, func(ev Event) error {
		seen += len(ev.Issues)
		return nil
	})
	if err != nil || len(got) != 2 || seen != 7 {
		t.Fatalf("walk: err %v, %d returned, %d seen", err, len(got), seen)
	}
	doc, none, err := Parse(bytes.NewReader(b), ParseOptions{SkipEnvelope: true})
	if err != nil || len(none) != 0 || len(doc.Interchanges[0].Groups) != 2 {
		t.Fatalf("skip: err %v issues %v", err, none)
	}
}
