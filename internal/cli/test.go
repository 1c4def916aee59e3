package cli

import (
	"os"
	"path/filepath"
	"regexp"

	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/flowctl/flowctl/internal/flowtest"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "test",
		Usage:     "run flow tests (*.flowtest.hcl): records in, expected operations out",
		ArgsUsage: "[PATH...]",
		Description: `Runs the flow tests under PATH (default: the current directory). Test files
(*.flowtest.hcl) sit next to the flow files they test; each test block gives
one flow input records and states what it must write to which target, which
records it rejects or skips. Flows run as dry runs: no system is contacted,
nothing is written, and tests see no environment variables or secrets except
those a test sets with env = {...}. The format is described in
docs/testing.md.

A failed test is reported with its file:line and a structural diff of what
each target received against what the test expects. The last line is the
count: "N passed, N failed".

Exit status: 0 every test passed, 1 some test failed, 2 usage error, broken
test or flow file, or no test files.

Examples:
  flowctl test
  flowctl test -v examples/order-to-dispatch
  flowctl test --run 'rejected|skipped' examples/
  flowctl test --junit flowtest.xml .`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "junit", Usage: "also write a JUnit XML report to `FILE`"},
			&cli.StringFlag{Name: "run", Usage: "run only the tests whose name matches `REGEXP`"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "report passed tests too, with what each run did"},
		},
		Action: runTests,
	})
}

func runTests(c *cli.Context) error {
	paths := c.Args().Slice()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var opts flowtest.Options
	if expr := c.String("run"); expr != "" {
		re, err := regexp.Compile(expr)
		if err != nil {
			return exitf(ExitUsage, "--run: %v", err)
		}
		opts.Run = re
	}
	suite, err := flowtest.Load(paths, opts)
	if err != nil {
		return exitf(ExitUsage, "%v", err) // unreadable path, or no test files (flowtest.ErrNoTests)
	}
	out, errw := c.App.Writer, c.App.ErrWriter
	if suite.Diags.HasErrors() {
		if err := diagfmt.Text(errw, suite.Diags, suite.Sources, diagfmt.Options{Color: wantColor(errw)}); err != nil {
			return exitf(ExitUsage, "%v", err)
		}
		return exitf(ExitUsage, "test: the tests cannot run until the errors above are fixed")
	}
	if len(suite.Selected) == 0 {
		return exitf(ExitUsage, "no test matches --run %q", c.String("run"))
	}
	textOpts := flowtest.TextOptions{Verbose: c.Bool("verbose"), Color: wantColor(out)}
	var writeErr error
	rep := suite.Run(c.Context, func(r *flowtest.Result) {
		if err := flowtest.WriteResult(out, r, textOpts); err != nil && writeErr == nil {
			writeErr = err
		}
	})
	if writeErr != nil {
		return exitf(ExitUsage, "%v", writeErr)
	}
	if err := flowtest.WriteSummary(out, rep); err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if path := c.String("junit"); path != "" {
		if err := writeJUnit(path, rep); err != nil {
			return exitf(ExitUsage, "--junit: %v", err)
		}
	}
	if rep.Failed > 0 {
		return silentExit(ExitFindings)
	}
	return nil
}

func writeJUnit(path string, rep *flowtest.Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := flowtest.WriteJUnit(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
