package file_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/flowctl/flowctl/connectors/file"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
)

func compile(t *testing.T, src string) *engine.Plan {
	t.Helper()
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	return plan
}

// folderFlow reads path (a directory or a glob) with the given extra
// source settings into out.ndjson.
func folderFlow(t *testing.T, path, extra string) (*engine.Plan, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.ndjson")
	return compile(t, fmt.Sprintf(`
flow "inbox" {
  source "file" {
    path  = %q
    every = "200ms"
%s
  }
  validate "positive" {
    check = "record.n > 0"
  }
  target "file" "out" {
    path            = %q
    idempotency_key = "string(record.n)"
  }
}
`, path, extra, out)), out
}

func run(t *testing.T, plan *engine.Plan) (*engine.Summary, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rejects bytes.Buffer
	sum, err := engine.Run(ctx, plan, plan.Flows[0], engine.RunOptions{Rejects: &rejects, Workers: 2})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return sum, rejects.String()
}

func put(t *testing.T, name, content string, age time.Duration) {
	t.Helper()
	os.MkdirAll(filepath.Dir(name), 0o755)
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		old := time.Now().Add(-age)
		os.Chtimes(name, old, old)
	}
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func wantFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := files(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestFolderArchivesProcessedFiles(t *testing.T) {
	root := t.TempDir()
	inbox := filepath.Join(root, "inbox")
	put(t, filepath.Join(inbox, "a.ndjson"), "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	put(t, filepath.Join(inbox, "b.csv"), "n\n3\n", time.Hour)
	plan, out := folderFlow(t, inbox, fmt.Sprintf("archive_dir = %q\nerror_dir = %q", filepath.Join(root, "done"), filepath.Join(root, "failed")))
	sum, _ := run(t, plan)
	// The CSV value is the string "3": the check fails at run time and the
	// record is rejected — kept in the rejects, so its file is archived.
	if sum.Records != 3 || sum.Delivered != 2 || sum.Rejected != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if got, _ := os.ReadFile(out); !strings.HasPrefix(string(got), "{\"n\":1}\n{\"n\":2}\n") {
		t.Fatalf("delivered %q", got)
	}
	wantFiles(t, root, "done/.flowctl.sha256", "done/a.ndjson", "done/b.csv")

	// A restart does not take them again; the same content again is
	// archived without processing.
	put(t, filepath.Join(inbox, "a.ndjson"), "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	sum, _ = run(t, plan)
	if sum.Records != 0 {
		t.Fatalf("reprocessed: %+v", sum)
	}
	got := files(t, root)
	if len(got) != 4 || !strings.HasPrefix(got[1], "done/a-") {
		t.Fatalf("files: %v", got)
	}
}

func TestFolderErrorDir(t *testing.T) {
	inbox := t.TempDir()
	put(t, filepath.Join(inbox, "bad.ndjson"), "{\"n\":1}\nnot json\n", time.Hour)
	put(t, filepath.Join(inbox, "good.ndjson"), "{\"n\":5}\n", time.Hour)
	plan, _ := folderFlow(t, filepath.Join(inbox, "*.ndjson"), fmt.Sprintf("error_dir = %q", filepath.Join(inbox, "error")))
	sum, rejects := run(t, plan)
	if sum.Records != 3 || sum.Rejected != 1 || !strings.Contains(rejects, "not json") {
		t.Fatalf("summary %+v rejects %s", sum, rejects)
	}
	// archive_dir not set: archive/ inside the watched directory.
	wantFiles(t, inbox, "archive/.flowctl.sha256", "archive/good.ndjson", "error/bad.ndjson", "error/bad.ndjson.reason")
	reason, _ := os.ReadFile(filepath.Join(inbox, "error", "bad.ndjson.reason"))
	if !strings.Contains(string(reason), "line 2") {
		t.Fatalf("reason:\n%s", reason)
	}
}

// TestPlainPathsUnchanged: a file or a glob without archive_dir/error_dir
// is read as before and stays where it is.
func TestPlainPathsUnchanged(t *testing.T) {
	inbox := t.TempDir()
	put(t, filepath.Join(inbox, "a.ndjson"), "{\"n\":1}\n", 0)
	for _, p := range []string{filepath.Join(inbox, "a.ndjson"), filepath.Join(inbox, "*.ndjson"), inbox} {
		plan, out := folderFlow(t, p, "")
		start := time.Now()
		sum, _ := run(t, plan)
		if sum.Delivered != 1 || time.Since(start) > time.Second {
			t.Fatalf("%s: %+v in %s", p, sum, time.Since(start))
		}
		if got, _ := os.ReadFile(out); string(got) != "{\"n\":1}\n" {
			t.Fatalf("%s: %q", p, got)
		}
		wantFiles(t, inbox, "a.ndjson")
	}
}

// TestFolderDryRunMovesNothing checks that a dry run reads a watched
// folder without archiving its files or recording checksums.
func TestFolderDryRunMovesNothing(t *testing.T) {
	root := t.TempDir()
	inbox := filepath.Join(root, "inbox")
	put(t, filepath.Join(inbox, "a.ndjson"), "{\"n\":1}\n", time.Hour)
	plan, _ := folderFlow(t, inbox, fmt.Sprintf("archive_dir = %q", filepath.Join(root, "done")))
	sum, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 1 {
		t.Fatalf("summary %+v", sum)
	}
	wantFiles(t, root, "inbox/a.ndjson")
}
