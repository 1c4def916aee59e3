package codec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenRecord is how a decoded record appears in a golden file.
type goldenRecord struct {
	Line  int            `json:"line"`
	Data  map[string]any `json:"data,omitempty"`
	Error string         `json:"error,omitempty"`
	Raw   *string        `json:"raw,omitempty"`
}

type goldenDecode struct {
	Records []goldenRecord `json:"records"`
	Fatal   string         `json:"fatal,omitempty"`
}

func readAll(t testing.TB, r Reader) ([]Record, error) {
	t.Helper()
	var recs []Record
	for {
		rec, ok, err := r.Next()
		if err != nil {
			// A fatal error is sticky.
			if _, ok2, err2 := r.Next(); ok2 || err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("after fatal %v, Next gave ok=%v err=%v", err, ok2, err2)
			}
			return recs, err
		}
		if !ok {
			if _, ok2, err2 := r.Next(); ok2 || err2 != nil {
				t.Fatalf("after the end, Next gave ok=%v err=%v", ok2, err2)
			}
			return recs, nil
		}
		checkRecord(t, rec)
		recs = append(recs, rec)
	}
}

// checkRecord checks the Record invariants: Data xor Err, Raw only with
// Err, a line number.
func checkRecord(t testing.TB, rec Record) {
	t.Helper()
	if (rec.Data == nil) == (rec.Err == nil) {
		t.Fatalf("record at line %d: Data %v, Err %v: want exactly one", rec.Line, rec.Data, rec.Err)
	}
	if rec.Err != nil && rec.Raw == nil {
		t.Fatalf("record at line %d: Err %v without Raw", rec.Line, rec.Err)
	}
	if rec.Line < 1 {
		t.Fatalf("record %v has line %d", rec, rec.Line)
	}
}

func optionsFor(name string) ReaderOptions {
	if strings.Contains(name, ".semi.") {
		return ReaderOptions{Delimiter: ';'}
	}
	return ReaderOptions{}
}

func TestDecodeGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/decode/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		format := DetectFormat(in)
		if format == "" {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			opts := optionsFor(in)
			opts.Synchronous = true
			r, err := NewReader(bytes.NewReader(data), format, opts)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := readAll(t, r)
			// Decoding ahead in a goroutine gives the same.
			r2, err2 := NewReader(bytes.NewReader(data), format, opts)
			if err2 != nil {
				t.Fatal(err2)
			}
			recs2, err2 := readAll(t, newAheadReader(r2.(bufferedReader)))
			if summary(recs, err) != summary(recs2, err2) {
				t.Fatalf("decoding ahead differs:\n%s\nsynchronously:\n%s", summary(recs2, err2), summary(recs, err))
			}
			var got goldenDecode
			got.Records = []goldenRecord{}
			for _, rec := range recs {
				g := goldenRecord{Line: rec.Line, Data: rec.Data}
				if rec.Err != nil {
					g.Error = rec.Err.Error()
					raw := string(rec.Raw)
					g.Raw = &raw
				}
				got.Records = append(got.Records, g)
			}
			if err != nil {
				got.Fatal = err.Error()
			}
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(got); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, in+".golden", out.Bytes())
		})
	}
	if n < 20 {
		t.Fatalf("only %d decode inputs found", n)
	}
}

func TestEncodeGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/encode/*.input.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no encode inputs")
	}
	for _, in := range inputs {
		for _, format := range []string{"ndjson", "json", "csv"} {
			name := strings.TrimSuffix(in, ".input.ndjson")
			t.Run(filepath.Base(name)+"."+format, func(t *testing.T) {
				f, err := os.Open(in)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				r, err := NewReader(f, "ndjson", ReaderOptions{})
				if err != nil {
					t.Fatal(err)
				}
				recs, err := readAll(t, r)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				w, err := NewWriter(&out, format, WriterOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var errs []string
				for _, rec := range recs {
					if rec.Err != nil {
						t.Fatalf("input: %v", rec.Err)
					}
					if err := w.Write(rec.Data); err != nil {
						errs = append(errs, "record at line "+itoa(rec.Line)+": "+err.Error())
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if len(errs) > 0 {
					out.WriteString("--- write errors ---\n" + strings.Join(errs, "\n") + "\n")
				}
				compareGolden(t, name+".golden."+format, out.Bytes())
			})
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
