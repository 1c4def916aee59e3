package jsondiff

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// decodeJSON decodes one JSON document, numbers as json.Number or float64;
// ok is false for invalid JSON, trailing data or numbers out of float64
// range.
func decodeJSON(data []byte, useNumber bool) (v any, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if useNumber {
		dec.UseNumber()
	}
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// FuzzDiff decodes two JSON documents and checks that Diff and Equal agree
// (see checkConsistent), that the float64 and json.Number decodings of a
// document are each equal to their own round trip, and that nothing panics.
func FuzzDiff(f *testing.F) {
	for _, s := range [][2]string{
		{`{}`, `{}`},
		{`null`, `{}`},
		{`{"a":null}`, `{}`},
		{`{"a":1}`, `{"a":1.0}`},
		{`{"a":"1"}`, `{"a":1}`},
		{`[1,2,3]`, `[3,1,2]`},
		{`[1,2,3,4,5,6,7,8,9,10]`, `[1,2,3,4,5,99,6,7,8,9,10]`},
		{`[{"sku":"A","qty":1},{"sku":"B","qty":2}]`, `[{"sku":"B","qty":3}]`},
		{`[[1,[2]],{"x":[]}]`, `[[1,[2,3]],{"x":{}}]`},
		{`{"straße":1,"":2,"a\"b":3,"\u001b":4}`, `{"straße":2,"":2,"a\"b":3,"\u009b":4}`},
		{`[0,-0,1e400,-1e-400,12345678901234567890]`, `[-0.0,0e5,10e399,0,12345678901234567890.0]`},
		{`"\ud800"`, `"\ufffd"`},
		{`1e99999999999999999999`, `10e99999999999999999998`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	if olds, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.old.json")); len(olds) > 0 {
		for _, old := range olds {
			a, err1 := os.ReadFile(old)
			b, err2 := os.ReadFile(old[:len(old)-len(".old.json")] + ".new.json")
			if err1 == nil && err2 == nil {
				f.Add(a, b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if len(a)+len(b) > 1<<16 {
			return
		}
		x, ok1 := decodeJSON(a, true)
		y, ok2 := decodeJSON(b, true)
		if !ok1 || !ok2 {
			return
		}
		checkConsistent(t, x, y)
		FormatWidth(Diff(x, y), true, 1)
		if fx, ok := decodeJSON(a, false); ok {
			checkConsistent(t, fx, y)
			if !Equal(x, mustRoundTrip(t, x)) || !Equal(fx, mustRoundTrip(t, fx)) {
				t.Fatalf("a value differs from its round trip: %s", a)
			}
		}
	})
}

func mustRoundTrip(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := decodeJSON(data, true)
	if !ok {
		t.Fatalf("cannot decode %s", data)
	}
	return out
}
