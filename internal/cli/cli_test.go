package cli

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
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
		Cmds:          map[string]func(*testscript.TestScript, bool, []string){"status": cmdStatus},
	})
}

// cmdStatus runs a command and checks its exact exit code:
//
//	status 2 flowctl lint missing/
//
// exec can only tell zero from non-zero; flowctl's codes mean different
// things (1 findings, 2 usage or I/O).
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}
