package cli

import (
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// -update-scripts rewrites the expected output in testdata/script/*.txtar
// from the actual output of cmp commands (named so as not to clash with
// other packages' -update flags).
var updateScripts = flag.Bool("update-scripts", false, "rewrite testdata/script expectations from actual output")

// TestMain lets the test binary act as the flowctl command inside scripts:
// testscript copies it into $PATH as "flowctl" and runs Main when invoked
// under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"flowctl": func() { os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs every testdata/script/*.txtar. Each script starts in a
// fresh $WORK directory holding the archive's files.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *updateScripts,
	})
}
