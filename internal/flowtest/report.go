package flowtest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flowctl/flowctl/internal/jsondiff"
)

// TextOptions tune WriteResult.
type TextOptions struct {
	Verbose bool // also report passed tests, and what each run did
	Color   bool // ANSI colours
}

const (
	ansiReset = "\x1b[0m"
	ansiRed   = "\x1b[1;31m"
	ansiGreen = "\x1b[32m"
)

// WriteResult writes one result for people: failed tests always (with
// their file:line and every unmet expectation, diffs included), passed
// tests with Verbose.
func WriteResult(w io.Writer, r *Result, opts TextOptions) error {
	if r.Passed() && !opts.Verbose {
		return nil
	}
	var b strings.Builder
	status, col := "FAIL", ansiRed
	if r.Passed() {
		status, col = "PASS", ansiGreen
	}
	if opts.Color {
		status = col + status + ansiReset
	}
	fmt.Fprintf(&b, "%s %s: %s (%.2fs)\n", status, r.Test.Pos(), r.Test.Name, r.Duration.Seconds())
	if opts.Verbose && r.Summary != nil {
		s := r.Summary
		fmt.Fprintf(&b, "    flow %s: %s: %d delivered, %d rejected, %d skipped", s.Flow, plural(s.Records, "record"), s.Delivered, s.Rejected, s.Skipped)
		if s.Warnings > 0 {
			fmt.Fprintf(&b, ", %s", plural(s.Warnings, "warning"))
		}
		b.WriteString("\n")
	}
	b.WriteString(indent(failureText(r, opts.Color), "    "))
	_, err := io.WriteString(w, b.String())
	return err
}

// failureText renders what went wrong in a test, one failure after the
// other, details indented under their message.
func failureText(r *Result, color bool) string {
	var b strings.Builder
	if r.Err != nil {
		fmt.Fprintf(&b, "the flow could not run: %v\n", r.Err)
	}
	for _, f := range r.Failures {
		b.WriteString(f.Message + "\n")
		if f.Detail != "" {
			b.WriteString(indent(f.Detail+"\n", "    "))
		}
		if len(f.Changes) > 0 {
			b.WriteString(indent(jsondiff.Format(f.Changes, color), "    "))
		}
	}
	return b.String()
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		if l != "\n" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}

// WriteSummary writes the closing line, e.g. "3 passed, 1 failed".
func WriteSummary(w io.Writer, rep *Report) error {
	_, err := fmt.Fprintf(w, "%d passed, %d failed\n", rep.Passed, rep.Failed)
	return err
}

type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []*junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
	dur       time.Duration
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"` // CDATA keeps the diff readable in the file
}

// xmlText replaces the characters XML 1.0 cannot carry at all (control
// characters from record data), so the report always parses.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: a testsuite per test file, a
// testcase per test; a failed test has a failure element (an error element
// when its flow could not run) whose message is the first unmet
// expectation and whose text is the whole report of the test, diffs
// included.
func WriteJUnit(w io.Writer, rep *Report) error {
	root := junitSuites{Name: "flowctl test", Time: seconds(rep.Duration)}
	byFile := map[string]*junitSuite{}
	for _, r := range rep.Results {
		t := r.Test
		s := byFile[t.File]
		if s == nil {
			s = &junitSuite{Name: t.File, Timestamp: r.Start.UTC().Format("2006-01-02T15:04:05")}
			byFile[t.File] = s
			root.Suites = append(root.Suites, s)
		}
		c := junitCase{Name: xmlText(t.Name), Classname: strings.TrimSuffix(t.File, Suffix), File: t.File,
			Line: t.DeclRange.Start.Line, Time: seconds(r.Duration)}
		s.Tests++
		root.Tests++
		s.dur += r.Duration
		switch {
		case r.Err != nil:
			c.Error = &junitProblem{Message: xmlText("the flow could not run: " + r.Err.Error()), Type: "error",
				Body: xmlText(fmt.Sprintf("%s: %s\n%s", t.Pos(), t.Name, failureText(r, false)))}
			s.Errors++
			root.Errors++
		case len(r.Failures) > 0:
			msg := r.Failures[0].Message
			if n := len(r.Failures); n > 1 {
				msg += fmt.Sprintf(" (and %d more)", n-1)
			}
			c.Failure = &junitProblem{Message: xmlText(msg), Type: "failure",
				Body: xmlText(fmt.Sprintf("%s: %s\n%s", t.Pos(), t.Name, failureText(r, false)))}
			s.Failures++
			root.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	for _, s := range root.Suites {
		s.Time = seconds(s.dur)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
