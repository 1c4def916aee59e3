package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
)

// FuzzLint feeds arbitrary bytes through the whole lint path: parsing,
// decoding, static evaluation and expression compilation must report
// problems as diagnostics, never panic. Seeds: every test flow file, plus
// the corpus under testdata/fuzz/FuzzLint.
func FuzzLint(f *testing.F) {
	for _, pattern := range []string{"../testdata/valid/*.hcl", "../testdata/invalid/*.hcl"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// Go's fuzzer does not catch hangs: crash loudly so the input is kept.
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("lint hung on %q", src)) })
		defer watchdog.Stop()
		cfg, diags := dsl.Load([]string{"fuzz.hcl"}, map[string][]byte{"fuzz.hcl": src})
		if cfg == nil {
			t.Fatal("nil config")
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Fatalf("diagnostic without summary: %#v", d)
			}
		}
		_, cd := engine.Compile(cfg, engine.Options{Mode: engine.ModeLint, LookupEnv: func(string) (string, bool) { return "", false }})
		for _, d := range cd {
			if d.Summary == "" {
				t.Fatalf("diagnostic without summary: %#v", d)
			}
		}
	})
}
