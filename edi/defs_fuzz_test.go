package edi

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate tokenizes arbitrary bytes, assembles them and validates
// every transaction found against the builtin definitions: no panics,
// and every issue names a code.
func FuzzValidate(f *testing.F) {
	for _, name := range []string{
		"x12/ediengine/856.Crossdock.OK.edi",
		"x12/omniparser/1_canadapost_edi_214.input.txt",
		"x12/edinet/204-MGCTLYST-SAMPLE.EDI",
		"x12/staedi/x12/simple999.edi",
		"edifact/staedi/EDIFACT/invoic_d97b.edi",
		"edifact/edifact-types/d00b_iftsta.edi",
	} {
		if b, err := os.ReadFile(filepath.Join(corpusDir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*U*00401*000000001*0*P*>~GS*SH*A*B*20240101*1200*1*X*004010~ST*856*0001~BSN*00*1*20240101*1200~HL*1**S~HL*2*1*O~HL*3*9*I~CTT*3~SE*7*0001~GE*1*1~IEA*1*000000001~"))
	f.Add([]byte("UNA:+.? 'UNB+UNOA:3+S+R+240101:1200+1'UNH+1+IFTSTA:D:01B:UN'BGM+23+X+9'CNI+1'STS+1+P'UNT+5+1'UNZ+1+1'"))
	defs := Builtin()
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, _, _ := Parse(bytes.NewReader(data), ParseOptions{Reader: ReaderOptions{MaxSegmentBytes: 1 << 16}})
		if doc == nil {
			return
		}
		check := func(ic *Interchange, g *Group, tx *Transaction) {
			format := FormatX12
			if tx.Header != nil && tx.Header.Tag == "UNH" {
				format = FormatEDIFACT
			}
			root, issues := defs.Validate(tx, format, VersionOf(ic, g, tx), StructureOptions{StrictCodes: true})
			if root == nil || tx.Loops != root {
				t.Fatalf("no loop tree")
			}
			n := countLoopSegments(root)
			if want := len(tx.AllSegments()); n != want {
				t.Fatalf("loop tree holds %d segments, transaction has %d", n, want)
			}
			for _, is := range issues {
				if is.Code == "" {
					t.Fatalf("issue without code: %+v", is)
				}
			}
		}
		for _, ic := range doc.Interchanges {
			for _, g := range ic.Groups {
				for _, tx := range g.Transactions {
					check(ic, g, tx)
				}
			}
			for _, tx := range ic.Messages {
				check(ic, nil, tx)
			}
		}
	})
}

func countLoopSegments(l *Loop) int {
	n := len(l.Segments)
	for _, c := range l.Children {
		n += countLoopSegments(c)
	}
	return n
}
