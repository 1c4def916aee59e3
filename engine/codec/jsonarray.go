package codec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// jsonReader streams a top-level JSON array element by element (or a run of
// top-level objects). It finds each element's extent with a small
// structural scan over its own read window, counting lines as it goes, then
// decodes the element with the parser, so memory holds one element at a
// time and every record knows its line.
type jsonReader struct {
	src  io.Reader
	buf  []byte
	pos  int   // next unread byte in buf
	end  int   // end of the data in buf
	base int64 // input offset of buf[0]
	rerr error // read error or io.EOF from src, once seen

	line      int   // line of buf[pos]
	lineStart int64 // input offset where that line starts

	state int
	p     parser
	max   int
	err   error // fatal, sticky
}

const (
	stStart      = iota // before the top-level value
	stArrayFirst        // after '['
	stArrayNext         // after an element
	stTrailer           // after the array's ']'
	stObjects           // a run of top-level objects
	stDone
)

func newJSONReader(r io.Reader, opts ReaderOptions) *jsonReader {
	return &jsonReader{src: r, buf: make([]byte, readBufSize), line: 1, max: opts.maxRecord()}
}

// fill reads more input after buf[:end], keeping buf[pos:end]; it returns
// false when there is no more.
func (r *jsonReader) fill() bool {
	if r.rerr != nil {
		return false
	}
	if r.pos > 0 {
		// Drop what was consumed; give back a buffer grown for a large
		// element once it is no longer needed.
		n := r.end - r.pos
		if len(r.buf) > bigBuf && n < readBufSize {
			nb := make([]byte, readBufSize)
			copy(nb, r.buf[r.pos:r.end])
			r.buf = nb
		} else {
			copy(r.buf, r.buf[r.pos:r.end])
		}
		r.base += int64(r.pos)
		r.pos, r.end = 0, n
	}
	if r.end == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// readErr is the error to report when input ends early: an I/O error as
// is, else a syntax error at the current position.
func (r *jsonReader) readErr() error {
	if r.rerr != nil && r.rerr != io.EOF {
		return r.rerr
	}
	return r.errAt(r.pos, errors.New("unexpected end of JSON input"))
}

// errAt is a DecodeError at buf[at], which must be on the current line.
func (r *jsonReader) errAt(at int, err error) error {
	return &DecodeError{Line: r.line, Column: int(r.base+int64(at)-r.lineStart) + 1, Err: err}
}

// advance consumes n bytes, counting lines.
func (r *jsonReader) advance(n int) {
	b := r.buf[r.pos : r.pos+n]
	if nl := bytes.Count(b, []byte{'\n'}); nl > 0 {
		r.line += nl
		r.lineStart = r.base + int64(r.pos+bytes.LastIndexByte(b, '\n')+1)
	}
	r.pos += n
}

// skipWS skips whitespace; it returns false at the end of input.
func (r *jsonReader) skipWS() bool {
	for {
		for r.pos < r.end {
			switch r.buf[r.pos] {
			case '\n':
				r.line++
				r.lineStart = r.base + int64(r.pos) + 1
				r.pos++
			case ' ', '\t', '\r':
				r.pos++
			default:
				return true
			}
		}
		if !r.fill() {
			return false
		}
	}
}

// buffered reports whether the next element is likely to be decoded from
// data already read: the end of input was seen, or a closing bracket is
// buffered.
func (r *jsonReader) buffered() bool {
	return r.rerr != nil || r.err != nil || r.state == stDone || bytes.IndexAny(r.buf[r.pos:r.end], "}]") >= 0
}

func (r *jsonReader) Next() (Record, bool, error) {
	for r.err == nil {
		switch r.state {
		case stStart:
			for r.end-r.pos < len(bom) && r.fill() {
			}
			if bytes.HasPrefix(r.buf[r.pos:r.end], bom) {
				r.pos += len(bom)
				r.lineStart = int64(len(bom))
			}
			if !r.skipWS() {
				if r.rerr != io.EOF {
					r.err = r.rerr
					continue
				}
				r.state = stDone // empty input
				continue
			}
			switch c := r.buf[r.pos]; c {
			case '[':
				r.pos++
				r.state = stArrayFirst
			case '{':
				r.state = stObjects
			default:
				r.err = r.errAt(r.pos, fmt.Errorf("input is %s, want an array of objects or an object", kindOfByte(c)))
			}
		case stArrayFirst, stArrayNext:
			if !r.skipWS() {
				r.err = r.readErr()
				continue
			}
			c := r.buf[r.pos]
			if c == ']' {
				r.pos++
				r.state = stTrailer
				continue
			}
			if r.state == stArrayNext {
				if c != ',' {
					r.err = r.errAt(r.pos, fmt.Errorf("invalid character %s after array element", quoteChar(c)))
					continue
				}
				r.pos++
				if !r.skipWS() {
					r.err = r.readErr()
					continue
				}
			}
			r.state = stArrayNext
			return r.element()
		case stTrailer, stObjects:
			if !r.skipWS() {
				if r.rerr != io.EOF {
					r.err = r.rerr
					continue
				}
				r.state = stDone
				continue
			}
			if c := r.buf[r.pos]; r.state == stTrailer || c != '{' {
				r.err = r.errAt(r.pos, fmt.Errorf("invalid character %s after top-level value", quoteChar(c)))
				continue
			}
			return r.element()
		case stDone:
			return Record{}, false, nil
		}
	}
	return Record{}, false, r.err
}

// element decodes the value at buf[pos].
func (r *jsonReader) element() (Record, bool, error) {
	line, col := r.line, int(r.base+int64(r.pos)-r.lineStart)+1
	if r.buf[r.pos] == '{' {
		// Most elements are objects that are whole in the window: decode
		// in place. An object is known to be whole when it parses, as it
		// ends with its closing brace.
		if v, n, err := r.p.parsePrefix(r.buf[r.pos:r.end]); err == nil {
			r.advance(n)
			return Record{Data: v.(map[string]any), Line: line}, true, nil
		}
		// Cut off by the end of the window, or malformed: the careful
		// way below tells which.
	}
	n, err := r.scanValue()
	if err != nil {
		r.err = err
		return Record{}, false, err
	}
	elem := r.buf[r.pos : r.pos+n]
	v, err := r.p.parse(elem)
	if err != nil {
		var off int
		if v, off, err = stdDecode(elem); err != nil {
			// The stream cannot be resynchronised after a malformed
			// element: the error is fatal.
			if c := elem[0]; c != '{' && c != '[' && c != '"' && r.pos+n < r.end {
				// A bad scalar reads better with the byte that ended it:
				// "tru]" is "invalid character ']' in literal true".
				if _, off2, err2 := stdDecode(r.buf[r.pos : r.pos+n+1]); err2 != nil {
					off, err = off2, err2
				}
			}
			if off > 0 {
				off-- // to the 0-based index of the offending byte
			}
			if off > len(elem) {
				off = len(elem)
			}
			eline, ecol := line, col
			for _, c := range elem[:off] {
				if c == '\n' {
					eline, ecol = eline+1, 1
				} else {
					ecol++
				}
			}
			r.err = &DecodeError{Line: eline, Column: ecol, Err: err}
			return Record{}, false, r.err
		}
	}
	var rec Record
	if m, ok := v.(map[string]any); ok {
		rec = Record{Data: m, Line: line}
	} else {
		rec = Record{Line: line, Err: &DecodeError{Line: line, Column: col, Err: notObject(v)}, Raw: bytes.Clone(elem)}
	}
	r.advance(n)
	return rec, true, nil
}

// scanValue returns the length of the JSON value at buf[pos], reading
// more input as needed. It only finds where the value ends (brackets
// balanced outside strings, or the end of a string or scalar); the parser
// validates it.
func (r *jsonReader) scanValue() (int, error) {
	i := r.pos
	depth := 0
	inStr, esc := false, false
	first, scalar := true, false
	for {
		buf := r.buf[:r.end]
		for i < len(buf) {
			if inStr {
				if esc {
					esc = false
					i++
					continue
				}
				for i < len(buf) && buf[i] != '"' && buf[i] != '\\' {
					i++
				}
				if i == len(buf) {
					break
				}
				if buf[i] == '\\' {
					esc = true
					i++
					continue
				}
				inStr = false
				i++
				if depth == 0 {
					return i - r.pos, nil
				}
				continue
			}
			c := buf[i]
			if first {
				first = false
				i++
				switch c {
				case '"':
					inStr = true
				case '{', '[':
					depth++
				default:
					scalar = true
				}
				continue
			}
			if scalar {
				if scalarEnd[c] {
					return i - r.pos, nil
				}
				i++
				continue
			}
			i++
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i - r.pos, nil
				}
			}
		}
		if i-r.pos > r.max {
			return 0, &DecodeError{Line: r.line, Err: fmt.Errorf("%w: element longer than %d bytes", ErrRecordTooLong, r.max)}
		}
		off := i - r.pos
		if !r.fill() {
			if scalar && r.rerr == io.EOF {
				return off, nil
			}
			if r.rerr != nil && r.rerr != io.EOF {
				return 0, r.rerr
			}
			// Unterminated: report it where the element starts.
			return 0, r.errAt(r.pos, errors.New("unexpected end of JSON input in this element"))
		}
		i = r.pos + off
	}
}

// scalarEnd marks the bytes that end a number or literal.
var scalarEnd = func() (t [256]bool) {
	for _, c := range []byte(" \t\r\n,]}[{\":") {
		t[c] = true
	}
	return t
}()

func kindOfByte(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return "invalid: unexpected character " + quoteChar(c)
}

// quoteChar formats c as encoding/json does in its errors.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := fmt.Sprintf("%q", rune(c))
	return "'" + s[1:len(s)-1] + "'"
}
