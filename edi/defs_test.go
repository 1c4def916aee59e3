package edi

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

func TestBuiltinLoads(t *testing.T) {
	defs := Builtin()
	want := []string{
		"x12/004010/204", "x12/004010/210", "x12/004010/214", "x12/004010/810", "x12/004010/850", "x12/004010/855",
		"x12/004010/856", "x12/004010/940", "x12/004010/943", "x12/004010/944", "x12/004010/945", "x12/004010/990",
		"x12/004010/997", "x12/005010/999",
		"edifact/D01B/APERAK", "edifact/D01B/CONTRL", "edifact/D01B/DESADV", "edifact/D01B/IFTMIN", "edifact/D01B/IFTSTA",
		"edifact/D01B/INVOIC", "edifact/D01B/ORDERS",
		"edifact/D96A/APERAK", "edifact/D96A/CONTRL", "edifact/D96A/DESADV", "edifact/D96A/IFTMIN", "edifact/D96A/IFTSTA",
		"edifact/D96A/INVOIC", "edifact/D96A/ORDERS",
	}
	var got []string
	for _, s := range defs.Sets() {
		got = append(got, s.Format.String()+"/"+s.Version+"/"+s.ID)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("sets:\n got %v\nwant %v", got, want)
	}
}

func TestLookupFallback(t *testing.T) {
	defs := Builtin()
	cases := []struct {
		format            Format
		version, set, got string
	}{
		{FormatX12, "004010", "856", "004010"},
		{FormatX12, "004010VICS", "850", "004010"},
		{FormatX12, "00401", "214", "004010"},
		{FormatX12, "004060", "856", "004010"},
		{FormatX12, "005010X231A1", "997", "004010"},
		{FormatX12, "004010", "999", "005010"},
		{FormatX12, "003010", "850", ""}, // 6-digit-date era: no definition
		{FormatX12, "004010", "837", ""},
		{FormatEDIFACT, "D:96A", "DESADV", "D96A"},
		{FormatEDIFACT, "0:96A", "DESADV", "D96A"},
		{FormatEDIFACT, "D97B", "INVOIC", "D96A"},
		{FormatEDIFACT, "D:00A:UN", "INVOIC", "D01B"},
		{FormatEDIFACT, "S:93A", "IFTMIN", "D96A"},
		{FormatEDIFACT, "D:3", "CONTRL", "D01B"},
		{FormatEDIFACT, "D01B", "iftsta", "D01B"},
	}
	for _, c := range cases {
		s, ok := defs.Lookup(c.format, c.version, c.set)
		got := ""
		if ok {
			got = s.Version
		}
		if got != c.got {
			t.Errorf("Lookup(%s, %q, %s) = %q, want %q", c.format, c.version, c.set, got, c.got)
		}
	}
}

func TestDescribe(t *testing.T) {
	defs := Builtin()
	if got := defs.SegmentName(FormatX12, "004010", "BSN"); got != "Beginning Segment for Ship Notice" {
		t.Errorf("SegmentName = %q", got)
	}
	if got := defs.Describe(FormatX12, "004010", "HL", 3); got != "HL03 Hierarchical Level Code (735, ID 1/2, M)" {
		t.Errorf("Describe = %q", got)
	}
	if got := defs.CodeName(FormatX12, "004010", "98", "SF"); got != "Ship From" {
		t.Errorf("CodeName = %q", got)
	}
	if got := defs.ElementName(FormatEDIFACT, "D96A", "NAD", 2, 1); got != "Party id. identification" {
		t.Errorf("ElementName = %q", got)
	}
	if got := defs.Describe(FormatEDIFACT, "D01B", "QTY", 1); !strings.Contains(got, "composite") {
		t.Errorf("Describe composite = %q", got)
	}
}

// ---- test helpers --------------------------------------------------------

// x12Tx parses a body ("ST*856*0001~...~SE*n*0001~") wrapped in an
// envelope and returns its first transaction.
func x12Tx(t testing.TB, version, body string) *Transaction {
	t.Helper()
	src := "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~" +
		"GS*XX*S*R*20240101*1200*1*X*" + version + "~" + body + "GE*1*1~IEA*1*000000001~"
	doc, _, err := Parse(strings.NewReader(src), ParseOptions{SkipEnvelope: true})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc.Interchanges[0].Groups[0].Transactions[0]
}

func edifactTx(t testing.TB, body string) *Transaction {
	t.Helper()
	src := "UNA:+.? 'UNB+UNOA:3+S+R+240101:1200+1'" + body + "UNZ+1+1'"
	doc, _, err := Parse(strings.NewReader(src), ParseOptions{SkipEnvelope: true})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc.Interchanges[0].Messages[0]
}

func issueList(is []Issue) string {
	var out []string
	for _, i := range is {
		s := fmt.Sprintf("%s@%s", i.Code, i.Tag)
		if i.Element > 0 {
			s += fmt.Sprintf("%02d", i.Element)
			if i.Component > 0 {
				s += fmt.Sprintf("-%d", i.Component)
			}
		}
		s += "/" + i.AckCode
		if i.Severity == SeverityWarning {
			s += "(w)"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// loopShape renders a loop tree: ID[tags children...].
func loopShape(l *Loop) string {
	var b strings.Builder
	b.WriteString(l.ID + "[")
	var parts []string
	for _, s := range l.Segments {
		parts = append(parts, s.Tag)
	}
	for _, c := range l.Children {
		parts = append(parts, loopShape(c))
	}
	b.WriteString(strings.Join(parts, " ") + "]")
	return b.String()
}

// ---- structure -------------------------------------------------------------

const hdr856 = "ST*856*0001~BSN*00*SHIP1*20240101*1200*0001~"

func TestValidateStructureX12(t *testing.T) {
	cases := []struct {
		name, set, body string
		issues          string
		shape           string
	}{
		{"856 ok hierarchy", "856", hdr856 + "HL*1**S~TD1*CTN*2~N1*SF*A*92*12~N4*CITY*CA~HL*2*1*O~PRF*PO1~HL*3*2*P~MAN*GM*00001~HL*4*3*I~LIN**UP*123~SN1**2*EA~CTT*4~SE*15*0001~",
			"", "856[ST BSN CTT SE HL[HL TD1 N1[N1 N4]] HL[HL PRF] HL[HL MAN] HL[HL LIN SN1]]"},
		{"856 missing BSN", "856", "ST*856*0001~HL*1**S~SE*3*0001~",
			"structure.missing_segment@BSN/3", ""},
		{"856 missing HL loop", "856", hdr856 + "CTT*0~SE*4*0001~",
			"structure.missing_segment@HL/3", ""},
		{"856 out of order", "856", hdr856 + "HL*1**S~BSN*00*X*20240101*1200~SE*5*0001~",
			"structure.out_of_order@BSN/7", ""},
		{"856 not in set", "856", hdr856 + "HL*1**S~BEG*00*SA*1**20240101~SE*5*0001~",
			"structure.not_in_set@BEG/6", ""},
		{"856 unrecognized", "856", hdr856 + "HL*1**S~ZZZ*1~SE*5*0001~",
			"structure.unrecognized_segment@ZZZ/1", ""},
		{"856 unexpected (loop segment outside its loop)", "856", hdr856 + "N3*STREET~HL*1**S~SE*5*0001~",
			"structure.unexpected_segment@N3/2", ""},
		{"856 segment max use", "856", hdr856 + "HL*1**S~PRF*1~PRF*2~SE*6*0001~",
			"structure.max_use@PRF/5", ""},
		{"856 HL parent unknown", "856", hdr856 + "HL*1**S~HL*2*7*O~SE*5*0001~",
			"structure.hl_parent@HL02/7", ""},
		{"856 HL duplicate", "856", hdr856 + "HL*1**S~HL*1**O~SE*5*0001~",
			"structure.hl_duplicate@HL01/7", ""},
		{"856 CTT count", "856", hdr856 + "HL*1**S~HL*2*1*O~CTT*3~SE*6*0001~",
			"structure.count_mismatch@CTT01/(w)", ""},
		{"214 loops", "214", "ST*214*0001~B10*PRO1*SH1*SCAC~N1*SH*A~N1*CN*B~LX*1~AT7*X1*NS***20240101*1200*LT~MS1*CITY*ST~LX*2~AT7*D1*NS***20240101*1300~AT8*G*L*10~SE*11*0001~",
			"", "214[ST B10 SE N1[N1] N1[N1] LX[LX AT7[AT7 MS1]] LX[LX AT8 AT7[AT7]]]"},
		{"214 AT7 loop over max", "214", "ST*214*0001~B10*PRO1*SH1*SCAC~LX*1~" + strings.Repeat("AT7*X1*NS~", 11) + "SE*15*0001~",
			"structure.loop_max_use@AT7/4", ""},
		{"204 stop loop", "204", "ST*204*0001~B2**SCAC**SH1**PP~B2A*00*LT~S5*1*LD~N1*SH*A~N3*X~L5*1*PAPER~AT8*G*L*10~S5*2*UL~OID*1~L5*1~L3*10*G~SE*13*0001~",
			"", "204[ST B2 B2A L3 SE S5[S5 N1[N1 N3] L5[L5 AT8]] S5[S5 OID[OID L5[L5]]]]"},
		{"204 missing stop loop", "204", "ST*204*0001~B2**SCAC**SH1**PP~B2A*00*LT~L3*10*G~SE*5*0001~",
			"structure.missing_segment@S5/3", ""},
		{"997 nested", "997", "ST*997*0001~AK1*SH*5~AK2*856*0001~AK3*TD1*5**8~AK4*2*80*6*X~AK5*R*5~AK9*R*1*1*0~SE*8*0001~",
			"", "997[ST AK1 AK9 SE AK2[AK2 AK5 AK3[AK3 AK4]]]"},
		{"940 mandatory W01 loop", "940", "ST*940*0001~W05*N*ORD1~LX*1~SE*4*0001~",
			"structure.missing_segment@W01/3", ""},
	}
	defs := Builtin()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := x12Tx(t, "004010", c.body)
			root, issues := defs.Validate(tx, FormatX12, "004010")
			if got := issueList(issues); got != c.issues {
				t.Errorf("issues:\n got %s\nwant %s", got, c.issues)
			}
			if c.shape != "" {
				if got := loopShape(root); got != c.shape {
					t.Errorf("tree:\n got %s\nwant %s", got, c.shape)
				}
			}
			if tx.Loops != root {
				t.Errorf("tx.Loops not set")
			}
			if n, want := countLoopSegments(root), len(tx.AllSegments()); n != want {
				t.Errorf("tree holds %d segments, want %d", n, want)
			}
			for _, is := range issues {
				if is.SetControl != tx.Control() || is.SegmentPos == 0 || is.Offset == 0 {
					t.Errorf("issue location incomplete: %+v", is)
				}
			}
		})
	}
}

func TestValidateElementsX12(t *testing.T) {
	cases := []struct{ name, seg, issues string }{
		{"ok", "BSN*00*SHIP1*20240101*1200*0001", ""},
		{"mandatory missing", "BSN*00**20240101*1200", "element.missing@BSN02/1"},
		{"too long", "BSN*000*SHIP1*20240101*1200", "element.too_long@BSN01/5"},
		{"too short", "BSN*0*SHIP1*20240101*1200", "element.too_short@BSN01/4"},
		{"bad date", "BSN*00*SHIP1*20240230*1200", "element.bad_date@BSN03/8"},
		{"bad 6-digit date", "BSN*00*SHIP1*241301*1200", "element.bad_date@BSN03/8"},
		{"bad time", "BSN*00*SHIP1*20240101*2460", "element.bad_time@BSN04/9"},
		{"too many elements", "BSN*00*SHIP1*20240101*1200*0001*AS*001*X", "element.too_many@BSN08/3"},
		{"conditional C0706", "BSN*00*SHIP1*20240101*1200**AS*001", ""},
		{"conditional C0706 violated", "BSN*00*SHIP1*20240101*1200***001", "element.conditional_missing@BSN06/2"},
		{"bad code (complete list)", "BSN*00*SHIP1*20240101*1200~HL*1**S*7", "element.bad_code@HL04/7"},
		{"numeric N0", "BSN*00*SHIP1*20240101*1200~HL*1**S~TD1*CTN*1.5", "element.bad_type@TD102/6"},
		{"decimal R", "BSN*00*SHIP1*20240101*1200~HL*1**S~TD1*CTN*2****G*-12.5*LB", ""},
		{"bad R", "BSN*00*SHIP1*20240101*1200~HL*1**S~TD1*CTN*2****G*1.2.3*LB", "element.bad_type@TD107/6"},
		{"paired P0304", "BSN*00*SHIP1*20240101*1200~HL*1**S~N1*SF*NAME*92", "element.conditional_missing@N104/2"},
		{"required R0203", "BSN*00*SHIP1*20240101*1200~HL*1**S~N1*SF", "element.conditional_missing@N102/2"},
		{"exclusion E0110", "BSN*00*SHIP1*20240101*1200~HL*1**S~TD3*TL**1234*******53FT", "element.exclusion@TD310/10"},
		{"composite C040", "BSN*00*SHIP1*20240101*1200~HL*1**S~REF*BM*1**PO>123", ""},
		{"composite component missing", "BSN*00*SHIP1*20240101*1200~HL*1**S~REF*BM*1**PO", "element.missing@REF04-2/1"},
		{"composite too many components", "BSN*00*SHIP1*20240101*1200~HL*1**S~REF*BM*1**PO>1>BM>2>CN>3>XX", "element.too_many@REF04-7/3"},
		{"partial list accepts unknown", "BSN*00*SHIP1*20240101*1200~HL*1**S~N1*Q9*NAME", ""},
	}
	defs := Builtin()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := "ST*856*0001~" + strings.ReplaceAll(c.seg, "~", "~") + "~"
			if !strings.Contains(c.seg, "HL*") {
				body += "HL*1**S~"
			}
			body += "SE*9*0001~"
			tx := x12Tx(t, "004010", body)
			_, issues := defs.Validate(tx, FormatX12, "004010")
			if got := issueList(issues); got != c.issues {
				t.Errorf("issues:\n got %s\nwant %s", got, c.issues)
			}
		})
	}
}

func TestValidateOptions(t *testing.T) {
	defs := Builtin()
	tx := x12Tx(t, "004010", "ST*856*0001~BSN*000*SHIP1*20240101*1200~HL*1**S~N1*Q9*X~SE*5*0001~")
	_, is := defs.Validate(tx, FormatX12, "004010", StructureOptions{Tolerant: true})
	if got := issueList(is); got != "element.too_long@BSN01/5(w)" {
		t.Errorf("tolerant: %s", got)
	}
	_, is = defs.Validate(tx, FormatX12, "004010", StructureOptions{SkipElements: true})
	if len(is) != 0 {
		t.Errorf("skip elements: %s", issueList(is))
	}
	_, is = defs.Validate(tx, FormatX12, "004010", StructureOptions{StrictCodes: true})
	if got := issueList(is); got != "element.too_long@BSN01/5 element.unknown_code@N101/(w)" {
		t.Errorf("strict codes: %s", got)
	}
	_, is = defs.Validate(tx, FormatX12, "004010", StructureOptions{MaxIssues: 1, StrictCodes: true})
	if len(is) != 1 {
		t.Errorf("max issues: %d", len(is))
	}
	unk := x12Tx(t, "004010", "ST*837*1~BHT*1~SE*3*1~")
	root, is := defs.Validate(unk, FormatX12, "004010")
	if got := issueList(is); got != "structure.unknown_set@ST/1(w)" || len(root.Segments) != 3 {
		t.Errorf("unknown set: %s, %d segments", got, len(root.Segments))
	}
}

func TestValidateEDIFACT(t *testing.T) {
	defs := Builtin()
	cases := []struct{ name, body, issues, shape string }{
		{"invoic ok", "UNH+1+INVOIC:D:96A:UN'BGM+380+INV1+9'DTM+137:20240101:102'NAD+BY+123::9'RFF+VA:X'LIN+1++A:IN'QTY+47:2:PCE'MOA+203:1,50'PRI+AAA:0.75'UNS+S'MOA+77:1.50'UNT+12+1'",
			"", "INVOIC[UNH BGM DTM UNS UNT NAD[NAD RFF[RFF]] LIN[LIN QTY MOA[MOA] PRI[PRI]] MOA[MOA]]"},
		{"invoic missing UNS", "UNH+1+INVOIC:D:96A:UN'BGM+380+INV1+9'DTM+137:20240101:102'MOA+77:1'UNT+5+1'",
			"structure.missing_segment@UNS/13", ""},
		{"invoic bad numeric", "UNH+1+INVOIC:D:96A:UN'BGM+380+INV1+9'DTM+137:20240101:102'LIN+1'QTY+47:abc'UNS+S'MOA+77:.5'UNT+8+1'",
			"element.bad_type@QTY01-2/37 element.bad_type@MOA01-2/38", ""},
		{"too many constituents", "UNH+1+INVOIC:D:96A:UN'BGM+380+INV1+9+X+Y'DTM+137:20240101:102'UNS+S'MOA+77:1'UNT+6+1'",
			"element.too_many@BGM05/16", ""},
		{"simple element with components", "UNH+1+INVOIC:D:96A:UN'BGM+380+INV1:2+9'DTM+137:20240101:102'UNS+S'MOA+77:1'UNT+6+1'",
			"element.too_many@BGM02-2/16", ""},
		{"escaped separator is data", "UNH+1+INVOIC:D:96A:UN'BGM+380+INV?:1+9'DTM+137:20240101:102'UNS+S'MOA+77:1'UNT+6+1'",
			"", ""},
		{"too long / code", "UNH+1+CONTRL:D:3:UN'UCI+1+S+R+9'UNT+3+1'", "element.bad_code@UCI04/12", ""},
		{"group over max", "UNH+1+APERAK:D:96A:UN'BGM+305'" + strings.Repeat("RFF+ACW:1'", 10) + "UNT+13+1'", "structure.loop_max_use@RFF/36", ""},
		{"iftsta", "UNH+1+IFTSTA:D:01B:UN'BGM+23+X+9'CNI+1'STS+1+P'RFF+BM:1'TDT+1'LOC+9+X'DTM+186:1:203'LOC+11+Y'UNT+10+1'",
			"", "IFTSTA[UNH BGM UNT CNI[CNI STS[STS RFF TDT[TDT LOC[LOC DTM] LOC[LOC]]]]]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := edifactTx(t, c.body)
			root, issues := defs.Validate(tx, FormatEDIFACT, VersionOf(nil, nil, tx))
			if got := issueList(issues); got != c.issues {
				t.Errorf("issues:\n got %s\nwant %s", got, c.issues)
			}
			if c.shape != "" {
				if got := loopShape(root); got != c.shape {
					t.Errorf("tree:\n got %s\nwant %s", got, c.shape)
				}
			}
		})
	}
}

// ---- overrides ---------------------------------------------------------------

const acme856 = `{
  "partner": "acme",
  "set": "856",
  "extends": "004010/856",
  "name": "ACME 856 guide",
  "patch": {
    "DTM": {"req": "M", "max": 1},
    "HL/TD5": {"max": 1},
    "HL/PID": {"req": "N"},
    "HL/N1": {"max": 2, "elements": {"1": {"codes": ["ST", "SF"]}}},
    "BSN": {"elements": {"1": {"codes": ["00"]}, "5": {"req": "N"}}},
    "HL": {"min": 2}
  },
  "insert": [{"after": "HL/MAN", "items": ["O G62 2"]}]
}`

func TestPartnerOverride(t *testing.T) {
	base := Builtin()
	defs, err := base.Overlay(fstest.MapFS{"x12/004010/acme-856.json": {Data: []byte(acme856)}})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := base.LookupPartner("acme", FormatX12, "004010", "856"); s.Partner != "" {
		t.Fatalf("base changed")
	}
	s, ok := defs.LookupPartner("acme", FormatX12, "004010", "856")
	if !ok || s.Partner != "acme" || s.Name != "ACME 856 guide" {
		t.Fatalf("partner lookup: %+v", s)
	}
	if s2, _ := defs.LookupPartner("other", FormatX12, "004010", "856"); s2.Partner != "" {
		t.Fatalf("unknown partner should get the base")
	}
	good := "ST*856*0001~BSN*00*SHIP1*20240101*1200~DTM*011*20240101~HL*1**S~TD5**2*SCAC~N1*SF*A~HL*2*1*O~SE*8*0001~"
	cases := []struct{ name, body, issues string }{
		{"conforms", good, ""},
		{"base accepts what the guide refuses", hdr856 + "HL*1**S~PID*F****X~N1*BY*B~SE*6*0001~", ""},
		{"guide: mandatory DTM, not-used PID, restricted code, HL min",
			"ST*856*0001~BSN*00*SHIP1*20240101*1200~HL*1**S~PID*F****X~N1*BY*B~SE*6*0001~",
			"structure.missing_segment@DTM/3 structure.not_used@PID/2 element.code_not_used@N101/7 structure.below_min@HL/3"},
		{"guide: BSN code, BSN05 not used, TD5 and N1 loop max, inserted G62",
			"ST*856*0001~BSN*05*SHIP1*20240101*1200*0001~DTM*011*20240101~HL*1**S~TD5**2*SCAC~TD5**2*SCBC~MAN*GM*1~G62*11*20240101~N1*SF*A~N1*ST*B~N1*ST*C~HL*2*1*O~SE*14*0001~",
			"element.code_not_used@BSN01/7 element.not_used@BSN05/10 structure.max_use@TD5/5 structure.loop_max_use@N1/4"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := x12Tx(t, "004010", c.body)
			partner := "acme"
			if i == 1 {
				partner = ""
			}
			_, issues := defs.Validate(tx, FormatX12, "004010", StructureOptions{Partner: partner})
			if got := issueList(issues); got != c.issues {
				t.Errorf("issues:\n got %s\nwant %s", got, c.issues)
			}
		})
	}
}

func TestOverrideFromTestdata(t *testing.T) {
	defs, err := Builtin().Overlay(os.DirFS(filepath.Join("testdata", "defs")))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := defs.LookupPartner("bigbox", FormatX12, "004010", "214")
	if !ok || s.Partner != "bigbox" {
		t.Fatalf("bigbox 214 not loaded")
	}
	tx := x12Tx(t, "004010", "ST*214*0001~B10*PRO1*SH1*SCAC~LX*1~AT7*X9*NS***20240101*1200*LT~MS1*CITY*ST~SE*6*0001~")
	_, issues := defs.Validate(tx, FormatX12, "004010", StructureOptions{Partner: "bigbox"})
	if got := issueList(issues); got != "element.bad_code@AT701/7" {
		t.Errorf("issues: %s", got)
	}
}

func TestOverlayErrors(t *testing.T) {
	cases := map[string]string{
		"bad path":        `{"set": "856", "partner": "p", "extends": "004010/856", "patch": {"HL/NOPE": {"req": "M"}}}`,
		"unknown segment": `{"set": "856", "partner": "p", "extends": "004010/856", "insert": [{"after": "BSN", "items": ["O QQQ 1"]}]}`,
		"bad requirement": `{"set": "856", "partner": "p", "extends": "004010/856", "patch": {"BSN": {"req": "Z"}}}`,
		"unknown field":   `{"set": "856", "partner": "p", "extends": "004010/856", "pach": {}}`,
		"no base":         `{"set": "857", "partner": "p", "extends": "004010/857"}`,
		"bad element key": `{"set": "856", "partner": "p", "extends": "004010/856", "patch": {"BSN": {"elements": {"9": {"req": "M"}}}}}`,
	}
	for name, src := range cases {
		if _, err := Builtin().OverlayJSON("x12/004010/p.json", []byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLoadDefinitionsStandalone(t *testing.T) {
	fsys := fstest.MapFS{
		"x12/004010/elements.json": {Data: []byte(`{"elements": {"143": ["ID 3/3", "Set id"], "329": ["AN 4/9", "Control"], "96": ["N0 1/10", "Count"], "1": ["AN 1/5", "Thing"]}}`)},
		"x12/004010/segments.json": {Data: []byte(`{"segments": {"ST": {"name": "H", "elements": ["M 143", "M 329"]}, "SE": {"name": "T", "elements": ["M 96", "M 329"]}, "ZA": {"name": "Z", "elements": ["M 1"]}}}`)},
		"x12/004010/100.json":      {Data: []byte(`{"set": "100", "structure": ["M ST 1", {"loop": "ZA", "req": "M", "max": 2, "structure": ["M ZA 1"]}, "M SE 1"]}`)},
	}
	defs, err := LoadDefinitions(fsys)
	if err != nil {
		t.Fatal(err)
	}
	tx := x12Tx(t, "004010", "ST*100*0001~ZA*1~ZA*2~ZA*123456~SE*5*0001~")
	_, issues := defs.Validate(tx, FormatX12, "004010")
	if got := issueList(issues); got != "structure.loop_max_use@ZA/4 element.too_long@ZA01/5" {
		t.Errorf("issues: %s", got)
	}
}

func TestValidateNoPanicOnOddInput(t *testing.T) {
	defs := Builtin()
	for _, src := range []string{"", "ISA", "UNH+1'", "ST*856~SE~", "UNH+1+INVOIC:D:96A:UN'UNT+2+1'"} {
		doc, _, _ := Parse(bytes.NewReader([]byte(src)), ParseOptions{})
		if doc == nil {
			continue
		}
		defsValidateDocument(defs, doc)
	}
	defs.Validate(nil, FormatX12, "004010")
	defs.Validate(&Transaction{}, FormatX12, "004010")
}
