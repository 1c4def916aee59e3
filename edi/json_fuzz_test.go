package edi

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzJSONRoundTrip: whatever parses survives JSON and rendering with
// the same tree (ISA padding aside), never panics, and Parse, Walk and
// ValidateEnvelopes agree.
func FuzzJSONRoundTrip(f *testing.F) {
	files, _ := filepath.Glob("testdata/model/*.edi")
	more, _ := filepath.Glob("testdata/envelope/*.edi")
	for _, p := range append(files, more...) {
		f.Add(mustReadF(f, p))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, issues, err := Parse(bytes.NewReader(in), ParseOptions{Reader: ReaderOptions{MaxSegmentBytes: 4096}})
		if err != nil {
			return
		}
		if v := ValidateEnvelopes(doc, ValidateOptions{}); len(v) != len(issues) {
			t.Fatalf("ValidateEnvelopes found %d issues, Parse %d", len(v), len(issues))
		}
		wi, err := Walk(bytes.NewReader(in), ParseOptions{Reader: ReaderOptions{MaxSegmentBytes: 4096}}, func(Event) error { return nil })
		if err != nil || len(wi) != len(issues) {
			t.Fatalf("Walk: err %v, %d issues, Parse %d", err, len(wi), len(issues))
		}
		for _, is := range issues {
			if is.Code == CodeEnvISAWidth || is.Code == CodeEnvISAElements || is.Code == CodeEnvISAControl {
				// Render pads the ISA to fixed width, which re-reads
				// differently when its fields were not that width.
				return
			}
		}
		for _, ic := range doc.Interchanges {
			if ic.Terminator != "" && !bytes.Contains(in, []byte(ic.Terminator)) {
				// The tokenizer assumed a multi-byte terminator that the
				// input does not contain as such.
				return
			}
		}
		if jsonFuzzMixedDelims(doc) {
			// The tokenizer switched delimiters inside what the model
			// sees as one interchange (e.g. at a "UNB0" tag): rendering
			// uses one set per interchange.
			return
		}
		j, err := doc.MarshalJSON()
		if err != nil {
			return // e.g. a multi-byte terminator that is not UTF-8
		}
		var mid Document
		if err := mid.UnmarshalJSON(j); err != nil {
			t.Fatalf("unmarshal own JSON: %v\n%s", err, j)
		}
		var out bytes.Buffer
		if err := Render(&out, &mid, nil, RenderOptions{}); err != nil {
			return // data that cannot be written back (e.g. delimiters in an ISA field)
		}
		if out.Len() == 0 && len(doc.Interchanges) == 0 {
			return
		}
		back, _, err := Parse(bytes.NewReader(out.Bytes()), ParseOptions{})
		if err != nil {
			t.Fatalf("rendered output does not parse: %v\n%q", err, out.Bytes())
		}
		a, b := modelTree(doc), modelTree(back)
		if len(a) != len(b) {
			t.Fatalf("%d segments, after round trip %d\n%q\n%q", len(a), len(b), in, out.Bytes())
		}
		for i := range a {
			if a[i] != b[i] && !strings.HasPrefix(a[i], "ISA ") {
				t.Fatalf("segment %d:\n  was %s\n  now %s\n%q\n%q", i+1, a[i], b[i], in, out.Bytes())
			}
		}
	})
}

func mustReadF(f *testing.F, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// jsonFuzzMixedDelims reports a segment whose delimiters differ from its
// interchange's.
func jsonFuzzMixedDelims(doc *Document) bool {
	for _, ic := range doc.Interchanges {
		for _, line := range modelTreeSegments(ic) {
			if line.Delims != ic.Delims {
				return true
			}
		}
	}
	return false
}

// modelTreeSegments lists every segment of an interchange.
func modelTreeSegments(ic *Interchange) []*Segment {
	var out []*Segment
	add := func(s *Segment) {
		if s != nil {
			out = append(out, s)
		}
	}
	tx := func(t *Transaction) {
		for _, s := range t.AllSegments() {
			add(s)
		}
	}
	add(ic.Header)
	add(ic.Trailer)
	out = append(out, ic.TA1...)
	out = append(out, ic.Other...)
	for _, g := range ic.Groups {
		add(g.Header)
		add(g.Trailer)
		out = append(out, g.Other...)
		for _, t := range g.Transactions {
			tx(t)
		}
	}
	for _, t := range ic.Messages {
		tx(t)
	}
	return out
}
