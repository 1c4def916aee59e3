package jsondiff

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestFormatGolden diffs testdata/golden/CASE.old.json with CASE.new.json
// and compares Format's output, followed by the Summary, with
// CASE[.VARIANT].golden. Regenerate with go test ./internal/jsondiff -update
// and review the diff before committing.
func TestFormatGolden(t *testing.T) {
	for _, tt := range []struct {
		name, variant string
		color         bool
		width         int
	}{
		{name: "order"},
		{name: "order", variant: "color", color: true},
		{name: "long_values"},
		{name: "long_values", variant: "w24", width: 24},
		{name: "escapes"},
		{name: "escapes", variant: "color", color: true},
		{name: "root"},
		{name: "equal"},
	} {
		golden := tt.name
		if tt.variant != "" {
			golden += "." + tt.variant
		}
		t.Run(golden, func(t *testing.T) {
			dir := filepath.Join("testdata", "golden")
			old := decode(t, readFile(t, filepath.Join(dir, tt.name+".old.json")))
			new := decode(t, readFile(t, filepath.Join(dir, tt.name+".new.json")))
			changes := Diff(old, new)
			got := FormatWidth(changes, tt.color, tt.width) + "# " + Summary(changes) + "\n"
			checkGolden(t, filepath.Join(dir, golden+".golden"), []byte(got))
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkGolden(t *testing.T, path string, got []byte) {
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
		t.Errorf("%s differs from output:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		name    string
		changes []Change
		color   bool
		width   int
		want    string
	}{
		{name: "none", want: ""},
		{
			name: "example",
			changes: []Change{
				{Path: "$.customer", Kind: Changed, Old: "ACME", New: "ACME B.V."},
				{Path: "$.lines[3]", Kind: Added, New: map[string]any{"sku": "X", "qty": 1}},
				{Path: "$.note", Kind: Removed, Old: "fragile"},
			},
			want: "~ $.customer: \"ACME\" → \"ACME B.V.\"\n" +
				"+ $.lines[3]: {\"qty\":1,\"sku\":\"X\"}\n" +
				"- $.note:     \"fragile\"\n",
		},
		{
			name: "color",
			changes: []Change{
				{Path: "$.a", Kind: Changed, Old: 1, New: 2},
				{Path: "$.b", Kind: Added, New: true},
				{Path: "$.c", Kind: Removed, Old: nil},
			},
			color: true,
			want: "\x1b[33m~ $.a: 1 → 2\x1b[0m\n" +
				"\x1b[32m+ $.b: true\x1b[0m\n" +
				"\x1b[31m- $.c: null\x1b[0m\n",
		},
		{
			name:    "truncated at width runes",
			changes: []Change{{Path: "$", Kind: Added, New: "ünïcödé strïng"}},
			width:   8,
			want:    "+ $: \"ünïcöd…\n",
		},
		{
			name:    "difference past the width shows",
			changes: []Change{{Path: "$", Kind: Changed, Old: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", New: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"}},
			width:   20,
			want:    "~ $: …aaaaa1\" → …aaaaa2\"\n",
		},
		{
			name:    "difference within the width",
			changes: []Change{{Path: "$", Kind: Changed, Old: "ab" + strings.Repeat("x", 30), New: "ac" + strings.Repeat("x", 30)}},
			width:   12,
			want:    "~ $: \"abxxxxxxxx… → \"acxxxxxxxx…\n",
		},
		{
			name: "long paths do not push the column",
			changes: []Change{
				{Path: "$.a", Kind: Added, New: 1},
				{Path: "$" + strings.Repeat(".long", 10), Kind: Added, New: 2},
				{Path: "$.bb", Kind: Added, New: 3},
			},
			want: "+ $.a:  1\n" +
				"+ $.long.long.long.long.long.long.long.long.long.long: 2\n" +
				"+ $.bb: 3\n",
		},
		{
			name: "caller-made changes are escaped",
			changes: []Change{
				{Path: "$[\"\x1b\"]", Kind: "odd", Old: func() {}, New: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
				{Path: "$.x", Kind: Added, New: json.Number("bad\u009b")},
				{Path: "$.y", Kind: Removed, Old: "invalid \xff utf-8"},
			},
			want: "? $[\"\\u001b\"]: 0x… → \"2024-01-02T03:04:05Z\"\n" +
				"+ $.x:         bad\\u009b\n" +
				"- $.y:         \"invalid \\ufffd utf-8\"\n",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := FormatWidth(tt.changes, tt.color, tt.width)
			if tt.name == "caller-made changes are escaped" {
				// A function prints as its address.
				if i := strings.Index(got, "0x"); i >= 0 {
					j := strings.Index(got[i:], " → ")
					got = got[:i+2] + "…" + got[i+j:]
				}
			}
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if tt.width == 0 && !tt.color {
				if got2 := Format(tt.changes, false); got2 != FormatWidth(tt.changes, false, 0) {
					t.Errorf("Format differs from FormatWidth(0)")
				}
			}
		})
	}
}
