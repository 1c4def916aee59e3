package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/urfave/cli/v2"
)

func init() {
	outputFlag := &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"}
	register(&cli.Command{
		Name:  "dlq",
		Usage: "list, show, retry or drop dead letters",
		Description: `Dead letters are the messages serve could not process, kept with the
reason, the step that failed, the attempts made and the targets already
written. They stay until retried successfully or dropped; the journal
record of the message is never touched. Every retry and drop is recorded
in the audit stream. See docs/replay.md.

The commands reach the store of a running serve on the same --data
directory, or open it themselves when none runs; --nats names an external
NATS server.`,
		Subcommands: []*cli.Command{
			{
				Name:  "list",
				Usage: "list dead letters, oldest first",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "flow", Usage: "only dead letters of this flow"},
					&cli.StringFlag{Name: "key", Usage: "only dead letters with this business key"},
					&cli.StringFlag{Name: "since", Usage: "only dead letters stored at or after `TIME` (RFC 3339, or a duration ago: 2h, 3d)"},
					&cli.StringFlag{Name: "until", Usage: "only dead letters stored at or before `TIME`"},
					outputFlag,
				}, storeFlags...),
				Action: runDLQList,
			},
			{
				Name:      "show",
				Usage:     "show everything about one dead letter",
				ArgsUsage: "SEQ",
				Flags:     append([]cli.Flag{outputFlag}, storeFlags...),
				Action:    runDLQShow,
			},
			{
				Name:      "retry",
				Usage:     "run dead letters through the (fixed) flow again and write them",
				ArgsUsage: "[SEQ...] FLOWDIR",
				Description: `Runs each dead letter's message through the flow of FLOWDIR (the fixed
version) and writes it, once per idempotency key (an operation written
before is not written again). A dead letter that goes through now is
removed from the dead-letter stream; one that fails again is replaced by
its new dead letter with the new reason. Name the dead letters by SEQ, or
take them all with --all (of --flow when given).

Exit status: 0 every dead letter settled, 1 some failed again (or could
not be settled: target down), 2 usage, configuration or store error.`,
				Flags: append(append([]cli.Flag{
					&cli.StringFlag{Name: "flow", Usage: "only dead letters of this flow"},
					&cli.BoolFlag{Name: "all", Usage: "retry every dead letter (of --flow)"},
					&cli.StringFlag{Name: "who", Usage: "`NAME` recorded in the audit stream (default $USER)"},
					&cli.StringFlag{Name: "reason", Usage: "why, recorded in the audit stream"},
					outputFlag,
				}, storeFlags...), varFlag),
				Action: runDLQRetry,
			},
			{
				Name:      "drop",
				Usage:     "remove dead letters for good (the journal keeps the message)",
				ArgsUsage: "SEQ...",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "reason", Usage: "why they are dropped (required; recorded in the audit stream)"},
					&cli.StringFlag{Name: "who", Usage: "`NAME` recorded in the audit stream (default $USER)"},
				}, storeFlags...),
				Action: runDLQDrop,
			},
		},
	})
}

func checkOutput(c *cli.Context) (string, error) {
	o := c.String("output")
	if o != "text" && o != "json" {
		return "", exitf(ExitUsage, "unknown --output %q; use text or json", o)
	}
	return o, nil
}

func parseSeqs(args []string) ([]uint64, error) {
	var out []uint64
	seen := map[uint64]bool{}
	for _, a := range args {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%q is not a dead-letter sequence number (see flowctl dlq list)", a)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	return nil
}

// dlOut is a dead letter as printed in JSON.
func dlOut(d *durable.DeadLetter) *durable.DeadLetter {
	c := *d
	c.Entry = entryOut(d.Entry)
	return &c
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:99]) + "…"
	}
	return clean(s)
}

func runDLQList(c *cli.Context) error {
	pos, err := args(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	output, err := checkOutput(c)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return exitf(ExitUsage, "dlq list takes no arguments (filter with --flow, --key, --since, --until)")
	}
	f, err := filterOf(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	st, err := openStoreCLI(c, "flowctl-dlq")
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	defer st.Close()
	dls := []*durable.DeadLetter{}
	if err := st.DeadLetters(c.Context, f, func(d *durable.DeadLetter) error {
		dls = append(dls, dlOut(d))
		return nil
	}); err != nil {
		return exitf(ExitUsage, "reading the dead letters: %v", err)
	}
	sort.SliceStable(dls, func(i, j int) bool {
		if !dls[i].At.Equal(dls[j].At) {
			return dls[i].At.Before(dls[j].At)
		}
		return dls[i].Seq < dls[j].Seq
	})
	out := c.App.Writer
	if output == "json" {
		return writeJSON(out, map[string]any{"dead_letters": dls, "count": len(dls)})
	}
	if len(dls) == 0 {
		fmt.Fprintln(out, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DLQ\tFLOW\tJOURNAL\tKEY\tSTEP\tERROR\tAT")
	for _, d := range dls {
		var jseq uint64
		key := "-"
		if d.Entry != nil {
			jseq = d.Entry.Seq
			if d.Entry.Key != "" {
				key = clean(d.Entry.Key)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\n", d.Seq, d.Flow, jseq, key, d.Step, firstLine(d.Error), d.At.UTC().Format(time.RFC3339))
	}
	tw.Flush()
	fmt.Fprintf(out, "%d dead letter(s)\n", len(dls))
	return nil
}

func runDLQShow(c *cli.Context) error {
	pos, err := args(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	output, err := checkOutput(c)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return exitf(ExitUsage, "dlq show takes one dead-letter sequence number, got %d arguments", len(pos))
	}
	seqs, err := parseSeqs(pos)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	st, err := openStoreCLI(c, "flowctl-dlq")
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	defer st.Close()
	d, err := st.DeadLetterAt(c.Context, seqs[0])
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	out := c.App.Writer
	if output == "json" {
		return writeJSON(out, dlOut(d))
	}
	return printDeadLetter(out, d)
}

func printDeadLetter(w io.Writer, d *durable.DeadLetter) error {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	fmt.Fprintf(w, "dead letter %d\n", d.Seq)
	row("flow", d.Flow)
	row("at", d.At.UTC().Format(time.RFC3339Nano))
	if d.Host != "" {
		row("host", d.Host)
	}
	row("plan", orDash(d.Plan))
	row("step", d.Step)
	lines := strings.Split(d.Error, "\n")
	row("error", clean(lines[0]))
	for _, l := range lines[1:] {
		row("", clean(l))
	}
	if d.Location != "" {
		row("location", d.Location)
	}
	if len(d.Written) > 0 {
		row("written", strings.Join(d.Written, ", ")+" (before the failure)")
	} else {
		row("written", "(nothing)")
	}
	e := d.Entry
	if e != nil {
		row("journal", fmt.Sprintf("%d (stored %s)", e.Seq, e.Stored.UTC().Format(time.RFC3339Nano)))
		row("key", orDash(clean(e.Key)))
		if e.ID != "" {
			row("source id", clean(e.ID))
		}
		src := clean(e.Source)
		if e.Line > 0 {
			src += fmt.Sprintf(" line %d", e.Line)
		}
		row("source", src)
		row("received", e.ReceivedAt.UTC().Format(time.RFC3339Nano))
		row("recorded plan", orDash(e.Plan))
		if e.ReplayOf > 0 {
			row("replay of", strconv.FormatUint(e.ReplayOf, 10))
		}
		if e.DecodeError != "" {
			row("decode error", clean(e.DecodeError))
		}
	}
	tw.Flush()
	if len(d.Attempts) > 0 {
		fmt.Fprintln(w, "attempts:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for i, a := range d.Attempts {
			status := "-"
			if a.Status != 0 {
				status = strconv.Itoa(a.Status)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", i+1, a.At.UTC().Format(time.RFC3339Nano), a.Target, status, firstLine(a.Error))
		}
		tw.Flush()
	}
	if e != nil {
		fmt.Fprintln(w, "message:")
		var buf bytes.Buffer
		if e.DecodeError == "" && json.Indent(&buf, e.Record, "  ", "  ") == nil {
			fmt.Fprintf(w, "  %s\n", buf.String())
		} else {
			fmt.Fprintf(w, "  (raw input) %s\n", strconv.Quote(string(e.Record)))
		}
	}
	return nil
}

// retryResult is the report of one dead letter retried (JSON form in
// docs/replay.md).
type retryResult struct {
	DLQSeq     uint64   `json:"dlq_seq"`
	Flow       string   `json:"flow"`
	JournalSeq uint64   `json:"journal_seq"`
	Key        string   `json:"key,omitempty"`
	Outcome    string   `json:"outcome"`
	Written    []string `json:"written,omitempty"`
	Duplicates []string `json:"duplicates,omitempty"`
	Removed    bool     `json:"removed"`               // taken off the dead-letter stream
	NewDLQSeq  uint64   `json:"new_dlq_seq,omitempty"` // dead-lettered again
	Step       string   `json:"step,omitempty"`
	Error      string   `json:"error,omitempty"`
}

func runDLQRetry(c *cli.Context) error {
	pos, err := args(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	output, err := checkOutput(c)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return exitf(ExitUsage, "dlq retry needs the fixed flow directory: flowctl dlq retry [--all] [SEQ...] FLOWDIR")
	}
	dir, rest := pos[len(pos)-1], pos[:len(pos)-1]
	if _, err := strconv.ParseUint(dir, 10, 64); err == nil {
		return exitf(ExitUsage, "the last argument of dlq retry is the fixed flow directory, got %q", dir)
	}
	seqs, err := parseSeqs(rest)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	all := c.Bool("all")
	switch {
	case all && len(seqs) > 0:
		return exitf(ExitUsage, "give dead-letter numbers or --all, not both")
	case !all && len(seqs) == 0:
		return exitf(ExitUsage, "name the dead letters to retry (SEQ...), or --all")
	}
	vars, err := parseVars(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	cfg, plan, err := loadPlan(c, dir, engine.Options{Mode: engine.ModeRun, Vars: vars, SecretsOptional: true})
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	files, err := planFiles(dir, cfg)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	hash := durable.HashFiles(files)

	ctx, stop := signalContext(c)
	defer stop()
	st, err := openStoreCLI(c, "flowctl-dlq")
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	defer st.Close()
	// Every dead letter and its flow first: nothing is written when one
	// is missing.
	flowFilter := c.String("flow")
	var dls []*durable.DeadLetter
	if all {
		err := st.DeadLetters(ctx, durable.Filter{Flow: flowFilter}, func(d *durable.DeadLetter) error {
			dls = append(dls, d)
			return nil
		})
		if err != nil {
			return exitf(ExitUsage, "reading the dead letters: %v", err)
		}
	} else {
		for _, s := range seqs {
			d, err := st.DeadLetterAt(ctx, s)
			if err != nil {
				return exitf(ExitUsage, "%v", err)
			}
			if flowFilter != "" && d.Flow != flowFilter {
				return exitf(ExitUsage, "dead letter %d is of flow %s, not %s", s, d.Flow, flowFilter)
			}
			dls = append(dls, d)
		}
	}
	out := c.App.Writer
	if len(dls) == 0 {
		if output == "json" {
			return writeJSON(out, map[string]any{"results": []any{}, "summary": replaySummary{}})
		}
		fmt.Fprintln(out, "no dead letters to retry")
		return nil
	}
	rc := &engine.RunContext{Stdin: c.App.Reader, Stdout: c.App.Writer, Durable: true}
	byFlow := map[string]*flowVersion{}
	defer func() {
		for _, v := range byFlow {
			closeWriters(v.h.Writers)
		}
	}()
	for _, d := range dls {
		if d.Entry == nil {
			return exitf(ExitUsage, "dead letter %d holds no message", d.Seq)
		}
		if byFlow[d.Flow] != nil {
			continue
		}
		fps, err := selectFlows(plan, []string{d.Flow})
		if err != nil {
			return exitf(ExitUsage, "dead letter %d: %v (in %s)", d.Seq, err, dir)
		}
		if missing := engine.CheckRunnable(fps[0], false, true); len(missing) > 0 {
			diagfmt.Text(c.App.ErrWriter, missing, cfg.Sources, diagfmt.Options{Color: wantColor(c.App.ErrWriter)})
			return exitf(ExitUsage, "flow %s: settings needed to write are not set", d.Flow)
		}
		v, err := newVersion(st, hash, plan, fps[0], true, false, rc)
		if err != nil {
			return exitf(ExitUsage, "%v", err)
		}
		byFlow[d.Flow] = v
	}

	var results []*retryResult
	var sum replaySummary
	var dlqSeqs, journal []uint64
	flows := map[string]bool{}
	for _, d := range dls {
		if ctx.Err() != nil {
			break
		}
		v := byFlow[d.Flow]
		s := serve.Retry(ctx, v.h, v.proc, d)
		re := &replayEntry{}
		fillResult(re, s.Report)
		r := &retryResult{DLQSeq: d.Seq, Flow: d.Flow, JournalSeq: d.Entry.Seq, Key: d.Entry.Key, Outcome: re.Outcome,
			Written: re.Written, Duplicates: re.Duplicates, Removed: s.Removed, NewDLQSeq: s.NewSeq, Step: re.Step, Error: re.Error}
		if s.Err != nil {
			r.Outcome, r.Error = "failed", s.Err.Error()
		}
		sum.count(r.Outcome)
		results = append(results, r)
		dlqSeqs = append(dlqSeqs, d.Seq)
		journal = append(journal, d.Entry.Seq)
		flows[d.Flow] = true
		if output == "text" {
			printRetry(out, r)
		}
	}
	a := &durable.AuditRecord{Action: "dlq.retry", Who: who(c), Why: c.String("reason"), At: time.Now().UTC(),
		DLQSeqs: dlqSeqs, Journal: journal,
		Detail: fmt.Sprintf("version=%s delivered=%d duplicate=%d skipped=%d dead_lettered=%d failed=%d", hash, sum.Delivered, sum.Duplicate, sum.Skipped, sum.DeadLettered, sum.Failed)}
	if len(flows) == 1 {
		a.Flow = dls[0].Flow
	}
	auditErr := audit(ctx, st, a)
	if output == "json" {
		if err := writeJSON(out, map[string]any{"results": results, "summary": sum, "audit": a}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "%d dead letter(s) retried with version %s: %s\n", sum.Messages, hash, sum.text())
		if auditErr == nil {
			fmt.Fprintf(out, "audit: dlq.retry by %s recorded\n", a.Who)
		}
	}
	if auditErr != nil {
		return exitf(ExitUsage, "%v", auditErr)
	}
	if ctx.Err() != nil {
		return exitf(ExitUsage, "interrupted after %d of %d dead letters", len(results), len(dls))
	}
	if sum.DeadLettered > 0 || sum.Failed > 0 {
		return silentExit(ExitFindings)
	}
	return nil
}

func printRetry(w io.Writer, r *retryResult) {
	head := fmt.Sprintf("dead letter %d (%s, journal %d", r.DLQSeq, r.Flow, r.JournalSeq)
	if r.Key != "" {
		head += ", key " + clean(r.Key)
	}
	head += ")"
	switch r.Outcome {
	case "delivered":
		fmt.Fprintf(w, "%s: delivered to %s; removed from the dead letters\n", head, strings.Join(r.Written, ", "))
	case "duplicate":
		fmt.Fprintf(w, "%s: duplicate (%s written before); removed from the dead letters\n", head, strings.Join(r.Duplicates, ", "))
	case "skipped":
		fmt.Fprintf(w, "%s: skipped by the flow now; removed from the dead letters\n", head)
	case "dead_lettered":
		fmt.Fprintf(w, "%s: failed again at %s: %s; now dead letter %d\n", head, r.Step, firstLine(r.Error), r.NewDLQSeq)
	default:
		fmt.Fprintf(w, "%s: not settled: %s; dead letter kept\n", head, firstLine(r.Error))
	}
}

func runDLQDrop(c *cli.Context) error {
	pos, err := args(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	seqs, err := parseSeqs(pos)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if len(seqs) == 0 {
		return exitf(ExitUsage, "name the dead letters to drop: flowctl dlq drop SEQ... --reason TEXT")
	}
	reason := strings.TrimSpace(c.String("reason"))
	if reason == "" {
		return exitf(ExitUsage, "--reason is required: say why the dead letters are dropped (it is recorded in the audit stream)")
	}
	st, err := openStoreCLI(c, "flowctl-dlq")
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	defer st.Close()
	ctx := c.Context
	// All must exist before any is dropped.
	var dls []*durable.DeadLetter
	for _, s := range seqs {
		d, err := st.DeadLetterAt(ctx, s)
		if err != nil {
			return exitf(ExitUsage, "%v; nothing dropped", err)
		}
		dls = append(dls, d)
	}
	a := &durable.AuditRecord{Action: "dlq.drop", Who: who(c), Why: reason, At: time.Now().UTC()}
	flows := map[string]bool{}
	var dropErr error
	for _, d := range dls {
		if err := st.RemoveDeadLetter(ctx, d.Seq); err != nil {
			dropErr = fmt.Errorf("dropping dead letter %d: %w", d.Seq, err)
			break
		}
		a.DLQSeqs = append(a.DLQSeqs, d.Seq)
		if d.Entry != nil {
			a.Journal = append(a.Journal, d.Entry.Seq)
		}
		flows[d.Flow] = true
		fmt.Fprintf(c.App.Writer, "dropped dead letter %d (%s, journal %d)\n", d.Seq, d.Flow, journalSeq(d))
	}
	if len(flows) == 1 {
		a.Flow = dls[0].Flow
	}
	if len(a.DLQSeqs) > 0 {
		if err := audit(context.WithoutCancel(ctx), st, a); err != nil {
			return exitf(ExitUsage, "%v", err)
		}
		fmt.Fprintf(c.App.Writer, "audit: dlq.drop by %s recorded\n", a.Who)
	}
	if dropErr != nil {
		return exitf(ExitUsage, "%v", dropErr)
	}
	return nil
}

func journalSeq(d *durable.DeadLetter) uint64 {
	if d.Entry == nil {
		return 0
	}
	return d.Entry.Seq
}

// args returns the command's positional arguments, applying the flags
// given after them ("dlq drop 7 --reason ..."): urfave/cli stops reading
// flags at the first argument.
func args(c *cli.Context) ([]string, error) {
	in := c.Args().Slice()
	var out []string
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			return append(out, in[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a) {
			out = append(out, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var flag cli.Flag
		for _, f := range c.Command.Flags {
			for _, n := range f.Names() {
				if n == name {
					flag = f
				}
			}
		}
		if flag == nil {
			return nil, fmt.Errorf("flag provided but not defined: %s", a)
		}
		if _, isBool := flag.(*cli.BoolFlag); isBool && !hasValue {
			value = "true"
		} else if !hasValue {
			if i+1 >= len(in) {
				return nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			value = in[i]
		}
		if err := c.Set(flag.Names()[0], value); err != nil {
			return nil, fmt.Errorf("%s: %v", a, err)
		}
	}
	return out, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
