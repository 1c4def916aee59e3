package edi

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxSegmentBytes is the segment size limit used when
// ReaderOptions.MaxSegmentBytes is zero.
const DefaultMaxSegmentBytes = 16 << 20

// ReaderOptions configures a Reader.
type ReaderOptions struct {
	// MaxSegmentBytes bounds the size of one segment (tag and elements,
	// terminator excluded). 0 means DefaultMaxSegmentBytes (16 MiB). A
	// longer segment makes Next return a *SyntaxError with Code
	// "syntax.segment_too_long" and the segment's offset; the reader's
	// memory stays bounded by about this limit whatever the input.
	MaxSegmentBytes int
}

// Syntax error codes (SyntaxError.Code).
const (
	CodeNotEDI          = "syntax.not_edi"           // the input does not start with ISA, UNA, UNB, UNH or an EDIFACT-looking tag
	CodeTruncatedISA    = "syntax.truncated_isa"     // input ends inside an ISA header (before its terminator)
	CodeTruncatedUNA    = "syntax.truncated_una"     // input ends inside a UNA service string advice
	CodeSegmentTooLong  = "syntax.segment_too_long"  // no terminator within MaxSegmentBytes
	CodeBadDelimiters   = "syntax.bad_delimiters"    // ISA/UNA delimiters unusable (alphanumeric, duplicated, missing)
	CodeEmptyTag        = "syntax.empty_tag"         // a segment starts with a separator instead of a tag
	CodeTooManyElements = "syntax.too_many_elements" // more than 65536 elements in one segment
)

// SyntaxError is a fatal tokenizer error: the input is not EDI, an ISA is
// truncated, a segment is too long, the delimiters are unusable, ...
// Offset is the byte offset in the input where the problem was found (for
// a header or segment problem: the first byte of that header or segment).
type SyntaxError struct {
	Offset int64
	Code   string // one of the Code* constants, e.g. "syntax.not_edi"
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("edi: offset %d: %s", e.Offset, e.Msg)
}

// Segment is one tokenized segment.
//
// A Segment returned by Reader.Next, including its Elements byte slices,
// aliases the Reader's buffer and is only valid until the next call to
// Next. Use Clone to keep it.
type Segment struct {
	// Tag is the segment identifier ("ISA", "GS", "ST", "UNB", "UNH", ...).
	// Tags are interned: no allocation per segment. CR/LF bytes inside a
	// tag (hard-wrapped files) are removed.
	Tag string
	// Elements are the raw element bytes after the tag, still escaped
	// (EDIFACT release characters are kept, components and repetitions not
	// split). Elements[0] is element 01. Empty and trailing empty elements
	// are kept as written. They alias the Reader's buffer. CR/LF bytes
	// inside a segment are kept as data, except in a hard-wrapped
	// interchange (see Reader) where they are removed.
	Elements [][]byte
	// Offset is the byte offset of the segment's first byte (the first
	// byte of its tag) in the input.
	Offset int64
	// Pos is the 1-based position of the segment in the input, counted
	// over all interchanges. A UNA service string advice is NOT a segment:
	// Next never returns it and it does not count; its delimiters are
	// visible through Reader.Delimiters and Segment.Delims.
	Pos int
	// Delims are the delimiters in force for this segment (for an ISA,
	// UNA+UNB or UNB: the ones it declares).
	Delims Delimiters
}

// Clone returns a deep copy of s that survives later calls to Next.
func (s *Segment) Clone() *Segment {
	c := &Segment{Tag: s.Tag, Offset: s.Offset, Pos: s.Pos, Delims: s.Delims}
	if s.Elements == nil {
		return c
	}
	n := 0
	for _, e := range s.Elements {
		n += len(e)
	}
	buf := make([]byte, 0, n)
	c.Elements = make([][]byte, len(s.Elements))
	for i, e := range s.Elements {
		start := len(buf)
		buf = append(buf, e...)
		c.Elements[i] = buf[start:len(buf):len(buf)]
	}
	return c
}

// Len returns the number of elements (after the tag).
func (s *Segment) Len() int { return len(s.Elements) }

// Value returns element i (1-based) with release characters removed, or ""
// when the segment has fewer than i elements. Component and repetition
// separators are left in place.
func (s *Segment) Value(i int) string {
	if i < 1 || i > len(s.Elements) {
		return ""
	}
	return unescape(s.Elements[i-1], s.Delims.Release)
}

// Components returns element i (1-based) split on the component separator,
// each value unescaped (an escaped separator does not split). It returns
// nil when the element is absent and []string{""} for an empty element.
// ISA elements are never split (ISA16 is the component separator itself).
func (s *Segment) Components(i int) []string {
	if i < 1 || i > len(s.Elements) {
		return nil
	}
	e := s.Elements[i-1]
	if s.Tag == "ISA" {
		return []string{string(e)}
	}
	return splitUnescape(e, s.Delims.Component, s.Delims.Release)
}

// Repetitions returns element i (1-based) split on the repetition
// separator, then each repetition on the component separator, all values
// unescaped. Without a repetition separator (X12 before 00402, EDIFACT
// syntax 3) the result has one repetition. nil when the element is absent.
// ISA elements are never split.
func (s *Segment) Repetitions(i int) [][]string {
	if i < 1 || i > len(s.Elements) {
		return nil
	}
	e := s.Elements[i-1]
	if s.Tag == "ISA" {
		return [][]string{{string(e)}}
	}
	d := s.Delims
	if d.Repetition == 0 {
		return [][]string{splitUnescape(e, d.Component, d.Release)}
	}
	var out [][]string
	rest := e
	for {
		j := indexUnescaped(rest, d.Repetition, d.Release)
		if j < 0 {
			out = append(out, splitUnescape(rest, d.Component, d.Release))
			return out
		}
		out = append(out, splitUnescape(rest[:j], d.Component, d.Release))
		rest = rest[j+1:]
	}
}

// unescape removes release characters: the byte after a release character
// is literal. A release character at the very end is kept.
func unescape(b []byte, rel byte) string {
	if rel == 0 {
		return string(b)
	}
	i := bytes.IndexByte(b, rel)
	if i < 0 {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) - 1)
	sb.Write(b[:i])
	for ; i < len(b); i++ {
		c := b[i]
		if c == rel && i+1 < len(b) {
			i++
			c = b[i]
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// indexUnescaped returns the index of the first sep in b not preceded by
// a release character, or -1.
func indexUnescaped(b []byte, sep, rel byte) int {
	if sep == 0 {
		return -1
	}
	if rel == 0 || bytes.IndexByte(b, rel) < 0 {
		return bytes.IndexByte(b, sep)
	}
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case rel:
			i++
		case sep:
			return i
		}
	}
	return -1
}

// splitUnescape splits b on unescaped sep and unescapes the parts.
func splitUnescape(b []byte, sep, rel byte) []string {
	var out []string
	for {
		j := indexUnescaped(b, sep, rel)
		if j < 0 {
			return append(out, unescape(b, rel))
		}
		out = append(out, unescape(b[:j], rel))
		b = b[j+1:]
	}
}

// Reader tokenizes an X12 or UN/EDIFACT stream into segments. It reads
// through a reusable buffer that grows only up to MaxSegmentBytes; the
// common path allocates nothing per segment.
//
// Format detection (first call to Next, after a UTF-8 BOM and leading
// whitespace): "ISA" followed by a separator is X12; "UNA" or "UNB",
// "UNG", "UNH" or any other 2–4 character tag followed by '+' (or the
// level-B separator 0x1D) is EDIFACT. Anything else is syntax.not_edi.
//
// X12: the delimiters come from each ISA: element separator at offset 3,
// ISA16 (component separator) at offset 104 and the terminator at offset
// 105 when the ISA is fixed-width; otherwise the ISA is split on the
// element separator, ISA16 follows the 16th separator and the terminator
// is the byte after it. ISA11 is the repetition separator only when ISA12
// is 00402 or later (and ISA11 is not alphanumeric). A CR or LF
// terminator means "newline mode": a segment ends at CR or LF. A
// multi-byte UTF-8 terminator (e.g. U+2026) is supported; Delimiters then
// holds its first byte and SegmentTerminator returns all of it.
//
// EDIFACT: a UNA (exactly 9 bytes) sets the delimiters of the interchange
// that follows and is not returned as a segment. A UNB without a UNA
// resets them to the defaults ":+.? '" (syntax 4 in UNB S001 adds the
// repetition separator '*'; a UNB using 0x1D selects the level-B
// separators 0x1C/0x1D/0x1F). Input without a UNA whose first two lines
// end with a newline followed by another tag, with no ' before, is read
// in newline mode. The release character escapes the following byte,
// whatever it is.
//
// Whitespace (CR, LF, tab, VT, FF, space), NUL and SUB (0x1A) bytes and
// UTF-8 BOMs between segments are skipped.
// Newlines inside a segment are kept in the element data, except in a
// hard-wrapped interchange: when the interchange header itself (the ISA,
// or the UNB) contains a CR or LF before its terminator, the file is
// taken as wrapped at a fixed width (80 columns...) and CR/LF bytes inside
// the segments of that interchange are removed (in place, Offset still
// points at the first byte of the tag in the input).
//
// A final segment without terminator is returned as is. Empty segments
// (two terminators in a row) are skipped.
type Reader struct {
	src  io.Reader
	max  int
	buf  []byte
	r, w int   // unread data is buf[r:w]
	base int64 // input offset of buf[0]
	eof  bool
	rerr error // read error other than io.EOF
	err  error // sticky result (io.EOF, *SyntaxError or read error)

	format Format
	d      Delimiters
	term   []byte // multi-byte segment terminator, nil for a single byte
	nl     bool   // newline mode: a segment ends at CR or LF
	// wrapped: the interchange header (ISA, UNB) contains CR/LF, so the
	// file is hard-wrapped (80 columns...): CR/LF inside segments are
	// removed.
	wrapped bool

	unaPending  bool // a UNA was just read: the next UNB keeps its delimiters
	unbDefaults bool // the next segment is a UNB read with default delimiters
	pending     bool // parseISA measured the ISA segment: pendLen, pendTL
	pendLen     int
	pendTL      int

	lastTag string // tag of the previous segment
	pos     int

	fastOK   bool // single-byte delimiters: nextFast applies
	t2       byte // second terminator byte for nextFast ('\r' in newline mode)
	slowOnly bool // tests: never use nextFast

	seg   Segment
	elems [][]byte
	tags  [1 << tagCacheBits]tagEntry
}

// NewReader returns a Reader over r. The format is detected on the first
// call to Next.
func NewReader(r io.Reader, opts ReaderOptions) *Reader {
	max := opts.MaxSegmentBytes
	if max <= 0 {
		max = DefaultMaxSegmentBytes
	}
	return &Reader{src: r, max: max}
}

// Next returns the next segment, io.EOF at the end of the input, a
// *SyntaxError, or the non-EOF error of the underlying reader. Errors are
// sticky: later calls return the same error. The returned Segment and its
// byte slices are valid until the next call to Next.
func (r *Reader) Next() (*Segment, error) {
	if r.fastOK && r.err == nil && !r.pending && !r.unbDefaults && !r.unaPending {
		if seg := r.nextFast(); seg != nil {
			return seg, nil
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	seg, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return seg, nil
}

// Format returns the format of the current interchange (FormatUnknown
// before the first call to Next).
func (r *Reader) Format() Format { return r.format }

// Delimiters returns the delimiters in force. They are re-detected at
// every ISA (X12) and every UNA / UNB (EDIFACT), so concatenated
// interchanges with different delimiters work.
func (r *Reader) Delimiters() Delimiters { return r.d }

// SegmentTerminator returns the full segment terminator in force: one
// byte normally, several for a multi-byte UTF-8 terminator (such as
// U+2026 "…"), and "\n" in newline mode (where CR also ends a segment).
func (r *Reader) SegmentTerminator() []byte {
	if r.term != nil {
		return append([]byte(nil), r.term...)
	}
	if r.d.Segment == 0 {
		return nil
	}
	return []byte{r.d.Segment}
}
