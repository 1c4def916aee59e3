package edi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// tokISA builds a fixed-width ISA (106 bytes with its terminator).
func tokISA(es, isa11 byte, version string, comp byte, term string) string {
	f := []string{"ISA", "00", "          ", "00", "          ", "ZZ", "SENDER         ", "ZZ", "RECEIVER       ",
		"240115", "1200", string(isa11), version, "000000001", "0", "P", string(comp)}
	s := strings.Join(f, string(es)) + term
	if len(s) != 105+len(term) {
		panic(fmt.Sprintf("tokISA: length %d", len(s)))
	}
	return s
}

// tokX12Body is a small group in X12 with the given element separator and
// terminator.
func tokX12Body(es, term string) string {
	segs := []string{
		"GS*SH*SENDER*RECEIVER*20240115*1200*1*X*004010",
		"ST*856*0001",
		"BSN*00*SHP0001*20240115*1200",
		"HL*1**S",
		"SE*4*0001",
		"GE*1*1",
		"IEA*1*000000001",
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(strings.ReplaceAll(s, "*", es))
		b.WriteString(term)
	}
	return b.String()
}

type tokResult struct {
	segs   []*Segment // clones
	err    error
	format Format
	delims Delimiters
	term   string
}

func (t tokResult) tags() string {
	var s []string
	for _, g := range t.segs {
		s = append(s, g.Tag)
	}
	return strings.Join(s, " ")
}

func (t tokResult) seg(tag string, n int) *Segment {
	for _, g := range t.segs {
		if g.Tag == tag {
			if n == 0 {
				return g
			}
			n--
		}
	}
	return nil
}

func tokTokenize(t testing.TB, in string, opts ReaderOptions) tokResult {
	t.Helper()
	return tokTokenizeReader(t, strings.NewReader(in), opts, false)
}

func tokTokenizeReader(t testing.TB, src io.Reader, opts ReaderOptions, slow bool) tokResult {
	t.Helper()
	r := NewReader(src, opts)
	r.slowOnly = slow
	var res tokResult
	for {
		s, err := r.Next()
		if err != nil {
			if err != io.EOF {
				res.err = err
			}
			break
		}
		res.segs = append(res.segs, s.Clone())
		if len(res.segs) > 1e6 {
			t.Fatal("runaway tokenizer")
		}
	}
	res.format, res.delims, res.term = r.Format(), r.Delimiters(), string(r.SegmentTerminator())
	return res
}

func TestTokenX12Delimiters(t *testing.T) {
	std := tokISA('*', 'U', "00401", '>', "~")
	tests := []struct {
		name  string
		in    string
		want  Delimiters
		term  string
		tags  string
		check func(t *testing.T, r tokResult)
	}{
		{
			name: "fixed 00401",
			in:   std + "\n" + tokX12Body("*", "~\n"),
			want: Delimiters{Segment: '~', Element: '*', Component: '>'},
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "00402 repetition",
			in:   tokISA('*', '^', "00402", ':', "~") + tokX12Body("*", "~"),
			want: Delimiters{Segment: '~', Element: '*', Component: ':', Repetition: '^'},
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "00501 repetition",
			in:   tokISA('*', '^', "00501", ':', "~") + tokX12Body("*", "~"),
			want: Delimiters{Segment: '~', Element: '*', Component: ':', Repetition: '^'},
		},
		{
			name: "00401 ISA11 not a separator",
			in:   tokISA('*', '^', "00401", ':', "~") + tokX12Body("*", "~"),
			want: Delimiters{Segment: '~', Element: '*', Component: ':'},
		},
		{
			name: "U in ISA11 with 00501",
			in:   tokISA('*', 'U', "00501", '>', "~") + tokX12Body("*", "~"),
			want: Delimiters{Segment: '~', Element: '*', Component: '>'},
		},
		{
			name: "backtick ISA16 newline terminator",
			in:   tokISA('*', 'U', "00400", '`', "\n") + tokX12Body("*", "\n") + "\n",
			want: Delimiters{Segment: '\n', Element: '*', Component: '`'},
			term: "\n",
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "brace ISA16",
			in:   tokISA('*', 'U', "00400", '{', "~\n") + tokX12Body("*", "~\n"),
			want: Delimiters{Segment: '~', Element: '*', Component: '{'},
		},
		{
			name: "at ISA16",
			in:   tokISA('*', 'U', "00400", '@', "~") + tokX12Body("*", "~"),
			want: Delimiters{Segment: '~', Element: '*', Component: '@'},
		},
		{
			name: "tilde element separator underscore terminator",
			in:   tokISA('~', '^', "00501", '^', "_\n") + tokX12Body("~", "_\n"),
			// ISA11 equals ISA16: no repetition separator.
			want: Delimiters{Segment: '_', Element: '~', Component: '^'},
			tags: "ISA GS ST BSN HL SE GE IEA",
			check: func(t *testing.T, r tokResult) {
				if v := r.seg("GS", 0).Value(8); v != "004010" {
					t.Errorf("GS08 = %q", v)
				}
			},
		},
		{
			name: "pipe element separator CRLF",
			in:   tokISA('|', 'U', "00204", '>', "~\r\n") + tokX12Body("|", "~\r\n"),
			want: Delimiters{Segment: '~', Element: '|', Component: '>'},
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "CRLF terminator",
			in:   tokISA('*', 'U', "00401", '>', "\r\n") + tokX12Body("*", "\r\n"),
			want: Delimiters{Segment: '\n', Element: '*', Component: '>'},
			term: "\n",
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "CR-only terminator",
			in:   tokISA('*', 'U', "00401", '>', "\r") + tokX12Body("*", "\r"),
			want: Delimiters{Segment: '\n', Element: '*', Component: '>'},
			term: "\n",
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "BOM indentation CRLF",
			in:   "\ufeff  \r\n\t" + tokISA('*', 'U', "00401", '>', "~\r\n") + strings.ReplaceAll(tokX12Body("*", "~\r\n"), "\n", "\n    "),
			want: Delimiters{Segment: '~', Element: '*', Component: '>'},
			tags: "ISA GS ST BSN HL SE GE IEA",
			check: func(t *testing.T, r tokResult) {
				if r.segs[0].Offset != 8 {
					t.Errorf("ISA offset = %d, want 8", r.segs[0].Offset)
				}
			},
		},
		{
			name: "not fixed width",
			in:   "ISA*00**00**ZZ*SENDER*ZZ*RECEIVER*240115*1200*^*00501*1*0*P*:~" + tokX12Body("*", "~"),
			want: Delimiters{Segment: '~', Element: '*', Component: ':', Repetition: '^'},
			tags: "ISA GS ST BSN HL SE GE IEA",
			check: func(t *testing.T, r tokResult) {
				if v := r.segs[0].Value(13); v != "1" {
					t.Errorf("ISA13 = %q", v)
				}
			},
		},
		{
			name: "non-ASCII padding in ISA",
			in:   strings.Replace(std, "SENDER   ", "SENDER\u00a0\u00a0\u00a0", 1) + tokX12Body("*", "~"),
			want: Delimiters{Segment: '~', Element: '*', Component: '>'},
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "80-column wrapped",
			in:   tokWrap(std+tokX12Body("*", "~"), 80),
			want: Delimiters{Segment: '~', Element: '*', Component: '>'},
			tags: "ISA GS ST BSN HL SE GE IEA",
			check: func(t *testing.T, r tokResult) {
				for _, s := range r.segs {
					for i, e := range s.Elements {
						if bytes.ContainsAny(e, "\r\n") {
							t.Errorf("%s%02d = %q: newline kept", s.Tag, i+1, e)
						}
					}
				}
				if v := r.seg("IEA", 0).Value(2); v != "000000001" {
					t.Errorf("IEA02 = %q", v)
				}
			},
		},
		{
			name: "multi-byte terminator U+2026",
			in:   tokISA('*', 'U', "00400", '>', "…\n") + tokX12Body("*", "…\n"),
			want: Delimiters{Segment: 0xE2, Element: '*', Component: '>'},
			term: "…",
			tags: "ISA GS ST BSN HL SE GE IEA",
			check: func(t *testing.T, r tokResult) {
				if v := r.seg("SE", 0).Value(2); v != "0001" {
					t.Errorf("SE02 = %q", v)
				}
			},
		},
		{
			name: "DOS end of file and NUL padding",
			in:   std + tokX12Body("*", "~\r\n") + "\x1a\x00\x00\x00",
			want: Delimiters{Segment: '~', Element: '*', Component: '>'},
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
		{
			name: "terminator missing after ISA16",
			in:   tokISA('*', 'U', "00401", '>', "\n")[:105] + "\n" + tokX12Body("*", "\n"),
			want: Delimiters{Segment: '\n', Element: '*', Component: '>'},
			term: "\n",
			tags: "ISA GS ST BSN HL SE GE IEA",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				r := tokTokenizeReader(t, strings.NewReader(tc.in), ReaderOptions{}, slow)
				if r.err != nil {
					t.Fatalf("slow=%v: %v", slow, r.err)
				}
				if r.format != FormatX12 {
					t.Errorf("format = %v", r.format)
				}
				if r.delims != tc.want {
					t.Errorf("slow=%v: delimiters = %+v, want %+v", slow, r.delims, tc.want)
				}
				if len(r.segs) == 0 || r.segs[0].Delims != tc.want {
					t.Errorf("ISA Delims differ")
				}
				term := tc.term
				if term == "" {
					term = string(tc.want.Segment)
				}
				if r.term != term {
					t.Errorf("terminator = %q, want %q", r.term, term)
				}
				if tc.tags != "" && r.tags() != tc.tags {
					t.Errorf("tags = %q, want %q", r.tags(), tc.tags)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
			}
		})
	}
}

// tokWrap hard-wraps s at n columns with LF.
func tokWrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteByte('\n')
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func TestTokenEDIFACTDelimiters(t *testing.T) {
	body := "UNH+1+INVOIC:D:97B:UN'BGM+380+12345+9'UNT+3+1'UNZ+1+1'"
	tests := []struct {
		name  string
		in    string
		want  Delimiters
		tags  string
		check func(t *testing.T, r tokResult)
	}{
		{
			name: "no UNA defaults",
			in:   "UNB+UNOA:3+SENDER+RECEIVER+240115:1200+1'" + body,
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'},
			tags: "UNB UNH BGM UNT UNZ",
		},
		{
			name: "default UNA newline",
			in:   "UNA:+.? '\nUNB+UNOC:3+SENDER+RECEIVER+240115:1200+1'\n" + strings.ReplaceAll(body, "'", "'\n"),
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'},
			tags: "UNB UNH BGM UNT UNZ",
			check: func(t *testing.T, r tokResult) {
				if r.segs[0].Pos != 1 || r.segs[0].Offset != 10 {
					t.Errorf("UNB pos %d offset %d, want 1 and 10", r.segs[0].Pos, r.segs[0].Offset)
				}
			},
		},
		{
			name: "UNA*@.? #",
			in:   "UNA*@.? #\nUNB@UNOA*3@Acme*1@Recipient*1@20051107*1159@6002#UNH@1@MSG1*D*97B*UN#UNT@2@1#UNZ@1@6002#",
			want: Delimiters{Segment: '#', Element: '@', Component: '*', Release: '?', Decimal: '.'},
			tags: "UNB UNH UNT UNZ",
			check: func(t *testing.T, r tokResult) {
				if got := r.seg("UNH", 0).Components(2); !reflect.DeepEqual(got, []string{"MSG1", "D", "97B", "UN"}) {
					t.Errorf("UNH02 = %q", got)
				}
			},
		},
		{
			name: "UNA=*.? ~",
			in:   "UNA=*.? ~\nUNB*UNOA=3*005435656=1*006?415160=1*060515=1434*00000000000778~\nUNH*1*INVOIC=D=97B=UN~\nUNT*2*1~\nUNZ*1*00000000000778~\n",
			want: Delimiters{Segment: '~', Element: '*', Component: '=', Release: '?', Decimal: '.'},
			tags: "UNB UNH UNT UNZ",
			check: func(t *testing.T, r tokResult) {
				if got := r.segs[0].Components(3); !reflect.DeepEqual(got, []string{"006415160", "1"}) {
					t.Errorf("UNB03 = %q (? before an ordinary char)", got)
				}
			},
		},
		{
			name: "UNA comma decimal",
			in:   "UNA:+,? 'UNB+UNOA:2+S+R+240115:1200+1'" + body,
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: ','},
		},
		{
			name: "UNA pipe element CRLF",
			in:   "UNA:|.? '\r\nUNB|UNOB:1|S|R|240115:1200|1'\r\n" + strings.ReplaceAll(strings.ReplaceAll(body, "+", "|"), "'", "'\r\n"),
			want: Delimiters{Segment: '\'', Element: '|', Component: ':', Release: '?', Decimal: '.'},
			tags: "UNB UNH BGM UNT UNZ",
		},
		{
			name: "syntax 4 without UNA",
			in:   "UNB+UNOC:4+S+R+20240115:1200+1'UNH+1+ORDERS:D:01B:UN'FTX+AAI+++A*B?*C'UNT+3+1'UNZ+1+1'",
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Repetition: '*', Release: '?', Decimal: '.'},
			tags: "UNB UNH FTX UNT UNZ",
			check: func(t *testing.T, r tokResult) {
				got := r.seg("FTX", 0).Repetitions(4)
				if !reflect.DeepEqual(got, [][]string{{"A"}, {"B*C"}}) {
					t.Errorf("FTX04 repetitions = %q", got)
				}
				if r.segs[0].Delims.Repetition != '*' {
					t.Errorf("UNB Delims = %+v", r.segs[0].Delims)
				}
			},
		},
		{
			name: "syntax 4 UNA",
			in:   "UNA:+.?*'UNB+UNOC:4+S+R+20240115:1200+1'UNH+1+ORDERS:D:01B:UN'UNT+2+1'UNZ+1+1'",
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Repetition: '*', Release: '?', Decimal: '.'},
		},
		{
			name: "newline terminated",
			in:   "UNB+UNOA:1+S:14+R:14+180525:2030+2216\nUNH+1+IFCSUM:D:01B:UN:EAN003\nBGM+610+1000505549+9\nFTX+AAA+++WHY?\r\nFTX+AAA+++A?+B\nUNT+3+1\nUNZ+1+2216\n",
			want: Delimiters{Segment: '\n', Element: '+', Component: ':', Release: '?', Decimal: '.'},
			tags: "UNB UNH BGM FTX FTX UNT UNZ",
			check: func(t *testing.T, r tokResult) {
				// A line break ends the segment even after a release
				// character.
				if got := string(r.seg("FTX", 0).Elements[3]); got != "WHY?" {
					t.Errorf("FTX04 = %q", got)
				}
				if got := r.seg("FTX", 1).Value(4); got != "A+B" {
					t.Errorf("second FTX04 = %q", got)
				}
			},
		},
		{
			name: "newline inside segment kept",
			in:   "UNB+UNOB:2+CARRIER+RECEIVER+999818:999+251'\nUNH+1+IFTMBC:D:00B:UN'\nFTX+AAI+++COSTS/DELAYS OCCUR\n:DUE TO CUSTOMS.'\nUNT+3+1'\nUNZ+1+251'",
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'},
			tags: "UNB UNH FTX UNT UNZ",
			check: func(t *testing.T, r tokResult) {
				got := r.seg("FTX", 0).Components(4)
				if !reflect.DeepEqual(got, []string{"COSTS/DELAYS OCCUR\n", "DUE TO CUSTOMS."}) {
					t.Errorf("FTX04 = %q", got)
				}
			},
		},
		{
			name: "wrapped (UNB contains a newline)",
			in:   tokWrap("UNB+UNOA:3+005435656:1+006415160:1+060515:1434+00000000000778'UNH+00000000000117+INVOIC:D:97B:UN'BGM+380+342459+9'UNT+3+00000000000117'UNZ+1+00000000000778'", 50),
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'},
			tags: "UNB UNH BGM UNT UNZ",
			check: func(t *testing.T, r tokResult) {
				if a, b := r.seg("UNB", 0).Value(5), r.seg("UNZ", 0).Value(2); a != "00000000000778" || a != b {
					t.Errorf("UNB05 %q UNZ02 %q", a, b)
				}
			},
		},
		{
			name: "level B separators",
			in:   "UNB\x1dUNOB\x1f1\x1dS\x1dR\x1d240115\x1f1200\x1d1\x1cUNH\x1d1\x1dINVOIC\x1fD\x1f97B\x1fUN\x1cUNT\x1d2\x1d1\x1cUNZ\x1d1\x1d1\x1c",
			want: Delimiters{Segment: 0x1C, Element: 0x1D, Component: 0x1F, Decimal: '.'},
			tags: "UNB UNH UNT UNZ",
		},
		{
			name: "fragment without envelope",
			in:   "BGM+82+500000000020+ZZ1'\nDTM+137:20080421:102'\nSEG1+1+2++4+5??'\n",
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'},
			tags: "BGM DTM SEG1",
		},
		{
			name: "UNH first",
			in:   "UNH+638+COPRAR:D:95B:UN'\nBGM+45+20121121084145+9+AB'\nUNT+3+638'\n",
			want: Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'},
			tags: "UNH BGM UNT",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				r := tokTokenizeReader(t, strings.NewReader(tc.in), ReaderOptions{}, slow)
				if r.err != nil {
					t.Fatalf("slow=%v: %v", slow, r.err)
				}
				if r.format != FormatEDIFACT {
					t.Errorf("format = %v", r.format)
				}
				if r.delims != tc.want {
					t.Errorf("slow=%v: delimiters = %+v, want %+v", slow, r.delims, tc.want)
				}
				if tc.tags != "" && r.tags() != tc.tags {
					t.Errorf("tags = %q, want %q", r.tags(), tc.tags)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
			}
		})
	}
}

func TestTokenEDIFACTRelease(t *testing.T) {
	in := "UNA:+.? 'UNB+UNOA:3+S+R+240115:1200+1'" +
		"NAD+SE+15432211::92+Schoenstrasse D?'Or7:81543:Munich+Meister?+Co+++++DE?''" +
		"FTX+AAI+++Can you deliver?? Please!:a?:b'" +
		"SEG4+2+4???'+3'" +
		"SEG5+6???''" +
		"RFF+ZZ:006?415160'" +
		"UNZ+1+1'"
	for _, slow := range []bool{false, true} {
		r := tokTokenizeReader(t, strings.NewReader(in), ReaderOptions{}, slow)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := r.tags(); got != "UNB NAD FTX SEG4 SEG5 RFF UNZ" {
			t.Fatalf("tags %q", got)
		}
		nad := r.seg("NAD", 0)
		if nad.Len() != 9 {
			t.Errorf("NAD has %d elements: %q", nad.Len(), nad.Elements)
		}
		if got := string(nad.Elements[2]); got != "Schoenstrasse D?'Or7:81543:Munich" {
			t.Errorf("raw NAD03 = %q (release characters must be kept)", got)
		}
		if got := nad.Components(3); !reflect.DeepEqual(got, []string{"Schoenstrasse D'Or7", "81543", "Munich"}) {
			t.Errorf("NAD03 components %q", got)
		}
		if got := nad.Value(4); got != "Meister+Co" {
			t.Errorf("NAD04 = %q", got)
		}
		if got := nad.Value(9); got != "DE'" {
			t.Errorf("NAD09 = %q", got)
		}
		ftx := r.seg("FTX", 0)
		if got := ftx.Components(4); !reflect.DeepEqual(got, []string{"Can you deliver? Please!", "a:b"}) {
			t.Errorf("FTX04 = %q", got)
		}
		if got := ftx.Value(4); got != "Can you deliver? Please!:a:b" {
			t.Errorf("FTX04 value = %q", got)
		}
		if got := r.seg("SEG4", 0).Value(2); got != "4?'" {
			t.Errorf("SEG4 02 = %q", got)
		}
		if got := r.seg("SEG4", 0).Value(3); got != "3" {
			t.Errorf("SEG4 03 = %q", got)
		}
		if got := r.seg("SEG5", 0).Value(1); got != "6?'" {
			t.Errorf("SEG5 01 = %q", got)
		}
		if got := r.seg("RFF", 0).Components(1); !reflect.DeepEqual(got, []string{"ZZ", "006415160"}) {
			t.Errorf("RFF01 = %q", got)
		}
	}
}

func TestTokenSegmentAccessors(t *testing.T) {
	in := tokISA('*', '^', "00501", ':', "~") +
		"GS*FA*A*B*20240115*1200*1*X*005010X231A1~" +
		"AK3*NM1*R1^R2^R3A:R3B**R4~" +
		"N1*ST*~" +
		"IEA*1*000000001~"
	r := tokTokenize(t, in, ReaderOptions{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	ak3 := r.seg("AK3", 0)
	if ak3.Len() != 4 {
		t.Fatalf("AK3 Len = %d", ak3.Len())
	}
	if got := ak3.Value(2); got != "R1^R2^R3A:R3B" {
		t.Errorf("Value(2) = %q", got)
	}
	if got := ak3.Value(3); got != "" {
		t.Errorf("Value(3) = %q", got)
	}
	for _, i := range []int{0, -1, 5, 100} {
		if ak3.Value(i) != "" || ak3.Components(i) != nil || ak3.Repetitions(i) != nil {
			t.Errorf("absent element %d not empty", i)
		}
	}
	if got := ak3.Repetitions(2); !reflect.DeepEqual(got, [][]string{{"R1"}, {"R2"}, {"R3A", "R3B"}}) {
		t.Errorf("Repetitions(2) = %q", got)
	}
	if got := ak3.Components(2); !reflect.DeepEqual(got, []string{"R1^R2^R3A", "R3B"}) {
		t.Errorf("Components(2) = %q", got)
	}
	if got := ak3.Components(3); !reflect.DeepEqual(got, []string{""}) {
		t.Errorf("Components(3) = %q", got)
	}
	if got := r.seg("N1", 0); got.Len() != 2 || got.Value(2) != "" {
		t.Errorf("N1 trailing empty element: %q", got.Elements)
	}
	isa := r.segs[0]
	if got := isa.Components(16); !reflect.DeepEqual(got, []string{":"}) {
		t.Errorf("ISA16 components = %q", got)
	}
	if got := isa.Repetitions(11); !reflect.DeepEqual(got, [][]string{{"^"}}) {
		t.Errorf("ISA11 repetitions = %q", got)
	}
	if isa.Len() != 16 || isa.Value(12) != "00501" {
		t.Errorf("ISA = %q", isa.Elements)
	}
}

func TestTokenCloneSurvivesNext(t *testing.T) {
	in := tokISA('*', 'U', "00401", '>', "~") + tokX12Body("*", "~")
	rd := NewReader(strings.NewReader(in), ReaderOptions{})
	var clones []*Segment
	var raw []*Segment
	for {
		s, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		clones = append(clones, s.Clone())
		raw = append(raw, s)
	}
	if raw[0] != raw[1] {
		t.Log("Next returns distinct segments (allowed)")
	}
	want := tokTokenize(t, in, ReaderOptions{})
	if !reflect.DeepEqual(clones, want.segs) {
		t.Errorf("clones differ")
	}
	c := clones[1]
	c.Elements[0] = append(c.Elements[0], 'X') // must not clobber element 02
	if string(c.Elements[1]) != "SENDER" {
		t.Errorf("Clone elements share capacity: %q", c.Elements[1])
	}
}

func TestTokenConcatenated(t *testing.T) {
	a := tokISA('*', 'U', "00401", '>', "~\n") + tokX12Body("*", "~\n")
	b := tokISA('|', '^', "00501", ':', "\n") + tokX12Body("|", "\n")
	c := tokISA('*', 'U', "00400", '>', "…") + tokX12Body("*", "…")
	e1 := "UNA:+.? '\nUNB+UNOC:3+S+R+240115:1200+1'UNH+1+X:D:97B:UN'UNT+2+1'UNZ+1+1'\n"
	e2 := "UNA*@.? #\nUNB@UNOA*3@S@R@240115*1200@2#UNH@1@X*D*97B*UN#UNT@2@1#UNZ@1@2#\n"
	e3 := "UNB+UNOC:3+S+R+240115:1200+3'UNH+1+X:D:97B:UN'UNT+2+1'UNZ+1+3'"

	r := tokTokenize(t, a+b+c, ReaderOptions{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	x12tags := "ISA GS ST BSN HL SE GE IEA"
	if got := r.tags(); got != strings.Repeat(x12tags+" ", 2)+x12tags {
		t.Errorf("tags = %q", got)
	}
	wantDelims := []Delimiters{
		{Segment: '~', Element: '*', Component: '>'},
		{Segment: '\n', Element: '|', Component: ':', Repetition: '^'},
		{Segment: 0xE2, Element: '*', Component: '>'},
	}
	for i, s := range r.segs {
		if want := wantDelims[i/8]; s.Delims != want {
			t.Errorf("segment %d %s: delims %+v, want %+v", i+1, s.Tag, s.Delims, want)
		}
		if s.Pos != i+1 {
			t.Errorf("segment %d: Pos %d", i+1, s.Pos)
		}
	}
	if v := r.segs[8+6].Value(2); v != "1" { // GE of interchange b
		t.Errorf("GE02 = %q", v)
	}

	r = tokTokenize(t, e1+e2+e3, ReaderOptions{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.tags(); got != "UNB UNH UNT UNZ UNB UNH UNT UNZ UNB UNH UNT UNZ" {
		t.Errorf("tags = %q", got)
	}
	if got := r.segs[4].Delims.Element; got != '@' {
		t.Errorf("second UNB element separator %q", got)
	}
	if got := r.segs[8].Delims; got.Element != '+' || got.Segment != '\'' {
		t.Errorf("third UNB (no UNA) delims %+v", got)
	}
	if got := r.segs[5].Components(2); !reflect.DeepEqual(got, []string{"X", "D", "97B", "UN"}) {
		t.Errorf("second UNH02 = %q", got)
	}

	// X12 followed by EDIFACT and back.
	r = tokTokenize(t, a+e1+a, ReaderOptions{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.tags(); got != x12tags+" UNB UNH UNT UNZ "+x12tags {
		t.Errorf("mixed tags = %q", got)
	}
	if r.format != FormatX12 {
		t.Errorf("format %v", r.format)
	}
}

func TestTokenOffsets(t *testing.T) {
	in := "\ufeff\n  UNA:+.? '\r\nUNB+UNOA:3+S+R+240115:1200+1'\r\n  UNH+1+X:D:97B:UN'''\nUNT+2+1'UNZ+1+1'"
	want := []struct {
		tag string
		off int64
	}{
		{"UNB", int64(strings.Index(in, "UNB"))},
		{"UNH", int64(strings.Index(in, "UNH"))},
		{"UNT", int64(strings.Index(in, "UNT"))},
		{"UNZ", int64(strings.Index(in, "UNZ"))},
	}
	for _, chunk := range []int{0, 1, 3, 7} {
		var src io.Reader = strings.NewReader(in)
		if chunk > 0 {
			src = &tokChunkReader{data: []byte(in), n: chunk}
		}
		r := tokTokenizeReader(t, src, ReaderOptions{}, false)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.segs) != len(want) {
			t.Fatalf("chunk %d: %d segments: %s", chunk, len(r.segs), r.tags())
		}
		for i, w := range want {
			s := r.segs[i]
			if s.Tag != w.tag || s.Offset != w.off || s.Pos != i+1 {
				t.Errorf("chunk %d: segment %d = %s @%d pos %d, want %s @%d pos %d", chunk, i, s.Tag, s.Offset, s.Pos, w.tag, w.off, i+1)
			}
		}
	}

	x := "\n" + tokISA('*', 'U', "00401", '>', "~\n") + tokX12Body("*", "~\n")
	r := tokTokenize(t, x, ReaderOptions{})
	for i, s := range r.segs {
		if x[s.Offset:s.Offset+int64(len(s.Tag))] != s.Tag {
			t.Errorf("segment %d %s: offset %d points at %q", i, s.Tag, s.Offset, x[s.Offset:s.Offset+3])
		}
	}
}

// tokChunkReader returns at most n bytes per Read.
type tokChunkReader struct {
	data []byte
	n    int
}

func (c *tokChunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.n, len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestTokenBadInput(t *testing.T) {
	std := tokISA('*', 'U', "00401", '>', "~")
	tests := []struct {
		name   string
		in     string
		opts   ReaderOptions
		code   string
		offset int64
		segs   int // segments returned before the error
	}{
		{name: "empty", in: "", code: CodeNotEDI},
		{name: "whitespace", in: " \r\n\t ", code: CodeNotEDI, offset: 5},
		{name: "binary garbage", in: "\x00\x01\x02\xff\xfe\x89PNG\r\n", code: CodeNotEDI, offset: 1},
		{name: "PNG", in: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", code: CodeNotEDI},
		{name: "not EDI text", in: "Tk9OIEVESSBGSUxFISAasadsdfs", code: CodeNotEDI},
		{name: "json", in: "  {\"ISA\": 1}", code: CodeNotEDI, offset: 2},
		{name: "ISA word", in: "ISABELLA went home", code: CodeNotEDI},
		{name: "ISA only", in: "ISA", code: CodeTruncatedISA},
		{name: "truncated ISA", in: std[:60], code: CodeTruncatedISA},
		{name: "ISA without terminator", in: std[:105], code: CodeTruncatedISA},
		{name: "truncated ISA after BOM", in: "\ufeff" + std[:100], code: CodeTruncatedISA, offset: 3},
		{name: "truncated second ISA", in: std + tokX12Body("*", "~") + "\n" + std[:50], code: CodeTruncatedISA, offset: int64(len(std) + len(tokX12Body("*", "~")) + 1), segs: 8},
		{name: "ISA longer than the scan window", in: "ISA*" + strings.Repeat("0", 4200) + strings.Repeat("*", 15) + ">~GS*A~", code: CodeBadDelimiters},
		{name: "alphanumeric ISA16", in: tokISA('*', 'U', "00401", 'X', "~") + tokX12Body("*", "~"), code: CodeBadDelimiters, offset: 104},
		{name: "terminator equals separator", in: tokISA('*', 'U', "00401", '>', "*") + tokX12Body("*", "*"), code: CodeBadDelimiters, offset: 105},
		{name: "truncated UNA", in: "UNA:+.", code: CodeTruncatedUNA},
		{name: "bad UNA", in: "UNA:::? 'UNB:UNOA'", code: CodeBadDelimiters},
		{name: "UNA alphanumeric", in: "UNAA+.? 'UNB+UNOA'", code: CodeBadDelimiters},
		{name: "oversize segment", in: std + "GS*" + strings.Repeat("A", 200) + "~", opts: ReaderOptions{MaxSegmentBytes: 150}, code: CodeSegmentTooLong, offset: 106, segs: 1},
		{name: "oversize unterminated", in: std + "GS*" + strings.Repeat("A", 200), opts: ReaderOptions{MaxSegmentBytes: 150}, code: CodeSegmentTooLong, offset: 106, segs: 1},
		{name: "oversize EDIFACT", in: "UNB+UNOA:3+S+R+1:1+1'UNH+" + strings.Repeat("?'", 100) + "'", opts: ReaderOptions{MaxSegmentBytes: 100}, code: CodeSegmentTooLong, offset: 21, segs: 1},
		{name: "empty tag", in: "UNB+UNOA:3+S+R+1:1+1'+X'", code: CodeEmptyTag, offset: 21, segs: 1},
		{name: "too many elements", in: std + "GS" + strings.Repeat("*", maxElements+1) + "~", code: CodeTooManyElements, offset: 106, segs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				for _, oneByte := range []bool{false, true} {
					var src io.Reader = strings.NewReader(tc.in)
					if oneByte {
						src = iotest.OneByteReader(src)
					}
					rd := NewReader(src, tc.opts)
					rd.slowOnly = slow
					n := 0
					var err error
					for {
						if _, err = rd.Next(); err != nil {
							break
						}
						n++
					}
					var se *SyntaxError
					if !errors.As(err, &se) {
						t.Fatalf("slow=%v oneByte=%v: err = %v (%d segments), want *SyntaxError", slow, oneByte, err, n)
					}
					if se.Code != tc.code || se.Offset != tc.offset || n != tc.segs {
						t.Errorf("slow=%v oneByte=%v: %s (code %s) after %d segments, want code %s offset %d after %d", slow, oneByte, se, se.Code, n, tc.code, tc.offset, tc.segs)
					}
					if !strings.HasPrefix(se.Error(), fmt.Sprintf("edi: offset %d: ", se.Offset)) {
						t.Errorf("Error() = %q", se.Error())
					}
					if _, err2 := rd.Next(); err2 != err {
						t.Errorf("error not sticky: %v", err2)
					}
				}
			}
		})
	}
}

func TestTokenReadError(t *testing.T) {
	boom := errors.New("boom")
	in := tokISA('*', 'U', "00401", '>', "~") + "GS*SH*A"
	rd := NewReader(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), ReaderOptions{})
	var err error
	for err == nil {
		_, err = rd.Next()
	}
	if err != boom {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

func TestTokenUnterminated(t *testing.T) {
	in := tokISA('*', 'U', "00401", '>', "~") + "GS*SH*A~IEA*1*000000001"
	r := tokTokenize(t, in, ReaderOptions{})
	if r.err != nil || r.tags() != "ISA GS IEA" || r.segs[2].Value(2) != "000000001" {
		t.Errorf("tags %q err %v", r.tags(), r.err)
	}
}

func TestTokenNoAllocs(t *testing.T) {
	data := tokGenX12(1 << 20)
	edif := tokGenEDIFACT(1 << 20)
	for _, d := range [][]byte{data, edif} {
		rd := NewReader(bytes.NewReader(d), ReaderOptions{})
		for i := 0; i < 1000; i++ { // warm up: buffer, tag cache
			if _, err := rd.Next(); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(10000, func() {
			if _, err := rd.Next(); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%.2f allocations per segment", allocs)
		}
	}
}

// TestTokenReleaseBoundaries places runs of release characters at every
// position relative to the 8-byte words of the fast path and compares
// with the general path.
func TestTokenReleaseBoundaries(t *testing.T) {
	var b strings.Builder
	b.WriteString("UNB+UNOA:3+S+R+240115:1200+1'")
	for n := 0; n < 17; n++ {
		for k := 0; k < 6; k++ {
			for _, next := range []string{"'", "+", ":", "?", "x"} {
				if next == "'" && k%2 == 0 {
					continue // a real terminator: "+Z'" would have no tag
				}
				fmt.Fprintf(&b, "FTX+%s%s%s+Z'\n", strings.Repeat("x", n), strings.Repeat("?", k), next)
			}
		}
	}
	b.WriteString("UNZ+1+1'")
	in := b.String()
	fast, err := tokDump(strings.NewReader(in), ReaderOptions{}, false)
	if err != nil {
		t.Fatal(err)
	}
	slow, _ := tokDump(iotest.OneByteReader(strings.NewReader(in)), ReaderOptions{}, true)
	if fast != slow {
		t.Fatalf("fast and general paths differ: %s", tokFirstDiff(fast, slow))
	}
	r := tokTokenize(t, "UNB+UNOA:3+S+R+1:1+1'FTX+xxxxx??+?'?''", ReaderOptions{})
	if got := r.seg("FTX", 0).Elements; len(got) != 2 || string(got[0]) != "xxxxx??" || string(got[1]) != "?'?'" {
		t.Errorf("FTX elements %q", got)
	}
}
