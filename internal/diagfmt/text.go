package diagfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apparentlymart/go-textseg/v15/textseg"
	"github.com/hashicorp/hcl/v2"
	"golang.org/x/text/width"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"

	defaultWidth = 80
	tabWidth     = 4 // tabs in snippets are expanded so the marker lines up
	maxSubject   = 3 // subject lines shown per snippet
)

// Text writes diags in a Terraform-like layout: severity and summary, the
// source snippet with a marker under the subject, then the wrapped detail,
// and finally a count such as "2 errors, 1 warning".
func Text(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte, opts Options) error {
	bw := bufio.NewWriter(w)
	width := opts.Width
	if width <= 0 {
		width = defaultWidth
	}
	var errs, warns int
	for _, d := range diags {
		if d == nil {
			continue
		}
		if isWarning(d) {
			warns++
		} else {
			errs++
		}
		writeTextDiag(bw, d, sources, width, opts.Color)
	}
	if errs+warns > 0 {
		bw.WriteString(countLine(errs, warns) + "\n")
	}
	return bw.Flush()
}

func countLine(errs, warns int) string {
	var parts []string
	if errs > 0 {
		parts = append(parts, plural(errs, "error"))
	}
	if warns > 0 {
		parts = append(parts, plural(warns, "warning"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func writeTextDiag(w *bufio.Writer, d *hcl.Diagnostic, sources map[string][]byte, width int, color bool) {
	label, colour := "Error", ansiRed
	if isWarning(d) {
		label, colour = "Warning", ansiYellow
	}
	paint := func(code, s string) string {
		if !color || s == "" {
			return s
		}
		return code + s + ansiReset
	}
	fmt.Fprintf(w, "%s %s\n\n", paint(colour, label+":"), paint(ansiBold, sanitize(d.Summary)))

	if d.Subject != nil {
		r := *d.Subject
		file := r.Filename
		if file == "" {
			file = "<unknown>"
		}
		fmt.Fprintf(w, "  on %s line %d:\n", sanitize(file), r.Start.Line)
		if snip := snippet(sources[r.Filename], r); snip != nil {
			for i, l := range snip.lines {
				// Trimmed so that an empty source line leaves no trailing blank.
				w.WriteString(strings.TrimRight(fmt.Sprintf("  %*d: %s", snip.numWidth, l.num, l.text), " ") + "\n")
				if i == snip.markerAfter {
					fmt.Fprintf(w, "  %s  %s%s\n", strings.Repeat(" ", snip.numWidth),
						strings.Repeat(" ", snip.markerCol), paint(colour, snip.marker))
				}
			}
		}
		w.WriteString("\n")
	}

	if d.Detail != "" {
		w.WriteString(wrap(sanitize(d.Detail), width))
		w.WriteString("\n\n")
	}
}

type snippetLine struct {
	num  int
	text string // display form: tabs expanded, control characters replaced
}

type snippetView struct {
	lines       []snippetLine
	numWidth    int    // width of the widest line number
	markerAfter int    // index in lines of the subject's start line
	markerCol   int    // display cells before the marker
	marker      string // "^~~…"
}

// snippet cuts the subject's lines (at most maxSubject, plus one line of
// context before) out of src. It returns nil when src does not reach the
// subject, so that a stale or missing source never breaks rendering.
func snippet(src []byte, r hcl.Range) *snippetView {
	if src == nil || r.Start.Line < 1 {
		return nil
	}
	lines := splitLines(src)
	if r.Start.Line > len(lines) {
		return nil
	}
	last := r.End.Line
	// A range that ends at column 1 of a later line covers only the newline
	// of the line before it (HCL reports "unclosed" errors this way).
	if last > r.Start.Line && r.End.Column <= 1 {
		last--
	}
	last = min(max(last, r.Start.Line), r.Start.Line+maxSubject-1, len(lines))
	first := max(r.Start.Line-1, 1)

	v := &snippetView{numWidth: len(fmt.Sprint(last))}
	for n := first; n <= last; n++ {
		text, _ := layout(lines[n-1])
		v.lines = append(v.lines, snippetLine{num: n, text: text})
	}
	v.markerAfter = r.Start.Line - first

	// Marker: from the start column to the end column when the range ends on
	// the same line, else to the end of the line; never less than one cell.
	_, cells := layout(lines[r.Start.Line-1])
	startCell := cellAt(cells, r.Start.Column)
	endCell := cells[len(cells)-1]
	if r.End.Line == r.Start.Line {
		endCell = cellAt(cells, r.End.Column)
	}
	n := max(endCell-startCell, 1)
	v.markerCol = startCell
	v.marker = "^" + strings.Repeat("~", n-1)
	return v
}

// splitLines splits src at "\n", dropping a "\r" before it. A final line
// without newline counts; the empty string after a final newline does too,
// since HCL positions can point at it (end of file).
func splitLines(src []byte) [][]byte {
	lines := bytes.Split(src, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}

// layout renders line for the terminal and returns, for each character
// (grapheme cluster, which is what hcl.Pos.Column counts), the display cell
// at which it starts; the final entry is the width of the whole line.
// Tabs are expanded to tabWidth stops, wide (East Asian) characters take two
// cells and control characters are replaced so a hostile file cannot send
// escape sequences to the terminal.
func layout(line []byte) (string, []int) {
	var b strings.Builder
	cells := []int{0}
	col := 0
	for len(line) > 0 {
		adv, cluster, err := textseg.ScanGraphemeClusters(line, true)
		if err != nil || adv <= 0 {
			// Not expected for valid or invalid UTF-8, but never loop forever.
			adv, cluster = 1, line[:1]
		}
		line = line[adv:]
		r, _ := utf8.DecodeRune(cluster)
		switch {
		case r == '\t':
			n := tabWidth - col%tabWidth
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case r == utf8.RuneError || unicode.IsControl(r):
			b.WriteRune(utf8.RuneError)
			col++
		default:
			b.WriteString(sanitize(string(cluster)))
			col += runeWidth(r)
		}
		cells = append(cells, col)
	}
	return b.String(), cells
}

// cellAt converts a 1-based column to a display cell. The column just past
// the last character (HCL's "end of line") is the line's width; anything
// further is clamped to one cell beyond, so a bogus column cannot ask for a
// marker of millions of cells.
func cellAt(cells []int, column int) int {
	switch {
	case column < 1:
		return 0
	case column-1 < len(cells):
		return cells[column-1]
	}
	return cells[len(cells)-1] + 1
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// sanitize replaces control characters other than newline and tab, so that
// summaries, details and file names cannot carry terminal escapes.
func sanitize(s string) string {
	if strings.IndexFunc(s, isBadControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBadControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

func isBadControl(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }

// wrap word-wraps each line of s to width columns. Lines that start with
// whitespace are taken as preformatted (examples, lists) and kept as they
// are; a word longer than width gets a line of its own.
func wrap(s string, width int) string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			out = append(out, strings.TrimRight(line, " \t"))
			continue
		}
		cur, curLen := "", 0
		for _, word := range strings.Fields(line) {
			wl := utf8.RuneCountInString(word)
			if curLen > 0 && curLen+1+wl > width {
				out = append(out, cur)
				cur, curLen = "", 0
			}
			if curLen > 0 {
				cur += " "
				curLen++
			}
			cur += word
			curLen += wl
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}
