package edi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// tokDump renders the segments of src, one per line, with a comment
// line whenever the delimiters change, and the final error.
func tokDump(src io.Reader, opts ReaderOptions, slow bool) (string, error) {
	var b strings.Builder
	r := NewReader(src, opts)
	r.slowOnly = slow
	var last Delimiters
	var lastTerm string
	for {
		s, err := r.Next()
		if err == io.EOF {
			fmt.Fprintf(&b, "EOF format=%v\n", r.Format())
			return b.String(), nil
		}
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				fmt.Fprintf(&b, "ERROR %s @%d: %s\n", se.Code, se.Offset, se.Msg)
			} else {
				fmt.Fprintf(&b, "ERROR %v\n", err)
			}
			return b.String(), err
		}
		if term := string(r.SegmentTerminator()); s.Delims != last || term != lastTerm {
			last, lastTerm = s.Delims, term
			fmt.Fprintf(&b, "# %v terminator=%q %s\n", r.Format(), term, tokFmtDelims(s.Delims))
		}
		fmt.Fprintf(&b, "%d @%d %s", s.Pos, s.Offset, s.Tag)
		for _, e := range s.Elements {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(string(e)))
		}
		b.WriteByte('\n')
	}
}

func tokFmtDelims(d Delimiters) string {
	q := func(c byte) string {
		if c == 0 {
			return "none"
		}
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("segment=%s element=%s component=%s repetition=%s release=%s decimal=%s",
		q(d.Segment), q(d.Element), q(d.Component), q(d.Repetition), q(d.Release), q(d.Decimal))
}

func tokCheckGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", path, tokFirstDiff(string(want), got))
	}
}

func tokFirstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, a, b)
		}
	}
	return ""
}

// TestTokenCorpus tokenizes every X12 and EDIFACT corpus file marked
// valid, valid-per-source or edge: each must reach EOF without error, the
// same way through the fast and the general path and with a reader that
// returns one byte at a time, and match its golden dump. The other files
// (invalid-intentional, golden, ...) must not panic.
func TestTokenCorpus(t *testing.T) {
	entries := readManifest(t)
	checked := 0
	for _, e := range entries {
		if e.Format != "x12" && e.Format != "edifact" {
			continue
		}
		mustPass := e.Status == "valid" || e.Status == "valid-per-source" || e.Status == "edge"
		data, err := os.ReadFile(filepath.Join(corpusDir, e.File))
		if err != nil {
			t.Errorf("%s: %v", e.File, err)
			continue
		}
		t.Run(e.File, func(t *testing.T) {
			got, err := tokDump(bytes.NewReader(data), ReaderOptions{}, false)
			slow, _ := tokDump(bytes.NewReader(data), ReaderOptions{}, true)
			one, _ := tokDump(iotest.OneByteReader(bytes.NewReader(data)), ReaderOptions{}, false)
			if got != slow || got != one {
				t.Errorf("fast, general and one-byte tokenizations differ:\nfast/general %s\nfast/one-byte %s", tokFirstDiff(got, slow), tokFirstDiff(got, one))
			}
			if !mustPass {
				t.Logf("%s (%s): %s", e.File, e.Status, tokLastLine(got))
				return
			}
			checked++
			if err != nil {
				t.Fatalf("%s (%s): %v", e.File, e.Status, err)
			}
			wantFormat := "format=" + e.Format
			if !strings.HasSuffix(got, wantFormat+"\n") {
				t.Errorf("format: %s, want %s", tokLastLine(got), wantFormat)
			}
			tokCheckGolden(t, filepath.Join("testdata", "token", "corpus", strings.ReplaceAll(e.File, "/", "__")+".tokens"), got)
		})
	}
	t.Logf("%d corpus files tokenized to EOF", checked)
	if checked == 0 {
		t.Error("no corpus file checked")
	}
}

func tokLastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// TestTokenGolden covers hand-written inputs under testdata/token/*.edi.
func TestTokenGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "token", "*.edi"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/token/*.edi")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := tokDump(bytes.NewReader(data), ReaderOptions{}, false)
			slow, _ := tokDump(iotest.OneByteReader(bytes.NewReader(data)), ReaderOptions{}, true)
			if got != slow {
				t.Errorf("fast and general paths differ: %s", tokFirstDiff(got, slow))
			}
			tokCheckGolden(t, strings.TrimSuffix(f, ".edi")+".tokens", got)
		})
	}
}
