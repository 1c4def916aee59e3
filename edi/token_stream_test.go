package edi

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// tokStreamReader produces an X12 interchange of about size bytes on the
// fly: ISA/GS, alternating 856 and 214 sets, GE/IEA. It never holds more
// than one transaction set.
type tokStreamReader struct {
	size    int64
	emitted int64
	sets    int
	pending []byte
	done    bool
}

func (s *tokStreamReader) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		switch {
		case s.done:
			return 0, io.EOF
		case s.emitted == 0 && s.sets == 0:
			s.pending = append(s.pending[:0], tokISA('*', '^', "00501", '>', "~\n")+"GS*SH*SENDER*RECEIVER*20240115*1200*1*X*005010~\n"...)
			s.sets = -1
		case s.emitted >= s.size:
			s.pending = fmt.Appendf(s.pending[:0], "GE*%d*1~\nIEA*1*000000001~\n", max(s.sets, 0))
			s.done = true
		default:
			if s.sets < 0 {
				s.sets = 0
			}
			s.sets++
			s.pending = tokAppendSet(s.pending[:0], s.sets)
		}
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	s.emitted += int64(n)
	return n, nil
}

func tokAppendSet(b []byte, n int) []byte {
	ctl := fmt.Sprintf("%09d", n)
	segs := 0
	seg := func(format string, args ...any) {
		b = fmt.Appendf(b, format, args...)
		b = append(b, "~\n"...)
		segs++
	}
	if n%2 == 1 {
		seg("ST*856*%s", ctl)
		seg("BSN*00*SHP%07d*20240115*1200*0001", n)
		seg("HL*1**S")
		seg("TD5*B*2*ODFL*M*OLD DOMINION")
		seg("REF*BM*BOL%08d", n)
		seg("N1*ST*ACME DISTRIBUTION CENTER*92*DC0042")
		seg("HL*2*1*O")
		for i := 0; i < 4; i++ {
			seg("HL*%d*2*I", 3+i)
			seg("LIN*%d*UP*0123456789%02d*VP*SKU-%05d", i+1, i, n%100000)
			seg("SN1**%d*EA", 10+i)
		}
		seg("CTT*6")
	} else {
		seg("ST*214*%s", ctl)
		seg("B10*PRO%08d*SHP%07d*ODFL", n, n)
		for i := 1; i <= 3; i++ {
			seg("LX*%d", i)
			seg("AT7*X6*NS***20240115*%02d00*ET", 8+i)
			seg("MS1*SPRINGFIELD*OH*US")
		}
	}
	seg("SE*%d*%s", segs+1, ctl)
	return b
}

// TestTokenStreamMemory tokenizes a 200 MB interchange produced on the
// fly and checks the heap stays under 32 MB.
func TestTokenStreamMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB stream: skipped with -short")
	}
	const size = 200 << 20
	const limit = 32 << 20
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs0 := ms.Mallocs
	src := &tokStreamReader{size: size}
	rd := NewReader(src, ReaderOptions{})
	segs := 0
	var peak uint64
	var lastOff int64 = -1
	for {
		s, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.Offset <= lastOff {
			t.Fatalf("offset %d after %d", s.Offset, lastOff)
		}
		lastOff = s.Offset
		segs++
		if segs%500000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			if ms.HeapAlloc > limit {
				t.Fatalf("heap %d MB after %d segments", ms.HeapAlloc>>20, segs)
			}
		}
	}
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	if src.emitted < size {
		t.Fatalf("only %d bytes read", src.emitted)
	}
	if ms.HeapAlloc > limit {
		t.Fatalf("heap %d MB at the end", ms.HeapAlloc>>20)
	}
	t.Logf("%d MB, %d segments, peak sampled heap %.1f MB, %d allocations (generator included)",
		src.emitted>>20, segs, float64(peak)/(1<<20), ms.Mallocs-mallocs0)
}

// tokHugeSegment is an X12 interchange whose second segment is n bytes long
// without a terminator, produced on the fly.
type tokHugeSegment struct {
	head string
	n    int64
	read int64
}

func (h *tokHugeSegment) Read(p []byte) (int, error) {
	if h.read >= h.n {
		return 0, io.EOF
	}
	i := 0
	for i < len(p) && h.read < h.n {
		if h.read < int64(len(h.head)) {
			c := copy(p[i:], h.head[h.read:])
			i += c
			h.read += int64(c)
			continue
		}
		k := min(int64(len(p)-i), h.n-h.read)
		for j := range k {
			p[i+int(j)] = 'A'
		}
		i += int(k)
		h.read += k
	}
	return i, nil
}

// TestTokenHugeSegment feeds a 2 GB segment: the reader must stop after about
// MaxSegmentBytes with syntax.segment_too_long and bounded memory.
func TestTokenHugeSegment(t *testing.T) {
	head := tokISA('*', 'U', "00401", '>', "~\n") + "GS*"
	for _, max := range []int{0, 1 << 20, 200} {
		runtime.GC()
		src := &tokHugeSegment{head: head, n: 2 << 30}
		rd := NewReader(src, ReaderOptions{MaxSegmentBytes: max})
		var err error
		n := 0
		for err == nil {
			_, err = rd.Next()
			n++
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Code != CodeSegmentTooLong || se.Offset != int64(len(head)-3) || n != 2 {
			t.Fatalf("max %d: err %v after %d segments", max, err, n-1)
		}
		limit := int64(DefaultMaxSegmentBytes)
		if max > 0 {
			limit = int64(max)
		}
		if src.read > limit+initialBufSize+int64(len(head))+16 {
			t.Errorf("max %d: read %d bytes before failing", max, src.read)
		}
		// Live heap with the reader still reachable: the buffer is at most
		// MaxSegmentBytes plus a little.
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		runtime.KeepAlive(rd)
		if ms.HeapAlloc > uint64(limit+(4<<20)) {
			t.Errorf("max %d: heap %d MB", max, ms.HeapAlloc>>20)
		}
		if !strings.Contains(se.Error(), "segment longer than") {
			t.Errorf("message %q", se.Error())
		}
		t.Logf("max %d: %v (read %d MB, heap %d MB)", max, err, src.read>>20, ms.HeapAlloc>>20)
	}
}
