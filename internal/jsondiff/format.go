package jsondiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultWidth is the number of runes past which Format truncates a value.
const DefaultWidth = 60

// alignCap bounds the path width that Format pads to, so that one very long
// path does not push every value to the right.
const alignCap = 40

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// Format renders changes for people, one per line, each ending in "\n":
//
//	~ $.customer:  "ACME" → "ACME B.V."
//	+ $.lines[3]:  {"qty":1,"sku":"X"}
//	- $.note:      "fragile"
//
// Values are compact JSON (object keys sorted); the values start in one
// column (paths longer than 40 runes excepted). A value longer than
// DefaultWidth runes is truncated with "…"; when both sides of a change are
// long and alike, both are cut around their first difference so that it
// shows. With color, lines are green (+), red (-) and yellow (~). Control
// characters are always escaped, so the text is safe to print. Format
// returns "" for no changes.
func Format(changes []Change, color bool) string {
	return FormatWidth(changes, color, DefaultWidth)
}

// FormatWidth is Format with values truncated past width runes (at least
// 1; 0 or less means DefaultWidth).
func FormatWidth(changes []Change, color bool, width int) string {
	if width <= 0 {
		width = DefaultWidth
	}
	paths := make([]string, len(changes))
	pad := 0
	for i, c := range changes {
		paths[i] = escapeControls(c.Path)
		if n := utf8.RuneCountInString(paths[i]); n <= alignCap {
			pad = max(pad, n)
		}
	}
	var sb strings.Builder
	for i, c := range changes {
		marker, col := "?", ""
		switch c.Kind {
		case Added:
			marker, col = "+", ansiGreen
		case Removed:
			marker, col = "-", ansiRed
		case Changed:
			marker, col = "~", ansiYellow
		}
		if color && col != "" {
			sb.WriteString(col)
		}
		sb.WriteString(marker)
		sb.WriteByte(' ')
		sb.WriteString(paths[i])
		sb.WriteByte(':')
		for n := utf8.RuneCountInString(paths[i]); n < pad; n++ {
			sb.WriteByte(' ')
		}
		sb.WriteByte(' ')
		switch c.Kind {
		case Added:
			sb.WriteString(truncate([]rune(render(c.New)), width))
		case Removed:
			sb.WriteString(truncate([]rune(render(c.Old)), width))
		default:
			o, n := renderPair(render(c.Old), render(c.New), width)
			sb.WriteString(o)
			sb.WriteString(" → ")
			sb.WriteString(n)
		}
		if color && col != "" {
			sb.WriteString(ansiReset)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// render writes v as compact JSON without HTML escaping, or with %v when it
// cannot be marshalled, with control characters escaped.
func render(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return escapeControls(fmt.Sprintf("%v", v))
	}
	// Inside JSON strings, only C0 controls are escaped: escape DEL, C1
	// and the line separators too (they can only occur inside strings, so
	// the result is still JSON).
	return escapeControls(strings.TrimSuffix(buf.String(), "\n"))
}

// escapeControls replaces control characters with \uXXXX and invalid UTF-8
// with U+FFFD.
func escapeControls(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	p := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			p = append(p, "\ufffd"...)
		case needsEscape(r):
			p = appendUEscape(p, r)
		default:
			p = utf8.AppendRune(p, r)
		}
	}
	return string(p)
}

// truncate returns r, or its first width-1 runes and "…" when it is longer
// than width runes.
func truncate(r []rune, width int) string {
	if len(r) <= width {
		return string(r)
	}
	return string(r[:max(width-1, 0)]) + "…"
}

// renderPair truncates the two sides of a change. When the first difference
// would be cut off, both sides are first cut at the front, keeping width/4
// runes of common context before the difference.
func renderPair(o, n string, width int) (string, string) {
	ro, rn := []rune(o), []rune(n)
	if len(ro) <= width && len(rn) <= width {
		return o, n
	}
	p := 0
	for p < len(ro) && p < len(rn) && ro[p] == rn[p] {
		p++
	}
	ctx := width / 4
	if p > width-1-ctx {
		cut := p - ctx
		ro = append([]rune{'…'}, ro[cut:]...)
		rn = append([]rune{'…'}, rn[cut:]...)
	}
	return truncate(ro, width), truncate(rn, width)
}
