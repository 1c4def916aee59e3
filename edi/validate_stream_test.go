package edi

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestValidateStreamMatchesValidate checks that the streaming validator
// reports exactly what the whole-document one does, on every corpus file
// that parses.
func TestValidateStreamMatchesValidate(t *testing.T) {
	var files []string
	for _, dir := range []string{"x12", "edifact"} {
		filepath.WalkDir(filepath.Join(corpusDir, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.Contains(p, ".snapshots") && !strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".xml") {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Skipf("EDI corpus not found at %s", corpusDir)
	}
	compared := 0
	for _, strict := range []bool{false, true} {
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			opts := ReportOptions{Strict: strict}
			whole, werr := Validate(bytes.NewReader(data), opts)
			stream, serr := ValidateStream(bytes.NewReader(data), opts)
			if (werr == nil) != (serr == nil) {
				t.Errorf("%s: Validate err %v, ValidateStream err %v", p, werr, serr)
				continue
			}
			if werr != nil {
				continue
			}
			compared++
			if !reflect.DeepEqual(summary(whole), summary(stream)) {
				t.Errorf("%s (strict=%v):\nwhole:  %v\nstream: %v", p, strict, summary(whole), summary(stream))
			}
		}
	}
	t.Logf("compared %d validations", compared)
}

func summary(r *Report) []string {
	out := []string{fmt.Sprintf("valid=%v errors=%d warnings=%d ic=%d g=%d tx=%d", r.Valid, r.Errors, r.Warnings, r.Interchanges, r.Groups, r.Transactions)}
	for _, is := range r.Issues {
		out = append(out, fmt.Sprintf("%s %s @%d/%d", is.Severity, is.Code, is.SegmentPos, is.Offset))
	}
	return out
}

// repeatReader yields an interchange of n transactions (body formatted
// with a distinct control number each) without holding it in memory.
type repeatReader struct {
	head, tail []byte
	body       string
	n, i       int
	cur        []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		switch {
		case r.head != nil:
			r.cur, r.head = r.head, nil
		case r.i < r.n:
			r.cur = r.cur[:0]
			if r.i > 0 && r.i%5000 == 0 {
				// ST02 has 4 digits: a new group every 5,000 sets keeps them unique.
				g := r.i / 5000
				r.cur = fmt.Appendf(r.cur, "GE*5000*%d~GS*SH*S*R*20240101*1200*%d*X*004010~\n", g, g+1)
			}
			r.i++
			r.cur = fmt.Appendf(r.cur, r.body, r.i%5000+1, r.i%5000+1)
		case r.tail != nil:
			r.cur, r.tail = r.tail, nil
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// TestValidateStreamBoundedMemory validates ~30 MB of 856s and checks the
// heap stays small (the whole-document validator would hold it all).
func TestValidateStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	body := "ST*856*%04d~BSN*00*SHIP1*20240101*1200*0001~HL*1**S~TD1*CTN*10****G*120.5*LB~HL*2*1*O~PRF*PO1***20240101~HL*3*2*P~MAN*GM*000123456700000001~HL*4*3*I~LIN**UP*012345678905~SN1**24*EA~CTT*4~SE*13*%04d~\n"
	n := 30 << 20 / len(body)
	r := &repeatReader{
		head: []byte("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~GS*SH*S*R*20240101*1200*1*X*004010~\n"),
		body: body, n: n,
		tail: []byte(fmt.Sprintf("GE*%d*%d~IEA*%d*000000001~\n", n-(n-1)/5000*5000, (n-1)/5000+1, (n-1)/5000+1)),
	}
	// Sample the heap every few milliseconds: ReadMemStats stops the
	// world, so a tight loop would slow the validation down a hundredfold.
	done := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		var ms runtime.MemStats
		var peak uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()
	rep, err := ValidateStream(r, ReportOptions{})
	close(done)
	peak := <-sampled
	if err != nil {
		t.Fatal(err)
	}
	if rep.Transactions != n || len(rep.Issues) != 0 {
		t.Fatalf("validated %d transactions with %d issues (first: %v), want %d and none", rep.Transactions, len(rep.Issues), first(rep.Issues), n)
	}
	t.Logf("%d transactions, %d issues, peak heap %.1f MiB", n, len(rep.Issues), float64(peak)/(1<<20))
	if peak > 64<<20 {
		t.Errorf("peak heap %.1f MiB, want under 64 MiB", float64(peak)/(1<<20))
	}
}

func first(is []Issue) any {
	if len(is) == 0 {
		return nil
	}
	return is[0]
}
