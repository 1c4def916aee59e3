package cli

import (
	"fmt"
	"strings"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/hashicorp/hcl/v2"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "lint",
		Usage:     "check flow files without running them",
		ArgsUsage: "[PATH...]",
		Description: `Loads every flow configuration under PATH (default: the current directory),
compiles it and reports problems: HCL syntax, unknown blocks and attributes,
references, static types, expression syntax and types against the record
schemas, secrets in the wrong place, unused declarations, unreachable routes.

Each directory holding *.hcl files is one configuration; a file named on the
command line is checked on its own. Environment variables, secrets and
variables without a value are not needed: lint treats them as unknown.

Exit status: 0 no errors (warnings allowed unless --strict), 1 errors found,
2 usage or I/O error.

Examples:
  flowctl lint
  flowctl lint examples/order-to-dispatch
  flowctl lint --format github --strict flows/
  flowctl lint --format sarif . > flowctl.sarif`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: " + strings.Join(diagfmt.Formats, ", ")},
			&cli.BoolFlag{Name: "strict", Usage: "treat warnings as errors for the exit status"},
		},
		Action: runLint,
	})
}

func runLint(c *cli.Context) error {
	format := c.String("format")
	if !validFormat(format) {
		return exitf(ExitUsage, "unknown --format %q; use one of %s", format, strings.Join(diagfmt.Formats, ", "))
	}
	paths := c.Args().Slice()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	diags, sources, err := lintPaths(paths)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	out := c.App.Writer
	if err := diagfmt.Write(out, format, diags, sources, diagfmt.Options{Color: wantColor(out), ToolVersion: Version}); err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if diags.HasErrors() || (c.Bool("strict") && len(diags) > 0) {
		return silentExit(ExitFindings)
	}
	return nil
}

func validFormat(f string) bool {
	for _, x := range diagfmt.Formats {
		if x == f {
			return true
		}
	}
	return false
}

// lintPaths loads and compiles every configuration under paths.
func lintPaths(paths []string) (hcl.Diagnostics, map[string][]byte, error) {
	units, err := dsl.Discover(paths)
	if err != nil {
		return nil, nil, err
	}
	if len(units) == 0 {
		return nil, nil, fmt.Errorf("no flow files (*.hcl) found in %s", strings.Join(paths, ", "))
	}
	var all hcl.Diagnostics
	sources := map[string][]byte{}
	for _, u := range units {
		cfg, _, diags := engine.LoadAndCompile(u.Files, engine.Options{Mode: engine.ModeLint})
		for name, src := range cfg.Sources {
			sources[name] = src
		}
		all = append(all, diags...)
	}
	return all, sources, nil
}
