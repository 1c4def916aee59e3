package edi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// This file is the JSON form of a Document, documented field by field in
// docs/edi-json.md. It is lossless: Render(UnmarshalJSON(MarshalJSON(d)))
// writes the same segments, elements, components and repetitions as
// Render(d).
//
//	{"format": "x12",
//	 "interchanges": [{
//	   "delimiters": {"segment": "~", "element": "*", "component": ">", "repetition": "^"},
//	   "header": {"tag": "ISA", "pos": 1, "offset": 0, "elements": ["00", "          ", ...]},
//	   "groups": [{
//	     "header": {"tag": "GS", ...},
//	     "transactions": [{
//	       "header": {"tag": "ST", ...},
//	       "segments": [{"tag": "BSN", "pos": 4, "offset": 160, "elements": ["00", "SHIP1", ...]}],
//	       "trailer": {"tag": "SE", ...}}],
//	     "trailer": {"tag": "GE", ...}}],
//	   "trailer": {"tag": "IEA", ...}}]}
//
// An element is a string when it is simple, an array of strings when it
// has several components, and {"repetitions": [...]} (each repetition a
// string or an array) when it repeats.

// MarshalJSON returns the compact JSON form of d.
func (d *Document) MarshalJSON() ([]byte, error) {
	e := jsonEnc{}
	if err := e.document(d); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// EncodeJSON writes the JSON form of doc to w. With indent, envelopes are
// indented and every segment is on a line of its own.
func EncodeJSON(w io.Writer, doc *Document, indent bool) error {
	e := jsonEnc{indent: indent}
	if err := e.document(doc); err != nil {
		return err
	}
	e.buf = append(e.buf, '\n')
	_, err := w.Write(e.buf)
	return err
}

// UnmarshalJSON reads the JSON form into d, rebuilding every segment's raw
// bytes for its interchange's delimiters.
func (d *Document) UnmarshalJSON(b []byte) error {
	var in jsonDocIn
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("edi: json: %w", err)
	}
	doc, err := in.document()
	if err != nil {
		return fmt.Errorf("edi: json: %w", err)
	}
	*d = *doc
	return nil
}

// DecodeJSON reads a Document in its JSON form from r.
func DecodeJSON(r io.Reader) (*Document, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	doc := &Document{}
	if err := doc.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return doc, nil
}

// --- encoding -------------------------------------------------------------

type jsonEnc struct {
	buf    []byte
	indent bool
	depth  int
	latin1 bool // current interchange: strings are Latin-1 decoded bytes
}

func (e *jsonEnc) nl() {
	if !e.indent {
		return
	}
	e.buf = append(e.buf, '\n')
	for i := 0; i < e.depth; i++ {
		e.buf = append(e.buf, ' ', ' ')
	}
}

// key starts member name of an open object; first is updated.
func (e *jsonEnc) key(first *bool, name string) {
	if !*first {
		e.buf = append(e.buf, ',')
	}
	*first = false
	e.nl()
	e.buf = jsonAppendString(e.buf, name, false)
	e.buf = append(e.buf, ':')
	if e.indent {
		e.buf = append(e.buf, ' ')
	}
}

func (e *jsonEnc) open(c byte) {
	e.buf = append(e.buf, c)
	e.depth++
}

func (e *jsonEnc) close(c byte, empty bool) {
	e.depth--
	if !empty {
		e.nl()
	}
	e.buf = append(e.buf, c)
}

func (e *jsonEnc) str(s string) {
	e.buf = jsonAppendString(e.buf, s, e.latin1)
}

func (e *jsonEnc) document(d *Document) error {
	if d == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	first := true
	e.open('{')
	e.key(&first, "format")
	e.str(d.Format.String())
	e.key(&first, "interchanges")
	e.open('[')
	for i, ic := range d.Interchanges {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.nl()
		if err := e.interchange(ic); err != nil {
			return fmt.Errorf("edi: json: interchange %d: %w", i+1, err)
		}
	}
	e.close(']', len(d.Interchanges) == 0)
	e.close('}', false)
	return nil
}

func (e *jsonEnc) interchange(ic *Interchange) error {
	e.latin1 = !jsonInterchangeUTF8(ic)
	defer func() { e.latin1 = false }()
	first := true
	e.open('{')
	e.key(&first, "delimiters")
	if err := e.delims(ic); err != nil {
		return err
	}
	if ic.UNA {
		e.key(&first, "una")
		e.buf = append(e.buf, "true"...)
	}
	if e.latin1 {
		e.key(&first, "encoding")
		e.buf = append(e.buf, `"latin1"`...)
	}
	e.key(&first, "header")
	e.segment(ic.Header)
	if len(ic.TA1) > 0 {
		e.key(&first, "ta1")
		e.segments(ic.TA1)
	}
	if len(ic.Other) > 0 {
		e.key(&first, "other")
		e.segments(ic.Other)
	}
	if len(ic.Groups) > 0 {
		e.key(&first, "groups")
		e.open('[')
		for i, g := range ic.Groups {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.nl()
			if err := e.group(g); err != nil {
				return fmt.Errorf("group %d: %w", i+1, err)
			}
		}
		e.close(']', false)
	}
	if len(ic.Messages) > 0 {
		e.key(&first, "messages")
		if err := e.transactions(ic.Messages); err != nil {
			return err
		}
	}
	e.key(&first, "trailer")
	e.segment(ic.Trailer)
	e.close('}', false)
	return nil
}

func (e *jsonEnc) delims(ic *Interchange) error {
	d := ic.Delims
	seg := jsonDelim(d.Segment)
	if ic.Terminator != "" {
		if r, n := utf8.DecodeRuneInString(ic.Terminator); r == utf8.RuneError || n != len(ic.Terminator) || r < 0x100 {
			return fmt.Errorf("segment terminator %q is not one multi-byte UTF-8 character", ic.Terminator)
		}
		seg = ic.Terminator
	}
	e.buf = append(e.buf, '{')
	first := true
	for _, p := range []struct {
		name string
		v    string
		keep bool
	}{
		{"segment", seg, true},
		{"element", jsonDelim(d.Element), true},
		{"component", jsonDelim(d.Component), true},
		{"repetition", jsonDelim(d.Repetition), true},
		{"release", jsonDelim(d.Release), d.Release != 0},
		{"decimal", jsonDelim(d.Decimal), d.Decimal != 0},
	} {
		if !p.keep {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
			if e.indent {
				e.buf = append(e.buf, ' ')
			}
		}
		first = false
		e.buf = jsonAppendString(e.buf, p.name, false)
		e.buf = append(e.buf, ':')
		if e.indent {
			e.buf = append(e.buf, ' ')
		}
		e.buf = jsonAppendString(e.buf, p.v, false)
	}
	e.buf = append(e.buf, '}')
	return nil
}

// jsonDelim is a delimiter byte as a one-character string whose code point
// is the byte value ("" for none).
func jsonDelim(c byte) string {
	if c == 0 {
		return ""
	}
	return string(rune(c))
}

func (e *jsonEnc) group(g *Group) error {
	first := true
	e.open('{')
	e.key(&first, "header")
	e.segment(g.Header)
	e.key(&first, "transactions")
	if err := e.transactions(g.Transactions); err != nil {
		return err
	}
	if len(g.Other) > 0 {
		e.key(&first, "other")
		e.segments(g.Other)
	}
	e.key(&first, "trailer")
	e.segment(g.Trailer)
	e.close('}', false)
	return nil
}

func (e *jsonEnc) transactions(ts []*Transaction) error {
	e.open('[')
	for i, t := range ts {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.nl()
		if err := e.transaction(t); err != nil {
			return fmt.Errorf("transaction %d: %w", i+1, err)
		}
	}
	e.close(']', len(ts) == 0)
	return nil
}

func (e *jsonEnc) transaction(t *Transaction) error {
	first := true
	e.open('{')
	e.key(&first, "header")
	e.segment(t.Header)
	e.key(&first, "segments")
	e.segments(t.Segments)
	e.key(&first, "trailer")
	e.segment(t.Trailer)
	if t.Loops != nil {
		idx := make(map[*Segment]int, len(t.Segments)+2)
		for i, s := range t.AllSegments() {
			idx[s] = i + 1
		}
		e.key(&first, "loops")
		var err error
		if e.buf, err = jsonAppendLoop(e.buf, t.Loops, idx); err != nil {
			return err
		}
	}
	e.close('}', false)
	return nil
}

func jsonAppendLoop(b []byte, l *Loop, idx map[*Segment]int) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = jsonAppendString(b, l.ID, false)
	b = append(b, `,"segments":[`...)
	for i, s := range l.Segments {
		n, ok := idx[s]
		if !ok {
			return b, fmt.Errorf("loop %s: segment %s is not part of the transaction", l.ID, s.Tag)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	b = append(b, ']')
	if len(l.Children) > 0 {
		b = append(b, `,"children":[`...)
		for i, c := range l.Children {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = jsonAppendLoop(b, c, idx); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func (e *jsonEnc) segments(ss []*Segment) {
	e.open('[')
	for i, s := range ss {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.nl()
		e.segment(s)
	}
	e.close(']', len(ss) == 0)
}

// segment writes one segment on one line.
func (e *jsonEnc) segment(s *Segment) {
	if s == nil {
		e.buf = append(e.buf, "null"...)
		return
	}
	sp := e.indent
	e.buf = append(e.buf, `{"tag":`...)
	if sp {
		e.buf = append(e.buf, ' ')
	}
	e.str(s.Tag)
	if s.Pos > 0 {
		e.sep(sp, "pos")
		e.buf = strconv.AppendInt(e.buf, int64(s.Pos), 10)
		e.sep(sp, "offset")
		e.buf = strconv.AppendInt(e.buf, s.Offset, 10)
	}
	e.sep(sp, "elements")
	e.buf = append(e.buf, '[')
	for i := 1; i <= s.Len(); i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
			if sp {
				e.buf = append(e.buf, ' ')
			}
		}
		e.element(s.Repetitions(i), sp)
	}
	e.buf = append(e.buf, "]}"...)
}

func (e *jsonEnc) sep(sp bool, name string) {
	if sp {
		e.buf = append(e.buf, ", \""...)
		e.buf = append(e.buf, name...)
		e.buf = append(e.buf, "\": "...)
		return
	}
	e.buf = append(e.buf, ",\""...)
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, "\":"...)
}

func (e *jsonEnc) element(reps [][]string, sp bool) {
	if len(reps) == 1 {
		e.repetition(reps[0], sp)
		return
	}
	e.buf = append(e.buf, `{"repetitions":`...)
	if sp {
		e.buf = append(e.buf, ' ')
	}
	e.buf = append(e.buf, '[')
	for i, r := range reps {
		if i > 0 {
			e.buf = append(e.buf, ',')
			if sp {
				e.buf = append(e.buf, ' ')
			}
		}
		e.repetition(r, sp)
	}
	e.buf = append(e.buf, "]}"...)
}

func (e *jsonEnc) repetition(comps []string, sp bool) {
	if len(comps) == 1 {
		e.str(comps[0])
		return
	}
	e.buf = append(e.buf, '[')
	for i, c := range comps {
		if i > 0 {
			e.buf = append(e.buf, ',')
			if sp {
				e.buf = append(e.buf, ' ')
			}
		}
		e.str(c)
	}
	e.buf = append(e.buf, ']')
}

// jsonInterchangeUTF8 reports whether every tag and raw element of ic is
// valid UTF-8 (then so are the unescaped values).
func jsonInterchangeUTF8(ic *Interchange) bool {
	ok := true
	check := func(s *Segment) {
		if !ok || s == nil {
			return
		}
		if !utf8.ValidString(s.Tag) {
			ok = false
			return
		}
		for _, el := range s.Elements {
			if !utf8.Valid(el) {
				ok = false
				return
			}
		}
	}
	checkTx := func(t *Transaction) {
		check(t.Header)
		for _, s := range t.Segments {
			check(s)
		}
		check(t.Trailer)
	}
	check(ic.Header)
	check(ic.Trailer)
	for _, s := range ic.TA1 {
		check(s)
	}
	for _, s := range ic.Other {
		check(s)
	}
	for _, g := range ic.Groups {
		check(g.Header)
		check(g.Trailer)
		for _, s := range g.Other {
			check(s)
		}
		for _, t := range g.Transactions {
			checkTx(t)
		}
	}
	for _, t := range ic.Messages {
		checkTx(t)
	}
	return ok
}

// jsonAppendString appends s as a JSON string. With latin1, every byte of
// s becomes the code point of the same value (ISO 8859-1 decoding);
// otherwise s must be valid UTF-8. '<', '>' and '&' are not escaped.
func jsonAppendString(b []byte, s string, latin1 bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			if latin1 {
				b = utf8.AppendRune(b, rune(c))
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == '\u2028' || r == '\u2029' {
				b = append(b, `\u202`...)
				b = append(b, hex[r&0xF])
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}

// --- decoding -------------------------------------------------------------

type jsonDocIn struct {
	Format       string      `json:"format"`
	Interchanges []*jsonICIn `json:"interchanges"`
}

type jsonICIn struct {
	Delimiters jsonDelimsIn   `json:"delimiters"`
	UNA        bool           `json:"una"`
	Encoding   string         `json:"encoding"`
	Header     *jsonSegIn     `json:"header"`
	TA1        []*jsonSegIn   `json:"ta1"`
	Other      []*jsonSegIn   `json:"other"`
	Groups     []*jsonGroupIn `json:"groups"`
	Messages   []*jsonTxIn    `json:"messages"`
	Trailer    *jsonSegIn     `json:"trailer"`
}

type jsonDelimsIn struct {
	Segment    string `json:"segment"`
	Element    string `json:"element"`
	Component  string `json:"component"`
	Repetition string `json:"repetition"`
	Release    string `json:"release"`
	Decimal    string `json:"decimal"`
}

type jsonGroupIn struct {
	Header       *jsonSegIn   `json:"header"`
	Transactions []*jsonTxIn  `json:"transactions"`
	Other        []*jsonSegIn `json:"other"`
	Trailer      *jsonSegIn   `json:"trailer"`
}

type jsonTxIn struct {
	Header   *jsonSegIn   `json:"header"`
	Segments []*jsonSegIn `json:"segments"`
	Trailer  *jsonSegIn   `json:"trailer"`
	Loops    *jsonLoopIn  `json:"loops"`
}

type jsonLoopIn struct {
	ID       string        `json:"id"`
	Segments []int         `json:"segments"`
	Children []*jsonLoopIn `json:"children"`
}

type jsonSegIn struct {
	Tag      string       `json:"tag"`
	Pos      int          `json:"pos"`
	Offset   int64        `json:"offset"`
	Elements []jsonElemIn `json:"elements"`
}

// jsonElemIn is one element: a string, an array of component strings, or
// {"repetitions": [...]}.
type jsonElemIn [][]string

func (e *jsonElemIn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var obj struct {
			Repetitions []json.RawMessage `json:"repetitions"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		if len(obj.Repetitions) == 0 {
			return fmt.Errorf("element object needs a non-empty \"repetitions\" array")
		}
		out := make([][]string, len(obj.Repetitions))
		for i, r := range obj.Repetitions {
			comps, err := jsonComponents(r)
			if err != nil {
				return fmt.Errorf("repetition %d: %w", i+1, err)
			}
			out[i] = comps
		}
		*e = out
		return nil
	}
	comps, err := jsonComponents(b)
	if err != nil {
		return err
	}
	*e = [][]string{comps}
	return nil
}

// jsonComponents reads a string or an array of strings.
func jsonComponents(b []byte) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var comps []string
		if err := json.Unmarshal(b, &comps); err != nil {
			return nil, fmt.Errorf("components must be strings: %w", err)
		}
		if len(comps) == 0 {
			return nil, fmt.Errorf("empty component array")
		}
		return comps, nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("element must be a string, an array of strings or {\"repetitions\": [...]}")
	}
	return []string{s}, nil
}

func (in *jsonDocIn) document() (*Document, error) {
	doc := &Document{}
	switch in.Format {
	case "x12":
		doc.Format = FormatX12
	case "edifact":
		doc.Format = FormatEDIFACT
	case "unknown", "":
		doc.Format = FormatUnknown
	default:
		return nil, fmt.Errorf("format %q: want \"x12\" or \"edifact\"", in.Format)
	}
	for i, ji := range in.Interchanges {
		if ji == nil {
			return nil, fmt.Errorf("interchange %d is null", i+1)
		}
		ic, err := ji.interchange()
		if err != nil {
			return nil, fmt.Errorf("interchange %d: %w", i+1, err)
		}
		doc.Interchanges = append(doc.Interchanges, ic)
	}
	return doc, nil
}

// jsonDecodeDelim reads a delimiter string: "" (none) or one character
// U+0000..U+00FF standing for that byte.
func jsonDecodeDelim(name, s string) (byte, error) {
	if s == "" {
		return 0, nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) || r == utf8.RuneError || r > 0xFF || r == 0 {
		return 0, fmt.Errorf("delimiters.%s %q: want one character U+0001..U+00FF", name, s)
	}
	return byte(r), nil
}

func (ji *jsonICIn) interchange() (*Interchange, error) {
	ic := &Interchange{UNA: ji.UNA}
	jd := ji.Delimiters
	var err error
	d := &ic.Delims
	if r, n := utf8.DecodeRuneInString(jd.Segment); n == len(jd.Segment) && r > 0xFF && r != utf8.RuneError {
		d.Segment = jd.Segment[0]
		ic.Terminator = jd.Segment
	} else if d.Segment, err = jsonDecodeDelim("segment", jd.Segment); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name string
		s    string
		dst  *byte
	}{
		{"element", jd.Element, &d.Element},
		{"component", jd.Component, &d.Component},
		{"repetition", jd.Repetition, &d.Repetition},
		{"release", jd.Release, &d.Release},
		{"decimal", jd.Decimal, &d.Decimal},
	} {
		if *p.dst, err = jsonDecodeDelim(p.name, p.s); err != nil {
			return nil, err
		}
	}
	var latin1 bool
	switch ji.Encoding {
	case "", "utf-8", "utf8":
	case "latin1":
		latin1 = true
	default:
		return nil, fmt.Errorf("encoding %q: want \"latin1\" or none", ji.Encoding)
	}
	conv := jsonSegConv{d: ic.Delims, latin1: latin1, term: ic.Terminator}
	if ic.Header, err = conv.segment(ji.Header, "header"); err != nil {
		return nil, err
	}
	if ic.TA1, err = conv.segments(ji.TA1, "ta1"); err != nil {
		return nil, err
	}
	if ic.Other, err = conv.segments(ji.Other, "other"); err != nil {
		return nil, err
	}
	for i, jg := range ji.Groups {
		if jg == nil {
			return nil, fmt.Errorf("group %d is null", i+1)
		}
		g := &Group{}
		if g.Header, err = conv.segment(jg.Header, "header"); err != nil {
			return nil, fmt.Errorf("group %d: %w", i+1, err)
		}
		if g.Transactions, err = conv.transactions(jg.Transactions); err != nil {
			return nil, fmt.Errorf("group %d: %w", i+1, err)
		}
		if g.Other, err = conv.segments(jg.Other, "other"); err != nil {
			return nil, fmt.Errorf("group %d: %w", i+1, err)
		}
		if g.Trailer, err = conv.segment(jg.Trailer, "trailer"); err != nil {
			return nil, fmt.Errorf("group %d: %w", i+1, err)
		}
		ic.Groups = append(ic.Groups, g)
	}
	if ic.Messages, err = conv.transactions(ji.Messages); err != nil {
		return nil, err
	}
	if ic.Trailer, err = conv.segment(ji.Trailer, "trailer"); err != nil {
		return nil, err
	}
	return ic, nil
}

type jsonSegConv struct {
	d      Delimiters
	latin1 bool
	term   string // multi-byte segment terminator, if any
}

func (c jsonSegConv) transactions(in []*jsonTxIn) ([]*Transaction, error) {
	var out []*Transaction
	for i, jt := range in {
		if jt == nil {
			return nil, fmt.Errorf("transaction %d is null", i+1)
		}
		t := &Transaction{}
		var err error
		if t.Header, err = c.segment(jt.Header, "header"); err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i+1, err)
		}
		if t.Header == nil {
			return nil, fmt.Errorf("transaction %d: header is required", i+1)
		}
		if t.Segments, err = c.segments(jt.Segments, "segments"); err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i+1, err)
		}
		if t.Trailer, err = c.segment(jt.Trailer, "trailer"); err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i+1, err)
		}
		if jt.Loops != nil {
			all := t.AllSegments()
			if t.Loops, err = jsonLoop(jt.Loops, all); err != nil {
				return nil, fmt.Errorf("transaction %d: %w", i+1, err)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func jsonLoop(in *jsonLoopIn, all []*Segment) (*Loop, error) {
	l := &Loop{ID: in.ID}
	for _, n := range in.Segments {
		if n < 1 || n > len(all) {
			return nil, fmt.Errorf("loop %s: segment %d is outside the transaction (1..%d)", in.ID, n, len(all))
		}
		l.Segments = append(l.Segments, all[n-1])
	}
	for _, c := range in.Children {
		if c == nil {
			continue
		}
		cl, err := jsonLoop(c, all)
		if err != nil {
			return nil, err
		}
		l.Children = append(l.Children, cl)
	}
	return l, nil
}

func (c jsonSegConv) segments(in []*jsonSegIn, what string) ([]*Segment, error) {
	var out []*Segment
	for i, js := range in {
		if js == nil {
			return nil, fmt.Errorf("%s[%d] is null", what, i)
		}
		s, err := c.segment(js, what)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", what, i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (c jsonSegConv) segment(js *jsonSegIn, what string) (*Segment, error) {
	if js == nil {
		return nil, nil
	}
	tag := js.Tag
	if c.latin1 {
		var err error
		if tag, err = jsonFromLatin1(tag); err != nil {
			return nil, err
		}
	}
	if tag == "" {
		return nil, fmt.Errorf("%s: segment without tag", what)
	}
	elems := make([][][]string, len(js.Elements))
	for i, e := range js.Elements {
		reps := [][]string(e)
		if c.latin1 {
			conv := make([][]string, len(reps))
			for r, rep := range reps {
				conv[r] = make([]string, len(rep))
				for k, v := range rep {
					var err error
					if conv[r][k], err = jsonFromLatin1(v); err != nil {
						return nil, fmt.Errorf("%s%02d: %w", tag, i+1, err)
					}
				}
			}
			reps = conv
		}
		elems[i] = reps
	}
	s, err := modelBuildSegment(c.d, c.term, tag, elems)
	if err != nil {
		if js.Pos > 0 {
			return nil, fmt.Errorf("segment %d: %w", js.Pos, err)
		}
		return nil, err
	}
	s.Pos, s.Offset = js.Pos, js.Offset
	return s, nil
}

// jsonFromLatin1 turns a string of code points U+0000..U+00FF back into
// the bytes they stand for.
func jsonFromLatin1(s string) (string, error) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return "", fmt.Errorf("encoding latin1: character %q is outside U+0000..U+00FF", r)
		}
		b = append(b, byte(r))
	}
	return string(b), nil
}
