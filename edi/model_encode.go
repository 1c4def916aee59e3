package edi

import (
	"fmt"
	"strings"
)

// This file converts between a segment's raw (escaped) bytes and its
// unescaped structure, for rendering, the JSON form and the Writer.
//
// The structure of one element is [][]string: its repetitions, each a list
// of components. A simple element is {{"value"}}.

// SegmentElements returns the unescaped structure of every element of s:
// for each element its repetitions, each a list of components. ISA
// elements are never split.
func SegmentElements(s *Segment) [][][]string {
	out := make([][][]string, s.Len())
	for i := range out {
		out[i] = s.Repetitions(i + 1)
	}
	return out
}

// BuildSegment makes a segment from unescaped element structures (as
// SegmentElements returns them), escaping values for delimiters d:
// EDIFACT values containing a delimiter get the release character; X12
// values (no release character) must not contain a delimiter. ISA elements
// are taken as written. Pos and Offset are left zero.
func BuildSegment(d Delimiters, tag string, elems [][][]string) (*Segment, error) {
	return modelBuildSegment(d, "", tag, elems)
}

// modelEncodeDelims returns the delimiters values are checked and
// escaped against: with a multi-byte terminator term, its first byte
// (Delims.Segment) alone is ordinary data.
func modelEncodeDelims(d Delimiters, term string) Delimiters {
	if len(term) > 1 {
		d.Segment = 0
	}
	return d
}

// modelCheckTerm rejects a value containing a multi-byte terminator.
func modelCheckTerm(e [][]string, term string) error {
	if len(term) <= 1 {
		return nil
	}
	for _, rep := range e {
		for _, v := range rep {
			if strings.Contains(v, term) {
				return fmt.Errorf("value %q contains the segment terminator %q", v, term)
			}
		}
	}
	return nil
}

// modelBuildSegment is BuildSegment for an interchange whose segment
// terminator may be several bytes long (term; "" for one byte).
func modelBuildSegment(d Delimiters, term, tag string, elems [][][]string) (*Segment, error) {
	s := &Segment{Tag: tag, Delims: d, Elements: make([][]byte, len(elems))}
	ed := modelEncodeDelims(d, term)
	var buf []byte
	for i, e := range elems {
		start := len(buf)
		var err error
		if tag == "ISA" {
			buf, err = modelAppendISAElement(buf, e)
		} else if err = modelCheckTerm(e, term); err == nil {
			buf, err = modelAppendElement(buf, e, ed)
		}
		if err != nil {
			return nil, fmt.Errorf("%s%02d: %w", tag, i+1, err)
		}
		s.Elements[i] = buf[start:len(buf):len(buf)]
	}
	// buf may have been reallocated while appending: re-slice.
	off := 0
	for i := range s.Elements {
		n := len(s.Elements[i])
		s.Elements[i] = buf[off : off+n : off+n]
		off += n
	}
	return s, nil
}

func modelAppendISAElement(dst []byte, e [][]string) ([]byte, error) {
	if len(e) != 1 || len(e[0]) != 1 {
		return dst, fmt.Errorf("ISA elements are simple values")
	}
	return append(dst, e[0][0]...), nil
}

// modelAppendElement appends the escaped bytes of one element.
func modelAppendElement(dst []byte, e [][]string, d Delimiters) ([]byte, error) {
	if len(e) == 0 {
		return dst, nil
	}
	if len(e) > 1 && d.Repetition == 0 {
		return dst, fmt.Errorf("%d repetitions but the interchange has no repetition separator", len(e))
	}
	for r, rep := range e {
		if r > 0 {
			dst = append(dst, d.Repetition)
		}
		if len(rep) > 1 && d.Component == 0 {
			return dst, fmt.Errorf("%d components but the interchange has no component separator", len(rep))
		}
		for c, v := range rep {
			if c > 0 {
				dst = append(dst, d.Component)
			}
			var err error
			if dst, err = modelAppendValue(dst, v, d); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// modelAppendValue appends one data value, escaped for d.
func modelAppendValue(dst []byte, v string, d Delimiters) ([]byte, error) {
	if !modelNeedsEscape(v, d) {
		return append(dst, v...), nil
	}
	if d.Release == 0 {
		return dst, fmt.Errorf("value %q contains a delimiter (%s) and the syntax has no release character", v, modelDelimName(v, d))
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if modelIsDelim(c, d) || c == d.Release {
			dst = append(dst, d.Release)
		}
		dst = append(dst, c)
	}
	return dst, nil
}

func modelIsDelim(c byte, d Delimiters) bool {
	return c != 0 && (c == d.Segment || c == d.Element || c == d.Component || c == d.Repetition)
}

func modelNeedsEscape(v string, d Delimiters) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if modelIsDelim(c, d) || (d.Release != 0 && c == d.Release) {
			return true
		}
	}
	return false
}

func modelDelimName(v string, d Delimiters) string {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == 0:
		case c == d.Segment:
			return fmt.Sprintf("segment terminator %q", c)
		case c == d.Element:
			return fmt.Sprintf("element separator %q", c)
		case c == d.Component:
			return fmt.Sprintf("component separator %q", c)
		case c == d.Repetition:
			return fmt.Sprintf("repetition separator %q", c)
		}
	}
	return "delimiter"
}

// modelCheckDelims reports unusable delimiters for rendering.
func modelCheckDelims(d Delimiters, edifact bool) error {
	if d.Segment == 0 || d.Element == 0 {
		return fmt.Errorf("segment terminator and element separator are required")
	}
	seen := map[byte]string{}
	for _, p := range []struct {
		c    byte
		name string
	}{{d.Segment, "segment terminator"}, {d.Element, "element separator"}, {d.Component, "component separator"}, {d.Repetition, "repetition separator"}, {d.Release, "release character"}} {
		if p.c == 0 {
			continue
		}
		if prev, dup := seen[p.c]; dup {
			return fmt.Errorf("%s and %s are both %q", prev, p.name, p.c)
		}
		seen[p.c] = p.name
		if c := p.c; c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return fmt.Errorf("%s %q is alphanumeric", p.name, p.c)
		}
	}
	if !edifact && d.Release != 0 {
		return fmt.Errorf("X12 has no release character")
	}
	return nil
}

// modelSameDelims reports whether raw bytes escaped for a can be written
// unchanged under b.
func modelSameDelims(a, b Delimiters) bool {
	return a.Segment == b.Segment && a.Element == b.Element && a.Component == b.Component &&
		a.Repetition == b.Repetition && a.Release == b.Release
}

// JoinComponents joins component values into one Writer element value
// (see Writer.WriteTransaction). The values are separated by the ASCII
// unit separator 0x1F, which the Writer replaces by the interchange's
// component separator; values must not contain 0x1E or 0x1F.
func JoinComponents(values ...string) string {
	return strings.Join(values, writerCompMark)
}

// JoinRepetitions joins repetitions (each a plain value or the result of
// JoinComponents) into one Writer element value. They are separated by
// the ASCII record separator 0x1E, which the Writer replaces by the
// interchange's repetition separator.
func JoinRepetitions(reps ...string) string {
	return strings.Join(reps, writerRepMark)
}

const (
	writerCompMark = "\x1f"
	writerRepMark  = "\x1e"
)

// modelSplitMarked turns a Writer element value into its structure.
func modelSplitMarked(v string) [][]string {
	reps := strings.Split(v, writerRepMark)
	out := make([][]string, len(reps))
	for i, r := range reps {
		out[i] = strings.Split(r, writerCompMark)
	}
	return out
}
