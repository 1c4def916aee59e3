package codec

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func decodeString(t testing.TB, format, in string, opts ReaderOptions) ([]Record, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), format, opts)
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, r)
}

// summary renders records compactly for comparisons.
func summary(recs []Record, err error) string {
	var b strings.Builder
	for _, r := range recs {
		if r.Err != nil {
			fmt.Fprintf(&b, "%d ERR %v RAW %q\n", r.Line, r.Err, r.Raw)
			continue
		}
		d, _ := json.Marshal(r.Data)
		fmt.Fprintf(&b, "%d %s\n", r.Line, d)
	}
	if err != nil {
		fmt.Fprintf(&b, "FATAL %v\n", err)
	}
	return b.String()
}

func TestDecodeCases(t *testing.T) {
	cases := []struct {
		name, format, in, want string
	}{
		{"ndjson empty", "ndjson", "", ""},
		{"jsonl empty", "jsonl", "", ""},
		{"json empty", "json", "", ""},
		{"csv empty", "csv", "", ""},
		{"ndjson only newline", "ndjson", "\n", ""},
		{"ndjson no final newline", "ndjson", `{"a":1}` + "\n" + `{"a":2}`, "1 {\"a\":1}\n2 {\"a\":2}\n"},
		{"ndjson blank lines counted", "ndjson", "\n\r\n \t\n{\"a\":1}\n\n", "4 {\"a\":1}\n"},
		{"ndjson malformed mid-file", "ndjson", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n",
			"1 {\"a\":1}\n2 ERR line 2, column 5: unexpected end of JSON input RAW \"{\\\"a\\\":\"\n3 {\"a\":3}\n"},
		{"ndjson BOM", "ndjson", "\xef\xbb\xbf{\"a\":1}\n", "1 {\"a\":1}\n"},
		{"ndjson BOM only first line", "ndjson", "{}\n\xef\xbb\xbf{\"a\":1}\n",
			"1 {}\n2 ERR line 2, column 1: invalid character 'ï' looking for beginning of value RAW \"\\ufeff{\\\"a\\\":1}\"\n"},
		{"ndjson CR inside line is whitespace", "ndjson", "{\"a\":\r1}\r\n", "1 {\"a\":1}\n"},
		{"json single object", "json", ` {"a":1} `, "1 {\"a\":1}\n"},
		{"json array", "json", "[{\"a\":1},\n{\"a\":2}]", "1 {\"a\":1}\n2 {\"a\":2}\n"},
		{"json array of scalars", "json", `[1,"x"]`,
			"1 ERR line 1, column 2: record is a number, want an object RAW \"1\"\n1 ERR line 1, column 4: record is a string, want an object RAW \"\\\"x\\\"\"\n"},
		{"json nested array element", "json", `[[{"a":1}]]`, "1 ERR line 1, column 2: record is an array, want an object RAW \"[{\\\"a\\\":1}]\"\n"},
		{"json string top level", "json", `"x"`, "FATAL line 1, column 1: input is a string, want an array of objects or an object\n"},
		{"json garbage top level", "json", `x`, "FATAL line 1, column 1: input is invalid: unexpected character 'x', want an array of objects or an object\n"},
		{"json unterminated array", "json", `[`, "FATAL line 1, column 2: unexpected end of JSON input\n"},
		{"json unterminated element", "json", "[\n{\"a\":\"x", "FATAL line 2, column 1: unexpected end of JSON input in this element\n"},
		{"json scalar at end", "json", `[1`, "1 ERR line 1, column 2: record is a number, want an object RAW \"1\"\nFATAL line 1, column 3: unexpected end of JSON input\n"},
		{"json bad literal", "json", `[tru]`, "FATAL line 1, column 5: invalid character ']' in literal true (expecting 'e')\n"},
		{"json object then garbage", "json", `{"a":1} x`, "1 {\"a\":1}\nFATAL line 1, column 9: invalid character 'x' after top-level value\n"},
		{"json malformed element position", "json", "[\n  {\"a\":1,\n   \"b\": x}]",
			"FATAL line 3, column 9: invalid character 'x' looking for beginning of value\n"},
		{"csv header only CRLF", "csv", "a,b\r\n", ""},
		{"csv no final newline", "csv", "a\n1", "2 {\"a\":\"1\"}\n"},
		{"csv final CR", "csv", "a\n1\r", "2 {\"a\":\"1\"}\n"},
		{"csv one column empty value", "csv", "a\n\"\"\n", "2 {\"a\":\"\"}\n"},
		{"csv wrong count", "csv", "a,b\n1\n1,2,3\n", "2 ERR line 2: wrong number of columns: expected 2, got 1 RAW \"1\\n\"\n3 ERR line 3: wrong number of columns: expected 2, got 3 RAW \"1,2,3\\n\"\n"},
		{"csv multiline raw kept", "csv", "a,b\n\"x\r\ny\",1,2\n3,4\n",
			"2 ERR line 2: wrong number of columns: expected 2, got 3 RAW \"\\\"x\\r\\ny\\\",1,2\\n\"\n4 {\"a\":\"3\",\"b\":\"4\"}\n"},
		{"csv header empty names", "csv", "a,\n1,2\n", "2 {\"\":\"2\",\"a\":\"1\"}\n"},
		{"csv leading spaces kept", "csv", "a, b\n 1, 2\n", "2 {\" b\":\" 2\",\"a\":\" 1\"}\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, err := decodeString(t, c.format, c.in, ReaderOptions{})
			if got := summary(recs, err); got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// TestReadersWithAwkwardReaders reads the golden inputs one byte at a
// time, in halves, and with the data and io.EOF together, and must get the
// same records.
func TestReadersWithAwkwardReaders(t *testing.T) {
	inputs := map[string]string{
		"ndjson": "\xef\xbb\xbf{\"a\":1}\r\n\n{\"b\":[1,2,{\"c\":\"]\"}]}\n{bad\n42\n{\"z\":true}",
		"json":   "\xef\xbb\xbf[\n {\"a\":1},\n {\"b\":\"}]\\\"[{\"},\n 1, \"x\" , {\"c\":{\"d\":[]}}\n]\n",
		"csv":    "\xef\xbb\xbfa,b\r\n1,2\n\"x\ny\",\"z\"\"\"\n1\n3,4",
	}
	for format, in := range inputs {
		want := summary(decodeString(t, format, in, ReaderOptions{}))
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"one byte": iotest.OneByteReader,
			"half":     iotest.HalfReader,
			"data+EOF": iotest.DataErrReader,
		} {
			r, err := NewReader(wrap(strings.NewReader(in)), format, ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			recs, err := readAll(t, r)
			if got := summary(recs, err); got != want {
				t.Errorf("%s %s: got\n%s\nwant\n%s", format, name, got, want)
			}
		}
	}
}

func TestIOErrorIsFatal(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, format := range []string{"ndjson", "json", "csv"} {
		in := map[string]string{"ndjson": "{\"a\":1}\n", "json": "[{\"a\":1},", "csv": "a\n1\n"}[format]
		src := io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom))
		r, err := NewReader(src, format, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := readAll(t, r)
		if !errors.Is(err, boom) || len(recs) != 1 {
			t.Errorf("%s: %d records, err %v; want 1 record and %v", format, len(recs), err, boom)
		}
	}
}

// bigLine is a reader of one NDJSON line of n bytes: {"s":"xxx..."}.
func bigLine(n int) io.Reader {
	head, tail := `{"s":"`, "\"}\n"
	return io.MultiReader(strings.NewReader(head), io.LimitReader(repeatReader('x'), int64(n-len(head)-len(tail))), strings.NewReader(tail))
}

type repeatReader byte

func (c repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestLongLines(t *testing.T) {
	sizes := []int{5 << 20}
	if !testing.Short() {
		sizes = append(sizes, 64<<20)
	}
	for _, n := range sizes {
		src := io.MultiReader(strings.NewReader("{\"a\":1}\n"), bigLine(n), strings.NewReader("{\"a\":3}\n"))
		r, _ := NewReader(src, "ndjson", ReaderOptions{})
		recs, err := readAll(t, r)
		if err != nil || len(recs) != 3 {
			t.Fatalf("%d byte line: %d records, err %v", n, len(recs), err)
		}
		if s := recs[1].Data["s"].(string); len(s) != n-9 || recs[2].Line != 3 {
			t.Fatalf("%d byte line: value of %d bytes, last line %d", n, len(s), recs[2].Line)
		}
	}
	// Also as a JSON array element and a CSV field.
	big := strings.Repeat("y", 5<<20)
	recs, err := decodeString(t, "json", `[{"a":1},{"s":"`+big+`"},{"a":3}]`, ReaderOptions{})
	if err != nil || len(recs) != 3 || recs[1].Data["s"] != big {
		t.Fatalf("json: %d records, err %v", len(recs), err)
	}
	recs, err = decodeString(t, "csv", "s\n"+big+"\n\""+big+"\n\"\n", ReaderOptions{})
	if err != nil || len(recs) != 2 || recs[0].Data["s"] != big || recs[1].Data["s"] != big+"\n" {
		t.Fatalf("csv: %d records, err %v", len(recs), err)
	}
}

func TestMaxRecordBytes(t *testing.T) {
	opts := ReaderOptions{MaxRecordBytes: 100 << 10}
	cases := map[string]io.Reader{
		"ndjson": io.MultiReader(strings.NewReader("{}\n"), bigLine(1<<20)),
		"json":   io.MultiReader(strings.NewReader("[{},"), bigLine(1<<20)),
		"csv":    io.MultiReader(strings.NewReader("a\n1\n\""), repeatReader('x')), // never-ending quoted field
	}
	for format, src := range cases {
		r, _ := NewReader(src, format, opts)
		recs, err := readAll(t, r)
		if !errors.Is(err, ErrRecordTooLong) || len(recs) != 1 {
			t.Errorf("%s: %d records, err %v; want 1 and ErrRecordTooLong", format, len(recs), err)
		}
	}
	// Just under the limit is fine.
	r, _ := NewReader(bigLine(100<<10), "ndjson", opts)
	if recs, err := readAll(t, r); err != nil || len(recs) != 1 {
		t.Fatalf("at the limit: %d records, err %v", len(recs), err)
	}
}

func TestNewReaderErrors(t *testing.T) {
	for _, f := range []string{"xml", "", "edi"} {
		if _, err := NewReader(strings.NewReader(""), f, ReaderOptions{}); err == nil {
			t.Errorf("format %q: no error", f)
		}
	}
	for _, d := range []rune{'"', '\n', '\r', 0xD800, -1} {
		if _, err := NewReader(strings.NewReader(""), "csv", ReaderOptions{Delimiter: d}); err == nil {
			t.Errorf("delimiter %q: no error", d)
		}
		if _, err := NewWriter(io.Discard, "csv", WriterOptions{Delimiter: d}); err == nil {
			t.Errorf("writer delimiter %q: no error", d)
		}
	}
	if _, err := NewWriter(io.Discard, "edi", WriterOptions{}); err == nil {
		t.Error("edi writer: no error")
	}
	if _, err := NewWriter(io.Discard, "csv", WriterOptions{Columns: []string{"a", "a"}}); err == nil {
		t.Error("duplicate columns: no error")
	}
}

func TestDetectFormat(t *testing.T) {
	for name, want := range map[string]string{
		"orders.ndjson": "ndjson", "in/x.JSONL": "ndjson", "a.json": "json", "/tmp/A.CSV": "csv",
		"x.edi": "edi", "x.X12": "edi", "x.edifact": "edi", "x.txt": "", "x.json.gz": "", "json": "", "": "", "dir.csv/file": "",
	} {
		if got := DetectFormat(name); got != want {
			t.Errorf("DetectFormat(%q) = %q, want %q", name, got, want)
		}
	}
}

func encodeAll(t testing.TB, format string, opts WriterOptions, vals ...any) (string, []error) {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, v := range vals {
		if err := w.Write(v); err != nil {
			errs = append(errs, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Write(map[string]any{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	return b.String(), errs
}

func TestEmptyOutput(t *testing.T) {
	for format, want := range map[string]string{"ndjson": "", "jsonl": "", "json": "[]\n", "csv": ""} {
		if got, _ := encodeAll(t, format, WriterOptions{}); got != want {
			t.Errorf("%s: %q, want %q", format, got, want)
		}
	}
	if got, _ := encodeAll(t, "csv", WriterOptions{Columns: []string{"b", "a"}}); got != "b,a\n" {
		t.Errorf("csv with columns: %q", got)
	}
	// The empty JSON array is valid JSON.
	got, _ := encodeAll(t, "json", WriterOptions{})
	var v []any
	if err := json.Unmarshal([]byte(got), &v); err != nil || len(v) != 0 {
		t.Fatalf("%q: %v", got, err)
	}
}

func TestJSONWriter(t *testing.T) {
	got, errs := encodeAll(t, "json", WriterOptions{}, map[string]any{"b": 1, "a": "<&>"}, []any{1}, "x", map[string]any{"bad": make(chan int)}, nil)
	want := "[\n{\"a\":\"<&>\",\"b\":1},\n[1],\n\"x\",\nnull\n]\n"
	if got != want || len(errs) != 1 {
		t.Fatalf("got %q (errors %v), want %q", got, errs, want)
	}
	var v []any
	if err := json.Unmarshal([]byte(got), &v); err != nil || len(v) != 4 {
		t.Fatalf("not a valid array: %v", err)
	}
	got, errs = encodeAll(t, "ndjson", WriterOptions{}, map[string]any{"x": 1.5}, map[string]any{"bad": 0.0 / zero()}, struct {
		A int `json:"a"`
	}{2})
	if got != "{\"x\":1.5}\n{\"a\":2}\n" || len(errs) != 1 {
		t.Fatalf("ndjson: %q %v", got, errs)
	}
}

func zero() float64 { return 0 }

func TestCSVWriter(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	got, errs := encodeAll(t, "csv", WriterOptions{},
		map[string]any{"name": "Smith, John", "note": "say \"hi\"\nbye", "qty": json.Number("3"), "price": 12.5, "n": 7, "ok": true, "none": nil,
			"lines": []any{map[string]any{"sku": "A", "q": 1}}, "when": when, "space": " lead"},
		map[string]any{"name": "only name"},
		map[string]any{"name": "x", "zeta": 1, "alpha": 2},
		map[string]string{"name": "from map[string]string"},
		struct {
			Name string `json:"name"`
		}{"from struct"},
		[]any{1},
		"not an object",
		map[string]any{"name": 1e21, "price": float32(0.1)},
	)
	want := "lines,n,name,none,note,ok,price,qty,space,when\n" +
		"\"[{\"\"q\"\":1,\"\"sku\"\":\"\"A\"\"}]\",7,\"Smith, John\",,\"say \"\"hi\"\"\nbye\",true,12.5,3,\" lead\",2024-05-06T07:08:09Z\n" +
		",,only name,,,,,,,\n" +
		",,from map[string]string,,,,,,,\n" +
		",,from struct,,,,,,,\n" +
		",,1e+21,,,,0.1,,,\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if len(errs) != 3 || !strings.Contains(errs[0].Error(), `"alpha", "zeta"`) || !strings.Contains(errs[1].Error(), "[]interface {}") {
		t.Fatalf("errors %v", errs)
	}
	// Given columns, in their order; a delimiter.
	got, errs = encodeAll(t, "csv", WriterOptions{Columns: []string{"z", "a"}, Delimiter: ';'},
		map[string]any{"a": "x;y", "z": 1}, map[string]any{"a": "2"}, map[string]any{"b": 1})
	if got != "z;a\n1;\"x;y\"\n;2\n" || len(errs) != 1 {
		t.Fatalf("got %q, errors %v", got, errs)
	}
	// A first record that fails does not fix the columns.
	got, errs = encodeAll(t, "csv", WriterOptions{}, map[string]any{"a": make(chan int)}, map[string]any{"b": 1})
	if got != "b\n1\n" || len(errs) != 1 {
		t.Fatalf("got %q, errors %v", got, errs)
	}
}

// TestCSVWriterRoundTrip writes records and reads them back.
func TestCSVWriterRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var vals []any
	for range 200 {
		vals = append(vals, map[string]any{"a": randString(rng), "b": randString(rng), "c": randString(rng)})
	}
	out, errs := encodeAll(t, "csv", WriterOptions{}, vals...)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	recs, err := decodeString(t, "csv", out, ReaderOptions{})
	if err != nil || len(recs) != len(vals) {
		t.Fatalf("%d records, err %v", len(recs), err)
	}
	for i, rec := range recs {
		want := vals[i].(map[string]any)
		for k, v := range want {
			// CSV cannot tell \r\n from \n inside a quoted field.
			if s := strings.ReplaceAll(v.(string), "\r\n", "\n"); rec.Data[k] != s {
				t.Fatalf("record %d key %s: %q, want %q", i, k, rec.Data[k], s)
			}
		}
	}
}

func randString(rng *rand.Rand) string {
	const alphabet = "ab ,;\"\n\r\t\\/{}[]é東🚚\x00\x7f"
	runes := []rune(alphabet)
	n := rng.IntN(12)
	var b strings.Builder
	for range n {
		b.WriteRune(runes[rng.IntN(len(runes))])
	}
	if rng.IntN(20) == 0 {
		b.WriteString("\xff") // invalid UTF-8
	}
	return b.String()
}

func randValue(rng *rand.Rand, depth int) any {
	k := rng.IntN(10)
	if depth > 3 && k >= 7 {
		k = rng.IntN(7)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2, 3:
		return strings.ToValidUTF8(randString(rng), "\uFFFD")
	case 4, 5:
		nums := []string{"0", "-0", "7", "-12", "3.14159", "1e10", "-2.5E-3", "123456789012345678901234567890.000000001", "1e400"}
		return json.Number(nums[rng.IntN(len(nums))])
	case 6:
		return json.Number(fmt.Sprint(rng.Int64() - rng.Int64()))
	case 7, 8:
		m := map[string]any{}
		for range rng.IntN(6) {
			m[strings.ToValidUTF8(randString(rng), "\uFFFD")] = randValue(rng, depth+1)
		}
		return m
	default:
		a := []any{}
		for range rng.IntN(5) {
			a = append(a, randValue(rng, depth+1))
		}
		return a
	}
}

// TestNDJSONRoundTrip: encoding then decoding gives the same values, for
// NDJSON and JSON arrays.
func TestNDJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var vals []any
	for range 2000 {
		m := map[string]any{}
		for range 1 + rng.IntN(8) {
			m[strings.ToValidUTF8(randString(rng), "\uFFFD")] = randValue(rng, 0)
		}
		vals = append(vals, m)
	}
	for _, format := range []string{"ndjson", "json"} {
		out, errs := encodeAll(t, format, WriterOptions{}, vals...)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		recs, err := decodeString(t, format, out, ReaderOptions{})
		if err != nil || len(recs) != len(vals) {
			t.Fatalf("%s: %d records, err %v", format, len(recs), err)
		}
		for i, rec := range recs {
			if !reflect.DeepEqual(rec.Data, vals[i]) {
				t.Fatalf("%s record %d:\n got %#v\nwant %#v", format, i, rec.Data, vals[i])
			}
			if format == "ndjson" && rec.Line != i+1 {
				t.Fatalf("record %d on line %d", i, rec.Line)
			}
			if format == "json" && rec.Line != i+2 {
				t.Fatalf("element %d on line %d", i, rec.Line)
			}
		}
	}
}

// csvReference reads in with encoding/csv as the csv reader should.
func csvReference(in string, comma rune) (recs [][]string, lines []int, errAt []bool) {
	in = strings.TrimPrefix(in, "\xef\xbb\xbf")
	r := csv.NewReader(strings.NewReader(in))
	r.Comma = comma
	r.FieldsPerRecord = -1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			panic(err)
		}
		line := 0
		if err == nil {
			line, _ = r.FieldPos(0)
		}
		recs = append(recs, slicesClone(rec))
		lines = append(lines, line)
		errAt = append(errAt, err != nil)
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// checkCSVAgainstReference compares the csv reader with encoding/csv.
func checkCSVAgainstReference(t testing.TB, in string, comma rune) {
	t.Helper()
	wantRecs, wantLines, wantErr := csvReference(in, comma)
	r, err := NewReader(strings.NewReader(in), "csv", ReaderOptions{Delimiter: comma, MaxRecordBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readAll(t, r)
	if len(wantRecs) == 0 {
		if err != nil || len(recs) != 0 {
			t.Fatalf("%q: %d records, err %v; encoding/csv has none", in, len(recs), err)
		}
		return
	}
	if wantErr[0] {
		if err == nil {
			t.Fatalf("%q: header accepted; encoding/csv: error", in)
		}
		return
	}
	header := wantRecs[0]
	if dup := hasDup(header); dup {
		if err == nil {
			t.Fatalf("%q: duplicate header accepted", in)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	if len(recs) != len(wantRecs)-1 {
		t.Fatalf("%q: %d records, encoding/csv %d", in, len(recs), len(wantRecs)-1)
	}
	for i, rec := range recs {
		want := wantRecs[i+1]
		switch {
		case wantErr[i+1]:
			if rec.Err == nil {
				t.Fatalf("%q record %d: %v, encoding/csv: error", in, i, rec.Data)
			}
		case len(want) != len(header):
			if rec.Err == nil || !strings.Contains(rec.Err.Error(), "wrong number of columns") {
				t.Fatalf("%q record %d: err %v, want wrong number of columns", in, i, rec.Err)
			}
		default:
			if rec.Err != nil {
				t.Fatalf("%q record %d: %v, encoding/csv %q", in, i, rec.Err, want)
			}
			for j, h := range header {
				if rec.Data[h] != want[j] {
					t.Fatalf("%q record %d column %q: %q, encoding/csv %q", in, i, h, rec.Data[h], want[j])
				}
			}
			if rec.Line != wantLines[i+1] {
				t.Fatalf("%q record %d: line %d, encoding/csv %d", in, i, rec.Line, wantLines[i+1])
			}
		}
	}
}

func hasDup(s []string) bool {
	seen := map[string]bool{}
	for _, x := range s {
		if seen[x] {
			return true
		}
		seen[x] = true
	}
	return false
}

var csvCases = []string{
	"", "\n", "a", "a\n", "a,b\n1,2", "a,b\n1,2\n", "a,b\r\n1,2\r\n", "a,b\n1,2\r", "a,b\n\n\n1,2\n\r\n3,4\n",
	"a,b\n\"1\",\"2\"\n", "a,b\n\"1\"\"x\",2\n", "a,b\n\"1\nx\",2\n", "a,b\n\"1\r\nx\",2\n", "a,b\n\"1\rx\",2\n",
	"a,b\n1,\"2\n", "a,b\n1,\"2\n\n\n", "a,b\n1,\"2\"x\n3,4\n", "a,b\n1,2\"\n3,4\n", "a,b\n\"\"\"\",\"\"\n",
	"a,b\n1,2,\n", "a,b\n,\n", "a,b\n \"1\",2\n", "a,b\n\"1\" ,2\n", "a,\"b\"\n1,2\n", "\"a\nb\",c\n1,2\n",
	"a;b\n1;2\n", "a,b\n1,\"\"\n", "a,b\n\"\n\",\"\r\n\"\n", "a\n\"x\"\"\"\"\"\n", "a\n\"\"\n", "a\n\"\n", "a\n\"",
	"\xef\xbb\xbfa,b\n1,2\n", "a,b\n1,2\r\r\n", "a\n\r\n\r\r\n", "a,b\n\"x\"\r\n", "a,b\n\"x\"\r",
	"a,b,c\n1,\"2\",3\n\"4\",5,\"6\"\n", "a\n\"multi\nline\nfield\"\n2\n",
}

func TestCSVMatchesEncodingCSV(t *testing.T) {
	for _, in := range csvCases {
		for _, comma := range []rune{',', ';', '\t', '§'} {
			checkCSVAgainstReference(t, in, comma)
			checkCSVAgainstReference(t, strings.ReplaceAll(in, ",", string(comma)), comma)
		}
	}
}

func TestDecodeAheadStopsWhenDropped(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("decoding ahead needs GOMAXPROCS > 1")
	}
	before := runtime.NumGoroutine()
	for range 10 {
		r, err := NewReader(&cycle{data: []byte("{\"a\":1}\n")}, "ndjson", ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := r.Next(); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDecodeAheadDoesNotWait: a record is handed over as soon as it is
// read, without waiting for a batch to fill, so slow streams (a pipe on
// stdin) flow record by record.
func TestDecodeAheadDoesNotWait(t *testing.T) {
	for format, lines := range map[string][]string{
		"ndjson": {"{\"a\":1}\n", "{\"a\":2}\n", "{\"a\":3}\n"},
		"csv":    {"a\n", "1\n", "2\n", "3\n"},
		"json":   {"[", "{\"a\":1}", ",{\"a\":2}", ",{\"a\":3}", "]"},
	} {
		pr, pw := io.Pipe()
		r, err := NewReader(pr, format, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan Record)
		go func() {
			defer close(got)
			for {
				rec, ok, err := r.Next()
				if !ok || err != nil {
					return
				}
				got <- rec
			}
		}()
		first := 1
		if format == "csv" || format == "json" {
			first = 2 // the header or the bracket comes with the first record
		}
		pw.Write([]byte(strings.Join(lines[:first], "")))
		for i := first; i <= len(lines); i++ {
			select {
			case rec := <-got:
				if rec.Err != nil {
					t.Fatal(rec.Err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: record %d not handed over", format, i-first+1)
			}
			if i < len(lines) {
				pw.Write([]byte(lines[i]))
			}
			if format == "json" && i == len(lines)-1 {
				break
			}
		}
		pw.Close()
		for range got {
		}
	}
}

type panicky struct{ n int }

func (p *panicky) Next() (Record, bool, error) {
	if p.n++; p.n > 2 {
		panic("boom")
	}
	return Record{Data: map[string]any{}, Line: p.n}, true, nil
}

func (p *panicky) buffered() bool { return true }

func TestDecodeAheadPanicIsAnError(t *testing.T) {
	recs, err := readAll(t, newAheadReader(&panicky{}))
	if len(recs) != 2 || err == nil || !strings.Contains(err.Error(), "internal error: boom") {
		t.Fatalf("%d records, err %v", len(recs), err)
	}
}

func TestFlush(t *testing.T) {
	for format, want := range map[string]string{"ndjson": "{\"a\":1}\n", "json": "[\n{\"a\":1}", "csv": "a\n1\n"} {
		var b bytes.Buffer
		w, err := NewWriter(&b, format, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(map[string]any{"a": 1}); err != nil {
			t.Fatal(err)
		}
		if b.Len() != 0 {
			t.Fatalf("%s: written before Flush", format)
		}
		if err := w.(Flusher).Flush(); err != nil || b.String() != want {
			t.Fatalf("%s: %q after Flush (%v), want %q", format, b.String(), err, want)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.(Flusher).Flush(); !errors.Is(err, ErrClosed) {
			t.Fatalf("%s: Flush after Close: %v", format, err)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n += len(p); f.n > 100 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrorIsSticky(t *testing.T) {
	for _, format := range []string{"ndjson", "json", "csv"} {
		w, _ := NewWriter(&failWriter{}, format, WriterOptions{})
		var err error
		for i := 0; i < 10000 && err == nil; i++ {
			err = w.Write(map[string]any{"a": strings.Repeat("x", 50)})
		}
		if err == nil {
			t.Fatalf("%s: no error", format)
		}
		if err2 := w.Write(map[string]any{"a": "y"}); err2 == nil {
			t.Fatalf("%s: error not sticky", format)
		}
		if err := w.Close(); err == nil {
			t.Fatalf("%s: Close after a write error: nil", format)
		}
	}
}

func TestParserEncoderMatchEncodingJSON(t *testing.T) {
	docs := []string{
		`{"a":1,"b":[1.5,"x",null,true,{"c":"d\u00e9"}],"e":"<&>","n":-0.0e3}`,
		` {"k":"v"} `,
		`[1,2]`,
		`"s"`,
	}
	var p Parser
	var e Encoder
	for _, d := range docs {
		got, err := p.Parse([]byte(d))
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parsed %#v, want %#v", d, got, want)
		}
		out, err := e.Append(nil, got)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(want)
		if string(out)+"\n" != buf.String() {
			t.Errorf("%s: encoded %s, want %s", d, out, buf.String())
		}
	}
	if _, err := p.Parse([]byte(`{"a":`)); err == nil || !strings.Contains(err.Error(), "unexpected end of JSON input") {
		t.Errorf("syntax error: %v", err)
	}
}
