package codec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// readBufSize is the read buffer of every reader.
const readBufSize = 64 << 10

// bigBuf is the scratch size past which a buffer grown for one large record
// is dropped afterwards rather than kept.
const bigBuf = 1 << 20

var bom = []byte{0xEF, 0xBB, 0xBF}

type ndjsonReader struct {
	br   *bufio.Reader
	p    parser
	long []byte // a line longer than the read buffer
	line int
	max  int
	eof  bool
	err  error // fatal, sticky
}

func newNDJSONReader(r io.Reader, opts ReaderOptions) *ndjsonReader {
	return &ndjsonReader{br: bufio.NewReaderSize(r, readBufSize), max: opts.maxRecord()}
}

// readLine returns the next line without its line break, or ok false at
// the end of input. The line is valid until the next call.
func (r *ndjsonReader) readLine() (line []byte, ok bool, err error) {
	if r.eof {
		return nil, false, nil
	}
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > r.max {
				return nil, false, &DecodeError{Line: r.line + 1, Err: fmt.Errorf("%w: line longer than %d bytes", ErrRecordTooLong, r.max)}
			}
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	switch err {
	case nil:
	case io.EOF:
		r.eof = true
		if len(b) == 0 {
			return nil, false, nil
		}
	default:
		return nil, false, err
	}
	r.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if len(b) > r.max {
		return nil, false, &DecodeError{Line: r.line, Err: fmt.Errorf("%w: line longer than %d bytes", ErrRecordTooLong, r.max)}
	}
	if r.line == 1 {
		b = bytes.TrimPrefix(b, bom)
	}
	return b, true, nil
}

func (r *ndjsonReader) buffered() bool {
	return r.eof || r.err != nil || lineBuffered(r.br)
}

// lineBuffered reports whether br holds a whole line.
func lineBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

func (r *ndjsonReader) Next() (Record, bool, error) {
	for r.err == nil {
		line, ok, err := r.readLine()
		if err != nil {
			r.err = err
			break
		}
		if !ok {
			return Record{}, false, nil
		}
		if blank(line) {
			continue
		}
		rec := r.decode(line)
		if cap(r.long) > bigBuf {
			r.long = nil
		}
		return rec, true, nil
	}
	return Record{}, false, r.err
}

func (r *ndjsonReader) decode(line []byte) Record {
	v, err := r.p.parse(line)
	if err != nil {
		var col int
		if v, col, err = stdDecode(line); err != nil {
			return Record{Line: r.line, Err: &DecodeError{Line: r.line, Column: col, Err: err}, Raw: bytes.Clone(line)}
		}
	}
	if m, ok := v.(map[string]any); ok {
		return Record{Data: m, Line: r.line}
	}
	return Record{Line: r.line, Err: &DecodeError{Line: r.line, Err: notObject(v)}, Raw: bytes.Clone(line)}
}

func notObject(v any) error {
	return fmt.Errorf("record is %s, want an object", kindOf(v))
}

// blank reports whether b is all JSON whitespace.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// stdDecode decodes b, one JSON value with optional whitespace around it,
// with encoding/json. The parser calls it when it rejects b, to have
// encoding/json's description of the problem and its 1-based byte offset
// in b (0 when unknown). Should encoding/json accept b after all, its value
// is returned.
func stdDecode(b []byte) (any, int, error) {
	var v any
	err := json.Unmarshal(b, &v)
	if err == nil {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err = d.Decode(&v); err == nil {
			return v, 0, nil
		}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, int(se.Offset), se
	}
	return nil, 0, err
}
