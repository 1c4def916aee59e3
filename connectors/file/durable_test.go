package file_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/engine"
)

// Under serve (RunContext.Durable) a write is recorded as done as soon as
// Write returns, so it must be in the file by then; and a target that would
// wipe earlier output at every start is refused.
func TestFileTargetUnderServe(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, attrs, wantErr string
	}{
		{"append ndjson", `append = true`, ""},
		{"append csv", "append = true\n    format = \"csv\"", ""},
		{"replaces the file", ``, "must set append = true"},
		{"json array", "append = true\n    format = \"json\"", "writes ndjson or csv"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out"+string(rune('a'+i)))
			plan := compile(t, `
flow "f" {
  source "file" {
    path = "in.ndjson"
  }
  target "file" "out" {
    path = "`+filepath.ToSlash(out)+`"
    `+tc.attrs+`
    idempotency_key = "record.id"
    body = "record"
  }
}
`)
			tp := plan.Flows[0].Targets[0]
			k, _ := engine.DefaultRegistry.Get("file")
			w, err := k.Target.Open(tp, &engine.RunContext{Durable: true})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := w.Write(context.Background(), &engine.Operation{Body: map[string]any{"id": "A1"}}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "A1") {
				t.Fatalf("after Write returned the file holds %q; the write is still in a buffer", data)
			}
		})
	}
}
