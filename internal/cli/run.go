package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flowctl/flowctl/connectors/file"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/hashicorp/hcl/v2"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "run",
		Usage:     "run flows once over their sources (or --input) and stop",
		ArgsUsage: "[PATH]",
		Description: `Compiles the configuration at PATH (a directory of flow files, or one file;
default: the current directory) and runs its flows once: every record is
delivered to its targets, rejected (kept with its reason in
<flow>.rejects.ndjson under --rejects-dir) or skipped.

--input FILE feeds the records of FILE (NDJSON, JSON or CSV; "-" is stdin)
to the flow instead of its configured source; with several flows, name one
with --flow. --dry-run writes nothing anywhere: it prints the operations each
target would perform (target, operation, idempotency key, body), and the
rejections and skips, in input order. Secrets are not needed for a dry run
and are always shown as (secret).

Exit status: 0 every record delivered or skipped, 1 some record rejected,
2 usage, configuration or I/O error.

Examples:
  flowctl run --dry-run --flow order_to_dispatch \
      --input examples/order-to-dispatch/testdata/sale_orders.ndjson examples/order-to-dispatch
  flowctl run --flow nightly_export --var out_dir=/srv/exports flows/
  cat orders.ndjson | flowctl run --input - --output json flows/`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "flow", Usage: "run only this flow (repeatable)"},
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "read records from `FILE` instead of the flow's source (- for stdin)"},
			&cli.StringFlag{Name: "format", Usage: "format of --input: ndjson, json or csv (default: by extension)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "write nothing; print what would be written"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
			&cli.IntFlag{Name: "workers", Usage: "parallel workers (default: number of CPUs)"},
			&cli.StringFlag{Name: "rejects-dir", Value: ".", Usage: "where <flow>.rejects.ndjson files go"},
		}, varFlag),
		Action: runRun,
	})
}

var varFlag = &cli.StringSliceFlag{Name: "var", Usage: "set a variable: `NAME=VALUE` (repeatable)"}

// parseVars reads --var NAME=VALUE flags.
func parseVars(c *cli.Context) (map[string]string, error) {
	vars := map[string]string{}
	for _, kv := range c.StringSlice("var") {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want NAME=VALUE", kv)
		}
		vars[name] = value
	}
	return vars, nil
}

// loadPlan loads and compiles one configuration, printing diagnostics to
// stderr. It fails on errors (the caller exits 2).
func loadPlan(c *cli.Context, path string, opts engine.Options) (*dsl.Config, *engine.Plan, error) {
	units, err := dsl.Discover([]string{path})
	if err != nil {
		return nil, nil, err
	}
	var files []string
	for _, u := range units {
		if filepath.Clean(u.Dir) == filepath.Clean(path) || len(units) == 1 {
			files = u.Files
		}
	}
	if len(files) == 0 {
		if len(units) == 0 {
			return nil, nil, fmt.Errorf("no flow files (*.hcl) found in %s", path)
		}
		return nil, nil, fmt.Errorf("%s holds several configurations (%s); name one directory", path, unitDirs(units))
	}
	cfg, plan, diags := engine.LoadAndCompile(files, opts)
	if len(diags) > 0 {
		errw := c.App.ErrWriter
		if err := diagfmt.Text(errw, diags, cfg.Sources, diagfmt.Options{Color: wantColor(errw)}); err != nil {
			return nil, nil, err
		}
	}
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("%s has errors", path)
	}
	return cfg, plan, nil
}

func unitDirs(units []dsl.Unit) string {
	var dirs []string
	for _, u := range units {
		dirs = append(dirs, u.Dir)
	}
	return strings.Join(dirs, ", ")
}

// selectFlows picks the flows named by --flow, or all.
func selectFlows(plan *engine.Plan, names []string) ([]*engine.FlowPlan, error) {
	if len(names) == 0 {
		return plan.Flows, nil
	}
	var out []*engine.FlowPlan
	for _, n := range names {
		var found *engine.FlowPlan
		var all []string
		for _, f := range plan.Flows {
			all = append(all, f.Name)
			if f.Name == n {
				found = f
			}
		}
		if found == nil {
			return nil, fmt.Errorf("no flow %q; flows: %s.%s", n, strings.Join(all, ", "), dsl.DidYouMean(n, all))
		}
		out = append(out, found)
	}
	return out, nil
}

// flowReport is the JSON form of one flow's run (documented in docs/run.md).
type flowReport struct {
	Flow       string                `json:"flow"`
	Operations []engine.Operation    `json:"operations,omitempty"`
	Rejected   []engine.RejectRecord `json:"rejected,omitempty"`
	Skipped    []skipRecord          `json:"skipped,omitempty"`
	Warnings   []warningRecord       `json:"warnings,omitempty"`
	Summary    *engine.Summary       `json:"summary"`
}

type skipRecord struct {
	Seq    int    `json:"seq"`
	Line   int    `json:"line,omitempty"`
	Key    string `json:"key,omitempty"`
	Reason string `json:"reason"`
}

type warningRecord struct {
	Seq  int `json:"seq"`
	Line int `json:"line,omitempty"`
	engine.Rejection
}

func runRun(c *cli.Context) error {
	output, err := checkOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() > 1 {
		return exitf(ExitUsage, "run takes one configuration path, got %d", c.NArg())
	}
	path := c.Args().First()
	if path == "" {
		path = "."
	}
	vars, err := parseVars(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	dry := c.Bool("dry-run")
	// Secrets and env() values may be unset at compile time: only what the
	// chosen flows touch is required (checked below).
	cfg, plan, err := loadPlan(c, path, engine.Options{Mode: engine.ModeRun, Vars: vars, SecretsOptional: true})
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	flows, err := selectFlows(plan, c.StringSlice("flow"))
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	input := c.String("input")
	if input != "" && len(flows) != 1 {
		return exitf(ExitUsage, "--input feeds one flow; name it with --flow (flows: %s)", flowNames(flows))
	}
	var missing hcl.Diagnostics
	for _, fp := range flows {
		missing = append(missing, engine.CheckRunnable(fp, input == "", !dry)...)
	}
	if len(missing) > 0 {
		diagfmt.Text(c.App.ErrWriter, missing, cfg.Sources, diagfmt.Options{Color: wantColor(c.App.ErrWriter)})
		return exitf(ExitUsage, "settings needed by the run are not set")
	}
	rc := &engine.RunContext{Stdin: c.App.Reader, Stdout: c.App.Writer}
	out, errw := c.App.Writer, c.App.ErrWriter
	var reports []*flowReport
	anyRejected := false
	for _, fp := range flows {
		opts := engine.RunOptions{DryRun: dry, Workers: c.Int("workers"), Context: rc}
		if input != "" {
			in, err := file.OpenInput(input, c.String("format"), "", rc)
			if err != nil {
				return exitf(ExitUsage, "%v", err)
			}
			opts.Input = in
		}
		rep := &flowReport{Flow: fp.Name}
		var rejects *lazyFile
		if !dry {
			rejects = &lazyFile{path: filepath.Join(c.String("rejects-dir"), fp.Name+".rejects.ndjson")}
			opts.Rejects = rejects
		}
		// Results are only collected for a dry run's JSON report: a real run
		// streams, and keeping every operation would grow with the input.
		if dry {
			opts.OnResult = reportResult(rep, output == "text", out)
		}
		sum, err := engine.Run(c.Context, plan, fp, opts)
		if rejects != nil {
			if cerr := rejects.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return exitf(ExitUsage, "flow %s: %v", fp.Name, err)
		}
		rep.Summary = sum
		anyRejected = anyRejected || sum.Rejected > 0
		if output == "text" {
			w := errw
			if dry {
				w = out
			}
			printSummary(w, sum, rejects)
		}
		reports = append(reports, rep)
	}
	if output == "json" {
		if err := writeJSON(out, map[string]any{"dry_run": dry, "flows": reports}); err != nil {
			return err
		}
	}
	if anyRejected {
		return silentExit(ExitFindings)
	}
	return nil
}

func flowNames(flows []*engine.FlowPlan) string {
	var names []string
	for _, f := range flows {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// reportResult collects a flow's results for the JSON report and, for a
// text dry run, prints each as it comes.
func reportResult(rep *flowReport, printText bool, w io.Writer) func(*engine.Result) error {
	return func(r *engine.Result) error {
		for _, wr := range r.Warnings {
			rep.Warnings = append(rep.Warnings, warningRecord{Seq: r.Seq, Line: r.Line, Rejection: wr})
		}
		switch r.Outcome {
		case engine.Delivered:
			rep.Operations = append(rep.Operations, r.Ops...)
		case engine.Rejected:
			rep.Rejected = append(rep.Rejected, engine.RejectRecordOf(r))
		case engine.Skipped:
			rep.Skipped = append(rep.Skipped, skipRecord{Seq: r.Seq, Line: r.Line, Key: r.Key, Reason: r.SkipWhy})
		}
		if printText {
			return printResult(w, rep.Flow, r)
		}
		return nil
	}
}

func printResult(w io.Writer, flow string, r *engine.Result) error {
	head := fmt.Sprintf("%s #%d", flow, r.Seq+1)
	if r.Line > 0 {
		head += fmt.Sprintf(" (line %d)", r.Line)
	}
	if r.Key != "" {
		head += " " + r.Key
	}
	switch r.Outcome {
	case engine.Delivered:
		fmt.Fprintf(w, "%s: %d operation(s)\n", head, len(r.Ops))
		for _, op := range r.Ops {
			key := op.Key
			if key == "" {
				key = "-"
			}
			body, err := compactJSON(op.Body)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  → %s (%s) %s  key=%s\n", op.Target, op.Kind, op.Op, key)
			if len(op.Fields) > 0 {
				fields, err := compactJSON(op.Fields)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "    with %s\n", fields)
			}
			fmt.Fprintf(w, "    %s\n", body)
		}
	case engine.Rejected:
		fmt.Fprintf(w, "%s: rejected by %s: %s", head, r.Reject.Rule, r.Reject.Message)
		if r.Reject.Location != "" {
			fmt.Fprintf(w, " (%s)", r.Reject.Location)
		}
		fmt.Fprintln(w)
	case engine.Skipped:
		fmt.Fprintf(w, "%s: skipped: %s\n", head, r.SkipWhy)
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(w, "  warning %s: %s\n", wr.Rule, wr.Message)
	}
	return nil
}

// compactJSON renders a body on one line without HTML escaping (bodies are
// shown to people, & stays &).
func compactJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func printSummary(w io.Writer, s *engine.Summary, rejects *lazyFile) {
	verb := "delivered"
	if s.DryRun {
		verb = "would be delivered"
	}
	fmt.Fprintf(w, "%s: %d records: %d %s, %d rejected, %d skipped", s.Flow, s.Records, s.Delivered, verb, s.Rejected, s.Skipped)
	if s.Warnings > 0 {
		fmt.Fprintf(w, ", %d warnings", s.Warnings)
	}
	names := make([]string, 0, len(s.Targets))
	for n := range s.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, s.Targets[n]))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "; operations: %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if rejects != nil && rejects.f != nil {
		fmt.Fprintf(w, "%s: rejected records and reasons are in %s\n", s.Flow, rejects.path)
	}
}

// lazyFile creates its file on the first write, so clean runs leave no
// empty rejects files behind.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil {
		if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
			return 0, err
		}
		f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	return l.f.Write(p)
}

func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
