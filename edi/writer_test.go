package edi

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var writerNow = func() time.Time { return time.Date(2024, 3, 7, 9, 5, 0, 0, time.UTC) }

// writerCheck parses written output and asserts strict envelope validity.
func writerCheck(t *testing.T, out []byte) *Document {
	t.Helper()
	doc, issues, err := Parse(bytes.NewReader(out), ParseOptions{Strict: true})
	if err != nil {
		t.Fatalf("written output does not parse: %v\n%s", err, out)
	}
	if len(issues) != 0 {
		t.Fatalf("written output has envelope issues:\n%s%s", modelIssueLines(issues), out)
	}
	return doc
}

func writerBody856() [][]string {
	return [][]string{
		{"BSN", "00", "SHIP1", "20240307", "0905", "0001"},
		{"HL", "1", "", "S"},
		{"TD5", "", "2", "SCAC"},
		{"REF", "BM", JoinRepetitions("BOL1", "BOL2")},
		{"HL", "2", "1", "O"},
		{"LIN", "", "UP", "012345678905", "VN", JoinComponents("ABC", "1")},
		{"CTT", "2"},
	}
}

// TestWriterX12 writes two interchanges with several groups and checks
// the bytes, strict validity and control-number sequencing.
func TestWriterX12(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	ctl := NewMemoryControlNumbers()
	w, err := NewWriter(&out, WriterOptions{
		Sender: Party{Qualifier: "ZZ", ID: "FLOWCTL"}, Receiver: Party{Qualifier: "02", ID: "SCAC"},
		Version: "00501", Newline: true, Test: true, Controls: ctl, Now: writerNow,
		Implementation: map[string]string{"999": "005010X231A1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// First interchange: automatic groups, SH then QM then SH again.
	if c, err := w.WriteTransaction(ctx, "856", writerBody856()); err != nil || c != "0001" {
		t.Fatalf("control %q err %v", c, err)
	}
	if c, err := w.WriteTransaction(ctx, "856", writerBody856()[:1]); err != nil || c != "0002" {
		t.Fatalf("control %q err %v", c, err)
	}
	if _, err := w.WriteTransaction(ctx, "214", [][]string{{"B10", "PRO1", "SHIP1", "SCAC"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.EndInterchange(); err != nil {
		t.Fatal(err)
	}
	// Second interchange: explicit group with a 999.
	if c, err := w.BeginInterchange(ctx); err != nil || c != "000000002" {
		t.Fatalf("ISA13 %q err %v", c, err)
	}
	if err := w.BeginGroup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTransaction(ctx, "999", [][]string{{"AK1", "SH", "1", "005010"}, {"AK9", "A", "1", "1", "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := w.WriteTransaction(ctx, "856", nil); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("write after close: %v", err)
	}
	modelGolden(t, "testdata/envelope/writer_x12.golden", out.Bytes())
	doc := writerCheck(t, out.Bytes())

	if len(doc.Interchanges) != 2 {
		t.Fatalf("%d interchanges", len(doc.Interchanges))
	}
	ic := doc.Interchanges[0]
	if ic.Control() != "000000001" || doc.Interchanges[1].Control() != "000000002" {
		t.Fatalf("ISA13 %q, %q", ic.Control(), doc.Interchanges[1].Control())
	}
	var fids, gctl []string
	for _, x := range doc.Interchanges {
		for _, g := range x.Groups {
			fids = append(fids, g.Header.Value(1))
			gctl = append(gctl, g.Control())
		}
	}
	if strings.Join(fids, ",") != "SH,QM,FA" || strings.Join(gctl, ",") != "1,2,3" {
		t.Fatalf("groups %v controls %v", fids, gctl)
	}
	// ISA: fixed width, 00501 repetition separator, test indicator.
	isa := ic.Header
	for i, w := range isaWidths {
		if len(isa.Elements[i]) != w {
			t.Errorf("ISA%02d %q is not %d wide", i+1, isa.Elements[i], w)
		}
	}
	if isa.Value(6) != "FLOWCTL        " || isa.Value(7) != "02" || isa.Value(9) != "240307" || isa.Value(10) != "0905" ||
		isa.Value(11) != "^" || isa.Value(15) != "T" || isa.Value(16) != ">" {
		t.Fatalf("ISA %q", SegmentElements(isa))
	}
	gs := ic.Groups[0].Header
	if gs.Value(4) != "20240307" || gs.Value(8) != "005010" {
		t.Fatalf("GS %q", SegmentElements(gs))
	}
	// Repetitions and components went through.
	ref := ic.Groups[0].Transactions[0].Segments[3]
	if got := ref.Repetitions(2); len(got) != 2 || got[1][0] != "BOL2" {
		t.Fatalf("REF02 %q", got)
	}
	if st := doc.Interchanges[1].Groups[0].Transactions[0].Header; st.Value(3) != "005010X231A1" {
		t.Fatalf("ST03 %q", st.Value(3))
	}
	if ctl.Last("isa:FLOWCTL:SCAC") != 2 || ctl.Last("gs:FLOWCTL:SCAC") != 3 {
		t.Fatalf("sequences: isa %d gs %d", ctl.Last("isa:FLOWCTL:SCAC"), ctl.Last("gs:FLOWCTL:SCAC"))
	}
}

// TestWriterSequencing: control numbers continue across writers sharing
// a sequence, are zero-padded, and wrap within 9 digits.
func TestWriterSequencing(t *testing.T) {
	ctx := context.Background()
	ctl := NewMemoryControlNumbers()
	opts := WriterOptions{Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}, Controls: ctl, Now: writerNow}
	var got []string
	for i := 0; i < 3; i++ {
		var out bytes.Buffer
		w, err := NewWriter(&out, opts)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 2; j++ {
			if _, err := w.WriteTransaction(ctx, "214", [][]string{{"B10", "P", "S", "C"}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		doc := writerCheck(t, out.Bytes())
		g := doc.Interchanges[0].Groups[0]
		got = append(got, doc.Interchanges[0].Control()+"/"+g.Control()+"/"+g.Transactions[0].Control()+","+g.Transactions[1].Control())
	}
	want := []string{"000000001/1/0001,0002", "000000002/2/0001,0002", "000000003/3/0001,0002"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Wrap: after 999999999 comes 1.
	ctl.Set("isa:S:R", 999999999)
	var out bytes.Buffer
	w, _ := NewWriter(&out, opts)
	if c, err := w.BeginInterchange(ctx); err != nil || c != "000000001" {
		t.Fatalf("wrapped control %q err %v", c, err)
	}
	// A failing sequence is reported.
	boom := errors.New("counter down")
	w, _ = NewWriter(&bytes.Buffer{}, WriterOptions{Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}, Controls: writerFailing{boom}})
	if _, err := w.WriteTransaction(ctx, "214", nil); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	// A cancelled context stops the in-memory sequence.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ctl.Next(cctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

type writerFailing struct{ err error }

func (f writerFailing) Next(context.Context, string) (int64, error) { return 0, f.err }

// TestWriterEDIFACT writes EDIFACT interchanges with and without groups.
func TestWriterEDIFACT(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	w, err := NewWriter(&out, WriterOptions{
		Format: FormatEDIFACT, Sender: Party{ID: "4000001000001", Qualifier: "14"}, Receiver: Party{ID: "CARRIER"},
		Newline: true, Now: writerNow, Test: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	body := [][]string{
		{"BGM", "23", "ST+1", "9"},
		{"DTM", JoinComponents("137", "202403070905", "203")},
		{"FTX", "AAI", "", "", "Price 10:30 net? ok's"},
	}
	if c, err := w.WriteTransaction(ctx, "IFTSTA:D:00B:UN", body); err != nil || c != "1" {
		t.Fatalf("control %q err %v", c, err)
	}
	if c, err := w.WriteTransaction(ctx, "IFTSTA", body[:1]); err != nil || c != "2" {
		t.Fatalf("control %q err %v", c, err)
	}
	if err := w.BeginGroup(ctx, "X"); err == nil {
		t.Fatal("UNG without WriterOptions.Groups accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Syntax 4 with groups and other delimiters (UNA written).
	w, err = NewWriter(&out, WriterOptions{
		Format: FormatEDIFACT, Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}, SyntaxID: "UNOC", SyntaxVersion: "4",
		Groups: true, Newline: true, Now: writerNow, MessageVersion: "D:01B:UN:EAN007",
		Delimiters: &Delimiters{Segment: '~', Element: '|', Component: '^', Release: '\\', Repetition: '*'},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTransaction(ctx, "DESADV", [][]string{{"BGM", "351", "ASN|1", "9"}, {"COM", JoinRepetitions(JoinComponents("0301", "TE"), JoinComponents("a*b@x", "EM"))}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	modelGolden(t, "testdata/envelope/writer_edifact.golden", out.Bytes())
	doc := writerCheck(t, out.Bytes())
	if len(doc.Interchanges) != 2 {
		t.Fatalf("%d interchanges", len(doc.Interchanges))
	}
	a, b := doc.Interchanges[0], doc.Interchanges[1]
	if a.UNA || !b.UNA || len(a.Messages) != 2 || len(b.Groups) != 1 {
		t.Fatalf("UNA %v/%v messages %d groups %d", a.UNA, b.UNA, len(a.Messages), len(b.Groups))
	}
	if got := a.Messages[0].Segments[2].Value(4); got != "Price 10:30 net? ok's" {
		t.Fatalf("FTX04 %q", got)
	}
	if h := a.Header; h.Value(11) != "1" || strings.Join(h.Components(2), ":") != "4000001000001:14" || strings.Join(h.Components(4), ":") != "240307:0905" {
		t.Fatalf("UNB %q", SegmentElements(h))
	}
	if h := b.Header; strings.Join(h.Components(4), ":") != "20240307:0905" {
		t.Fatalf("syntax 4 date %q", h.Components(4))
	}
	if m := b.Groups[0].Transactions[0]; strings.Join(m.Header.Components(2), ":") != "DESADV:D:01B:UN:EAN007" || m.Segments[1].Repetitions(1)[1][0] != "a*b@x" {
		t.Fatalf("message %q", SegmentElements(m.Header))
	}
}

// TestWriterErrors: invalid options and inputs are refused.
func TestWriterErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := NewWriter(&bytes.Buffer{}, WriterOptions{}); err == nil {
		t.Fatal("no sender accepted")
	}
	if _, err := NewWriter(&bytes.Buffer{}, WriterOptions{Sender: Party{ID: "1234567890123456"}, Receiver: Party{ID: "R"}}); err == nil {
		t.Fatal("16-character ISA06 accepted")
	}
	if _, err := NewWriter(&bytes.Buffer{}, WriterOptions{Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}, Delimiters: &Delimiters{Segment: '~', Element: '~'}}); err == nil {
		t.Fatal("duplicate delimiters accepted")
	}
	w, err := NewWriter(&bytes.Buffer{}, WriterOptions{Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		set  string
		segs [][]string
		want string
	}{
		"unknown set":  {"123", nil, "functional identifier"},
		"envelope tag": {"856", [][]string{{"SE", "1", "1"}}, "envelope segment"},
		"no tag":       {"856", [][]string{{}}, "no tag"},
		"delimiter":    {"856", [][]string{{"REF", "BM", "A~B"}}, "segment terminator"},
		"empty set":    {"", nil, "empty transaction set id"},
	} {
		if _, err := w.WriteTransaction(ctx, c.set, c.segs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
	}
	// An explicit functional id table entry makes an unknown set writable.
	var out bytes.Buffer
	w, _ = NewWriter(&out, WriterOptions{Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}, FunctionalIDs: map[string]string{"123": "ZZ"}, Now: writerNow})
	if _, err := w.WriteTransaction(ctx, "123", [][]string{{"X1", "a"}}); err != nil {
		t.Fatal(err)
	}
	// An empty explicit group writes nothing.
	if err := w.BeginGroup(ctx, "SH"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	doc := writerCheck(t, out.Bytes())
	if g := doc.Interchanges[0].Groups; len(g) != 1 || g[0].Header.Value(1) != "ZZ" {
		t.Fatalf("groups %d", len(g))
	}
	// Old versions: 00401 has no repetition separator and writes U; GS04
	// before 004010 has a 6-digit date.
	out.Reset()
	w, _ = NewWriter(&out, WriterOptions{Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}, Version: "00300", Now: writerNow})
	if _, err := w.WriteTransaction(ctx, "856", writerBody856()[:1]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	doc = writerCheck(t, out.Bytes())
	if isa, gs := doc.Interchanges[0].Header, doc.Interchanges[0].Groups[0].Header; isa.Value(11) != "U" || gs.Value(4) != "240307" || gs.Value(8) != "003000" {
		t.Fatalf("ISA11 %q GS04 %q GS08 %q", isa.Value(11), gs.Value(4), gs.Value(8))
	}
	if _, err := w.WriteTransaction(ctx, "856", writerBody856()); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := NewWriter(&out, WriterOptions{Sender: Party{ID: "S"}, Receiver: Party{ID: "R"}, Version: "4010"}); err == nil {
		t.Fatal("4-character ISA12 accepted")
	}
}
