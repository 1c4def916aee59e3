// Package codec holds the streaming record readers and writers of the file
// formats flowctl moves records through: NDJSON (JSON Lines), JSON (an array
// of objects, or a single object) and CSV.
//
// Records are map[string]any. Readers decode record by record from an
// io.Reader and hold no more than a read buffer and the records decoded
// ahead (a few batches, see ReaderOptions.Synchronous), so memory stays flat
// however long the input; writers encode one record at a time into a
// buffered writer.
//
// JSON numbers are decoded as json.Number, so decimals stay exact until a
// caller converts them by schema; everything else decodes as encoding/json
// does into an any: map[string]any, []any, string, bool and nil. Object keys
// are written in sorted order, so output is deterministic.
//
// Readers and writers are not safe for concurrent use.
package codec

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"
)

// Record is one decoded input record, or the reason it could not be decoded.
type Record struct {
	Data map[string]any // nil when Err != nil
	// Line is the 1-based line where the record starts: NDJSON its line;
	// JSON the line of its opening brace; CSV the row's first line (the
	// header is line 1).
	Line int
	// Err is the decode error of this record only (a malformed JSON line, a
	// CSV row with the wrong number of columns, a JSON value that is not an
	// object); reading goes on with the next record. It is a *DecodeError.
	Err error
	// Raw holds the record's raw input bytes when Err != nil, so a rejected
	// input is never lost (NDJSON: the line without its line ending; JSON:
	// the element; CSV: the row's lines as read, line endings included). It
	// is nil otherwise. Raw is owned by the caller.
	Raw []byte
}

// Reader is a streaming record reader.
type Reader interface {
	// Next returns the next record; ok is false at the end of input. A fatal
	// error (I/O, a JSON document that is not an array or object, a
	// malformed element inside a JSON array, a CSV header that cannot be
	// read, a record longer than ReaderOptions.MaxRecordBytes) is returned
	// as err and ends reading: later calls return the same error.
	Next() (rec Record, ok bool, err error)
}

// ReaderOptions tune NewReader.
type ReaderOptions struct {
	// Delimiter separates CSV fields; 0 means ','.
	Delimiter rune
	// MaxRecordBytes bounds the size of one record's raw input (an NDJSON
	// line, a JSON array element, a CSV row with its quoted line breaks), so
	// a file without line breaks or with an unterminated CSV quote cannot
	// exhaust memory. A longer record is a fatal error. 0 means
	// DefaultMaxRecordBytes; a negative value means no limit.
	MaxRecordBytes int
	// Synchronous decodes in the caller's goroutine. By default, when
	// GOMAXPROCS > 1, a reader decodes ahead in a goroutine of its own
	// (a few batches of records, at most), so decoding runs in parallel
	// with what the caller does with the records; the goroutine ends at
	// the end of input, at a fatal error, or once the reader is dropped.
	Synchronous bool
}

// DefaultMaxRecordBytes is the record size limit when
// ReaderOptions.MaxRecordBytes is 0.
const DefaultMaxRecordBytes = 256 << 20

func (o ReaderOptions) maxRecord() int {
	switch {
	case o.MaxRecordBytes == 0:
		return DefaultMaxRecordBytes
	case o.MaxRecordBytes < 0:
		return int(^uint(0) >> 1)
	}
	return o.MaxRecordBytes
}

// DecodeError is the error of a record that could not be decoded, or of a
// fatal decode error that has a position in the input.
type DecodeError struct {
	Line   int // 1-based line of the problem
	Column int // 1-based byte column within the line; 0 when unknown
	Err    error
}

func (e *DecodeError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrRecordTooLong is wrapped by the fatal error of a record longer than
// ReaderOptions.MaxRecordBytes.
var ErrRecordTooLong = errors.New("record too long")

// Formats NewReader and NewWriter accept; "jsonl" is an alias of "ndjson".
const (
	FormatNDJSON = "ndjson"
	FormatJSON   = "json"
	FormatCSV    = "csv"
	FormatEDI    = "edi" // only returned by DetectFormat: EDI has its own package
)

func normFormat(format string) string {
	f := strings.ToLower(strings.TrimSpace(format))
	if f == "jsonl" {
		return FormatNDJSON
	}
	return f
}

// NewReader returns a streaming reader of format:
//
//   - "ndjson" (alias "jsonl"): one JSON object per line. Blank lines are
//     skipped but counted; CRLF line endings and a UTF-8 BOM are accepted;
//     the last line needs no line break. A malformed line or a value that is
//     not an object is a Record with Err and Raw, and reading goes on.
//   - "json": a top-level array of objects, streamed element by element, or
//     a top-level object yielded as one record (several top-level objects in
//     a row are each a record). An element that is not an object is a Record
//     with Err; a malformed element is fatal, as the stream cannot resync.
//     Empty input has no records.
//   - "csv": the first row is the header, its column names are the keys of
//     every record and must be unique; values are strings. A row with the
//     wrong number of columns, or with a misplaced quote, is a Record with
//     Err and Raw. Empty lines are skipped. Quoting follows encoding/csv.
//
// Unless opts.Synchronous is set, the reader may read from r ahead of Next,
// in another goroutine, from the moment it is made.
func NewReader(r io.Reader, format string, opts ReaderOptions) (Reader, error) {
	var br bufferedReader
	switch normFormat(format) {
	case FormatNDJSON:
		br = newNDJSONReader(r, opts)
	case FormatJSON:
		br = newJSONReader(r, opts)
	case FormatCSV:
		cr, err := newCSVReader(r, opts)
		if err != nil {
			return nil, err
		}
		br = cr
	case FormatEDI:
		return nil, fmt.Errorf("codec: format %q is read by the edi package, not as records", format)
	default:
		return nil, fmt.Errorf("codec: unknown format %q (want ndjson, jsonl, json or csv)", format)
	}
	if opts.Synchronous || runtime.GOMAXPROCS(0) < 2 {
		return br, nil
	}
	return newAheadReader(br), nil
}

// Writer is a streaming record writer. Output is buffered: nothing may
// reach the underlying writer before Close (or Flush). A Write that fails
// because the value cannot be encoded writes nothing, and the writer stays
// usable; an I/O error is sticky.
type Writer interface {
	Write(v any) error // v is typically map[string]any; any JSON-marshalable value
	// Close flushes; for "json" it writes the closing bracket ("[]" when
	// nothing was written). It does not close the underlying io.Writer.
	Close() error
}

// Flusher is implemented by every Writer of this package: Flush writes the
// buffered output to the underlying writer without ending the document, for
// a caller that streams to a pipe and wants records out promptly.
type Flusher interface {
	Flush() error
}

// WriterOptions tune NewWriter.
type WriterOptions struct {
	// Columns are the CSV header, in order. Empty: the first record's keys,
	// sorted.
	Columns []string
	// Delimiter separates CSV fields; 0 means ','.
	Delimiter rune
}

// NewWriter returns a streaming writer of format:
//
//   - "ndjson" (alias "jsonl"): one compact JSON value per line.
//   - "json": a JSON array, one element per line; valid JSON even when
//     nothing was written.
//   - "csv": the header is opts.Columns or else the first record's keys in
//     sorted order. Strings are written as is, numbers and booleans
//     formatted, nil as an empty cell, nested objects and lists as compact
//     JSON. A record with a key that is not a column is an error naming
//     the keys; a column missing from a record is an empty cell.
//
// JSON output does not escape <, > and & (unlike json.Marshal); it is
// otherwise what encoding/json writes, map keys sorted.
func NewWriter(w io.Writer, format string, opts WriterOptions) (Writer, error) {
	switch normFormat(format) {
	case FormatNDJSON:
		return newJSONWriter(w, false), nil
	case FormatJSON:
		return newJSONWriter(w, true), nil
	case FormatCSV:
		return newCSVWriter(w, opts)
	}
	return nil, fmt.Errorf("codec: unknown output format %q (want ndjson, jsonl, json or csv)", format)
}

// DetectFormat picks a format from a file name's extension, ignoring case:
// .ndjson and .jsonl give "ndjson", .json "json", .csv "csv", and .edi,
// .x12 and .edifact "edi". Anything else, compressed files included, gives
// "": the caller must be told the format (or sniff the content).
func DetectFormat(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ndjson", ".jsonl":
		return FormatNDJSON
	case ".json":
		return FormatJSON
	case ".csv":
		return FormatCSV
	case ".edi", ".x12", ".edifact":
		return FormatEDI
	}
	return ""
}

func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

func delimiter(r rune) (rune, error) {
	if r == 0 {
		return ',', nil
	}
	if !validDelim(r) {
		return 0, fmt.Errorf("codec: invalid CSV delimiter %q", r)
	}
	return r, nil
}
