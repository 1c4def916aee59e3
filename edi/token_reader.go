package edi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"
)

// Reader internals: buffering, header (ISA / UNA / UNB) detection and
// segment splitting. The exported API is in token.go.

const (
	initialBufSize = 64 << 10
	// isaScanLimit bounds the search for the 16 ISA separators of a
	// non-fixed-width ISA.
	isaScanLimit = 4096
	// lookahead used to decide whether an EDIFACT stream is
	// newline-terminated.
	nlLookahead = 4096
	// maxElements bounds the number of elements of one segment so that the
	// Elements slice cannot grow far beyond the buffer.
	maxElements  = 1 << 16
	tagCacheBits = 8
)

// isaSepPos are the offsets of the 16 element separators of a fixed-width
// ISA (the one before ISA01 first).
var isaSepPos = [16]int{3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103}

type tagEntry struct {
	key uint64
	s   string
}

func (r *Reader) synErr(off int64, code, format string, args ...any) error {
	return &SyntaxError{Offset: off, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// offset returns the input offset of buf[r.r+i].
func (r *Reader) offset(i int) int64 { return r.base + int64(r.r+i) }

// fill reads more input, keeping buf[r.r:r.w] (moved to the front of the
// buffer). It grows the buffer when it is full, up to about
// MaxSegmentBytes. It reports whether any byte was added.
func (r *Reader) fill() bool {
	if r.eof {
		return false
	}
	if r.buf == nil {
		r.buf = make([]byte, initialBufSize)
	}
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.w = n
		r.r = 0
	}
	if r.w == len(r.buf) {
		limit := r.max + 8
		if limit < initialBufSize {
			limit = initialBufSize
		}
		n := 2 * len(r.buf)
		if n > limit {
			n = limit
		}
		if n <= len(r.buf) {
			return false
		}
		nb := make([]byte, n)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			n, err = 0, errors.New("edi: invalid Read count")
		}
		r.w += n
		if err != nil {
			r.eof = true
			if err != io.EOF {
				r.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.eof = true
	r.rerr = io.ErrNoProgress
	return false
}

// ensure tries to have n unread bytes buffered (n <= initialBufSize) and
// reports whether it has.
func (r *Reader) ensure(n int) bool {
	for r.w-r.r < n {
		if !r.fill() && r.eof {
			return false
		}
	}
	return true
}

// skipSpace skips whitespace (CR, LF, tab, VT, FF, space), NUL and SUB
// (0x1A, DOS end of file) bytes and UTF-8 BOMs. It reports whether a byte
// is available.
func (r *Reader) skipSpace() bool {
	for {
		for r.r < r.w {
			switch r.buf[r.r] {
			case ' ', '\n', '\r', '\t', '\v', '\f', 0, 0x1A:
				r.r++
				continue
			case 0xEF:
				if r.w-r.r < 3 && !r.eof {
					goto more
				}
				if r.w-r.r >= 3 && r.buf[r.r+1] == 0xBB && r.buf[r.r+2] == 0xBF {
					r.r += 3
					continue
				}
			}
			return true
		}
	more:
		if r.eof {
			return r.r < r.w
		}
		r.fill()
	}
}

func (r *Reader) next() (*Segment, error) {
	for {
		if !r.skipSpace() {
			if r.rerr != nil {
				return nil, r.rerr
			}
			if r.format == FormatUnknown {
				return nil, r.synErr(r.offset(0), CodeNotEDI, "not EDI: no data")
			}
			return nil, io.EOF
		}
		if c := r.buf[r.r]; r.format == FormatUnknown || c == 'I' || c == 'U' {
			skip, err := r.header()
			if err != nil {
				return nil, err
			}
			if skip {
				continue
			}
		}
		seg, err := r.segment()
		if err != nil {
			return nil, err
		}
		if seg != nil {
			return seg, nil
		}
	}
}

func hasTag(d []byte, tag string) bool {
	return len(d) >= 3 && d[0] == tag[0] && d[1] == tag[1] && d[2] == tag[2]
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// isSep reports whether c can be an X12 element separator.
func isSep(c byte) bool {
	return !isAlnum(c) && c != ' ' && c != '\r' && c != '\n'
}

// looksEDIFACT reports whether d starts with an EDIFACT-looking tag: a
// letter, 1–3 letters or digits, then '+' or the level-B separator 0x1D.
func looksEDIFACT(d []byte) bool {
	if len(d) < 3 || d[0] < 'A' || d[0] > 'Z' {
		return false
	}
	for i := 1; i < len(d) && i <= 4; i++ {
		c := d[i]
		if c == '+' || c == 0x1D {
			return i >= 2
		}
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return false
}

// header handles format detection and the envelope headers that change the
// delimiters. skip reports that a UNA was consumed (no segment to return).
func (r *Reader) header() (skip bool, err error) {
	r.ensure(8)
	d := r.buf[r.r:r.w]
	isa := hasTag(d, "ISA")
	isISA := isa && len(d) > 3 && isSep(d[3])
	una := hasTag(d, "UNA")
	unb := hasTag(d, "UNB")
	switch r.format {
	case FormatX12:
		if isISA || isa && len(d) == 3 && r.eof {
			return false, r.parseISA()
		}
		if (una || unb) && r.lastTag == "IEA" {
			break // an EDIFACT interchange follows
		}
		return false, nil
	case FormatEDIFACT:
		if una {
			return true, r.parseUNA()
		}
		if isISA && r.lastTag == "UNZ" {
			return false, r.parseISA()
		}
		if unb && !r.unaPending {
			r.edifactDefaults(d)
		}
		return false, nil
	}
	// Unknown format (start of input) or a change of format.
	switch {
	case isISA:
		return false, r.parseISA()
	case isa && len(d) <= 3 && r.eof:
		return false, r.synErr(r.offset(0), CodeTruncatedISA, "truncated ISA header: %d bytes, want 106", len(d))
	case una:
		return true, r.parseUNA()
	case looksEDIFACT(d):
		r.edifactDefaults(d)
		return false, nil
	}
	n := min(len(d), 8)
	return false, r.synErr(r.offset(0), CodeNotEDI, "not EDI: starts with %q (want ISA, UNA, UNB or UNH)", d[:n])
}

// parseISA reads the delimiters of the X12 ISA at buf[r.r].
func (r *Reader) parseISA() error {
	r.ensure(isaScanLimit)
	d := r.buf[r.r:r.w]
	// Look at isaScanLimit bytes at most, whatever the reader buffered, so
	// that the result does not depend on how the input is chunked.
	atEOF := r.eof && len(d) <= isaScanLimit
	if len(d) > isaScanLimit {
		d = d[:isaScanLimit]
	}
	off := r.offset(0)
	if len(d) < 4 {
		return r.synErr(off, CodeTruncatedISA, "truncated ISA header: %d bytes, want 106", len(d))
	}
	es := d[3]
	var seps [16]int
	fixed := len(d) >= 106 && d[104] != es
	if fixed {
		for _, p := range isaSepPos {
			if d[p] != es {
				fixed = false
				break
			}
		}
	}
	ci := 104 // index of ISA16
	if fixed {
		seps = isaSepPos
	} else {
		n := 0
		for i := 3; i < len(d) && n < 16; i++ {
			if d[i] == es {
				seps[n] = i
				n++
			}
		}
		if n < 16 {
			if atEOF {
				return r.synErr(off, CodeTruncatedISA, "truncated ISA header: %d of 16 element separators %q before end of input", n, es)
			}
			return r.synErr(off, CodeBadDelimiters, "bad ISA header: fewer than 16 element separators %q in %d bytes", es, isaScanLimit)
		}
		ci = seps[15] + 1
	}
	if ci+1 >= len(d) {
		if atEOF {
			return r.synErr(off, CodeTruncatedISA, "truncated ISA header: input ends before the segment terminator")
		}
		return r.synErr(off, CodeBadDelimiters, "bad ISA header: no segment terminator in %d bytes", isaScanLimit)
	}
	comp := d[ci]
	if comp == es || isAlnum(comp) || comp == ' ' || comp == '\r' || comp == '\n' {
		return r.synErr(r.offset(ci), CodeBadDelimiters, "bad ISA16 component separator %q", comp)
	}
	ti := ci + 1
	t := d[ti]
	n, tl := ti, 1 // content length, terminator length
	r.term, r.nl = nil, false
	switch {
	case t == '\r' || t == '\n':
		r.nl, t = true, '\n'
	case isAlnum(t) || t == ' ':
		// No terminator after ISA16: segments end at newlines.
		r.nl, t, tl = true, '\n', 0
	case t == es || t == comp:
		return r.synErr(r.offset(ti), CodeBadDelimiters, "bad ISA segment terminator %q (same as a separator)", t)
	case t >= utf8.RuneSelf:
		if ru, size := utf8.DecodeRune(d[ti:]); ru != utf8.RuneError && size > 1 {
			r.term = append([]byte(nil), d[ti:ti+size]...)
			tl = size
		}
	}
	if n > r.max {
		return r.synErr(off, CodeSegmentTooLong, "segment longer than %d bytes", r.max)
	}
	var rep byte
	isa11 := d[seps[10]+1 : seps[11]]
	isa12 := d[seps[11]+1 : seps[12]]
	if len(isa11) == 1 && versionAtLeast00402(isa12) {
		c := isa11[0]
		if isSep(c) && c != es && c != comp && c != t && (r.term == nil || c != r.term[0]) {
			rep = c
		}
	}
	r.d = Delimiters{Segment: t, Element: es, Component: comp, Repetition: rep}
	r.format = FormatX12
	r.wrapped = !r.nl && hasNewline(d[:n])
	r.updateMode()
	r.pendLen, r.pendTL, r.pending = n, tl, true
	return nil
}

// versionAtLeast00402 reports whether an ISA12 value is 00402 or later.
func versionAtLeast00402(v []byte) bool {
	v = bytes.TrimSpace(v)
	if len(v) != 5 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return string(v) >= "00402"
}

// parseUNA reads an EDIFACT service string advice and consumes it.
func (r *Reader) parseUNA() error {
	r.ensure(12)
	d := r.buf[r.r:r.w]
	off := r.offset(0)
	if len(d) < 9 {
		return r.synErr(off, CodeTruncatedUNA, "truncated UNA: %d bytes, want 9", len(d))
	}
	comp, es, dec, rel, rep, t := d[3], d[4], d[5], d[6], d[7], d[8]
	n := 9
	r.term, r.nl = nil, false
	if t >= utf8.RuneSelf {
		if ru, size := utf8.DecodeRune(d[8:]); ru != utf8.RuneError && size > 1 {
			r.term = append([]byte(nil), d[8:8+size]...)
			n = 8 + size
		}
	}
	if t == '\r' || t == '\n' {
		r.nl, t = true, '\n'
	}
	if rel == ' ' {
		rel = 0
	}
	if rep == ' ' {
		rep = 0
	}
	bad := func(c byte) bool { return isAlnum(c) || c == ' ' || c >= utf8.RuneSelf && c != t }
	switch {
	case bad(comp) || bad(es) || bad(t) || rel != 0 && bad(rel) || rep != 0 && bad(rep),
		comp == es || comp == t || es == t,
		rel != 0 && (rel == comp || rel == es || rel == t),
		rep != 0 && (rep == comp || rep == es || rep == t || rep == rel):
		return r.synErr(off, CodeBadDelimiters, "bad UNA delimiters %q", d[3:min(len(d), n)])
	}
	r.d = Delimiters{Segment: t, Element: es, Component: comp, Repetition: rep, Release: rel, Decimal: dec}
	r.format = FormatEDIFACT
	r.unaPending = true
	r.updateMode()
	r.r += n
	return nil
}

// edifactDefaults installs the default EDIFACT delimiters for the UNB (or
// first segment) at d: level A ":+.? '", or level B when d uses 0x1D.
func (r *Reader) edifactDefaults(d []byte) {
	r.format = FormatEDIFACT
	r.term = nil
	r.unbDefaults = hasTag(d, "UNB")
	if len(d) > 3 && d[3] == 0x1D {
		r.d = Delimiters{Segment: 0x1C, Element: 0x1D, Component: 0x1F, Decimal: '.'}
		r.nl = false
		r.updateMode()
		return
	}
	if len(d) > 3 && d[3] != '+' && d[3] == r.d.Element && r.d.Segment != 0 {
		// Same non-default delimiters as the previous interchange, no UNA.
		return
	}
	r.d = Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'}
	r.nl = r.newlineTerminated()
	if r.nl {
		r.d.Segment = '\n'
	}
	r.updateMode()
}

// newlineTerminated reports whether the EDIFACT data at buf[r.r] uses
// newlines instead of the ' terminator: its first two lines end with a
// newline followed by a tag (or the end of the input) with no ' before.
func (r *Reader) newlineTerminated() bool {
	r.ensure(nlLookahead)
	d := r.buf[r.r:r.w]
	if len(d) > nlLookahead {
		d = d[:nlLookahead]
	}
	lines := 0
	for i := 0; i < len(d); i++ {
		switch d[i] {
		case '?':
			i++
		case '\'':
			return false
		case '\n':
			j := i + 1
			for j < len(d) && (d[j] == '\r' || d[j] == '\n' || d[j] == ' ' || d[j] == '\t') {
				j++
			}
			if j == len(d) && r.eof && len(r.buf[r.r:r.w]) == len(d) {
				return lines >= 1
			}
			if !looksEDIFACT(d[j:]) {
				continue
			}
			lines++
			if lines == 2 {
				return true
			}
		}
	}
	return false
}

// segment finds, splits and returns the segment at buf[r.r]. It returns
// nil, nil for an empty segment.
func (r *Reader) segment() (*Segment, error) {
	var n, tl int
	if r.pending {
		n, tl, r.pending = r.pendLen, r.pendTL, false
	} else {
		var err error
		if n, tl, err = r.findEnd(); err != nil {
			return nil, err
		}
	}
	d := r.buf[r.r : r.r+n : r.r+n]
	off := r.offset(0)
	r.r += n + tl
	if n == 0 {
		return nil, nil
	}
	if r.unbDefaults || r.unaPending {
		// First segment of an EDIFACT interchange: is it hard-wrapped?
		r.wrapped = !r.nl && hasTag(d, "UNB") && hasNewline(d)
		r.updateMode()
	}
	if r.wrapped && hasNewline(d) {
		d = dropNewlines(d)
	}
	es, rel := r.d.Element, r.d.Release
	elems := r.elems[:0]
	tagEnd := -1
	start := 0
	if rel != 0 {
		for i := 0; i < len(d); i++ {
			switch d[i] {
			case rel:
				i++
			case es:
				if tagEnd < 0 {
					tagEnd = i
				} else {
					elems = append(elems, d[start:i:i])
				}
				start = i + 1
			}
		}
	} else {
		for i, c := range d {
			if c == es {
				if tagEnd < 0 {
					tagEnd = i
				} else {
					elems = append(elems, d[start:i:i])
				}
				start = i + 1
			}
		}
	}
	if tagEnd >= 0 {
		elems = append(elems, d[start:])
	} else {
		tagEnd = len(d)
	}
	return r.finish(d, off, r.intern(d[:tagEnd]), elems)
}

// nextFast tokenizes the next segment in one pass when it is complete in
// the buffer, the terminator is a single byte (or newline mode), it is not
// an envelope header (ISA, UNA, UNB) and its tag is shorter than 8 bytes.
// It returns nil when the general path must run. It looks at 8 bytes at a
// time (SWAR): a word is tested for the terminator, the element separator
// and the release character at once; bytes escaped by a release character
// are masked out.
func (r *Reader) nextFast() *Segment {
	p := r.r
	buf := r.buf[:r.w]
	for p < len(buf) && (buf[p] == '\n' || buf[p] == '\r' || buf[p] == ' ' || buf[p] == '\t') {
		p++
	}
	d := buf[p:]
	if len(d) < 8 {
		return nil
	}
	esB, relB := lo8*uint64(r.d.Element), lo8*uint64(r.d.Release)
	tB, t2B := lo8*uint64(r.d.Segment), lo8*uint64(r.t2)
	nl := r.nl
	x0 := binary.LittleEndian.Uint64(d)
	if h := x0 & 0xFFFFFF; h == keyISA || h == keyUNA || h == keyUNB || d[0] == 0xEF || d[0] < 0x20 {
		return nil
	}
	elems := r.elems[:0]
	tagEnd := -1
	start := 0
	var carry uint64 // 0x80: the first byte of the next word is escaped
	for i, x := 0, x0; ; {
		mE := zeroBytes(x ^ esB)
		mT := zeroBytes(x ^ tB)
		if nl {
			mT |= zeroBytes(x ^ t2B)
		}
		if relB != 0 {
			if mR := zeroBytes(x ^ relB); mR|carry != 0 {
				// Mark the bytes escaped by a release character, in
				// order: an escaped release character escapes nothing.
				esc := carry
				carry = 0
				for m := mR; m != 0; m &= m - 1 {
					bit := m & -m
					if esc&bit != 0 {
						continue
					}
					if bit == 1<<63 {
						carry = 0x80
					} else {
						esc |= bit << 8
					}
				}
				mE &^= esc
				if !nl {
					// In newline mode a line break always ends the
					// segment, as in search.
					mT &^= esc
				}
			}
		}
		if mT != 0 {
			mE &= (mT & -mT) - 1 // separators before the terminator only
		}
		if tagEnd < 0 {
			switch {
			case i > 0:
				return nil // tag of 8 bytes or more
			case mE != 0:
				tagEnd = bits.TrailingZeros64(mE) >> 3
				mE &= mE - 1
			case mT != 0:
				tagEnd = bits.TrailingZeros64(mT) >> 3 // a tag alone
			default:
				return nil
			}
			if tagEnd == 0 {
				return nil // empty segment or empty tag
			}
			start = tagEnd + 1
		}
		for mE != 0 {
			k := i + bits.TrailingZeros64(mE)>>3
			mE &= mE - 1
			elems = append(elems, d[start:k:k])
			start = k + 1
		}
		if mT != 0 {
			k := i + bits.TrailingZeros64(mT)>>3
			if k > r.max {
				r.elems = elems
				return nil
			}
			if k > tagEnd {
				elems = append(elems, d[start:k:k])
			}
			r.elems = elems
			if len(elems) > maxElements {
				return nil
			}
			key := x0&(1<<(8*tagEnd)-1) | uint64(tagEnd)<<56
			var tag string
			if e := &r.tags[(key*0x9E3779B97F4A7C15)>>(64-tagCacheBits)]; e.key == key {
				tag = e.s // internKey, inlined
			} else if zeroBytes(key^(lo8*'\n'))|zeroBytes(key^(lo8*'\r')) == 0 {
				tag = e.fill(key, d[:tagEnd])
			} else {
				tag = internSlow(d[:tagEnd])
			}
			r.pos++
			seg := &r.seg
			seg.Tag = tag
			seg.Elements = elems
			seg.Offset = r.base + int64(p)
			seg.Pos = r.pos
			seg.Delims = r.d
			r.lastTag = tag
			r.r = p + k + 1
			return seg
		}
		i += 8
		if i+8 > len(d) {
			r.elems = elems
			return nil
		}
		x = binary.LittleEndian.Uint64(d[i:])
	}
}

// Little-endian keys of the first 3 bytes of the envelope headers.
const (
	keyISA = 'I' | 'S'<<8 | 'A'<<16
	keyUNA = 'U' | 'N'<<8 | 'A'<<16
	keyUNB = 'U' | 'N'<<8 | 'B'<<16
)

const (
	lo8 = 0x0101010101010101
	hi7 = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes returns x with the high bit set in each byte that is zero
// (exact, no false positives).
func zeroBytes(x uint64) uint64 {
	y := (x & hi7) + hi7
	return ^(y | x | hi7)
}

// updateMode recomputes whether the fast path applies after a change of
// delimiters or mode.
func (r *Reader) updateMode() {
	d := r.d
	r.fastOK = !r.slowOnly && r.term == nil && !r.wrapped && d.Segment != 0 && d.Element != 0 &&
		d.Segment != d.Element && d.Release != d.Segment && d.Release != d.Element
	r.t2 = d.Segment
	if r.nl {
		r.t2 = '\r' // newline mode: CR also ends a segment
	}
}

// finish interns the tag and fills the reusable Segment.
func (r *Reader) finish(d []byte, off int64, tag string, elems [][]byte) (*Segment, error) {
	r.elems = elems
	if len(elems) > maxElements {
		r.elems = nil
		return nil, r.synErr(off, CodeTooManyElements, "segment has more than %d elements", maxElements)
	}
	if tag == "" {
		return nil, r.synErr(off, CodeEmptyTag, "segment without tag (starts with %q)", d[0])
	}
	r.pos++
	seg := &r.seg
	seg.Tag = tag
	seg.Elements = elems
	seg.Offset = off
	seg.Pos = r.pos
	seg.Delims = r.d
	if r.unbDefaults {
		r.unbDefaults = false
		if tag == "UNB" && len(elems) > 0 && syntaxVersion4(elems[0], r.d.Component) {
			r.d.Repetition = '*'
			seg.Delims = r.d
		}
	}
	r.unaPending = false
	r.lastTag = tag
	return seg, nil
}

func hasNewline(d []byte) bool {
	return bytes.IndexByte(d, '\n') >= 0 || bytes.IndexByte(d, '\r') >= 0
}

// dropNewlines removes CR and LF from d in place.
func dropNewlines(d []byte) []byte {
	k := 0
	for _, c := range d {
		if c != '\n' && c != '\r' {
			d[k] = c
			k++
		}
	}
	return d[:k:k]
}

// syntaxVersion4 reports whether UNB S001 ("UNOA:4") names syntax 4.
func syntaxVersion4(e []byte, comp byte) bool {
	i := bytes.IndexByte(e, comp)
	if i < 0 {
		return false
	}
	v := e[i+1:]
	if j := bytes.IndexByte(v, comp); j >= 0 {
		v = v[:j]
	}
	return len(v) == 1 && v[0] == '4'
}

// findEnd returns the length of the segment at buf[r.r] and of its
// terminator (0 at the end of the input), reading more input as needed.
func (r *Reader) findEnd() (n, tl int, err error) {
	from := 0
	for {
		d := r.buf[r.r:r.w]
		i, t, next := r.search(d, from)
		if i >= 0 {
			if i > r.max {
				return 0, 0, r.synErr(r.offset(0), CodeSegmentTooLong, "segment longer than %d bytes", r.max)
			}
			return i, t, nil
		}
		if next > r.max {
			return 0, 0, r.synErr(r.offset(0), CodeSegmentTooLong, "segment longer than %d bytes", r.max)
		}
		if r.eof {
			if r.rerr != nil {
				return 0, 0, r.rerr
			}
			return len(d), 0, nil
		}
		from = next
		r.fill()
	}
}

// search looks for the segment terminator in d (a segment's data) from
// index from. It returns its index and length, or -1 and the index from
// which to resume once more data is buffered.
func (r *Reader) search(d []byte, from int) (i, tl, next int) {
	if r.nl {
		for k := from; k < len(d); k++ {
			if c := d[k]; c == '\n' || c == '\r' {
				return k, 1, 0
			}
		}
		return -1, 0, len(d)
	}
	t, rel := r.d.Segment, r.d.Release
	if r.term == nil && rel == 0 {
		if j := bytes.IndexByte(d[from:], t); j >= 0 {
			return from + j, 1, 0
		}
		return -1, 0, len(d)
	}
	tl = 1
	if r.term != nil {
		t, tl = r.term[0], len(r.term)
	}
	for {
		j := bytes.IndexByte(d[from:], t)
		if j < 0 {
			return -1, 0, len(d)
		}
		k := from + j
		from = k + 1
		if tl > 1 {
			if len(d)-k < tl {
				return -1, 0, k
			}
			if !bytes.Equal(d[k:k+tl], r.term) {
				continue
			}
		}
		if rel != 0 {
			m := 0
			for p := k - 1; p >= 0 && d[p] == rel; p-- {
				m++
			}
			if m%2 == 1 {
				continue
			}
		}
		return k, tl, 0
	}
}

// intern returns the tag b as a string without allocating for tags seen
// before (per reader) or common tags.
func (r *Reader) intern(b []byte) string {
	if len(b) == 0 || len(b) > 7 || hasNewline(b) {
		return internSlow(b)
	}
	var key uint64
	for i := len(b) - 1; i >= 0; i-- {
		key = key<<8 | uint64(b[i])
	}
	return r.internKey(key|uint64(len(b))<<56, b)
}

// internKey looks the tag b up in the reader's tag cache. key holds the
// tag's bytes (little-endian) and its length in the top byte.
func (r *Reader) internKey(key uint64, b []byte) string {
	e := &r.tags[(key*0x9E3779B97F4A7C15)>>(64-tagCacheBits)]
	if e.key == key {
		return e.s
	}
	return e.fill(key, b)
}

func (e *tagEntry) fill(key uint64, b []byte) string {
	s := internSlow(b)
	*e = tagEntry{key: key, s: s}
	return s
}

// internSlow removes CR/LF from a tag and interns common tags.
func internSlow(b []byte) string {
	if hasNewline(b) {
		b = dropNewlines(append([]byte(nil), b...))
	}
	if s, ok := commonTags[string(b)]; ok {
		return s
	}
	return string(b)
}

// commonTags interns the usual X12 and EDIFACT tags.
var commonTags = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{
		// X12 envelopes and common segments.
		"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1", "ISB", "ISE",
		"AK1", "AK2", "AK3", "AK4", "AK5", "AK9", "IK3", "IK4", "IK5", "CTX",
		"B2", "B2A", "B3", "B10", "B1", "BSN", "BEG", "BIG", "BAK", "BHT",
		"W05", "W06", "W01", "W12", "W27", "W66", "W76", "W03", "G62", "G69",
		"HL", "LIN", "SN1", "PID", "PO1", "PO4", "PRF", "MAN", "TD1", "TD3",
		"TD5", "REF", "DTM", "FOB", "N1", "N2", "N3", "N4", "N7", "N9", "NTE",
		"L11", "K1", "MS1", "MS2", "MS3", "LX", "AT5", "AT7", "AT8", "Q7",
		"S5", "OID", "L0", "L1", "L3", "L5", "L7", "PLD", "CTT", "IT1", "TDS",
		"TXI", "CAD", "SAC", "ISS", "ITD", "CUR", "PER", "NM1", "SBR", "CLM",
		// EDIFACT service and common segments.
		"UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ", "UNS",
		"UCI", "UCM", "UCS", "UCD", "UCF", "BGM", "DTM", "RFF", "NAD", "CTA",
		"COM", "LOC", "FTX", "CNT", "TDT", "TOD", "GID", "GDS", "EQD", "EQN",
		"MEA", "DIM", "PCI", "GIN", "CPS", "PAC", "QTY", "PIA", "IMD", "MOA",
		"PRI", "TAX", "CUX", "PAT", "ALC", "ALI", "CNI", "STS", "TSR", "DOC",
		"SEL", "HAN", "TMP", "DGS", "ERC", "SGP", "TPL", "EQA", "CPI", "GOR",
		"TCC", "FII", "PAI", "DLM", "GIR",
	} {
		m[t] = t
	}
	return m
}()
