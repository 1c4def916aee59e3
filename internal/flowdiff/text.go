package flowdiff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/jsondiff"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// WriteText writes the report for people: one block per differing record,
// then a line of counts:
//
//	record #3 (line 3, key SO3)
//	  outcome: delivered → rejected by has_window: line 3: order SO3 has no delivery window
//	  - jobs (file) write out/jobs.ndjson  key=SO3
//	orders: 5 records compared: 1 changed, 4 unchanged; delivered→rejected: 1
//
// Text from records (keys, messages, values) has its control characters
// escaped, so the output is safe for a terminal.
func WriteText(w io.Writer, r *Report, color bool) error {
	tw := NewTextWriter(w, color)
	for i := range r.Records {
		if err := tw.Record(&r.Records[i]); err != nil {
			return err
		}
	}
	return tw.Summary(r)
}

// TextWriter writes the text report piece by piece, so records can be
// printed as they are compared (see Options.OnRecord).
type TextWriter struct{ p printer }

// NewTextWriter writes to w, with ANSI colours when color is set.
func NewTextWriter(w io.Writer, color bool) *TextWriter {
	return &TextWriter{p: printer{w: bufio.NewWriter(w), color: color}}
}

// Record writes one differing record's block.
func (t *TextWriter) Record(d *RecordDiff) error {
	t.p.record(d)
	_, err := t.p.w.Write(nil) // a buffered write error, if any
	return err
}

// Summary writes the line of counts and flushes.
func (t *TextWriter) Summary(r *Report) error {
	t.p.summary(r)
	return t.p.w.Flush()
}

type printer struct {
	w     *bufio.Writer
	color bool
}

func (p *printer) line(col, indent, text string) {
	p.w.WriteString(indent)
	if p.color && col != "" {
		p.w.WriteString(col + text + ansiReset)
	} else {
		p.w.WriteString(text)
	}
	p.w.WriteByte('\n')
}

func (p *printer) record(d *RecordDiff) {
	var where []string
	if d.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", d.Line))
	}
	if d.Key != "" {
		where = append(where, "key "+clean(d.Key))
	}
	head := fmt.Sprintf("record #%d", d.Seq+1)
	if len(where) > 0 {
		head += " (" + strings.Join(where, ", ") + ")"
	}
	p.line(ansiBold, "", head)
	if d.KeyChange != nil {
		p.line("", "  ", "key: "+changeText(d.KeyChange))
	}
	if d.Outcome != nil {
		p.line(ansiYellow, "  ", "outcome: "+outcomeText(d.Outcome.Base)+" → "+outcomeText(d.Outcome.Head))
	}
	for i := range d.Operations {
		p.op(&d.Operations[i])
	}
	if d.Order != nil {
		p.line("", "  ", "order: "+clean(strings.Join(d.Order.Old, ", "))+" → "+clean(strings.Join(d.Order.New, ", ")))
	}
	if d.Warnings != nil {
		for _, w := range d.Warnings.Removed {
			p.line(ansiRed, "  ", "- warning "+clean(w.Rule)+": "+clean(w.Message))
		}
		for _, w := range d.Warnings.Added {
			p.line(ansiGreen, "  ", "+ warning "+clean(w.Rule)+": "+clean(w.Message))
		}
	}
}

func (p *printer) op(o *OpDiff) {
	key := o.Key
	if key == "" {
		key = "-"
	}
	desc := fmt.Sprintf("%s (%s) %s  key=%s", clean(o.Target), clean(o.Kind), clean(o.Operation), clean(key))
	switch o.Change {
	case OpAdded:
		p.line(ansiGreen, "  ", "+ "+desc)
		p.line("", "      ", bodyText(o.Body))
	case OpRemoved:
		p.line(ansiRed, "  ", "- "+desc)
	default:
		p.line(ansiYellow, "  ", "~ "+desc)
		if o.KindChange != nil {
			p.line("", "      ", "kind: "+changeText(o.KindChange))
		}
		if o.OperationChange != nil {
			p.line("", "      ", "operation: "+changeText(o.OperationChange))
		}
		if o.KeyChange != nil {
			p.line("", "      ", "idempotency key: "+changeText(o.KeyChange))
		}
		if len(o.BodyChanges) > 0 {
			for _, l := range strings.SplitAfter(jsondiff.Format(o.BodyChanges, p.color), "\n") {
				if l != "" {
					p.w.WriteString("      " + l)
				}
			}
		}
	}
}

func (p *printer) summary(r *Report) {
	flow := clean(r.Flow)
	if r.BaseFlow != "" {
		flow = clean(r.BaseFlow) + " → " + flow
	}
	s := fmt.Sprintf("%s: %d records compared: %d changed, %d unchanged", flow, r.Counts.Records, r.Counts.Changed, r.Counts.Unchanged)
	var ts []string
	for _, t := range r.Counts.Outcomes {
		ts = append(ts, fmt.Sprintf("%s→%s: %d", t.Base, t.Head, t.Records))
	}
	if len(ts) > 0 {
		s += "; " + strings.Join(ts, ", ")
	}
	p.line("", "", s)
}

func changeText(c *Change) string {
	return quoteEmpty(c.Old) + " → " + quoteEmpty(c.New)
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return clean(s)
}

// outcomeText says how a record ended: "delivered", "rejected by RULE:
// MESSAGE" or "skipped: REASON".
func outcomeText(o Outcome) string {
	switch o.Outcome {
	case engine.Rejected:
		return "rejected by " + clean(o.Rule) + ": " + clean(o.Message)
	case engine.Skipped:
		if o.Reason == "" {
			return "skipped"
		}
		return "skipped: " + clean(o.Reason)
	}
	return string(o.Outcome)
}

// bodyText is a body as compact JSON (object keys sorted), as dry runs
// print it.
func bodyText(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return clean(fmt.Sprintf("%v", v))
	}
	return clean(strings.TrimSuffix(buf.String(), "\n"))
}

// clean escapes control characters (and the Unicode line separators) as
// \uXXXX and replaces invalid UTF-8 with U+FFFD.
func clean(s string) string {
	ok := utf8.ValidString(s)
	for _, r := range s {
		if !ok || needsEscape(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if needsEscape(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r) // RuneError for invalid bytes
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}
