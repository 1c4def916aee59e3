package codec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// Run with e.g. go test -run '^$' -fuzz FuzzNDJSONReader ./engine/codec.
// Seeds: the f.Add calls and testdata/fuzz/<name>/.

func FuzzNDJSONReader(f *testing.F) {
	for _, s := range []string{
		"", "\n", "{}", "{\"a\":1}\n{\"b\":[1,2]}\n", "\xef\xbb\xbf{\"a\":1}\r\n\r\n{bad\n42\nnull\n",
		"{\"a\":\"\\ud83d\\ude9a\\u0000\"}", "{\"a\":1}{\"b\":2}", "{\"a\":\"\xff\"}", "  \t\r\n", "[{}]",
	} {
		f.Add([]byte(s))
	}
	for _, c := range parseCases {
		f.Add([]byte("{\"k\":" + c + "}\n" + c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "ndjson", ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := readAll(t, r)
		if err != nil {
			t.Fatalf("fatal error on in-memory input: %v", err)
		}
		// Each non-blank line is a record, the one encoding/json makes of it.
		lines := bytes.Split(data, []byte("\n"))
		if len(lines) > 0 {
			lines[0] = bytes.TrimPrefix(lines[0], bom)
		}
		i := 0
		for n, line := range lines {
			line = bytes.TrimSuffix(line, []byte("\r"))
			if blank(line) {
				continue
			}
			if i >= len(recs) {
				t.Fatalf("line %d %q has no record", n+1, line)
			}
			rec := recs[i]
			i++
			if rec.Line != n+1 {
				t.Fatalf("record %d: line %d, want %d", i, rec.Line, n+1)
			}
			want, werr := stdParse(line)
			m, isObj := want.(map[string]any)
			if werr == nil && isObj {
				if rec.Err != nil || !reflect.DeepEqual(rec.Data, m) {
					t.Fatalf("line %q: %v / %v, encoding/json %#v", line, rec.Data, rec.Err, m)
				}
			} else if rec.Err == nil || !bytes.Equal(rec.Raw, line) {
				t.Fatalf("line %q: %v, raw %q; want an error (%v)", line, rec.Data, rec.Raw, werr)
			}
		}
		if i != len(recs) {
			t.Fatalf("%d records for %d lines", len(recs), i)
		}
	})
}

func FuzzJSONReader(f *testing.F) {
	for _, s := range []string{
		"", "[]", "{}", "[{\"a\":1},{\"b\":[1,{\"c\":\"]}\"}]}]", "\xef\xbb\xbf[\r\n{}\r\n]", "[1,\"x\",null,[{}]]",
		"{\"a\":1}\n{\"b\":2}", "[{\"a\":1},]", "[{\"a\":1}] x", "[{\"a\":1", "[\"\\\"]\"]", "42", "[tru]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "json", ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := readAll(t, r)
		doc := bytes.TrimPrefix(data, bom)
		want, werr := stdParse(doc)
		if werr != nil {
			// Invalid JSON: a fatal error, unless it is a run of objects.
			return
		}
		switch w := want.(type) {
		case []any:
			if err != nil || len(recs) != len(w) {
				t.Fatalf("%q: %d records, err %v; want %d", data, len(recs), err, len(w))
			}
			for i, el := range w {
				if m, ok := el.(map[string]any); ok {
					if !reflect.DeepEqual(recs[i].Data, m) {
						t.Fatalf("%q element %d: %v / %v, want %v", data, i, recs[i].Data, recs[i].Err, m)
					}
				} else if recs[i].Err == nil {
					t.Fatalf("%q element %d: %v, want an error", data, i, recs[i].Data)
				}
			}
		case map[string]any:
			if err != nil || len(recs) != 1 || !reflect.DeepEqual(recs[0].Data, w) {
				t.Fatalf("%q: %d records, err %v", data, len(recs), err)
			}
		default:
			if err == nil {
				t.Fatalf("%q: top-level %T accepted", data, want)
			}
		}
	})
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range csvCases {
		f.Add([]byte(s), byte(','))
	}
	f.Add([]byte("a;b\n1;\"2;3\"\n"), byte(';'))
	f.Add([]byte("a\tb\n1\t2\n"), byte('\t'))
	f.Fuzz(func(t *testing.T, data []byte, delim byte) {
		comma := rune(delim)
		if !validDelim(comma) || comma >= utf8.RuneSelf {
			comma = ','
		}
		checkCSVAgainstReference(t, string(data), comma)
	})
}

// FuzzEncoder checks the encoder against encoding/json on decoded values.
func FuzzEncoder(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := stdParse(data)
		if err != nil {
			return
		}
		want, err := stdEncode(v)
		if err != nil {
			t.Fatal(err)
		}
		var e encoder
		got, err := e.append(nil, v)
		if err != nil || string(got) != want {
			t.Fatalf("%q: %s (%v), encoding/json %s", data, got, err, want)
		}
		// And it decodes back to the same value.
		var p parser
		back, err := p.parse(got)
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("%q: round trip %#v (%v), want %#v", data, back, err, v)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	})
}
