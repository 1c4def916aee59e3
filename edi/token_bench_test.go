package edi

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// tokGenX12 builds an X12 interchange of at least size bytes: an ISA/GS
// envelope around alternating 856 ship notices (S-O-P-I hierarchy) and
// 214 shipment status messages, one segment per line ("~\n").
func tokGenX12(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 64<<10)
	b.WriteString("ISA*00*          *00*          *ZZ*FLOWCTLSENDER  *ZZ*RECEIVERID     *240115*1200*^*00501*000000001*0*P*>~\n")
	b.WriteString("GS*SH*FLOWCTLSENDER*RECEIVERID*20240115*1200*1*X*005010~\n")
	sets := 0
	for b.Len() < size {
		sets++
		n := 0
		seg := func(format string, args ...any) {
			fmt.Fprintf(&b, format, args...)
			b.WriteString("~\n")
			n++
		}
		ctl := fmt.Sprintf("%09d", sets)
		if sets%2 == 1 {
			seg("ST*856*%s", ctl)
			seg("BSN*00*SHP%07d*20240115*1200*0001", sets)
			seg("DTM*011*20240115*1200*ET")
			seg("HL*1**S")
			seg("TD1*CTN25*12****G*245.5*LB")
			seg("TD5*B*2*ODFL*M*OLD DOMINION")
			seg("REF*BM*BOL%08d", sets)
			seg("REF*CN*PRO%08d", sets)
			seg("N1*ST*ACME DISTRIBUTION CENTER*92*DC0042")
			seg("N3*1200 INDUSTRIAL PKWY")
			seg("N4*COLUMBUS*OH*43215*US")
			seg("N1*SF*FLOWCTL WAREHOUSE*92*WH01")
			seg("HL*2*1*O")
			seg("PRF*PO%07d***20240110", sets)
			hl := 2
			for p := 0; p < 3; p++ {
				hl++
				pack := hl
				seg("HL*%d*2*P", pack)
				seg("MAN*GM*00012345678%09d", sets*10+p)
				for i := 0; i < 2; i++ {
					hl++
					seg("HL*%d*%d*I", hl, pack)
					seg("LIN*%d*UP*0123456789%02d*VP*SKU-%05d", i+1, i, sets%100000)
					seg("SN1**%d*EA", 10+i)
					seg("PID*F****WIDGET, BLUE, LARGE")
				}
			}
			seg("CTT*%d", hl)
		} else {
			seg("ST*214*%s", ctl)
			seg("B10*PRO%08d*SHP%07d*ODFL", sets, sets)
			seg("L11*PO%07d*PO", sets)
			seg("N1*SH*ACME MANUFACTURING")
			seg("N4*DAYTON*OH*45402*US")
			seg("N1*CN*ACME DISTRIBUTION CENTER")
			seg("N4*COLUMBUS*OH*43215*US")
			for i := 1; i <= 3; i++ {
				seg("LX*%d", i)
				seg("AT7*X6*NS***20240115*%02d00*ET", 8+i)
				seg("MS1*SPRINGFIELD*OH*US")
				seg("MS2*ODFL*TRL%05d*TL", sets%100000)
				seg("AT8*G*L*245*12")
			}
		}
		seg("SE*%d*%s", n+1, ctl)
	}
	fmt.Fprintf(&b, "GE*%d*1~\nIEA*1*000000001~\n", sets)
	return b.Bytes()
}

// tokGenEDIFACT builds a UN/EDIFACT interchange of at least size bytes: UNA,
// UNB around alternating DESADV and IFTSTA messages, no newlines, with
// some release characters.
func tokGenEDIFACT(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 64<<10)
	b.WriteString("UNA:+.? 'UNB+UNOC:3+5412345000013:14+5498765000019:14+240115:1200+REF0001'")
	msgs := 0
	for b.Len() < size {
		msgs++
		n := 0
		seg := func(format string, args ...any) {
			fmt.Fprintf(&b, format, args...)
			b.WriteByte('\'')
			n++
		}
		ref := fmt.Sprintf("M%08d", msgs)
		if msgs%2 == 1 {
			seg("UNH+%s+DESADV:D:96A:UN:EAN005", ref)
			seg("BGM+351+DES%07d+9", msgs)
			seg("DTM+137:202401151200:203")
			seg("DTM+11:20240115:102")
			seg("RFF+ON:PO%07d", msgs)
			seg("NAD+BY+5412345000013::9")
			seg("NAD+SU+5498765000019::9")
			seg("NAD+DP+5412345000099::9++ACME DC 42+1200 INDUSTRIAL PKWY+COLUMBUS++43215+US")
			seg("TDT+20++30+31+ODFL:172:20")
			seg("CPS+1")
			seg("PAC+3++201")
			for p := 0; p < 3; p++ {
				seg("CPS+%d+1", p+2)
				seg("PAC+1++CT")
				seg("PCI+33E")
				seg("GIN+BJ+00012345678%09d", msgs*10+p)
				seg("LIN+%d++0123456789%03d:SRV", p+1, p)
				seg("PIA+1+SKU-%05d:SA", msgs%100000)
				seg("IMD+F++:::WIDGET?, BLUE?: LARGE")
				seg("QTY+12:%d:PCE", 10+p)
			}
			seg("CNT+2:3")
		} else {
			seg("UNH+%s+IFTSTA:D:00B:UN", ref)
			seg("BGM+23+STA%07d+9", msgs)
			seg("DTM+137:202401151200:203")
			seg("NAD+CZ+5412345000013::9")
			seg("NAD+CN+5412345000099::9")
			seg("CNI+1+SHP%07d", msgs)
			for i := 1; i <= 3; i++ {
				seg("STS+1+%d::ZZZ", 20+i)
				seg("RFF+CN:PRO%08d", msgs)
				seg("DTM+334:2024011512%02d:203", i)
				seg("LOC+175+USCMH::6+:::COLUMBUS OH")
				seg("TDT+20++3++ODFL:172:20")
			}
		}
		seg("UNT+%d+%s", n+1, ref)
	}
	fmt.Fprintf(&b, "UNZ+%d+REF0001'", msgs)
	return b.Bytes()
}

const tokBenchSize = 24 << 20

var (
	tokBenchOnce    sync.Once
	tokBenchX12     []byte
	tokBenchEDIFACT []byte
)

func tokBenchData() ([]byte, []byte) {
	tokBenchOnce.Do(func() {
		tokBenchX12 = tokGenX12(tokBenchSize)
		tokBenchEDIFACT = tokGenEDIFACT(tokBenchSize)
	})
	return tokBenchX12, tokBenchEDIFACT
}

// tokFloorScan is the lower bound of tokenizing: a bytes.IndexByte loop for
// the segment terminator over the whole buffer.
func tokFloorScan(data []byte, term byte) int {
	n := 0
	for {
		i := bytes.IndexByte(data, term)
		if i < 0 {
			return n
		}
		n++
		data = data[i+1:]
	}
}

func tokCount(tb testing.TB, r io.Reader) (segs int) {
	rd := NewReader(r, ReaderOptions{})
	for {
		_, err := rd.Next()
		if err == io.EOF {
			return segs
		}
		if err != nil {
			tb.Fatal(err)
		}
		segs++
	}
}

// tokBench measures the tokenizer over data read through an io.Reader,
// and, interleaved in the same run (outside the timer), the floor: a plain
// bytes.IndexByte scan for the terminator over the same buffer.
// Interleaving keeps the ratio meaningful on a busy machine.
func tokBench(b *testing.B, data []byte, term byte) {
	want := tokCount(b, bytes.NewReader(data))
	if f := tokFloorScan(data, term); f != want && f != want+1 { // +1: the ' of UNA
		b.Fatalf("tokenized %d segments, floor scan found %d", want, f)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var br bytes.Reader
	var floorDur, tokDur time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t0 := time.Now()
		tokFloorScan(data, term)
		floorDur += time.Since(t0)
		br.Reset(data)
		b.StartTimer()
		t1 := time.Now()
		if got := tokCount(b, &br); got != want {
			b.Fatalf("tokenized %d segments, want %d", got, want)
		}
		tokDur += time.Since(t1)
	}
	mb := float64(len(data)) * float64(b.N) / 1e6
	b.ReportMetric(mb/floorDur.Seconds(), "floor-MB/s")
	b.ReportMetric(floorDur.Seconds()/tokDur.Seconds(), "ratio")
	b.ReportMetric(float64(want), "segments")
}

func BenchmarkX12Tokenize(b *testing.B) {
	x12, _ := tokBenchData()
	tokBench(b, x12, '~')
}

func BenchmarkEDIFACTTokenize(b *testing.B) {
	_, edifact := tokBenchData()
	tokBench(b, edifact, '\'')
}
