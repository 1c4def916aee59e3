package edi

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir is the shared EDI conformance corpus (../shared beside the
// repository); tests that need it skip with a message when it is absent.
const corpusDir = "../../shared/corpus/edi"

// update rewrites the golden files of the model, envelope, writer and
// token tests: go test ./edi -run '...' -update
var update = flag.Bool("update", false, "rewrite golden files")

// corpusEntry is one line of the corpus manifest.
type corpusEntry struct {
	File, Format, Set, Status string
}

// readManifest reads corpusDir/manifest.tsv (skipping the header); the
// test is skipped without the corpus and fails on a malformed line.
func readManifest(t testing.TB) []corpusEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "manifest.tsv"))
	if err != nil {
		t.Skipf("EDI corpus not found (%v): these tests need %s", err, corpusDir)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		p := strings.Split(sc.Text(), "\t")
		if len(p) < 4 {
			t.Fatalf("manifest.tsv line %d: want 4 columns: %q", n, sc.Text())
		}
		out = append(out, corpusEntry{p[0], p[1], p[2], p[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
