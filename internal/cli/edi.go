package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/flowctl/flowctl/edi"
)

func init() {
	register(&cli.Command{
		Name:      "edi",
		Usage:     "parse, validate, acknowledge and render X12 and UN/EDIFACT files",
		UsageText: "flowctl edi COMMAND FILE [flags]",
		Description: `Works on X12 (ISA…IEA) and UN/EDIFACT ([UNA] UNB…UNZ) interchanges; the
syntax and the delimiters are detected from the input. FILE "-" reads stdin.
Flags may come before or after FILE.

Exit status: 0 success (validate: no errors), 1 validate found errors,
2 usage error, unreadable input or input that is not EDI.

Examples:
  flowctl edi parse orders.edi
  flowctl edi parse --output json orders.edi > orders.json
  flowctl edi validate --strict shipment.edi
  flowctl edi ack invoice.edi --type 997 > invoice.997
  flowctl edi render orders.json --delimiters '~*>^'
  cat in.edi | flowctl edi validate -`,
		Subcommands: []*cli.Command{
			{
				Name:      "parse",
				Usage:     "print the interchange tree (text) or the document model (json)",
				ArgsUsage: "FILE",
				Description: `Reads FILE and prints its envelopes, transaction sets and segments.

--output text (the default) prints an indented tree: interchanges, groups,
transaction sets or messages and, where a definition is known, their loops;
every segment with its position in the input and its byte offset.
--output json prints the document model's JSON form, which
"flowctl edi render" turns back into EDI.

Parsing is tolerant: envelope findings (wrong counts, mismatched control
numbers) do not stop it; "flowctl edi validate" reports them.

Exit status: 0 parsed, 2 unreadable or not EDI.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json"},
				},
				OnUsageError: ediUsageError("parse"),
				Action:       runEDIParse,
			},
			{
				Name:      "validate",
				Usage:     "check envelopes and, where a definition is known, structure and elements",
				ArgsUsage: "FILE",
				Description: `Checks FILE: envelope counts and control numbers (SE/GE/IEA, UNT/UNE/UNZ),
ISA fixed widths, trailers, then each transaction set or message against its
definition (segment order, loops, repeats, mandatory segments and elements,
lengths, types, codes).

Tolerant (the default): envelope and element findings are warnings, so the
many real files with wrong counts pass; structural findings are errors.
--strict: every finding is an error.

Every issue is printed with its segment position and byte offset.

Exit status: 0 valid (warnings allowed), 1 errors found, 2 unreadable or
not EDI.`,
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "strict", Usage: "envelope and element findings are errors"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json"},
				},
				OnUsageError: ediUsageError("validate"),
				Action:       runEDIValidate,
			},
			{
				Name:      "ack",
				Usage:     "print the acknowledgement (997, 999, TA1 or CONTRL) for a file",
				ArgsUsage: "FILE --type 997|999|TA1|CONTRL",
				Description: `Validates FILE (like "flowctl edi validate", tolerant unless --strict) and
prints the acknowledgement interchange addressed back to its sender: sender
and receiver swapped, new control numbers, the findings as AK3/AK4 (997),
IK3/IK4 (999), a TA1 note code, or UCI/UCM/UCS/UCD (CONTRL).

--type 997 and 999 answer each functional group; TA1 answers each X12
interchange; CONTRL answers each EDIFACT interchange. Functional
acknowledgements themselves are not acknowledged.

Exit status: 0 acknowledgement printed (whatever it accepts or rejects),
2 unreadable input, not EDI, or nothing the type can acknowledge.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Usage: "997, 999, TA1 or CONTRL (required)"},
					&cli.BoolFlag{Name: "strict", Usage: "envelope and element findings are errors (rejections)"},
					&cli.BoolFlag{Name: "ta1", Usage: "997/999: add a TA1 when the interchange envelope has findings"},
					&cli.BoolFlag{Name: "errors-only", Usage: "list only the sets and messages with findings"},
					&cli.Int64Flag{Name: "control", Value: 1, Usage: "first interchange and group control number"},
					&cli.StringFlag{Name: "time", Usage: "envelope date and time, RFC 3339 (default: now)"},
					&cli.BoolFlag{Name: "newline", Usage: "write a line feed after every segment"},
				},
				OnUsageError: ediUsageError("ack"),
				Action:       runEDIAck,
			},
			{
				Name:      "render",
				Usage:     "turn the JSON form (from edi parse --output json) back into EDI",
				ArgsUsage: "FILE.json",
				Description: `Reads the JSON form of a document and writes it as EDI. Values are escaped
for the delimiters in use (EDIFACT release character); an X12 value that
contains a delimiter is an error.

--delimiters replaces every interchange's delimiters: the characters
SEGMENT ELEMENT COMPONENT [REPETITION [RELEASE]] in that order, e.g. '~*>^'
for X12 or "'+:*?" for EDIFACT; a space leaves a position unset.

Exit status: 0 written, 2 unreadable JSON or values the delimiters cannot
carry.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "delimiters", Aliases: []string{"d"}, Usage: "SEGMENT ELEMENT COMPONENT [REPETITION [RELEASE]] characters"},
					&cli.BoolFlag{Name: "newline", Usage: "write a line feed after every segment"},
				},
				OnUsageError: ediUsageError("render"),
				Action:       runEDIRender,
			},
		},
	})
}

func ediUsageError(name string) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		return exitf(ExitUsage, "edi %s: %v (see flowctl edi %s --help)", name, err, name)
	}
}

// ediArgs returns the one FILE argument, applying flags written after it
// (urfave/cli stops parsing flags at the first argument).
func ediArgs(c *cli.Context, name string) (string, error) {
	var files []string
	args := c.Args().Slice()
	// Every name of a flag maps to its first name: urfave/cli keeps one
	// value per name and resolves aliases only while parsing.
	primary := map[string]string{}
	bools := map[string]bool{}
	for _, f := range c.Command.Flags {
		names := f.Names()
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range names {
			primary[n] = names[0]
			bools[n] = isBool
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			files = append(files, args[i+1:]...)
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			files = append(files, a)
			continue
		}
		flagName, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		p, ok := primary[flagName]
		if !ok {
			return "", exitf(ExitUsage, "edi %s: flag provided but not defined: %s (see flowctl edi %s --help)", name, a, name)
		}
		if !hasVal {
			if bools[flagName] {
				val = "true"
			} else {
				if i+1 >= len(args) {
					return "", exitf(ExitUsage, "edi %s: flag %s needs a value", name, a)
				}
				i++
				val = args[i]
			}
		}
		if err := c.Set(p, val); err != nil {
			return "", exitf(ExitUsage, "edi %s: flag %s: %v (see flowctl edi %s --help)", name, a, err, name)
		}
	}
	switch len(files) {
	case 0:
		return "", exitf(ExitUsage, "edi %s: name a FILE (or - for stdin)", name)
	case 1:
		return files[0], nil
	}
	return "", exitf(ExitUsage, "edi %s: one FILE at a time, got %d", name, len(files))
}

// openInput opens FILE, "-" being stdin.
func openInput(c *cli.Context, path string) (io.Reader, func(), error) {
	if path == "-" {
		return c.App.Reader, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

func displayName(path string) string {
	if path == "-" {
		return "<stdin>"
	}
	return path
}

// ediOutput checks --output.
func ediOutput(c *cli.Context, name string) (string, error) {
	o := c.String("output")
	if o != "text" && o != "json" {
		return "", exitf(ExitUsage, "edi %s: unknown --output %q; use text or json", name, o)
	}
	return o, nil
}

// readEDI parses and validates FILE. A file that cannot be read or is not
// EDI is an exit-2 error naming the byte offset.
func readEDI(c *cli.Context, name, path string, opts edi.ReportOptions) (*edi.Report, error) {
	r, done, err := openInput(c, path)
	if err != nil {
		return nil, exitf(ExitUsage, "edi %s: %v", name, err)
	}
	defer done()
	validate := edi.Validate
	if name == "validate" {
		// validate needs no tree: stream it, so any file size fits in memory.
		validate = edi.ValidateStream
	}
	rep, err := validate(r, opts)
	if err != nil {
		var se *edi.SyntaxError
		if errors.As(err, &se) {
			return nil, exitf(ExitUsage, "edi %s: %s: offset %d: %s (%s)", name, displayName(path), se.Offset, se.Msg, se.Code)
		}
		return nil, exitf(ExitUsage, "edi %s: %s: %v", name, displayName(path), err)
	}
	if rep.Interchanges == 0 {
		return nil, exitf(ExitUsage, "edi %s: %s: offset 0: no EDI interchange found", name, displayName(path))
	}
	return rep, nil
}

// --- parse -----------------------------------------------------------------

func runEDIParse(c *cli.Context) error {
	path, err := ediArgs(c, "parse")
	if err != nil {
		return err
	}
	output, err := ediOutput(c, "parse")
	if err != nil {
		return err
	}
	rep, err := readEDI(c, "parse", path, edi.ReportOptions{})
	if err != nil {
		return err
	}
	out := c.App.Writer
	if output == "json" {
		if err := edi.EncodeJSON(out, rep.Document, true); err != nil {
			return exitf(ExitUsage, "edi parse: %v", err)
		}
		return nil
	}
	writeTree(out, rep.Document)
	if rep.Errors+rep.Warnings > 0 {
		fmt.Fprintf(c.App.ErrWriter, "flowctl: %s: %s; see flowctl edi validate\n", displayName(path), plural(rep.Errors+rep.Warnings, "finding"))
	}
	return nil
}

// writeTree prints the document as an indented tree.
func writeTree(w io.Writer, doc *edi.Document) {
	fmt.Fprintf(w, "%s document, %s\n", doc.Format, plural(len(doc.Interchanges), "interchange"))
	for _, ic := range doc.Interchanges {
		treeInterchange(w, ic)
	}
}

func treeInterchange(w io.Writer, ic *edi.Interchange) {
	const ind = "  "
	label := "interchange"
	if h := ic.Header; h != nil {
		switch h.Tag {
		case "ISA":
			label += fmt.Sprintf(" %s from %s:%s to %s:%s", ic.Control(), strings.TrimSpace(h.Value(5)), strings.TrimSpace(h.Value(6)), strings.TrimSpace(h.Value(7)), strings.TrimSpace(h.Value(8)))
		case "UNB":
			label += fmt.Sprintf(" %s from %s to %s", ic.Control(), strings.Join(h.Components(2), ":"), strings.Join(h.Components(3), ":"))
		}
	} else {
		label += " (no header)"
	}
	fmt.Fprintln(w, ind+label)
	treeSeg(w, ind+ind, ic.Header)
	type item struct {
		pos int
		fn  func()
	}
	var items []item
	for _, s := range ic.TA1 {
		items = append(items, item{s.Pos, func() { treeSeg(w, ind+ind, s) }})
	}
	for _, s := range ic.Other {
		items = append(items, item{s.Pos, func() { treeSeg(w, ind+ind, s) }})
	}
	for _, t := range ic.Messages {
		items = append(items, item{firstPos(t.AllSegments()), func() { treeTransaction(w, ind+ind, t) }})
	}
	for _, g := range ic.Groups {
		items = append(items, item{groupPos(g), func() { treeGroup(w, ind+ind, g) }})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].pos < items[j].pos })
	for _, it := range items {
		it.fn()
	}
	treeSeg(w, ind+ind, ic.Trailer)
}

func firstPos(ss []*edi.Segment) int {
	if len(ss) == 0 {
		return 0
	}
	return ss[0].Pos
}

func groupPos(g *edi.Group) int {
	if g.Header != nil {
		return g.Header.Pos
	}
	if len(g.Transactions) > 0 {
		return firstPos(g.Transactions[0].AllSegments())
	}
	return firstPos(g.Other)
}

func treeGroup(w io.Writer, ind string, g *edi.Group) {
	label := "group"
	if h := g.Header; h != nil {
		if h.Tag == "GS" {
			label += fmt.Sprintf(" %s %s from %s to %s, version %s", h.Value(1), g.Control(), h.Value(2), h.Value(3), h.Value(8))
		} else {
			label += fmt.Sprintf(" %s %s", h.Value(1), g.Control())
		}
	} else {
		label += " (no header)"
	}
	fmt.Fprintln(w, ind+label)
	treeSeg(w, ind+"  ", g.Header)
	type item struct {
		pos int
		fn  func()
	}
	var items []item
	for _, t := range g.Transactions {
		items = append(items, item{firstPos(t.AllSegments()), func() { treeTransaction(w, ind+"  ", t) }})
	}
	for _, s := range g.Other {
		items = append(items, item{s.Pos, func() { treeSeg(w, ind+"  ", s) }})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].pos < items[j].pos })
	for _, it := range items {
		it.fn()
	}
	treeSeg(w, ind+"  ", g.Trailer)
}

func treeTransaction(w io.Writer, ind string, t *edi.Transaction) {
	kind := "transaction set"
	if t.Header != nil && t.Header.Tag == "UNH" {
		kind = "message"
	}
	fmt.Fprintf(w, "%s%s %s %s\n", ind, kind, t.SetID(), t.Control())
	if t.Loops != nil {
		treeLoop(w, ind+"  ", t.Loops, true)
		return
	}
	for _, s := range t.AllSegments() {
		treeSeg(w, ind+"  ", s)
	}
}

// treeLoop prints a loop's segments and child loops in input order.
func treeLoop(w io.Writer, ind string, l *edi.Loop, root bool) {
	type item struct {
		pos  int
		seg  *edi.Segment
		loop *edi.Loop
	}
	var items []item
	for _, s := range l.Segments {
		items = append(items, item{pos: s.Pos, seg: s})
	}
	for _, c := range l.Children {
		items = append(items, item{pos: loopPos(c), loop: c})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].pos < items[j].pos })
	inner := ind
	if !root {
		fmt.Fprintf(w, "%sloop %s\n", ind, l.ID)
		inner = ind + "  "
	}
	for _, it := range items {
		if it.seg != nil {
			treeSeg(w, inner, it.seg)
		} else {
			treeLoop(w, inner, it.loop, false)
		}
	}
}

func loopPos(l *edi.Loop) int {
	p := 0
	if len(l.Segments) > 0 {
		p = l.Segments[0].Pos
	}
	for _, c := range l.Children {
		if cp := loopPos(c); cp > 0 && (p == 0 || cp < p) {
			p = cp
		}
	}
	return p
}

// treeSeg prints one segment: position, byte offset and its text.
func treeSeg(w io.Writer, ind string, s *edi.Segment) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "%s%-5d @%-7d %s\n", ind, s.Pos, s.Offset, segmentText(s))
}

// segmentText shows a segment as written, with control-character
// delimiters (EDIFACT level B) shown as + : * and other control characters
// as ".".
func segmentText(s *edi.Segment) string {
	var b strings.Builder
	b.WriteString(s.Tag)
	d := s.Delims
	el := visible(d.Element, '*')
	if d.Element == 0 {
		el = '*'
	}
	for _, e := range s.Elements {
		b.WriteByte(el)
		for _, c := range e {
			switch {
			case c == d.Component && c < 0x20:
				b.WriteByte(':')
			case c == d.Repetition && c < 0x20 && c != 0:
				b.WriteByte('*')
			case c < 0x20 || c == 0x7f:
				b.WriteByte('.')
			default:
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

func visible(c, def byte) byte {
	if c < 0x20 || c == 0x7f {
		if c == 0x1D {
			return '+'
		}
		return def
	}
	return c
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// --- validate --------------------------------------------------------------

// ediIssueJSON is edi.Issue with its severity written as a word
// ("error", "warning") instead of a number.
type ediIssueJSON struct{ edi.Issue }

func (i ediIssueJSON) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(i.Issue)
	if err != nil {
		return nil, err
	}
	// edi.Issue writes its severity first.
	k := bytes.IndexByte(b, ',')
	if !bytes.HasPrefix(b, []byte(`{"severity":`)) || k < 0 {
		return b, nil
	}
	w, _ := json.Marshal(i.Severity.String())
	return append(append([]byte(`{"severity":`), w...), b[k:]...), nil
}

type ediValidateJSON struct {
	File         string         `json:"file"`
	Format       string         `json:"format"`
	Strict       bool           `json:"strict"`
	Valid        bool           `json:"valid"`
	Errors       int            `json:"errors"`
	Warnings     int            `json:"warnings"`
	Interchanges int            `json:"interchanges"`
	Groups       int            `json:"groups"`
	Transactions int            `json:"transactions"`
	Issues       []ediIssueJSON `json:"issues"`
}

func runEDIValidate(c *cli.Context) error {
	path, err := ediArgs(c, "validate")
	if err != nil {
		return err
	}
	output, err := ediOutput(c, "validate")
	if err != nil {
		return err
	}
	strict := c.Bool("strict")
	rep, err := readEDI(c, "validate", path, edi.ReportOptions{Strict: strict})
	if err != nil {
		return err
	}
	out := c.App.Writer
	name := displayName(path)
	if output == "json" {
		v := ediValidateJSON{
			File: name, Format: rep.Format.String(), Strict: strict, Valid: rep.Valid,
			Errors: rep.Errors, Warnings: rep.Warnings,
			Interchanges: rep.Interchanges, Groups: rep.Groups, Transactions: rep.Transactions,
			Issues: []ediIssueJSON{},
		}
		for _, is := range rep.Issues {
			v.Issues = append(v.Issues, ediIssueJSON{is})
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return exitf(ExitUsage, "edi validate: %v", err)
		}
	} else {
		for _, is := range rep.Issues {
			fmt.Fprintln(out, issueLine(name, is))
		}
		verdict := "valid"
		if !rep.Valid {
			verdict = "invalid"
		}
		mode := "tolerant"
		if strict {
			mode = "strict"
		}
		sets := "transaction set"
		if rep.Format == edi.FormatEDIFACT {
			sets = "message"
		}
		fmt.Fprintf(out, "%s: %s, %s: %s, %s (%s, %s, %s, %s)\n", name, verdict, mode,
			plural(rep.Errors, "error"), plural(rep.Warnings, "warning"),
			rep.Format, plural(rep.Interchanges, "interchange"), plural(rep.Groups, "group"), plural(rep.Transactions, sets))
	}
	if !rep.Valid {
		return silentExit(ExitFindings)
	}
	return nil
}

// issueLine formats one issue: where (segment position, byte offset,
// element), severity, message and code.
func issueLine(name string, is edi.Issue) string {
	var where []string
	if is.SegmentPos > 0 {
		where = append(where, "segment "+strconv.Itoa(is.SegmentPos))
	}
	where = append(where, "offset "+strconv.FormatInt(is.Offset, 10))
	loc := strings.Join(where, ", ")
	if is.Tag != "" {
		ref := is.Tag
		if is.Element > 0 {
			ref += fmt.Sprintf("%02d", is.Element)
			if is.Component > 0 {
				ref += fmt.Sprintf("-%02d", is.Component)
			}
		}
		loc += " (" + ref + ")"
	}
	return fmt.Sprintf("%s: %s: %s: %s [%s]", name, loc, is.Severity, is.Message, is.Code)
}

// --- ack -------------------------------------------------------------------

func runEDIAck(c *cli.Context) error {
	path, err := ediArgs(c, "ack")
	if err != nil {
		return err
	}
	if c.String("type") == "" {
		return exitf(ExitUsage, "edi ack: --type is required: 997, 999, TA1 or CONTRL")
	}
	typ, err := edi.ParseAckType(c.String("type"))
	if err != nil {
		return exitf(ExitUsage, "edi ack: %v", err)
	}
	now := time.Now()
	if ts := c.String("time"); ts != "" {
		if now, err = time.Parse(time.RFC3339, ts); err != nil {
			return exitf(ExitUsage, "edi ack: --time %q: want RFC 3339, e.g. 2024-05-01T14:30:00Z", ts)
		}
	}
	rep, err := readEDI(c, "ack", path, edi.ReportOptions{Strict: c.Bool("strict")})
	if err != nil {
		return err
	}
	ack, err := edi.Acknowledge(context.Background(), rep.Document, rep.Issues, typ, edi.AckOptions{
		Now:          func() time.Time { return now },
		FirstControl: c.Int64("control"),
		TA1:          c.Bool("ta1"),
		ErrorsOnly:   c.Bool("errors-only"),
	})
	if err != nil {
		return exitf(ExitUsage, "edi ack: %s: %v", displayName(path), err)
	}
	if err := edi.Render(c.App.Writer, ack, nil, edi.RenderOptions{Newline: c.Bool("newline")}); err != nil {
		return exitf(ExitUsage, "edi ack: %v", err)
	}
	if !c.Bool("newline") {
		fmt.Fprintln(c.App.Writer)
	}
	return nil
}

// --- render ----------------------------------------------------------------

func runEDIRender(c *cli.Context) error {
	path, err := ediArgs(c, "render")
	if err != nil {
		return err
	}
	var delims *edi.Delimiters
	if spec := c.String("delimiters"); spec != "" {
		d, err := parseDelimiters(spec)
		if err != nil {
			return exitf(ExitUsage, "edi render: --delimiters: %v", err)
		}
		delims = &d
	}
	r, done, err := openInput(c, path)
	if err != nil {
		return exitf(ExitUsage, "edi render: %v", err)
	}
	defer done()
	var doc *edi.Document
	if delims != nil {
		// The JSON form's values are checked against its own delimiters:
		// declare the new ones first, so values that only the new
		// delimiters can carry are accepted.
		doc, err = decodeWithDelimiters(r, *delims)
	} else {
		doc, err = edi.DecodeJSON(r)
	}
	if err != nil {
		return exitf(ExitUsage, "edi render: %s: %v", displayName(path), err)
	}
	var buf bytes.Buffer
	if err := edi.Render(&buf, doc, delims, edi.RenderOptions{Newline: c.Bool("newline")}); err != nil {
		return exitf(ExitUsage, "edi render: %s: %v", displayName(path), err)
	}
	if !c.Bool("newline") && buf.Len() > 0 && !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	_, err = c.App.Writer.Write(buf.Bytes())
	return err
}

// decodeWithDelimiters reads the JSON form with every interchange's
// delimiters replaced by d (the decimal mark is kept).
func decodeWithDelimiters(r io.Reader, d edi.Delimiters) (*edi.Document, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("edi: json: %w", err)
	}
	ics, _ := m["interchanges"].([]any)
	for _, x := range ics {
		ic, ok := x.(map[string]any)
		if !ok {
			continue
		}
		old, _ := ic["delimiters"].(map[string]any)
		nd := map[string]any{}
		set := func(name string, c byte) {
			if c != 0 {
				nd[name] = string(rune(c))
			}
		}
		set("segment", d.Segment)
		set("element", d.Element)
		set("component", d.Component)
		set("repetition", d.Repetition)
		set("release", d.Release)
		if dec, ok := old["decimal"]; ok {
			nd["decimal"] = dec
		}
		ic["delimiters"] = nd
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	doc := &edi.Document{}
	if err := doc.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return doc, nil
}

// parseDelimiters reads SEGMENT ELEMENT COMPONENT [REPETITION [RELEASE]]
// characters; a space leaves a position unset. \n and \t are accepted for
// line feed and tab.
func parseDelimiters(spec string) (edi.Delimiters, error) {
	spec = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\r`, "\r").Replace(spec)
	if len(spec) < 3 || len(spec) > 5 {
		return edi.Delimiters{}, fmt.Errorf("%q: want 3 to 5 characters: segment, element, component, [repetition, [release]]", spec)
	}
	at := func(i int) byte {
		if i >= len(spec) || spec[i] == ' ' {
			return 0
		}
		return spec[i]
	}
	d := edi.Delimiters{Segment: at(0), Element: at(1), Component: at(2), Repetition: at(3), Release: at(4)}
	seen := map[byte]bool{}
	for _, b := range []byte{d.Segment, d.Element, d.Component, d.Repetition, d.Release} {
		if b == 0 {
			continue
		}
		if seen[b] {
			return d, fmt.Errorf("%q: %q is used twice", spec, b)
		}
		seen[b] = true
	}
	if d.Segment == 0 || d.Element == 0 {
		return d, fmt.Errorf("%q: the segment terminator and element separator are required", spec)
	}
	return d, nil
}
