package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/flowctl/flowctl/internal/flowdiff"
	"github.com/flowctl/flowctl/internal/jsondiff"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "replay",
		Usage:     "run journaled messages (or dead letters) of a flow through it again",
		ArgsUsage: "FLOWDIR",
		Description: `Selects the journaled messages of flow --flow (with --dlq: its dead letters)
by --key and by the time they were journaled (dead-lettered, with --dlq)
between --since and --until, and runs each through the flow again.

--plan current (the default) runs them through the flow of FLOWDIR;
--plan recorded through the version of the flow that took each message in
(serve records every version it runs, by hash; FLOWDIR may then be omitted).

--dry-run writes nothing and needs no secrets: it prints, per message, the
operations the flow would perform (target, operation, idempotency key,
body), those already written before (which a real replay reports as
duplicate), and, with --plan current, how they differ from what the
recorded version makes of the message.

A real replay writes through the same idempotency records as serve: an
operation whose idempotency key was written before is not written again
(duplicate) unless --rewrite, which forgets the record and writes again
under the same idempotency key (a target that honours the key still
applies it once). A message that fails is dead-lettered with its reason.
Replaying dead letters (--dlq) settles them as 'flowctl dlq retry' does.
Every real replay is recorded in the audit stream (who, why, which
journal records). See docs/replay.md.

Exit status: 0 all settled, 1 some message dead-lettered (or, dry run,
would be) or not settled, 2 usage, configuration or store error.

Examples:
  flowctl replay --flow orders --since 2h --dry-run flows/
  flowctl replay --flow orders --key SO1234 --rewrite --reason "TMS lost it" flows/
  flowctl replay --flow orders --dlq --plan recorded --dry-run`,
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "flow", Usage: "the flow whose messages are replayed (required)"},
			&cli.StringFlag{Name: "key", Usage: "only messages with this business key"},
			&cli.StringFlag{Name: "since", Usage: "only messages journaled at or after `TIME` (RFC 3339, or a duration ago: 2h, 3d)"},
			&cli.StringFlag{Name: "until", Usage: "only messages journaled at or before `TIME` (RFC 3339, or a duration ago)"},
			&cli.BoolFlag{Name: "dlq", Usage: "replay the flow's dead letters instead of its journal"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "write nothing; print what would be written"},
			&cli.StringFlag{Name: "plan", Value: "current", Usage: "`VERSION` of the flow to run: current (FLOWDIR) or recorded (the one that took each message in)"},
			&cli.BoolFlag{Name: "rewrite", Usage: "write operations already written before again (same idempotency key)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
			&cli.StringFlag{Name: "who", Usage: "`NAME` recorded in the audit stream (default $USER)"},
			&cli.StringFlag{Name: "reason", Usage: "why, recorded in the audit stream"},
		}, storeFlags...), varFlag),
		Action: runReplay,
	})
}

// openStoreCLI opens the durable layer for replay and dlq: the embedded
// server of a running serve on --data (attached), one started here, or
// --nats.
func openStoreCLI(c *cli.Context, name string) (*durable.Store, error) {
	ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := durable.Open(ctx, durable.Options{URL: c.String("nats"), DataDir: c.String("data"), Name: name, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("opening the durable store: %w", err)
	}
	return st, nil
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext(c *cli.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(c.Context, syscall.SIGTERM, syscall.SIGINT)
}

// parseWhen reads --since/--until: RFC 3339 (or a date), or a duration
// ago ("90m", "2h", "3d").
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil && strings.HasSuffix(s, "d") {
		var n float64
		if n, err = strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64); err == nil {
			d = time.Duration(n * float64(24*time.Hour))
		}
	}
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--%s %q: want an RFC 3339 time (2024-05-01T08:00:00Z) or a duration ago (90m, 2h, 3d)", flag, s)
	}
	return now.Add(-d), nil
}

// filterOf reads --flow, --key, --since and --until.
func filterOf(c *cli.Context) (durable.Filter, error) {
	f := durable.Filter{Flow: c.String("flow"), Key: c.String("key")}
	now := time.Now()
	var err error
	if f.Since, err = parseWhen("since", c.String("since"), now); err != nil {
		return f, err
	}
	if f.Until, err = parseWhen("until", c.String("until"), now); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return f, fmt.Errorf("--until %s is before --since %s", c.String("until"), c.String("since"))
	}
	return f, nil
}

// who is --who, else the user running flowctl.
func who(c *cli.Context) string {
	if w := c.String("who"); w != "" {
		return w
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// audit stores an audit record, even when ctx was interrupted.
func audit(ctx context.Context, st *durable.Store, a *durable.AuditRecord) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := st.Record(actx, a); err != nil {
		return fmt.Errorf("recording the audit record: %w", err)
	}
	return nil
}

// entryOut is a journal entry as printed in JSON: a record that is not
// JSON (it could not be decoded) is shown as a string.
func entryOut(e *durable.Entry) *durable.Entry {
	if e == nil || json.Valid(e.Record) {
		return e
	}
	c := *e
	c.Record, _ = json.Marshal(string(e.Record))
	return &c
}

// flowVersion is one compiled version of the replayed flow.
type flowVersion struct {
	hash string
	plan *engine.Plan
	fp   *engine.FlowPlan
	proc *engine.Processor
	h    *serve.Handler
	err  error // why it is not available (comparison only)
}

// versions compiles and caches the versions of a flow by plan hash.
type versions struct {
	st       *durable.Store
	flow     string
	opts     engine.Options
	errw     io.Writer
	byHash   map[string]*flowVersion
	tmpDirs  []string
	writable bool // open targets for writing
	rewrite  bool
	rc       *engine.RunContext
}

func (vs *versions) close() {
	for _, v := range vs.byHash {
		if v.h != nil {
			closeWriters(v.h.Writers)
		}
	}
	for _, d := range vs.tmpDirs {
		os.RemoveAll(d)
	}
}

func closeWriters(ws map[string]engine.TargetWriter) {
	names := make([]string, 0, len(ws))
	for n := range ws {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ws[n].Close()
	}
}

// add makes a version of a compiled plan; targets are opened when writing.
func (vs *versions) add(hash string, plan *engine.Plan, fp *engine.FlowPlan) (*flowVersion, error) {
	v, err := newVersion(vs.st, hash, plan, fp, vs.writable, vs.rewrite, vs.rc)
	if err != nil {
		return nil, err
	}
	vs.byHash[hash] = v
	return v, nil
}

// newVersion prepares a flow to run: a processor and a handler, with its
// targets open when writable (dry run otherwise).
func newVersion(st *durable.Store, hash string, plan *engine.Plan, fp *engine.FlowPlan, writable, rewrite bool, rc *engine.RunContext) (*flowVersion, error) {
	v := &flowVersion{hash: hash, plan: plan, fp: fp, proc: engine.NewProcessor(plan, fp)}
	var writers map[string]engine.TargetWriter
	if writable {
		var err error
		if writers, err = engine.OpenTargets(fp, rc); err != nil {
			return nil, fmt.Errorf("flow %s: %w", fp.Name, err)
		}
	}
	v.h = serve.NewHandler(st, fp, hash, writers, nil, nil, serve.BreakerOptions{})
	v.h.Rewrite = rewrite
	return v, nil
}

// recorded returns the recorded version hash of the flow, compiled; the
// error names the hash.
func (vs *versions) recorded(ctx context.Context, hash string) (*flowVersion, error) {
	if v, ok := vs.byHash[hash]; ok {
		if v.err != nil {
			return nil, v.err
		}
		return v, nil
	}
	v, err := vs.compileRecorded(ctx, hash)
	if err != nil {
		vs.byHash[hash] = &flowVersion{hash: hash, err: err}
		return nil, err
	}
	return v, nil
}

func (vs *versions) compileRecorded(ctx context.Context, hash string) (*flowVersion, error) {
	if hash == "" {
		return nil, errors.New("the message has no recorded flow version")
	}
	pf, err := vs.st.RecordedPlan(ctx, hash)
	if err != nil {
		return nil, err // names the hash
	}
	dir, err := os.MkdirTemp("", "flowctl-version-")
	if err != nil {
		return nil, err
	}
	vs.tmpDirs = append(vs.tmpDirs, dir)
	for name, data := range pf.Files {
		clean := path.Clean(name)
		if name == "" || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, fmt.Errorf("recorded flow version %s: file name %q is outside its directory", hash, name)
		}
		p := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, err
		}
	}
	label := "recorded:" + hash + ":"
	relabel := func(s string) string {
		s = strings.ReplaceAll(s, dir+string(filepath.Separator), label)
		return strings.ReplaceAll(s, dir, strings.TrimSuffix(label, ":"))
	}
	units, err := dsl.Discover([]string{dir})
	if err != nil {
		return nil, fmt.Errorf("recorded flow version %s: %s", hash, relabel(err.Error()))
	}
	var files []string
	for _, u := range units {
		if filepath.Clean(u.Dir) == filepath.Clean(dir) || len(units) == 1 {
			files = u.Files
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("recorded flow version %s holds no flow files", hash)
	}
	cfg, plan, diags := engine.LoadAndCompile(files, vs.opts)
	if diags.HasErrors() {
		var buf bytes.Buffer
		diagfmt.Text(&buf, diags, cfg.Sources, diagfmt.Options{})
		io.WriteString(vs.errw, relabel(buf.String()))
		return nil, fmt.Errorf("recorded flow version %s does not compile with this flowctl", hash)
	}
	var fp *engine.FlowPlan
	for _, f := range plan.Flows {
		if f.Name == vs.flow {
			fp = f
		}
	}
	if fp == nil {
		return nil, fmt.Errorf("recorded flow version %s has no flow %q", hash, vs.flow)
	}
	if vs.writable {
		if missing := engine.CheckRunnable(fp, false, true); len(missing) > 0 {
			var buf bytes.Buffer
			diagfmt.Text(&buf, missing, cfg.Sources, diagfmt.Options{})
			io.WriteString(vs.errw, relabel(buf.String()))
			return nil, fmt.Errorf("recorded flow version %s: settings needed to write are not set", hash)
		}
	}
	return vs.add(hash, plan, fp)
}

// replayItem is one message to replay: a journal entry, or a dead letter.
type replayItem struct {
	e  *durable.Entry
	dl *durable.DeadLetter
}

// replayEntry is the report of one message (its JSON form is documented
// in docs/replay.md).
type replayEntry struct {
	JournalSeq   uint64    `json:"journal_seq"`
	DLQSeq       uint64    `json:"dlq_seq,omitempty"`
	Key          string    `json:"key,omitempty"`
	Source       string    `json:"source,omitempty"`
	Line         int       `json:"line,omitempty"`
	ReceivedAt   time.Time `json:"received_at"`
	RecordedPlan string    `json:"recorded_plan"`
	Plan         string    `json:"plan"` // the version it ran through
	Outcome      string    `json:"outcome"`
	// Operations the flow produced (for a dead letter: up to the failure).
	Operations []engine.Operation `json:"operations,omitempty"`
	// Written and Duplicates name the targets written now and those
	// written before (real replay).
	Written    []string `json:"written,omitempty"`
	Duplicates []string `json:"duplicates,omitempty"`
	// AlreadyWritten (dry run) lists the operations written before, by
	// index into Operations, with the journal record that wrote them.
	AlreadyWritten []alreadyWritten `json:"already_written,omitempty"`
	Step           string           `json:"step,omitempty"`  // dead_lettered: where it failed
	Error          string           `json:"error,omitempty"` // dead_lettered, failed: why
	Location       string           `json:"location,omitempty"`
	SkipReason     string           `json:"skip_reason,omitempty"`
	NewDLQSeq      uint64           `json:"new_dlq_seq,omitempty"`
	DLQRemoved     bool             `json:"dlq_removed,omitempty"`
	// OldDLQSeqs are earlier dead letters of a message replayed from the
	// journal, removed now that it has an outcome.
	OldDLQSeqs []uint64           `json:"removed_dead_letters,omitempty"`
	Recorded   *recordedDiff      `json:"recorded,omitempty"`
	Warnings   []engine.Rejection `json:"warnings,omitempty"`
}

type alreadyWritten struct {
	Operation  int       `json:"operation"`
	Target     string    `json:"target"`
	JournalSeq uint64    `json:"journal_seq"`
	At         time.Time `json:"at"`
}

// recordedDiff compares the current version's operations with those of
// the recorded version (dry run, --plan current).
type recordedDiff struct {
	Plan     string               `json:"plan"`
	Compared bool                 `json:"compared"`
	Same     bool                 `json:"same"`           // no change
	Note     string               `json:"note,omitempty"` // why not compared
	Diff     *flowdiff.RecordDiff `json:"diff,omitempty"`
}

type replaySummary struct {
	Messages     int `json:"messages"`
	Delivered    int `json:"delivered"`
	Duplicate    int `json:"duplicate"`
	Skipped      int `json:"skipped"`
	DeadLettered int `json:"dead_lettered"`
	Failed       int `json:"failed"` // not settled: target down, interrupted, store error
}

func (s *replaySummary) count(outcome string) {
	s.Messages++
	switch outcome {
	case "delivered":
		s.Delivered++
	case "duplicate":
		s.Duplicate++
	case "skipped":
		s.Skipped++
	case "dead_lettered":
		s.DeadLettered++
	default:
		s.Failed++
	}
}

func (s *replaySummary) text() string {
	return fmt.Sprintf("%d delivered, %d duplicate, %d skipped, %d dead_lettered", s.Delivered, s.Duplicate, s.Skipped, s.DeadLettered) +
		map[bool]string{true: fmt.Sprintf(", %d failed", s.Failed), false: ""}[s.Failed > 0]
}

type replayReport struct {
	DryRun   bool                 `json:"dry_run"`
	Flow     string               `json:"flow"`
	Plan     string               `json:"plan"`                // current or recorded
	PlanHash string               `json:"plan_hash,omitempty"` // the current version's hash
	DLQ      bool                 `json:"dlq"`                 // dead letters replayed
	Rewrite  bool                 `json:"rewrite"`             // --rewrite
	Entries  []*replayEntry       `json:"entries"`             // oldest first
	Summary  replaySummary        `json:"summary"`             // counts by outcome
	Audit    *durable.AuditRecord `json:"audit,omitempty"`     // real replay
}

func runReplay(c *cli.Context) error {
	pos, err := args(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	output, err := checkOutput(c)
	if err != nil {
		return err
	}
	flow := c.String("flow")
	if flow == "" {
		return exitf(ExitUsage, "--flow is required: name the flow whose messages are replayed")
	}
	mode := c.String("plan")
	if mode != "current" && mode != "recorded" {
		return exitf(ExitUsage, "unknown --plan %q; use current or recorded", mode)
	}
	if len(pos) > 1 {
		return exitf(ExitUsage, "replay takes one flow directory, got %d arguments", len(pos))
	}
	dir := ""
	if len(pos) == 1 {
		dir = pos[0]
	}
	if dir == "" && mode == "current" {
		return exitf(ExitUsage, "replay --plan current needs the flow directory (FLOWDIR); --plan recorded runs the recorded versions without one")
	}
	filter, err := filterOf(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	vars, err := parseVars(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	dry := c.Bool("dry-run")
	opts := engine.Options{Mode: engine.ModeRun, Vars: vars, SecretsOptional: true}

	var cur *engine.FlowPlan
	var curPlan *engine.Plan
	var curHash string
	if dir != "" {
		cfg, plan, err := loadPlan(c, dir, opts)
		if err != nil {
			return exitf(ExitUsage, "%v", err)
		}
		fps, err := selectFlows(plan, []string{flow})
		if err != nil {
			return exitf(ExitUsage, "%v", err)
		}
		cur, curPlan = fps[0], plan
		if !dry && mode == "current" {
			if missing := engine.CheckRunnable(cur, false, true); len(missing) > 0 {
				diagfmt.Text(c.App.ErrWriter, missing, cfg.Sources, diagfmt.Options{Color: wantColor(c.App.ErrWriter)})
				return exitf(ExitUsage, "settings needed to write are not set (a --dry-run needs none)")
			}
		}
		files, err := planFiles(dir, cfg)
		if err != nil {
			return exitf(ExitUsage, "%v", err)
		}
		curHash = durable.HashFiles(files)
	}

	ctx, stop := signalContext(c)
	defer stop()
	st, err := openStoreCLI(c, "flowctl-replay")
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	defer st.Close()

	// Select first, so that every version is resolved before anything is
	// written.
	var items []replayItem
	if c.Bool("dlq") {
		err = st.DeadLetters(ctx, filter, func(d *durable.DeadLetter) error {
			if d.Entry != nil {
				items = append(items, replayItem{e: d.Entry, dl: d})
			}
			return nil
		})
	} else {
		err = st.Entries(ctx, filter, func(e *durable.Entry) error {
			items = append(items, replayItem{e: e})
			return nil
		})
	}
	if err != nil {
		return exitf(ExitUsage, "reading the store: %v", err)
	}

	vs := &versions{st: st, flow: flow, opts: opts, errw: c.App.ErrWriter, byHash: map[string]*flowVersion{},
		writable: !dry, rewrite: c.Bool("rewrite"), rc: &engine.RunContext{Stdin: c.App.Reader, Stdout: c.App.Writer, Durable: true}}
	defer vs.close()
	var curV *flowVersion
	if mode == "current" {
		if curV, err = vs.add(curHash, curPlan, cur); err != nil {
			return exitf(ExitUsage, "%v", err)
		}
	} else {
		for _, it := range items {
			if _, err := vs.recorded(ctx, it.e.Plan); err != nil {
				return exitf(ExitUsage, "journal record %d: %v", it.e.Seq, err)
			}
		}
	}

	rep := &replayReport{DryRun: dry, Flow: flow, Plan: mode, PlanHash: curHash, DLQ: c.Bool("dlq"), Rewrite: c.Bool("rewrite"), Entries: []*replayEntry{}}
	out := c.App.Writer
	text := output == "text"
	if len(items) == 0 && text {
		what := "journaled messages"
		if rep.DLQ {
			what = "dead letters"
		}
		fmt.Fprintf(out, "no %s of flow %s match\n", what, flow)
		return nil
	}
	var journal, dlqSeqs []uint64
	// A message replayed from the journal may have dead letters from
	// earlier runs: once it has an outcome now, they are stale (delivered,
	// skipped) or superseded (dead-lettered again), so they are removed —
	// the dead-letter store then says what is still wrong.
	var oldDLs map[uint64][]uint64
	if !dry && !rep.DLQ {
		oldDLs = map[uint64][]uint64{}
		if err := st.DeadLetters(ctx, durable.Filter{Flow: flow}, func(d *durable.DeadLetter) error {
			if d.Entry != nil {
				oldDLs[d.Entry.Seq] = append(oldDLs[d.Entry.Seq], d.Seq)
			}
			return nil
		}); err != nil {
			return exitf(ExitUsage, "reading the dead letters: %v", err)
		}
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		v := curV
		if v == nil {
			v = vs.byHash[it.e.Plan]
		}
		re := &replayEntry{JournalSeq: it.e.Seq, Key: it.e.Key, Source: it.e.Source, Line: it.e.Line, ReceivedAt: it.e.ReceivedAt,
			RecordedPlan: it.e.Plan, Plan: v.hash}
		if it.dl != nil {
			re.DLQSeq = it.dl.Seq
			dlqSeqs = append(dlqSeqs, it.dl.Seq)
		}
		journal = append(journal, it.e.Seq)
		if dry {
			if err := dryEntry(ctx, vs, v, mode == "current", it, re); err != nil {
				return exitf(ExitUsage, "journal record %d: %v", it.e.Seq, err)
			}
		} else {
			realEntry(ctx, v, it, re)
			if it.dl == nil {
				if err := settleOldDeadLetters(ctx, st, oldDLs, re); err != nil {
					return exitf(ExitUsage, "journal record %d: %v", it.e.Seq, err)
				}
			}
		}
		rep.Summary.count(re.Outcome)
		rep.Entries = append(rep.Entries, re)
		if text {
			if err := printReplayEntry(out, re, dry); err != nil {
				return exitf(ExitUsage, "%v", err)
			}
		}
	}
	var auditErr error
	if !dry && len(journal) > 0 {
		detail := fmt.Sprintf("plan=%s", mode)
		if curHash != "" && mode == "current" {
			detail += " version=" + curHash
		}
		if rep.Rewrite {
			detail += " rewrite"
		}
		if rep.DLQ {
			detail += " dlq"
		}
		s := rep.Summary
		detail += fmt.Sprintf(" delivered=%d duplicate=%d skipped=%d dead_lettered=%d failed=%d", s.Delivered, s.Duplicate, s.Skipped, s.DeadLettered, s.Failed)
		rep.Audit = &durable.AuditRecord{Action: "replay", Who: who(c), Why: c.String("reason"), At: time.Now().UTC(),
			Flow: flow, Journal: journal, DLQSeqs: dlqSeqs, Detail: detail}
		auditErr = audit(ctx, st, rep.Audit)
	}
	if text {
		verb := "replayed"
		if dry {
			verb = "replayed (dry run: nothing written)"
		}
		plan := "current version"
		if curHash != "" {
			plan += " " + curHash
		}
		if mode == "recorded" {
			plan = "recorded versions"
		}
		fmt.Fprintf(out, "%s: %d message(s) %s through the %s: %s\n", flow, rep.Summary.Messages, verb, plan, rep.Summary.text())
		if rep.Audit != nil && auditErr == nil {
			fmt.Fprintf(out, "audit: replay by %s recorded\n", rep.Audit.Who)
		}
	} else {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	}
	if auditErr != nil {
		return exitf(ExitUsage, "%v", auditErr)
	}
	if ctx.Err() != nil {
		return exitf(ExitUsage, "interrupted after %d of %d messages", len(rep.Entries), len(items))
	}
	if rep.Summary.DeadLettered > 0 || rep.Summary.Failed > 0 {
		return silentExit(ExitFindings)
	}
	return nil
}

// dryEntry runs one message without writing: its operations, those
// already written, and (compare) how the recorded version differs.
func dryEntry(ctx context.Context, vs *versions, v *flowVersion, compare bool, it replayItem, re *replayEntry) error {
	r := v.h.Handle(ctx, v.proc, it.e, nil)
	fillResult(re, r)
	if r.Outcome == serve.DryRun {
		re.Outcome = "delivered"
		done, err := v.h.Written(ctx, it.e, r.Result.Ops)
		if err != nil {
			return err
		}
		n := 0
		for i, d := range done {
			if d != nil {
				re.AlreadyWritten = append(re.AlreadyWritten, alreadyWritten{Operation: i, Target: d.Target, JournalSeq: d.Journal, At: d.At})
				n++
			}
		}
		if n > 0 && n == len(done) && !vs.rewrite {
			re.Outcome = "duplicate"
		}
	}
	if !compare {
		return nil
	}
	rd := &recordedDiff{Plan: it.e.Plan}
	re.Recorded = rd
	switch {
	case it.e.Plan == "":
		rd.Note = "the message has no recorded flow version"
	case it.e.Plan == v.hash:
		rd.Compared, rd.Same, rd.Note = true, true, "the recorded version is the current one"
	default:
		old, err := vs.recorded(ctx, it.e.Plan)
		if err != nil {
			rd.Note = err.Error()
			return nil
		}
		oldRes := old.proc.Process(serve.MessageOf(it.e))
		d := flowdiff.Compare(flowdiff.ResultOf(&oldRes, nil), flowdiff.ResultOf(&r.Result, nil))
		rd.Compared, rd.Same, rd.Diff = true, d == nil, d
	}
	return nil
}

// fillResult copies what the flow made of a message into its report.
func fillResult(re *replayEntry, r serve.Report) {
	re.Outcome = string(r.Outcome)
	re.Operations = r.Result.Ops
	re.Warnings = r.Result.Warnings
	re.Written, re.Duplicates = r.Written, r.Duplicates
	switch r.Outcome {
	case serve.Skipped:
		re.SkipReason = r.Result.SkipWhy
	case serve.DeadLettered:
		if d := r.DeadLetter; d != nil {
			re.Step, re.Error, re.Location = d.Step, d.Error, d.Location
		}
	case serve.Requeue, serve.Stopped:
		re.Outcome = "failed"
		if r.Err != nil {
			re.Error = r.Err.Error()
		}
	}
}

// settleOldDeadLetters removes the dead letters a journal message had
// before this replay gave it an outcome (a message that failed again has a
// new one by now).
func settleOldDeadLetters(ctx context.Context, st *durable.Store, old map[uint64][]uint64, re *replayEntry) error {
	switch re.Outcome {
	case "delivered", "duplicate", "skipped", "dead_lettered":
	default:
		return nil // not settled now: its dead letters stay
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, seq := range old[re.JournalSeq] {
		if err := st.RemoveDeadLetter(sctx, seq); err != nil {
			return fmt.Errorf("removing its earlier dead letter %d: %w", seq, err)
		}
		re.DLQRemoved = true
		re.OldDLQSeqs = append(re.OldDLQSeqs, seq)
	}
	return nil
}

func joinSeqs(seqs []uint64) string {
	parts := make([]string, len(seqs))
	for i, n := range seqs {
		parts[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(parts, ", ")
}

// realEntry writes one message (settling its dead letter with --dlq).
func realEntry(ctx context.Context, v *flowVersion, it replayItem, re *replayEntry) {
	if it.dl != nil {
		s := serve.Retry(ctx, v.h, v.proc, it.dl)
		fillResult(re, s.Report)
		re.NewDLQSeq, re.DLQRemoved = s.NewSeq, s.Removed
		if s.Err != nil {
			re.Outcome, re.Error = "failed", s.Err.Error()
		}
		return
	}
	fillResult(re, v.h.Handle(ctx, v.proc, it.e, nil))
}

func printReplayEntry(w io.Writer, re *replayEntry, dry bool) error {
	head := fmt.Sprintf("journal %d", re.JournalSeq)
	if re.DLQSeq > 0 {
		head += fmt.Sprintf(" (dead letter %d)", re.DLQSeq)
	}
	if re.Key != "" {
		head += " key " + clean(re.Key)
	}
	switch re.Outcome {
	case "delivered":
		if dry {
			fmt.Fprintf(w, "%s: would deliver %d operation(s)\n", head, len(re.Operations))
		} else {
			fmt.Fprintf(w, "%s: delivered to %s", head, strings.Join(re.Written, ", "))
			if len(re.Duplicates) > 0 {
				fmt.Fprintf(w, " (duplicate: %s)", strings.Join(re.Duplicates, ", "))
			}
			fmt.Fprintln(w)
		}
	case "duplicate":
		if dry {
			fmt.Fprintf(w, "%s: duplicate: every operation was written before (--rewrite writes them again)\n", head)
		} else {
			fmt.Fprintf(w, "%s: duplicate: %s written before, nothing written (--rewrite writes again)\n", head, strings.Join(re.Duplicates, ", "))
		}
	case "skipped":
		fmt.Fprintf(w, "%s: skipped: %s\n", head, clean(re.SkipReason))
	case "dead_lettered":
		verb := "dead_lettered"
		if dry {
			verb = "would be dead-lettered"
		}
		fmt.Fprintf(w, "%s: %s by %s: %s", head, verb, re.Step, clean(re.Error))
		if re.Location != "" {
			fmt.Fprintf(w, " (%s)", re.Location)
		}
		if re.NewDLQSeq > 0 {
			fmt.Fprintf(w, " [dead letter %d]", re.NewDLQSeq)
		}
		fmt.Fprintln(w)
	default:
		fmt.Fprintf(w, "%s: %s: %s\n", head, re.Outcome, clean(re.Error))
	}
	if len(re.OldDLQSeqs) > 0 {
		fmt.Fprintf(w, "  earlier dead letter(s) %s removed\n", joinSeqs(re.OldDLQSeqs))
	}
	if dry {
		written := map[int]alreadyWritten{}
		for _, a := range re.AlreadyWritten {
			written[a.Operation] = a
		}
		for i, op := range re.Operations {
			key := op.Key
			if key == "" {
				key = "-"
			}
			body, err := compactJSON(op.Body)
			if err != nil {
				return err
			}
			note := ""
			if a, ok := written[i]; ok {
				note = fmt.Sprintf("  (written before by journal %d)", a.JournalSeq)
			}
			fmt.Fprintf(w, "  → %s (%s) %s  key=%s%s\n", op.Target, op.Kind, op.Op, clean(key), note)
			if len(op.Fields) > 0 {
				fields, err := compactJSON(op.Fields)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "    with %s\n", fields)
			}
			fmt.Fprintf(w, "    %s\n", body)
		}
	}
	if rd := re.Recorded; rd != nil {
		switch {
		case !rd.Compared:
			fmt.Fprintf(w, "  vs recorded version %s: not compared: %s\n", orDash(rd.Plan), clean(rd.Note))
		case rd.Same && rd.Note != "":
			fmt.Fprintf(w, "  vs recorded version %s: no change (%s)\n", rd.Plan, rd.Note)
		case rd.Same:
			fmt.Fprintf(w, "  vs recorded version %s: no change\n", rd.Plan)
		default:
			fmt.Fprintf(w, "  vs recorded version %s:\n", rd.Plan)
			printRecordDiff(w, rd.Diff, "    ")
		}
	}
	for _, wr := range re.Warnings {
		fmt.Fprintf(w, "  warning %s: %s\n", wr.Rule, clean(wr.Message))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printRecordDiff prints how one message's results differ, recorded
// version first (like flowctl diff, whose base is the older version).
func printRecordDiff(w io.Writer, d *flowdiff.RecordDiff, indent string) {
	if d.KeyChange != nil {
		fmt.Fprintf(w, "%skey: %s → %s\n", indent, clean(d.KeyChange.Old), clean(d.KeyChange.New))
	}
	if d.Outcome != nil {
		fmt.Fprintf(w, "%soutcome: %s → %s\n", indent, outcomeWords(d.Outcome.Base), outcomeWords(d.Outcome.Head))
	}
	for _, o := range d.Operations {
		key := o.Key
		if key == "" {
			key = "-"
		}
		desc := fmt.Sprintf("%s (%s) %s  key=%s", o.Target, o.Kind, o.Operation, clean(key))
		switch o.Change {
		case flowdiff.OpAdded:
			body, _ := compactJSON(o.Body)
			fmt.Fprintf(w, "%s+ %s\n%s    %s\n", indent, desc, indent, body)
		case flowdiff.OpRemoved:
			fmt.Fprintf(w, "%s- %s\n", indent, desc)
		default:
			fmt.Fprintf(w, "%s~ %s\n", indent, desc)
			if o.KindChange != nil {
				fmt.Fprintf(w, "%s    kind: %s → %s\n", indent, o.KindChange.Old, o.KindChange.New)
			}
			if o.OperationChange != nil {
				fmt.Fprintf(w, "%s    operation: %s → %s\n", indent, clean(o.OperationChange.Old), clean(o.OperationChange.New))
			}
			if o.KeyChange != nil {
				fmt.Fprintf(w, "%s    idempotency key: %s → %s\n", indent, clean(o.KeyChange.Old), clean(o.KeyChange.New))
			}
			for _, l := range strings.SplitAfter(jsondiff.Format(o.BodyChanges, false), "\n") {
				if l != "" {
					fmt.Fprintf(w, "%s    %s", indent, l)
				}
			}
		}
	}
	if d.Order != nil {
		fmt.Fprintf(w, "%sorder: %s → %s\n", indent, strings.Join(d.Order.Old, ", "), strings.Join(d.Order.New, ", "))
	}
	if d.Warnings != nil {
		for _, x := range d.Warnings.Removed {
			fmt.Fprintf(w, "%s- warning %s: %s\n", indent, x.Rule, clean(x.Message))
		}
		for _, x := range d.Warnings.Added {
			fmt.Fprintf(w, "%s+ warning %s: %s\n", indent, x.Rule, clean(x.Message))
		}
	}
}

func outcomeWords(o flowdiff.Outcome) string {
	switch o.Outcome {
	case engine.Rejected:
		return fmt.Sprintf("rejected by %s: %s", o.Rule, clean(o.Message))
	case engine.Skipped:
		return "skipped: " + clean(o.Reason)
	}
	return string(o.Outcome)
}

// clean escapes control characters of record data, so the text is safe
// to print on a terminal.
func clean(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
