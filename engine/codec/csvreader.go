package codec

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"unicode/utf8"
)

// csvReader parses CSV exactly as encoding/csv does (FieldsPerRecord -1,
// no LazyQuotes, no TrimLeadingSpace, no comments; the tests check it
// against encoding/csv, fuzzing included), but keeps each row's raw bytes,
// so a rejected row can be passed on intact, and resumes after a malformed
// row at the next line as encoding/csv does.
type csvReader struct {
	br    *bufio.Reader
	comma []byte // the delimiter, UTF-8 encoded
	max   int

	raw    []byte // the current row's input lines
	field  []byte // the current row's unquoted fields, back to back
	ends   []int  // end of each field in field
	header []string
	values *[tableSlots]sharedValue // recent short values, see value
	line   int                      // lines read
	eof    bool
	err    error // fatal, sticky
}

func newCSVReader(r io.Reader, opts ReaderOptions) (*csvReader, error) {
	d, err := delimiter(opts.Delimiter)
	if err != nil {
		return nil, err
	}
	return &csvReader{
		br:    bufio.NewReaderSize(r, readBufSize),
		comma: utf8.AppendRune(nil, d),
		max:   opts.maxRecord(),
	}, nil
}

// readLine appends the next input line to raw; it returns false at the end
// of input.
func (r *csvReader) readLine() (bool, error) {
	if r.eof {
		return false, nil
	}
	start := len(r.raw)
	for {
		b, err := r.br.ReadSlice('\n')
		if len(r.raw)+len(b) > r.max {
			return false, &DecodeError{Line: r.line + 1, Err: fmt.Errorf("%w: row longer than %d bytes", ErrRecordTooLong, r.max)}
		}
		r.raw = append(r.raw, b...)
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			r.eof = true
			if len(r.raw) == start {
				return false, nil
			}
		default:
			return false, err
		}
		r.line++
		return true, nil
	}
}

// lineContent returns the end of the content of the line raw[ls:] (its
// line break, or a final '\r' before the end of input, left out, as
// encoding/csv does) and whether it had a line break.
func (r *csvReader) lineContent(ls int) (ce int, nl bool) {
	ce = len(r.raw)
	if ce > ls && r.raw[ce-1] == '\n' {
		nl = true
		ce--
	}
	if ce > ls && r.raw[ce-1] == '\r' {
		ce--
	}
	return ce, nl
}

// readRow reads the next non-empty row into raw, field and ends. ok is
// false at the end of input; rowErr is a malformed row's error (the row's
// lines are consumed); err is fatal.
func (r *csvReader) readRow() (ok bool, startLine int, rowErr, err error) {
	r.field = r.field[:0]
	r.ends = r.ends[:0]
	var ls, ce int
	var nl bool
	for {
		r.raw = r.raw[:0]
		more, err := r.readLine()
		if err != nil || !more {
			return false, 0, nil, err
		}
		if r.line == 1 && bytes.HasPrefix(r.raw, bom) {
			r.raw = r.raw[:copy(r.raw, r.raw[len(bom):])]
		}
		if ce, nl = r.lineContent(0); ce > 0 {
			break // not an empty line
		}
	}
	startLine = r.line
	pos := 0
	for {
		if pos >= ce || r.raw[pos] != '"' {
			// Unquoted field.
			f := r.raw[pos:ce]
			i := bytes.Index(f, r.comma)
			if i >= 0 {
				f = f[:i]
			}
			if j := bytes.IndexByte(f, '"'); j >= 0 {
				return true, startLine, &DecodeError{Line: r.line, Column: pos - ls + j + 1, Err: csv.ErrBareQuote}, nil
			}
			r.field = append(r.field, f...)
			r.ends = append(r.ends, len(r.field))
			if i < 0 {
				return true, startLine, nil, nil
			}
			pos += i + len(r.comma)
			continue
		}
		// Quoted field.
		qline, qcol := r.line, pos-ls+1
		pos++
		for {
			if i := bytes.IndexByte(r.raw[pos:ce], '"'); i >= 0 {
				r.field = append(r.field, r.raw[pos:pos+i]...)
				pos += i + 1
				switch {
				case pos < ce && r.raw[pos] == '"': // "" is a quote
					r.field = append(r.field, '"')
					pos++
					continue
				case bytes.HasPrefix(r.raw[pos:ce], r.comma):
					pos += len(r.comma)
					r.ends = append(r.ends, len(r.field))
				case pos == ce:
					r.ends = append(r.ends, len(r.field))
					return true, startLine, nil, nil
				default:
					return true, startLine, &DecodeError{Line: r.line, Column: pos - ls, Err: csv.ErrQuote}, nil
				}
				break
			}
			// The field goes on on the next line.
			r.field = append(r.field, r.raw[pos:ce]...)
			if nl {
				r.field = append(r.field, '\n')
			}
			ls = len(r.raw)
			more, err := r.readLine()
			if err != nil {
				return false, 0, nil, err
			}
			if !nl || !more {
				return true, startLine, &DecodeError{Line: qline, Column: qcol, Err: fmt.Errorf("quoted field not closed at the end of input: %w", csv.ErrQuote)}, nil
			}
			pos = ls
			ce, nl = r.lineContent(ls)
		}
	}
}

func (r *csvReader) buffered() bool {
	return r.eof || r.err != nil || lineBuffered(r.br)
}

func (r *csvReader) Next() (Record, bool, error) {
	for r.err == nil {
		ok, line, rowErr, err := r.readRow()
		if err != nil {
			r.err = err
			break
		}
		if !ok {
			return Record{}, false, nil
		}
		if r.header == nil {
			if rowErr != nil {
				r.err = fmt.Errorf("csv header: %w", rowErr)
				break
			}
			if r.err = r.setHeader(line); r.err != nil {
				break
			}
			continue
		}
		if rowErr == nil && len(r.ends) != len(r.header) {
			rowErr = &DecodeError{Line: line, Err: fmt.Errorf("wrong number of columns: expected %d, got %d", len(r.header), len(r.ends))}
		}
		if rowErr != nil {
			rec := Record{Line: line, Err: rowErr, Raw: bytes.Clone(r.raw)}
			r.shrink()
			return rec, true, nil
		}
		s := string(r.field)
		m := make(map[string]any, len(r.header))
		prev := 0
		for i, end := range r.ends {
			m[r.header[i]] = r.value(s[prev:end])
			prev = end
		}
		r.shrink()
		return Record{Data: m, Line: line}, true, nil
	}
	return Record{}, false, r.err
}

// value boxes the field v, sharing the box with an earlier equal value
// when the table still has it: codes, units and statuses repeat from row
// to row. (A shared value keeps its row's string alive while it is in the
// table: at most tableSlots rows.)
func (r *csvReader) value(v string) any {
	if len(v) > maxSharedLen || len(v) == 0 {
		return v
	}
	if r.values == nil {
		r.values = new([tableSlots]sharedValue)
	}
	slot := &r.values[hashBytes(v)%tableSlots]
	if slot.v != nil && slot.s == v {
		return slot.v
	}
	slot.s, slot.v = v, v
	return slot.v
}

func (r *csvReader) setHeader(line int) error {
	s := string(r.field)
	h := make([]string, len(r.ends))
	seen := make(map[string]bool, len(h))
	prev := 0
	for i, end := range r.ends {
		h[i] = s[prev:end]
		prev = end
		if seen[h[i]] {
			return &DecodeError{Line: line, Err: fmt.Errorf("csv header: column %q appears twice", h[i])}
		}
		seen[h[i]] = true
	}
	r.header = h
	return nil
}

// shrink drops buffers grown for one large row.
func (r *csvReader) shrink() {
	if cap(r.raw) > bigBuf {
		r.raw = nil
	}
	if cap(r.field) > bigBuf {
		r.field = nil
	}
}
