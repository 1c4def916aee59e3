package edi

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// benchInterchange builds an X12 interchange of alternating 856s (S-O-P-I
// hierarchies) and 214s of at least size bytes.
func benchInterchange(size int) []byte {
	var b bytes.Buffer
	b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~\n")
	b.WriteString("GS*SH*S*R*20240101*1200*1*X*004010~\n")
	n := 0
	for b.Len() < size {
		n++
		ctl := fmt.Sprintf("%04d", n%10000)
		var body strings.Builder
		segs := 0
		add := func(s string) { body.WriteString(s); body.WriteString("~\n"); segs++ }
		if n%2 == 1 {
			add("ST*856*" + ctl)
			add("BSN*00*SHIP" + ctl + "*20240101*1200*0001")
			add("DTM*011*20240101*1200")
			add("HL*1**S")
			add("TD1*CTN*10****G*120.5*LB")
			add("TD5**2*SCAC*M*CARRIER")
			add("REF*BM*BOL" + ctl)
			add("N1*SF*SHIPPER INC*92*SF01")
			add("N3*1 MAIN ST")
			add("N4*SPRINGFIELD*IL*62701*US")
			add("N1*ST*CONSIGNEE LLC*92*ST01")
			add("N4*CHICAGO*IL*60601*US")
			add("HL*2*1*O")
			add("PRF*PO" + ctl + "***20240101")
			hl := 2
			for p := 0; p < 4; p++ {
				hl++
				pack := hl
				add(fmt.Sprintf("HL*%d*2*P", pack))
				add("MAN*GM*00012345670000000" + ctl[:2])
				hl++
				add(fmt.Sprintf("HL*%d*%d*I", hl, pack))
				add("LIN**UP*012345678905*VP*PART-1")
				add("SN1**24*EA")
				add("PID*F****WIDGET, BLUE")
			}
			add(fmt.Sprintf("CTT*%d", hl))
		} else {
			add("ST*214*" + ctl)
			add("B10*PRO" + ctl + "*SHIP" + ctl + "*SCAC")
			add("L11*REF" + ctl + "*BM")
			add("N1*SH*SHIPPER INC*92*SF01")
			add("N1*CN*CONSIGNEE LLC*92*ST01")
			for e := 1; e <= 3; e++ {
				add(fmt.Sprintf("LX*%d", e))
				add("AT7*X6*NS***20240101*1200*CT")
				add("MS1*CHICAGO*IL*US")
				add("MS2*SCAC*TRAILER1")
				add("AT8*G*L*120.5*10")
			}
		}
		b.WriteString(body.String())
		fmt.Fprintf(&b, "SE*%d*%s~\n", segs+1, ctl)
	}
	fmt.Fprintf(&b, "GE*%d*1~\nIEA*1*000000001~\n", n)
	return b.Bytes()
}

// BenchmarkValidate856 validates (structure, elements, HL and count rules)
// every transaction of a ~20 MB interchange of 856s and 214s that was
// parsed once beforehand; MB/s is over the input bytes.
func BenchmarkValidate856(b *testing.B) {
	data := benchInterchange(20 << 20)
	doc, _, err := Parse(bytes.NewReader(data), ParseOptions{SkipEnvelope: true})
	if err != nil {
		b.Fatal(err)
	}
	defs := Builtin()
	txs := doc.Interchanges[0].Groups[0].Transactions
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, tx := range txs {
			if _, is := defs.Validate(tx, FormatX12, "004010"); len(is) != 0 {
				b.Fatalf("unexpected issues: %v", is[0])
			}
		}
	}
	b.ReportMetric(float64(len(txs)), "sets")
}

// BenchmarkParseAndValidate856 is the end-to-end figure: tokenize,
// assemble and validate the same interchange.
func BenchmarkParseAndValidate856(b *testing.B) {
	data := benchInterchange(20 << 20)
	defs := Builtin()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := Walk(bytes.NewReader(data), ParseOptions{SkipEnvelope: true}, func(ev Event) error {
			if ev.Kind == EventTransaction {
				defs.Validate(ev.Transaction, FormatX12, "004010")
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
