package file_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/enginetest"

	_ "github.com/flowctl/flowctl/connectors/all"
)

// TestConformance runs the connector conformance suite against a watched
// local folder (source, archived after acknowledgement) and a file target.
func TestConformance(t *testing.T) {
	root := t.TempDir()
	inbox, archive, out := filepath.Join(root, "inbox"), filepath.Join(root, "archive"), filepath.Join(root, "out.ndjson")
	os.MkdirAll(inbox, 0o755)
	config := fmt.Sprintf(`
flow "conf" {
  source "file" {
    path        = %q
    archive_dir = %q
    every       = "50ms"
  }
  target "file" "out" {
    path            = %q
    append          = true
    idempotency_key = "string(record.n)"
  }
}
`, inbox, archive, out)
	enginetest.Run(t, enginetest.Harness{
		Config:         config,
		BadConfig:      config + "\nflow \"bad\" {\n  source \"file\" { every = \"soon\" }\n  target \"stdout\" \"o\" {}\n}\n",
		BadConfigError: `Missing required argument`,
		Seed: func(t *testing.T, n int) {
			var b strings.Builder
			for i := 1; i <= n; i++ {
				fmt.Fprintf(&b, "{\"n\":%d}\n", i)
			}
			p := filepath.Join(inbox, "batch.ndjson")
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour) // settled: not being written
			os.Chtimes(p, old, old)
		},
		AfterRun: func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(archive, "batch.ndjson")); err != nil {
				t.Fatalf("not archived after every message was acknowledged: %v", err)
			}
			if left, _ := os.ReadDir(inbox); len(left) != 0 {
				t.Fatalf("inbox still holds %d entries", len(left))
			}
		},
		Written: func(t *testing.T) []int {
			f, err := os.Open(out)
			if os.IsNotExist(err) {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got []int
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var rec struct{ N int }
				json.Unmarshal(sc.Bytes(), &rec)
				got = append(got, rec.N)
			}
			return got
		},
	})
}
