package edi

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// -update-ack rewrites the expected acknowledgements in testdata/ack.
var updateAck = flag.Bool("update-ack", false, "rewrite testdata/ack/*.{997,999,ta1,contrl} from the generated acknowledgements")

func ackNow() time.Time { return time.Date(2024, 5, 2, 8, 30, 0, 0, time.UTC) }

// readDoc parses a file with strict envelope checks and no structure.
func readDoc(t *testing.T, path string, strict bool) (*Document, []Issue) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Validate(f, ReportOptions{Strict: strict, SkipStructure: true})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rep.Document, rep.Issues
}

func parseString(t *testing.T, s string) *Document {
	t.Helper()
	doc, _, err := Parse(strings.NewReader(s), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func renderDoc(t *testing.T, doc *Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, doc, nil, RenderOptions{Newline: true}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// segmentsOf returns the rendered segments with the given tags, one per
// line, for focused comparisons.
func segmentsOf(rendered string, tags ...string) string {
	var out []string
	for _, line := range strings.Split(rendered, "\n") {
		for _, tag := range tags {
			if strings.HasPrefix(line, tag+"*") || strings.HasPrefix(line, tag+"+") || line == tag+"~" || line == tag+"'" {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

func TestAckGolden(t *testing.T) {
	for _, tc := range []struct {
		in, ext string
		typ     AckType
		strict  bool
		opts    AckOptions
	}{
		{"tender.edi", "997", AckType997, true, AckOptions{}},
		{"tender.edi", "999", AckType999, true, AckOptions{}},
		{"tender.edi", "ta1", AckTypeTA1, true, AckOptions{}},
		{"tender.edi", "tolerant.997", AckType997, false, AckOptions{}},
		{"status.edi", "contrl", AckTypeCONTRL, true, AckOptions{}},
		{"status.edi", "tolerant.contrl", AckTypeCONTRL, false, AckOptions{}},
	} {
		t.Run(tc.in+"."+tc.ext, func(t *testing.T) {
			doc, issues := readDoc(t, filepath.Join("testdata", "ack", tc.in), tc.strict)
			opts := tc.opts
			opts.Now = ackNow
			ack, err := Acknowledge(context.Background(), doc, issues, tc.typ, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := renderDoc(t, ack)
			want := filepath.Join("testdata", "ack", strings.TrimSuffix(tc.in, filepath.Ext(tc.in))+"."+tc.ext)
			if *updateAck {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			w, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test -run TestAckGolden -update-ack)", err)
			}
			if got != string(w) {
				t.Errorf("%s differs:\n--- got\n%s--- want\n%s", want, got, w)
			}
			// The acknowledgement is itself valid EDI with correct envelopes.
			back, issues2, err := Parse(strings.NewReader(got), ParseOptions{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, is := range issues2 {
				t.Errorf("generated acknowledgement: %s: %s", is.Code, is.Message)
			}
			if _, err := ParseAck(back); err != nil {
				t.Errorf("ParseAck of the generated acknowledgement: %v", err)
			}
		})
	}
}

func TestAck997Envelope(t *testing.T) {
	doc, issues := readDoc(t, "testdata/ack/tender.edi", true)
	ack, err := Ack997(doc, issues, AckOptions{Now: ackNow, FirstControl: 42})
	if err != nil {
		t.Fatal(err)
	}
	ic := ack.Interchanges[0]
	isa := ic.Header
	// Addressed back: sender and receiver swapped.
	if got := strings.TrimSpace(isa.Value(6)); got != "CARRIER" {
		t.Errorf("ISA06 = %q, want CARRIER", got)
	}
	if got := strings.TrimSpace(isa.Value(8)); got != "SHIPPER" {
		t.Errorf("ISA08 = %q, want SHIPPER", got)
	}
	if isa.Value(13) != "000000042" || ic.Trailer.Value(2) != "000000042" {
		t.Errorf("ISA13/IEA02 = %q/%q, want 000000042", isa.Value(13), ic.Trailer.Value(2))
	}
	if isa.Value(14) != "0" || isa.Value(15) != "T" || isa.Value(12) != "00501" || isa.Value(11) != "^" {
		t.Errorf("ISA11/12/14/15 = %q %q %q %q", isa.Value(11), isa.Value(12), isa.Value(14), isa.Value(15))
	}
	gs := ic.Groups[0].Header
	if gs.Value(1) != "FA" || gs.Value(2) != "CARRIERAPP" || gs.Value(3) != "SHIPPERAPP" || gs.Value(6) != "42" || gs.Value(8) != "004010" {
		t.Errorf("GS = %v", SegmentElements(gs))
	}
	if gs.Value(4) != "20240502" || gs.Value(5) != "0830" || isa.Value(9) != "240502" || isa.Value(10) != "0830" {
		t.Errorf("dates: ISA %s %s GS %s %s", isa.Value(9), isa.Value(10), gs.Value(4), gs.Value(5))
	}
	got := segmentsOf(renderDoc(t, ack), "AK1", "AK2", "AK3", "AK4", "AK5", "AK9")
	want := strings.Join([]string{
		"AK1*SM*501~",
		"AK2*204*0001~",
		"AK5*A~",
		"AK2*204*0002~",
		"AK5*R*4~",
		"AK9*P*2*2*1~",
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAckControlNumbers(t *testing.T) {
	doc, issues := readDoc(t, "testdata/ack/tender.edi", true)
	cn := NewMemoryControlNumbers()
	cn.Set("isa:CARRIER:SHIPPER", 700)
	cn.Set("gs:CARRIERAPP:SHIPPERAPP", 9)
	for i, want := range []string{"000000701", "000000702"} {
		ack, err := Ack997(doc, issues, AckOptions{Now: ackNow, Controls: cn})
		if err != nil {
			t.Fatal(err)
		}
		if got := ack.Interchanges[0].Control(); got != want {
			t.Errorf("ack %d: ISA13 %q, want %q", i, got, want)
		}
		if got, want := ack.Interchanges[0].Groups[0].Control(), []string{"10", "11"}[i]; got != want {
			t.Errorf("ack %d: GS06 %q, want %q", i, got, want)
		}
	}
}

// Segment and element findings become AK3/AK4 (IK3/IK4) with the
// position in the set, the element reference from the definitions and
// the bad value.
func TestAckSegmentAndElementErrors(t *testing.T) {
	doc, _ := readDoc(t, "testdata/ack/tender.edi", true)
	tx := doc.Interchanges[0].Groups[0].Transactions[0]
	seg := func(tag string) *Segment {
		for _, s := range tx.AllSegments() {
			if s.Tag == tag {
				return s
			}
		}
		t.Fatalf("no %s", tag)
		return nil
	}
	b2a, s5, se := seg("B2A"), seg("S5"), seg("SE")
	issues := []Issue{
		{Severity: SeverityError, Code: CodeElementBadCode, SegmentPos: b2a.Pos, Offset: b2a.Offset, Tag: "B2A", Element: 1, AckCode: "7"},
		{Severity: SeverityError, Code: CodeElementMissing, SegmentPos: s5.Pos, Offset: s5.Offset, Tag: "S5", Element: 3, AckCode: "1"},
		{Severity: SeverityError, Code: CodeElementTooLong, SegmentPos: s5.Pos, Offset: s5.Offset, Tag: "S5", Element: 2, AckCode: "5"},
		{Severity: SeverityError, Code: CodeMissingSegment, SegmentPos: se.Pos, Offset: se.Offset, Tag: "G62", AckCode: "3"},
		{Severity: SeverityError, Code: CodeUnexpectedSegment, SegmentPos: seg("L3").Pos, Tag: "L3", AckCode: "2"},
		// not reported: no definition is no finding of the sender's
		{Severity: SeverityWarning, Code: CodeUnknownSet, SegmentPos: tx.Header.Pos, Tag: "ST", AckCode: "1"},
	}
	ack, err := Ack997(doc, issues, AckOptions{Now: ackNow})
	if err != nil {
		t.Fatal(err)
	}
	got := segmentsOf(renderDoc(t, ack), "AK2", "AK3", "AK4", "AK5", "AK9")
	want := strings.Join([]string{
		"AK2*204*0001~",
		"AK3*B2A*3**8~",
		"AK4*1*353*7*00~",
		"AK3*S5*4**8~",
		"AK4*3*81*1~",
		"AK4*2*163*5*LD~",
		"AK3*L3*6**2~",
		"AK3*G62*7**3~",
		"AK5*R*5~",
		"AK2*204*0002~",
		"AK5*A~",
		"AK9*P*2*2*1~",
	}, "\n")
	// AK402 (353, 81, 163) comes from the builtin dictionary.
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	ack9, err := Ack999(doc, issues, AckOptions{Now: ackNow})
	if err != nil {
		t.Fatal(err)
	}
	r := renderDoc(t, ack9)
	got = segmentsOf(r, "ST", "AK1", "AK2", "IK3", "IK4", "IK5")
	want = strings.Join([]string{
		"ST*999*0001*005010X231A1~",
		"AK1*SM*501*004010~",
		"AK2*204*0001~",
		"IK3*B2A*3**8~",
		"IK4*1*353*7*00~",
		"IK3*S5*4**8~",
		"IK4*3*81*1~",
		"IK4*2*163*5*LD~",
		"IK3*L3*6**2~",
		"IK3*G62*7**3~",
		"IK5*R*5~",
		"AK2*204*0002~",
		"IK5*A~",
	}, "\n")
	if got != want {
		t.Errorf("999: got\n%s\nwant\n%s", got, want)
	}
}

func TestAckTolerantWarnings(t *testing.T) {
	doc, issues := readDoc(t, "testdata/ack/tender.edi", false)
	ack, err := Ack997(doc, issues, AckOptions{Now: ackNow})
	if err != nil {
		t.Fatal(err)
	}
	got := segmentsOf(renderDoc(t, ack), "AK5", "AK9")
	want := "AK5*A~\nAK5*E*4~\nAK9*E*2*2*2~"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	ack, err = Ack997(doc, issues, AckOptions{Now: ackNow, ErrorsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got = segmentsOf(renderDoc(t, ack), "AK2", "AK5", "AK9")
	want = "AK2*204*0002~\nAK5*E*4~\nAK9*E*2*2*2~"
	if got != want {
		t.Errorf("errors only: got\n%s\nwant\n%s", got, want)
	}
}

func TestAckTA1(t *testing.T) {
	in := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *240501*1200*U*00401*000000007*1*P*:~" +
		"GS*IN*A*B*20240501*1200*1*X*004010~ST*810*0001~BIG*20240501*INV1~SE*3*0001~GE*1*1~IEA*2*000000008~"
	rep, err := Validate(strings.NewReader(in), ReportOptions{Strict: true, SkipStructure: true})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := AckTA1(rep.Document, rep.Issues, AckOptions{Now: ackNow})
	if err != nil {
		t.Fatal(err)
	}
	got := renderDoc(t, ack)
	want := "ISA*00*          *00*          *ZZ*B              *ZZ*A              *240502*0830*U*00401*000000001*0*P*:~\n" +
		"TA1*000000007*240501*1200*R*021~\n" +
		"IEA*0*000000001~\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A 997 with TA1 requested carries both.
	ack, err = Ack997(rep.Document, rep.Issues, AckOptions{Now: ackNow, TA1: true})
	if err != nil {
		t.Fatal(err)
	}
	got = segmentsOf(renderDoc(t, ack), "TA1", "AK5", "AK9")
	if want := "TA1*000000007*240501*1200*R*021~\nAK5*A~\nAK9*A*1*1*1~"; got != want {
		t.Errorf("997+TA1: got\n%s\nwant\n%s", got, want)
	}
	// A clean interchange: accepted, no error.
	clean := strings.Replace(in, "IEA*2*000000008", "IEA*1*000000007", 1)
	rep, err = Validate(strings.NewReader(clean), ReportOptions{Strict: true, SkipStructure: true})
	if err != nil {
		t.Fatal(err)
	}
	ack, err = AckTA1(rep.Document, rep.Issues, AckOptions{Now: ackNow})
	if err != nil {
		t.Fatal(err)
	}
	if got := segmentsOf(renderDoc(t, ack), "TA1"); got != "TA1*000000007*240501*1200*A*000~" {
		t.Errorf("clean TA1: %s", got)
	}
}

func TestAckCONTRLSegmentErrors(t *testing.T) {
	doc, issues := readDoc(t, "testdata/ack/status.edi", true)
	m1 := doc.Interchanges[0].Messages[0]
	bgm := m1.Segments[0]
	issues = append(issues,
		Issue{Severity: SeverityError, Code: CodeElementBadCode, SegmentPos: bgm.Pos, Tag: "BGM", Element: 1, AckCode: "12"},
		Issue{Severity: SeverityError, Code: CodeElementTooLong, SegmentPos: bgm.Pos, Tag: "BGM", Element: 2, Component: 1, AckCode: "39"},
		Issue{Severity: SeverityError, Code: CodeMissingSegment, SegmentPos: m1.Trailer.Pos, Tag: "DTM", AckCode: "13"},
	)
	ack, err := AckCONTRL(doc, issues, AckOptions{Now: ackNow})
	if err != nil {
		t.Fatal(err)
	}
	got := renderDoc(t, ack)
	want := strings.Join([]string{
		"UNA:+.? '",
		"UNB+UNOC:3+CARRIER:ZZZ+SHIPPER:ZZZ+240502:0830+1'",
		"UNH+1+CONTRL:D:3:UN'",
		"UCI+REF42+SHIPPER:ZZZ+CARRIER:ZZZ+7'",
		"UCM+M1+IFTSTA:D:01B:UN+4'",
		"UCS+2'",
		"UCD+12+1'",
		"UCD+39+2:1'",
		"UCS+6+13'",
		"UCM+M2+IFTSTA:D:01B:UN+4+29+UNT'",
		"UNT+9+1'",
		"UNZ+1+1'",
		"",
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	results, err := ParseAck(parseString(t, got))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("results: %+v", results)
	}
	if r := results[1]; r.SetControl != "M1" || r.Status != AckRejected || len(r.Errors) != 3 ||
		r.Errors[0] != (AckError{SegmentPos: 2, Element: 1, ElementCode: "12"}) ||
		r.Errors[1] != (AckError{SegmentPos: 2, Element: 2, Component: 1, ElementCode: "39"}) ||
		r.Errors[2] != (AckError{SegmentPos: 6, SegmentCode: "13"}) {
		t.Errorf("M1 result: %+v", r)
	}
}

func TestAckNothingToAcknowledge(t *testing.T) {
	ack997 := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *240501*1200*U*00401*000000007*0*P*:~" +
		"GS*FA*A*B*20240501*1200*1*X*004010~ST*997*0001~AK1*IN*5~AK9*A*1*1*1~SE*4*0001~GE*1*1~IEA*1*000000007~"
	doc := parseString(t, ack997)
	if _, err := Ack997(doc, nil, AckOptions{}); !errors.Is(err, ErrNothingToAcknowledge) {
		t.Errorf("997 of a 997: %v", err)
	}
	if _, err := Ack997(doc, nil, AckOptions{AckFunctionalAcks: true}); err != nil {
		t.Errorf("997 of a 997 when asked: %v", err)
	}
	if _, err := AckCONTRL(doc, nil, AckOptions{}); !errors.Is(err, ErrNothingToAcknowledge) {
		t.Errorf("CONTRL of X12: %v", err)
	}
	// A TA1 can answer an interchange without groups.
	if _, err := AckTA1(doc, nil, AckOptions{}); err != nil {
		t.Errorf("TA1: %v", err)
	}
	if _, err := ParseAckType("998"); err == nil {
		t.Error("ParseAckType(998) succeeded")
	}
}

// Acknowledgements read back (ParseAck) and matched to the sent document
// (MatchAcks) give each set its status.
func TestAckRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		typ  AckType
		want []AckStatus
	}{
		{"tender.edi", AckType997, []AckStatus{AckAccepted, AckRejected}},
		{"tender.edi", AckType999, []AckStatus{AckAccepted, AckRejected}},
		{"tender.edi", AckTypeTA1, []AckStatus{AckReceived, AckReceived}},
		{"status.edi", AckTypeCONTRL, []AckStatus{AckAccepted, AckRejected}},
	} {
		t.Run(tc.in+"/"+string(tc.typ), func(t *testing.T) {
			sent, issues := readDoc(t, "testdata/ack/"+tc.in, true)
			ack, err := Acknowledge(context.Background(), sent, issues, tc.typ, AckOptions{Now: ackNow})
			if err != nil {
				t.Fatal(err)
			}
			back := parseString(t, renderDoc(t, ack))
			results, err := ParseAck(back)
			if err != nil {
				t.Fatal(err)
			}
			matched := MatchAcks(sent, results)
			if len(matched) != len(tc.want) {
				t.Fatalf("matched %d sets, want %d", len(matched), len(tc.want))
			}
			for i, m := range matched {
				if m.Status != tc.want[i] {
					t.Errorf("set %s: status %q, want %q (result %+v)", m.SetControl, m.Status, tc.want[i], m.Result)
				}
			}
		})
	}
}

func TestMatchAcksGroupLevel(t *testing.T) {
	sent, _ := readDoc(t, "testdata/ack/tender.edi", true)
	mk := func(ak string) []AckResult {
		doc := parseString(t, "ISA*00*          *00*          *ZZ*CARRIER        *ZZ*SHIPPER        *240502*0830*^*00501*000000001*0*T*>~"+
			"GS*FA*CARRIERAPP*SHIPPERAPP*20240502*0830*1*X*004010~ST*997*0001~"+ak+"SE*9*0001~GE*1*1~IEA*1*000000001~")
		rs, err := ParseAck(doc)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	// Only the rejected set is listed; AK9 P leaves the unlisted set
	// undecided.
	m := MatchAcks(sent, mk("AK1*SM*501~AK2*204*0002~AK5*R*4~AK9*P*2*2*1~"))
	if m[0].Status != "" || m[1].Status != AckRejected {
		t.Errorf("P: %q %q", m[0].Status, m[1].Status)
	}
	// AK9 A with no AK2 accepts every set of the group.
	m = MatchAcks(sent, mk("AK1*SM*501~AK9*A*2*2*2~"))
	if m[0].Status != AckAccepted || m[1].Status != AckAccepted || m[0].Result.Level != AckLevelGroup {
		t.Errorf("A: %+v", m)
	}
	// Another group's ack (control 502) or another functional id matches nothing.
	m = MatchAcks(sent, mk("AK1*SM*502~AK9*A*2*2*2~"))
	if m[0].Acknowledged() || m[1].Acknowledged() {
		t.Errorf("group 502 matched: %+v", m)
	}
	m = MatchAcks(sent, mk("AK1*IN*501~AK9*A*2*2*2~"))
	if m[0].Acknowledged() {
		t.Errorf("IN 501 matched: %+v", m)
	}
}

func TestParseAckMalformed(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *240501*1200*U*00401*000000007*0*P*:~GS*FA*A*B*20240501*1200*1*X*004010~ST*997*0001~"
	tail := "SE*9*0001~GE*1*1~IEA*1*000000007~"
	for name, body := range map[string]string{
		"AK2 before AK1":  "AK2*810*1~AK5*A~AK1*IN*1~AK9*A*1*1*1~",
		"no AK9":          "AK1*IN*1~AK2*810*1~AK5*A~",
		"AK2 without AK5": "AK1*IN*1~AK2*810*1~AK9*A*1*1*1~",
		"bad status":      "AK1*IN*1~AK2*810*1~AK5*Q~AK9*A*1*1*1~",
		"no AK1":          "",
	} {
		_, err := ParseAck(parseString(t, head+body+tail))
		var fe *AckFormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: err %v, want *AckFormatError", name, err)
		} else if fe.SegmentPos == 0 {
			t.Errorf("%s: no position in %v", name, fe)
		}
	}
}

// ackEverything runs every acknowledgement kind over one input and reads
// each back; it must never panic.
func ackEverything(t *testing.T, data []byte) {
	t.Helper()
	for _, strict := range []bool{false, true} {
		rep, err := Validate(bytes.NewReader(data), ReportOptions{Strict: strict})
		if err != nil {
			return
		}
		if _, err := ParseAck(rep.Document); err != nil {
			var fe *AckFormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseAck: %v", err)
			}
		}
		for _, typ := range []AckType{AckType997, AckType999, AckTypeTA1, AckTypeCONTRL} {
			ack, err := Acknowledge(context.Background(), rep.Document, rep.Issues, typ, AckOptions{Now: ackNow, TA1: true})
			if errors.Is(err, ErrNothingToAcknowledge) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			var b bytes.Buffer
			if err := Render(&b, ack, nil, RenderOptions{}); err != nil {
				// Delimiters the subject itself could not carry are not
				// the acknowledgement's fault.
				continue
			}
			back, _, err := Parse(bytes.NewReader(b.Bytes()), ParseOptions{})
			if err != nil {
				t.Fatalf("%s: generated acknowledgement does not parse: %v\n%s", typ, err, b.Bytes())
			}
			results, err := ParseAck(back)
			if err != nil {
				t.Fatalf("%s: generated acknowledgement does not read back: %v\n%s", typ, err, b.Bytes())
			}
			MatchAcks(rep.Document, results)
		}
	}
}

// TestAckCorpus acknowledges every file of the EDI corpus in every way.
func TestAckCorpus(t *testing.T) {
	var files []string
	filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") && !strings.HasSuffix(p, ".tsv") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("EDI corpus not found at " + corpusDir)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimPrefix(p, corpusDir+"/"), func(t *testing.T) { ackEverything(t, data) })
	}
}

func FuzzAck(f *testing.F) {
	for _, name := range []string{"tender.edi", "status.edi", "tender.997", "tender.999", "tender.ta1", "status.contrl"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "ack", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { ackEverything(t, data) })
}
