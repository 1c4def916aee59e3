package codec

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// writeBufSize is the output buffer of every writer.
const writeBufSize = 64 << 10

// ErrClosed is returned by Write and Flush after Close.
var ErrClosed = errors.New("codec: writer is closed")

// jsonWriter writes NDJSON, or a JSON array with one element per line.
type jsonWriter struct {
	bw     *bufio.Writer
	enc    encoder
	buf    []byte
	array  bool
	n      int   // values written
	err    error // I/O error, sticky
	closed bool
}

func newJSONWriter(w io.Writer, array bool) *jsonWriter {
	return &jsonWriter{bw: bufio.NewWriterSize(w, writeBufSize), array: array}
}

func (w *jsonWriter) Write(v any) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	b, err := w.enc.append(w.buf[:0], v)
	if cap(b) <= bigBuf {
		w.buf = b
	}
	if err != nil {
		return err
	}
	if w.array {
		if w.n == 0 {
			w.bw.WriteString("[\n")
		} else {
			w.bw.WriteString(",\n")
		}
		w.bw.Write(b)
	} else {
		b = append(b, '\n')
		if _, w.err = w.bw.Write(b); w.err != nil {
			return w.err
		}
	}
	w.n++
	// bufio.Writer errors are sticky: the last write reports any.
	if _, w.err = w.bw.Write(nil); w.err != nil {
		return w.err
	}
	return nil
}

func (w *jsonWriter) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}

func (w *jsonWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.array {
		if w.n == 0 {
			w.bw.WriteString("[]\n")
		} else {
			w.bw.WriteString("\n]\n")
		}
	}
	w.err = w.bw.Flush()
	return w.err
}

// csvWriter writes a header row and one row per record.
type csvWriter struct {
	bw      *bufio.Writer
	cw      *csv.Writer
	columns []string
	index   map[string]bool
	row     []string
	enc     encoder
	p       parser
	scratch []byte
	started bool // header written
	err     error
	closed  bool
}

func newCSVWriter(w io.Writer, opts WriterOptions) (*csvWriter, error) {
	d, err := delimiter(opts.Delimiter)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	cw := csv.NewWriter(bw) // shares bw: it is big enough
	cw.Comma = d
	cw2 := &csvWriter{bw: bw, cw: cw}
	if len(opts.Columns) > 0 {
		if err := cw2.setColumns(slices.Clone(opts.Columns)); err != nil {
			return nil, err
		}
	}
	return cw2, nil
}

func (w *csvWriter) setColumns(cols []string) error {
	index := make(map[string]bool, len(cols))
	for _, c := range cols {
		if index[c] {
			return fmt.Errorf("codec: CSV column %q given twice", c)
		}
		index[c] = true
	}
	w.columns, w.index = cols, index
	w.row = make([]string, len(cols))
	return nil
}

func (w *csvWriter) Write(v any) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	m, err := w.object(v)
	if err != nil {
		return err
	}
	auto := w.columns == nil
	if auto {
		cols := make([]string, 0, len(m))
		for k := range m {
			cols = append(cols, k)
		}
		slices.Sort(cols)
		if err := w.setColumns(cols); err != nil {
			return err
		}
	}
	if err := w.fill(m); err != nil {
		if auto {
			w.columns, w.index, w.row = nil, nil, nil
		}
		return err
	}
	if err := w.header(); err != nil {
		return err
	}
	w.err = w.cw.Write(w.row)
	clear(w.row)
	return w.err
}

// fill sets row to m's cells.
func (w *csvWriter) fill(m map[string]any) error {
	var err error
	found := 0
	for i, c := range w.columns {
		x, ok := m[c]
		if !ok {
			w.row[i] = ""
			continue
		}
		found++
		if w.row[i], err = w.cell(x); err != nil {
			clear(w.row)
			return fmt.Errorf("csv column %q: %w", c, err)
		}
	}
	if found < len(m) {
		clear(w.row)
		var extra []string
		for k := range m {
			if !w.index[k] {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		return fmt.Errorf("csv: record has keys that are not columns: %s (columns: %s)", quoteList(extra), quoteList(w.columns))
	}
	return nil
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func (w *csvWriter) header() error {
	if !w.started {
		w.started = true
		w.err = w.cw.Write(w.columns)
	}
	return w.err
}

// object returns v as a map: a map[string]any as is, anything else through
// its JSON encoding.
func (w *csvWriter) object(v any) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		if x != nil {
			return x, nil
		}
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return m, nil
	}
	b, err := w.enc.append(w.scratch[:0], v)
	if err != nil {
		return nil, err
	}
	w.scratch = b[:0]
	if o, err := w.p.parse(b); err == nil {
		if m, ok := o.(map[string]any); ok {
			return m, nil
		}
	}
	return nil, fmt.Errorf("csv: cannot write %T as a row, want an object", v)
}

// cell formats one value: strings as is, nil empty, numbers and booleans
// as in JSON, anything else as compact JSON (a JSON string unquoted, so
// time.Time gives its RFC 3339 text).
func (w *csvWriter) cell(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	}
	b, err := w.enc.append(w.scratch[:0], v)
	if err != nil {
		return "", err
	}
	if cap(b) <= bigBuf {
		w.scratch = b[:0]
	}
	if len(b) > 0 && b[0] == '"' {
		if s, err := w.p.parse(b); err == nil {
			if s, ok := s.(string); ok {
				return s, nil
			}
		}
	}
	return string(b), nil
}

func (w *csvWriter) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	w.cw.Flush()
	w.err = w.cw.Error()
	return w.err
}

func (w *csvWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.columns != nil {
		// Known columns make a header even without records.
		if err := w.header(); err != nil {
			return err
		}
	}
	w.cw.Flush()
	w.err = w.cw.Error()
	return w.err
}
