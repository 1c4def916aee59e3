package edi

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

// Seeds for the fuzz targets besides testdata/fuzz/FuzzReader*/.
func tokX12FuzzSeeds() []string {
	std := tokISA('*', 'U', "00401", '>', "~")
	return []string{
		std + tokX12Body("*", "~"),
		tokISA('*', '^', "00501", ':', "~\n") + tokX12Body("*", "~\n"),
		tokISA('~', '^', "00501", '^', "_\n") + tokX12Body("~", "_\n"),
		tokISA('*', 'U', "00400", '`', "\n") + tokX12Body("*", "\n"),
		tokISA('*', 'U', "00400", '>', "…") + tokX12Body("*", "…"),
		tokWrap(std+tokX12Body("*", "~"), 80),
		"ISA*00**00**ZZ*S*ZZ*R*240115*1200*^*00501*1*0*P*:~GS*FA~IEA*1*1~",
		"\ufeff  " + std + "IEA*1*000000001",
		std[:70],
	}
}

func tokEDIFACTFuzzSeeds() []string {
	return []string{
		"UNA:+.? 'UNB+UNOA:3+S+R+240115:1200+1'UNH+1+INVOIC:D:97B:UN'NAD+SE+1::92+D?'Or:1+M?+C'UNT+3+1'UNZ+1+1'",
		"UNA*@.? #\nUNB@UNOA*3@A*1@R*1@20051107*1159@6002#\nUNH@1@MSG1*D*97B*UN#\nUNT@2@1#\nUNZ@1@6002#\n",
		"UNA=*.? ~UNB*UNOA=3*005435656=1*006?415160=1*1=1*7~UNZ*1*7~",
		"UNB+UNOC:4+S+R+20240115:1200+1'UNH+1+ORDERS:D:01B:UN'FTX+AAI+++A*B?*C??'UNT+3+1'UNZ+1+1'",
		"UNB+UNOA:1+S:14+R:14+180525:2030+2216\nUNH+1+IFCSUM:D:01B:UN:EAN003\nBGM+610+1+9\nUNT+3+1\nUNZ+1+2216\n",
		"UNB\x1dUNOB\x1f1\x1dS\x1dR\x1d1\x1f1\x1d1\x1cUNZ\x1d1\x1d1\x1c",
		"BGM+82+500000000020+ZZ1'\nSEG4+2+4???'+3+5+6'\n",
		tokWrap("UNB+UNOA:3+005435656:1+006415160:1+060515:1434+00000000000778'UNH+1+INVOIC:D:97B:UN'UNZ+1+00000000000778'", 50),
	}
}

func FuzzReaderX12(f *testing.F) {
	for _, s := range tokX12FuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(tokFuzz)
}

func FuzzReaderEDIFACT(f *testing.F) {
	for _, s := range tokEDIFACTFuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(tokFuzz)
}

// tokFuzz checks that tokenizing data never panics, that every
// segment has a tag and increasing offsets and positions, that the
// accessors work, and that the fast path, the general path and a reader
// returning one byte at a time agree.
func tokFuzz(t *testing.T, data []byte) {
	opts := ReaderOptions{MaxSegmentBytes: 1024}
	rd := NewReader(bytes.NewReader(data), opts)
	var segs []*Segment
	lastOff, lastPos := int64(-1), 0
	var err error
	for {
		var s *Segment
		s, err = rd.Next()
		if err != nil {
			break
		}
		if s.Tag == "" {
			t.Fatalf("segment %d: empty tag", s.Pos)
		}
		if s.Offset <= lastOff || s.Offset >= int64(len(data)) {
			t.Fatalf("segment %d %q: offset %d after %d (input %d bytes)", s.Pos, s.Tag, s.Offset, lastOff, len(data))
		}
		if data[s.Offset] != s.Tag[0] {
			t.Fatalf("segment %d: offset %d points at %q, tag %q", s.Pos, s.Offset, data[s.Offset], s.Tag)
		}
		if s.Pos != lastPos+1 {
			t.Fatalf("position %d after %d", s.Pos, lastPos)
		}
		lastOff, lastPos = s.Offset, s.Pos
		for i := 0; i <= s.Len()+1; i++ {
			_ = s.Value(i)
			c := s.Components(i)
			reps := s.Repetitions(i)
			if i >= 1 && i <= s.Len() && (len(c) == 0 || len(reps) == 0) {
				t.Fatalf("element %d: no components", i)
			}
		}
		c := s.Clone()
		if !reflect.DeepEqual(c.Elements, s.Elements) || c.Tag != s.Tag {
			t.Fatal("Clone differs")
		}
		segs = append(segs, c)
		if len(segs) > len(data) {
			t.Fatal("more segments than bytes")
		}
	}
	var se *SyntaxError
	if err != io.EOF && !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is neither io.EOF nor *SyntaxError", err, err)
	}
	if se != nil && (se.Code == "" || se.Offset < 0 || se.Offset > int64(len(data))) {
		t.Fatalf("bad SyntaxError %+v", se)
	}
	if _, err2 := rd.Next(); err2 != err {
		t.Fatalf("error not sticky: %v then %v", err, err2)
	}

	fast, _ := tokDump(bytes.NewReader(data), opts, false)
	slow, _ := tokDump(iotest.OneByteReader(bytes.NewReader(data)), opts, true)
	if fast != slow {
		t.Fatalf("fast and general/one-byte tokenizations differ: %s", tokFirstDiff(fast, slow))
	}
}
