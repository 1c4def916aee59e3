package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// stdParse is the reference: what encoding/json makes of b as one JSON
// document, numbers as json.Number.
func stdParse(b []byte) (any, error) {
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// checkParse compares the parser with encoding/json on b.
func checkParse(t testing.TB, p *parser, b []byte) {
	t.Helper()
	want, werr := stdParse(b)
	got, gerr := p.parse(b)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("parse(%q): err %v, encoding/json err %v", b, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("parse(%q) = %#v, encoding/json %#v", b, got, want)
	}
}

var parseCases = []string{
	``, ` `, `{}`, `[]`, ` {} `, "\t{\n}\r\n", `{"a":1}`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{a:1}`,
	`{"a":1 "b":2}`, `{"a":1}}`, `{"a":[1,2,{"b":null}]}`, `[1,]`, `[,1]`, `[1 2]`, `[[[]]]`, `[[[]]`, `]`, `}`,
	`true`, `false`, `null`, `tru`, `truex`, `nul`, `nulll`, `True`, `NaN`, `Infinity`,
	`0`, `-0`, `01`, `-01`, `1.`, `.5`, `1.5`, `-1.5e10`, `1E+2`, `1e-2`, `1e`, `1e+`, `-`, `+1`, `0x10`, `1.0e0`,
	`123456789012345678901234567890.123456789`, `1e400`, `-0.0000`, `9`, `10`,
	`""`, `"a"`, `"a`, `"\"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\x"`, `"\u00e9"`, `"\u00E9"`, `"\u00g9"`, `"\u12"`,
	`"\ud83d\ude9a"`, `"\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ude9a"`, `"\ud83d\ud83d\ude9a"`, `"\uD83D\uDE9A"`,
	`"\u0000"`, "\"a\x00b\"", "\"tab\there\"", "\"\x7f\"", "\"\xff\"", "\"\xc3\"", "\"\xc3\xa9\"", "\"\xed\xa0\x80\"",
	"\"\xef\xbf\xbd\"", "{\"\xff\":1}", `{"a":1,"a":2}`, `{"":""}`, "\"\u2028\"", `{"a":"b"}x`, `{"a":"b"} {}`,
	"\xef\xbb\xbf{}", `[1,[2,[3,[4]]]]`, `{"a":{"b":{"c":{}}}}`, `[true,false,null,"x",1.5,{}]`,
}

func TestParserMatchesEncodingJSON(t *testing.T) {
	var p parser
	for _, c := range parseCases {
		checkParse(t, &p, []byte(c))
		// The same text inside an object and an array.
		checkParse(t, &p, []byte(`{"k":`+c+`}`))
		checkParse(t, &p, []byte(`[`+c+`]`))
	}
	// encoding/json's nesting limit is 10000.
	for _, n := range []int{9999, 10000, 10001} {
		checkParse(t, &p, []byte(strings.Repeat("[", n)+strings.Repeat("]", n)))
		checkParse(t, &p, []byte(strings.Repeat(`{"a":`, n)+"1"+strings.Repeat("}", n)))
	}
}

func TestParserSharesKeys(t *testing.T) {
	var p parser
	key := func(doc string) string {
		v, err := p.parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		for k := range v.(map[string]any) {
			return k
		}
		return ""
	}
	a, b := key(`{"order_id":1}`), key(`{"order_id":2}`)
	if a != "order_id" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("keys %q and %q not shared", a, b)
	}
	// Many other keys later, still right.
	for i := range 3 * tableSlots {
		if k := key(`{"k` + itoa(i) + `":1}`); k != "k"+itoa(i) {
			t.Fatalf("key %q", k)
		}
	}
	if k := key(`{"order_id":3}`); k != "order_id" {
		t.Fatalf("key %q", k)
	}
}

// stdEncode is the reference encoding.
func stdEncode(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

type textish struct{ A int }

type named string

func TestEncoderMatchesEncodingJSON(t *testing.T) {
	type nested struct {
		X []int `json:"x"`
	}
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	values := []any{
		nil, true, false, "", "plain", "quote \" backslash \\ slash /", "ctl \x00\x01\x1f\x7f \b\f\n\r\t",
		"<html> & 'x'", "Zürich 東京 🚚", "bad \xff\xc3 utf8", "\u2028\u2029", "\xef\xbf\xbd",
		json.Number("12.50"), json.Number(""), json.Number("1e400"), json.Number("-0"), json.Number("01"), json.Number("abc"),
		0.0, math.Copysign(0, -1), 1.0, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456.789, -1.5e300, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.NaN(), math.Inf(1), float32(0.1), float32(1e21), float32(1e-7),
		int(-7), int8(-8), int16(16), int32(-32), int64(math.MinInt64), uint(7), uint8(8), uint16(16), uint32(32), uint64(math.MaxUint64),
		map[string]any{}, map[string]any(nil), []any{}, []any(nil),
		map[string]any{"b": 1, "a": []any{"x", nil, map[string]any{"z": true, "y": json.Number("2")}}, "": "empty", "é": 1, "A": 2},
		map[string]string{"b": "2", "a": "1"}, map[string]string(nil), []string{"a", "<"}, []string(nil),
		[]map[string]any{{"a": 1}, nil}, []map[string]any(nil),
		map[string]any{"t": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "s": nested{X: []int{1}}, "n": named("x"), "p": &textish{1}},
		map[string]any{"bad": math.NaN()}, []any{1, math.Inf(-1)}, map[string]any{"n": json.Number("x1")},
		cyclic, map[int]string{2: "b", 1: "a"}, []int{1, 2}, struct{}{}, make(chan int),
	}
	var e encoder
	for _, v := range values {
		want, werr := stdEncode(v)
		got, gerr := e.append(nil, v)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("encode %#v: err %v, encoding/json err %v", v, gerr, werr)
		}
		if werr == nil && string(got) != want {
			t.Fatalf("encode %#v = %s, encoding/json %s", v, got, want)
		}
		if e.depth != 0 {
			t.Fatalf("encode %#v left depth %d", v, e.depth)
		}
	}
	// Deep nesting is handed over to encoding/json and still matches.
	var deep any = "x"
	for range 2 * maxEncodeDepth {
		deep = []any{map[string]any{"a": deep}}
	}
	want, _ := stdEncode(deep)
	got, err := e.append(nil, deep)
	if err != nil || string(got) != want {
		t.Fatalf("deep value: err %v, equal %v", err, string(got) == want)
	}
}

// TestEncoderKeyCache runs maps whose key sets change, with the same and
// with other sizes, through one encoder, as a stream of records does.
func TestEncoderKeyCache(t *testing.T) {
	var e encoder
	seq := []any{
		map[string]any{"a": 1, "b": 2},
		map[string]any{"a": 1, "c": 2},
		map[string]any{"c": 1, "a": 2},
		map[string]any{"b": 1, "a": map[string]any{"x": 1, "y": 2}},
		map[string]any{"b": 1, "a": map[string]any{"x": 1, "z": 2}},
		map[string]any{"a": 1, "b": 2, "c": 3},
		map[string]any{"b": 1, "a": math.NaN()},
		map[string]any{"a": 1, "b": 2},
		map[string]any{"a": 1, "d": 2},
		map[string]any{"a": map[string]any{}, "b": []any{map[string]any{"q": 1}, map[string]any{"r": 2}}},
		map[string]any{"d": 1, "e": 2, "f": 3, "g": 4},
		map[string]any{"e": 1, "f": 2, "g": 3, "h": 4, "i": 5},
		map[string]any{"a": 1},
		map[string]any{"b": 1},
		map[string]any{"b": 1, "a": 2},
	}
	for round := range 3 {
		for i, v := range seq {
			want, werr := stdEncode(v)
			got, gerr := e.append(nil, v)
			if (werr == nil) != (gerr == nil) || werr == nil && string(got) != want {
				t.Fatalf("round %d value %d: %s (%v), encoding/json %s (%v)", round, i, got, gerr, want, werr)
			}
		}
	}
}

// TestParserSharedValues checks that shared strings and numbers never
// stand in for each other or for a different value.
func TestParserSharedValues(t *testing.T) {
	var p parser
	docs := []string{`{"a":"12"}`, `{"a":12}`, `{"a":"12"}`, `{"a":"EUR","b":"EUR"}`, `{"a":"EUR\u0021"}`, `{"a":"EUR!"}`, `{"a":12.5,"b":"12.5"}`, `{"a":""}`, `{"":""}`}
	for range 2 {
		for _, d := range docs {
			checkParse(t, &p, []byte(d))
		}
	}
	// Every slot filled and overwritten.
	for i := range 4 * tableSlots {
		checkParse(t, &p, []byte(`{"k`+itoa(i%50)+`":"v`+itoa(i)+`","n":`+itoa(i)+`}`))
	}
}
