package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/flowctl/flowctl/connectors/file"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/flowctl/flowctl/internal/flowdiff"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "diff",
		Usage:     "compare what two versions of a flow do with the same input records",
		ArgsUsage: " ",
		Description: `Runs two versions of a configuration as dry runs over the records of --input
and reports, record by record, what changed: target operations added or
removed, changed operation names and idempotency keys, field-level changes of
bodies, and outcomes that changed (delivered, rejected, skipped).

--base and --head are configuration directories, or git:REF:PATH for the
version of PATH (relative to the repository root) committed at REF, e.g.
git:HEAD:flows or git:origin/main:flows. The flow is named with --flow, or
is the only flow, or the one flow name both versions share.

Exit status: 0 (with --exit-code: no differences), 1 differences found
(only with --exit-code), 2 usage, configuration or I/O error.

Examples:
  flowctl diff --base git:HEAD:flows --head flows --input testdata/orders.ndjson
  flowctl diff --base old/ --head new/ --input orders.csv --exit-code --output json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "base", Usage: "the old version: `DIR` or git:REF:PATH"},
			&cli.StringFlag{Name: "head", Usage: "the new version: `DIR` or git:REF:PATH"},
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "records to run both versions over: `FILE` (- for stdin)"},
			&cli.StringFlag{Name: "flow", Usage: "the flow to compare (default: the only one, or the one both versions share)"},
			&cli.StringFlag{Name: "format", Usage: "format of --input: ndjson, json or csv (default: by extension)"},
			varFlag,
			&cli.BoolFlag{Name: "exit-code", Usage: "exit 1 when anything differs"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
		},
		Action: runDiff,
	})
}

func runDiff(c *cli.Context) error {
	output := c.String("output")
	if output != "text" && output != "json" {
		return exitf(ExitUsage, "unknown --output %q; use text or json", output)
	}
	if c.NArg() > 0 {
		return exitf(ExitUsage, "diff takes no arguments; use --base, --head and --input")
	}
	for _, f := range []string{"base", "head", "input"} {
		if c.String(f) == "" {
			return exitf(ExitUsage, "--%s is required (flowctl diff --base OLD --head NEW --input FILE)", f)
		}
	}
	vars, err := parseVars(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	opts := engine.Options{Mode: engine.ModeRun, SecretsOptional: true, Vars: vars}

	base, err := flowdiff.Open(c.Context, c.String("base"))
	if err != nil {
		return exitf(ExitUsage, "--base %v", err)
	}
	defer base.Close()
	head, err := flowdiff.Open(c.Context, c.String("head"))
	if err != nil {
		return exitf(ExitUsage, "--head %v", err)
	}
	defer head.Close()

	// Compile both before failing, so one run shows the errors of both.
	bp, berr := compileVersion(c, base, opts)
	hp, herr := compileVersion(c, head, opts)
	if berr != nil {
		return berr
	}
	if herr != nil {
		return herr
	}
	bf, hf, err := flowdiff.ChooseFlow(bp, hp, c.String("flow"))
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}

	open, err := inputOpener(c, c.String("input"), c.String("format"))
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	out := c.App.Writer
	ropts := flowdiff.Options{Open: open}
	var text *flowdiff.TextWriter
	if output == "text" {
		// Records are printed as they are compared: memory stays flat.
		text = flowdiff.NewTextWriter(out, wantColor(out))
		ropts.OnRecord = text.Record
	}
	rep, err := flowdiff.Run(c.Context,
		flowdiff.Side{Label: base.Label, Commit: base.Commit(), Plan: bp, Flow: bf, Relabel: base.Relabel},
		flowdiff.Side{Label: head.Label, Commit: head.Commit(), Plan: hp, Flow: hf, Relabel: head.Relabel},
		ropts)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if text != nil {
		err = text.Summary(rep)
	} else {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	}
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if c.Bool("exit-code") && rep.Differs() {
		return silentExit(ExitFindings)
	}
	return nil
}

// compileVersion compiles one side, printing its diagnostics to stderr when
// it has errors (warnings of a version that compiles are lint's business).
func compileVersion(c *cli.Context, v *flowdiff.Version, opts engine.Options) (*engine.Plan, error) {
	comp, err := v.Compile(opts)
	if err != nil {
		return nil, exitf(ExitUsage, "%v", err)
	}
	if comp.Plan != nil {
		return comp.Plan, nil
	}
	errw := c.App.ErrWriter
	if err := diagfmt.Text(errw, comp.Diags, comp.Sources, diagfmt.Options{Color: wantColor(errw)}); err != nil {
		return nil, exitf(ExitUsage, "%v", err)
	}
	return nil, exitf(ExitUsage, "%s has errors", v.Label)
}

// inputOpener returns a function that opens the input once per version.
// Standard input can only be read once, so it is read into memory first.
func inputOpener(c *cli.Context, path, format string) (func() (engine.RecordReader, error), error) {
	if path != "-" {
		return func() (engine.RecordReader, error) {
			return file.OpenInput(path, format, "", &engine.RunContext{})
		}, nil
	}
	data, err := io.ReadAll(c.App.Reader)
	if err != nil {
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	return func() (engine.RecordReader, error) {
		return file.OpenInput("-", format, "", &engine.RunContext{Stdin: bytes.NewReader(data)})
	}, nil
}
