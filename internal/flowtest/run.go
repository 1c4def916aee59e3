package flowtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/flowctl/flowctl/connectors/file"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/jsondiff"
)

// TestTime is now() and meta.received_at in every flow test, so tests do
// not depend on the day they run.
var TestTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Result is the outcome of one test.
type Result struct {
	Test     *Test
	Failures []Failure
	// Err is set when the flow could not run at all (an input file that
	// cannot be read); the test counts as failed.
	Err      error
	Summary  *engine.Summary // what the run did; nil when it could not start
	Start    time.Time
	Duration time.Duration
}

// Passed reports whether every expectation of the test was met.
func (r *Result) Passed() bool { return r.Err == nil && len(r.Failures) == 0 }

// Failure is one unmet expectation.
type Failure struct {
	Message string            // one line
	Detail  string            // more lines, or ""
	Changes []jsondiff.Change // structural differences, expected → actual
}

// Report is the outcome of a suite run.
type Report struct {
	Results  []*Result
	Passed   int
	Failed   int
	Start    time.Time
	Duration time.Duration
}

// Run runs the selected tests one after the other and calls each (when not
// nil) with every result as soon as it is known. The suite must have no
// errors in Diags.
func (s *Suite) Run(ctx context.Context, each func(*Result)) *Report {
	rep := &Report{Start: time.Now()}
	for _, t := range s.Selected {
		r := RunTest(ctx, t)
		rep.Results = append(rep.Results, r)
		if r.Passed() {
			rep.Passed++
		} else {
			rep.Failed++
		}
		if each != nil {
			each(r)
		}
	}
	rep.Duration = time.Since(rep.Start)
	return rep
}

// RunTest runs one test of a loaded suite: a dry run of its flow over its
// input, then the comparison of what the flow did with what the test
// expects.
func RunTest(ctx context.Context, t *Test) *Result {
	res := &Result{Test: t, Start: time.Now()}
	defer func() { res.Duration = time.Since(res.Start) }()
	if t.plan.flow == nil {
		res.Err = fmt.Errorf("test %q is not compiled (load it with Load)", t.Name)
		return res
	}
	var in engine.RecordReader = &inlineReader{recs: t.Input, file: t.File}
	if t.InputFile != "" {
		var err error
		if in, err = file.OpenInput(t.InputFile, t.InputFormat, "", &engine.RunContext{}); err != nil {
			res.Err = err
			return res
		}
	}
	var results []engine.Result
	sum, err := engine.Run(ctx, t.plan.plan, t.plan.flow, engine.RunOptions{
		DryRun: true,
		Input:  in,
		Now:    func() time.Time { return TestTime },
		OnResult: func(r *engine.Result) error {
			results = append(results, *r)
			return nil
		},
	})
	res.Summary = sum
	if err != nil {
		res.Err = err
		return res
	}
	res.Failures = t.verify(results)
	return res
}

// inlineReader feeds a test's inline records to the flow.
type inlineReader struct {
	recs []Record
	file string
	i    int
}

func (r *inlineReader) Next() (*engine.Message, bool, error) {
	if r.i >= len(r.recs) {
		return nil, false, nil
	}
	rec := r.recs[r.i]
	r.i++
	data, _ := engine.CopyValue(rec.Data).(map[string]any)
	return &engine.Message{Line: rec.Range.Start.Line, Source: r.file, Record: data}, true, nil
}

func (r *inlineReader) Close() error { return nil }

// verify compares what the flow did with the test's expectations.
func (t *Test) verify(results []engine.Result) []Failure {
	var fails []Failure
	fails = append(fails, verifyOutcomes(results, t.Rejected, engine.Rejected, "expect_rejected")...)
	if t.CheckSkipped {
		fails = append(fails, verifyOutcomes(results, t.Skipped, engine.Skipped, "expect_skipped")...)
	}
	if t.CheckWarnings {
		fails = append(fails, verifyWarnings(results, t.Warnings)...)
	}

	ops := map[string][]*engine.Operation{}
	for i := range results {
		for j := range results[i].Ops {
			op := &results[i].Ops[j]
			ops[op.Target] = append(ops[op.Target], op)
		}
	}
	expected := map[string]bool{}
	for _, e := range t.Expects {
		expected[e.Target] = true
		fails = append(fails, e.verify(ops[e.Target], results)...)
	}
	var quiet []string
	for _, n := range t.NoOutput {
		quiet = append(quiet, n.Name)
	}
	if t.NoOutputAll {
		for _, tp := range t.plan.flow.Targets {
			if !expected[tp.Name] {
				quiet = append(quiet, tp.Name)
			}
		}
	}
	for _, name := range quiet {
		if got := ops[name]; len(got) > 0 {
			fails = append(fails, Failure{
				Message: fmt.Sprintf("target %q: expected no output, got %s", name, plural(len(got), "operation")),
				Detail:  listOps(got, results),
			})
		}
	}
	return fails
}

func (e *Expect) verify(got []*engine.Operation, results []engine.Result) []Failure {
	var fails []Failure
	if e.HasCount && len(got) != e.Count {
		f := Failure{Message: fmt.Sprintf("target %q: %s, want %d", e.Target, plural(len(got), "operation"), e.Count)}
		if !e.HasBody {
			f.Detail = listOps(got, results)
		}
		fails = append(fails, f)
	}
	if e.HasBody {
		actual := make([]any, len(got))
		for i, op := range got {
			v, err := plain(op.Body)
			if err != nil {
				fails = append(fails, Failure{Message: fmt.Sprintf("target %q: body %d cannot be written as JSON: %v", e.Target, i+1, err)})
				return fails
			}
			actual[i] = v
		}
		var a any = actual
		if e.Partial {
			a = prune(e.Body, actual)
		}
		if changes := jsondiff.Diff(e.Body, a); len(changes) > 0 {
			partial := ""
			if e.Partial {
				partial = "partial; "
			}
			fails = append(fails, Failure{
				Message: fmt.Sprintf("target %q: the bodies written differ from the expected ones (%s%s, %s expected):", e.Target, partial, plural(len(got), "operation"), plural(len(e.Body), "body")),
				Detail:  legend + "\n" + sources(got, results),
				Changes: changes,
			})
		}
	}
	if e.HasKeys {
		want := make([]any, len(e.Keys))
		for i, k := range e.Keys {
			want[i] = k
		}
		have := make([]any, len(got))
		for i, op := range got {
			have[i] = op.Key
		}
		if changes := jsondiff.Diff(want, have); len(changes) > 0 {
			fails = append(fails, Failure{
				Message: fmt.Sprintf("target %q: the idempotency keys differ from keys:", e.Target),
				Detail:  legend,
				Changes: changes,
			})
		}
	}
	return fails
}

const legend = "(- expected, not written; + written, not expected; ~ expected → written)"

// sources says which record wrote each operation: $[i] of a diff is the
// target's i-th operation.
func sources(ops []*engine.Operation, results []engine.Result) string {
	if len(ops) == 0 {
		return "(nothing was written to this target)"
	}
	const max = 8
	var parts []string
	for i, op := range ops {
		if i == max {
			parts = append(parts, fmt.Sprintf("… %d more", len(ops)-max))
			break
		}
		parts = append(parts, fmt.Sprintf("$[%d] %s", i, describe(&results[op.Seq])))
	}
	return "written by: " + strings.Join(parts, ", ")
}

// listOps lists operations with the records that wrote them.
func listOps(ops []*engine.Operation, results []engine.Result) string {
	var b strings.Builder
	for i, op := range ops {
		if i == 10 {
			fmt.Fprintf(&b, "… %d more\n", len(ops)-10)
			break
		}
		body, err := plain(op.Body)
		text := compact(body)
		if err != nil {
			text = fmt.Sprint(op.Body)
		}
		if r := []rune(text); len(r) > 100 {
			text = string(r[:99]) + "…"
		}
		fmt.Fprintf(&b, "$[%d] %s: %s\n", i, describe(&results[op.Seq]), text)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// prune keeps, in actual, only the object keys that expected has (for
// partial = true); list elements are matched by position.
func prune(expected, actual any) any {
	switch e := expected.(type) {
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok {
			return actual
		}
		out := make(map[string]any, len(e))
		for k, ev := range e {
			if av, ok := a[k]; ok {
				out[k] = prune(ev, av)
			}
		}
		return out
	case []any:
		a, ok := actual.([]any)
		if !ok {
			return actual
		}
		out := make([]any, len(a))
		for i := range a {
			if i < len(e) {
				out[i] = prune(e[i], a[i])
			} else {
				out[i] = a[i]
			}
		}
		return out
	}
	return actual
}

// describe names a record for people: its number, line and key.
func describe(r *engine.Result) string {
	var extra []string
	if r.Line > 0 {
		extra = append(extra, fmt.Sprintf("line %d", r.Line))
	}
	if r.Key != "" {
		extra = append(extra, "key "+r.Key)
	}
	s := fmt.Sprintf("record %d", r.Seq+1)
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// happened says what became of a record.
func happened(r *engine.Result) string {
	switch r.Outcome {
	case engine.Delivered:
		count := map[string]int{}
		var names []string
		for _, op := range r.Ops {
			if count[op.Target] == 0 {
				names = append(names, op.Target)
			}
			count[op.Target]++
		}
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s (%s)", n, plural(count[n], "operation")))
		}
		return "delivered to " + strings.Join(parts, ", ")
	case engine.Rejected:
		return "rejected by " + r.Reject.Rule + ": " + r.Reject.Message
	case engine.Skipped:
		return "skipped: " + r.SkipWhy
	}
	return string(r.Outcome)
}

// verifyOutcomes checks that exactly the listed records had the outcome
// (rejected or skipped), with the rule and message given.
func verifyOutcomes(results []engine.Result, want []RecordExpectation, outcome engine.Outcome, attr string) []Failure {
	var fails []Failure
	listed := map[int]bool{}
	verb := "rejected"
	if outcome == engine.Skipped {
		verb = "skipped"
	}
	for _, e := range want {
		listed[e.Record] = true
		if e.Record > len(results) {
			fails = append(fails, Failure{Message: fmt.Sprintf("%s names record %d, but the input has %s", attr, e.Record, plural(len(results), "record"))})
			continue
		}
		r := &results[e.Record-1]
		if r.Outcome != outcome {
			fails = append(fails, Failure{
				Message: fmt.Sprintf("%s: expected to be %s%s, but it was %s", describe(r), verb, ruleSuffix(e), string(r.Outcome)),
				Detail:  happened(r),
			})
			continue
		}
		rule, msg := outcomeRule(r)
		if e.Rule != "" && rule != e.Rule {
			fails = append(fails, Failure{
				Message: fmt.Sprintf("%s: %s by %s, expected by %s", describe(r), verb, rule, e.Rule),
				Detail:  msg,
			})
			continue
		}
		if e.Message != "" && !strings.Contains(msg, e.Message) {
			fails = append(fails, Failure{
				Message: fmt.Sprintf("%s: %s, but the %s does not contain %q", describe(r), verb, map[bool]string{true: "reason", false: "message"}[outcome == engine.Skipped], e.Message),
				Detail:  msg,
			})
		}
	}
	for i := range results {
		r := &results[i]
		if r.Outcome != outcome || listed[r.Seq+1] {
			continue
		}
		rule, msg := outcomeRule(r)
		f := Failure{Message: fmt.Sprintf("%s: %s by %s, which the test does not expect", describe(r), verb, rule), Detail: msg}
		if outcome == engine.Rejected && r.Reject.Location != "" {
			f.Detail += "\nat " + r.Reject.Location
		}
		f.Detail += fmt.Sprintf("\nif that is right, add { record = %d, rule = %q } to %s", r.Seq+1, rule, attr)
		fails = append(fails, f)
	}
	return fails
}

func ruleSuffix(e RecordExpectation) string {
	if e.Rule == "" {
		return ""
	}
	return " by " + e.Rule
}

// outcomeRule gives the rule and message of a rejection or skip. A skip's
// rule is the validate step that skipped it, "split NAME" or "route".
func outcomeRule(r *engine.Result) (rule, msg string) {
	if r.Outcome == engine.Rejected {
		return r.Reject.Rule, r.Reject.Message
	}
	why := r.SkipWhy
	if rest, ok := strings.CutPrefix(why, "validate "); ok {
		if name, _, ok := strings.Cut(rest, ":"); ok {
			return name, why
		}
	}
	if rest, ok := strings.CutPrefix(why, "split "); ok {
		if name, _, ok := strings.Cut(rest, ":"); ok {
			return name, why
		}
	}
	if why == "no route matched" {
		return "route", why
	}
	return "", why
}

type warning struct {
	result *engine.Result
	w      engine.Rejection
	used   bool
}

// verifyWarnings checks that exactly the listed warnings were raised.
func verifyWarnings(results []engine.Result, want []RecordExpectation) []Failure {
	var fails []Failure
	var all []*warning
	for i := range results {
		for _, w := range results[i].Warnings {
			all = append(all, &warning{result: &results[i], w: w})
		}
	}
	for _, e := range want {
		if e.Record > len(results) {
			fails = append(fails, Failure{Message: fmt.Sprintf("expect_warnings names record %d, but the input has %s", e.Record, plural(len(results), "record"))})
			continue
		}
		found := false
		var others []string
		for _, w := range all {
			if w.used || w.result.Seq+1 != e.Record {
				continue
			}
			if (e.Rule == "" || w.w.Rule == e.Rule) && strings.Contains(w.w.Message, e.Message) {
				w.used, found = true, true
				break
			}
			others = append(others, w.w.Rule+": "+w.w.Message)
		}
		if !found {
			r := &results[e.Record-1]
			f := Failure{Message: fmt.Sprintf("%s: expected a warning%s%s, none was raised", describe(r), ruleSuffix(e), withText(e.Message))}
			if len(others) > 0 {
				f.Detail = "its warnings: " + strings.Join(others, "; ")
			}
			fails = append(fails, f)
		}
	}
	for _, w := range all {
		if w.used {
			continue
		}
		fails = append(fails, Failure{
			Message: fmt.Sprintf("%s: warning by %s, which the test does not expect", describe(w.result), w.w.Rule),
			Detail:  w.w.Message + fmt.Sprintf("\nif that is right, add { record = %d, rule = %q } to expect_warnings", w.result.Seq+1, w.w.Rule),
		})
	}
	return fails
}

func withText(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" containing %q", s)
}
