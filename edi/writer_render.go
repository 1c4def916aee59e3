package edi

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// This file renders a Document back to EDI bytes.

// RenderOptions configures Render.
type RenderOptions struct {
	// Newline writes a line feed after every segment terminator (unless
	// the terminator is itself a line feed).
	Newline bool
}

// Render writes doc as EDI. d selects the delimiters of every interchange;
// nil keeps each interchange's own. Values are escaped for the delimiters
// in use: EDIFACT values containing a delimiter get the release character;
// an X12 value containing a delimiter is an error (X12 has no escape).
// ISA fields are padded to their fixed widths (ISA13 with leading zeros)
// and ISA11 / ISA16 follow the repetition and component separators. An
// EDIFACT interchange gets a UNA when it had one or when its delimiters
// are not the defaults of its syntax identifier. Segments are written in
// input order (by position; see Interchange) with their elements,
// components and repetitions as parsed.
func Render(w io.Writer, doc *Document, d *Delimiters, opts RenderOptions) error {
	if doc == nil {
		return nil
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	r := &renderer{w: bw, opts: opts}
	for i, ic := range doc.Interchanges {
		if err := r.interchange(ic, d, icFormat(ic, doc.Format)); err != nil {
			return fmt.Errorf("edi: render: interchange %d: %w", i+1, err)
		}
	}
	return bw.Flush()
}

type renderer struct {
	w    *bufio.Writer
	opts RenderOptions
	buf  []byte

	d       Delimiters // of the current interchange
	term    string     // segment terminator
	edifact bool
	src     Delimiters // the interchange's own delimiters (for ISA11)
}

// begin sets up the delimiters for one interchange.
func (r *renderer) begin(own Delimiters, ownTerm string, d *Delimiters, f Format) error {
	r.edifact = f == FormatEDIFACT
	r.src = own
	r.d, r.term = own, ownTerm
	if d != nil {
		r.d, r.term = *d, ""
	}
	if r.term == "" {
		r.term = string([]byte{r.d.Segment})
	}
	return modelCheckDelims(r.d, r.edifact)
}

func (r *renderer) interchange(ic *Interchange, d *Delimiters, f Format) error {
	if ic == nil {
		return nil
	}
	if err := r.begin(ic.Delims, ic.Terminator, d, f); err != nil {
		return err
	}
	if r.edifact && (ic.Header == nil || ic.Header.Tag == "UNB") {
		first := ic.Header
		if first == nil {
			first = interchangeFirstSegment(ic)
		}
		if first != nil && (ic.UNA || !renderDefaultUNA(first, r.d)) {
			if err := r.una(); err != nil {
				return err
			}
		}
	}
	if err := r.segment(ic.Header); err != nil {
		return err
	}
	for _, it := range interchangeItems(ic) {
		var err error
		switch {
		case it.group != nil:
			err = r.group(it.group)
		case it.tx != nil:
			err = r.transaction(it.tx)
		default:
			err = r.segment(it.seg)
		}
		if err != nil {
			return err
		}
	}
	return r.segment(ic.Trailer)
}

func (r *renderer) group(g *Group) error {
	if err := r.segment(g.Header); err != nil {
		return err
	}
	for _, it := range groupItems(g) {
		var err error
		if it.tx != nil {
			err = r.transaction(it.tx)
		} else {
			err = r.segment(it.seg)
		}
		if err != nil {
			return err
		}
	}
	return r.segment(g.Trailer)
}

func (r *renderer) transaction(t *Transaction) error {
	if err := r.segment(t.Header); err != nil {
		return err
	}
	for _, s := range t.Segments {
		if err := r.segment(s); err != nil {
			return err
		}
	}
	return r.segment(t.Trailer)
}

// renderDefaultUNA reports whether d are the delimiters a reader assumes
// for this UNB (or, in an interchange without UNB, first segment) without
// a UNA.
func renderDefaultUNA(unb *Segment, d Delimiters) bool {
	probe := *unb
	probe.Delims = d
	def := defaultEDIFACTDelims(&probe)
	if d.Decimal == 0 {
		d.Decimal = def.Decimal
	}
	return modelSameDelims(def, d) && def.Decimal == d.Decimal
}

// una writes the service string advice for the current delimiters.
func (r *renderer) una() error {
	d := r.d
	if d.Component == 0 {
		return fmt.Errorf("UNA needs a component separator")
	}
	orSpace := func(c byte) byte {
		if c == 0 {
			return ' '
		}
		return c
	}
	dec := d.Decimal
	if dec == 0 {
		dec = '.'
	}
	r.w.Write([]byte{'U', 'N', 'A', d.Component, d.Element, dec, orSpace(d.Release), orSpace(d.Repetition)})
	r.w.WriteString(r.term)
	if r.opts.Newline && !strings.HasSuffix(r.term, "\n") {
		r.w.WriteByte('\n')
	}
	return nil
}

// segment writes one segment (nil is skipped).
func (r *renderer) segment(s *Segment) error {
	if s == nil {
		return nil
	}
	b := r.buf[:0]
	var err error
	if b, err = r.appendSegment(b, s); err != nil {
		if s.Pos > 0 {
			return fmt.Errorf("segment %d (%s): %w", s.Pos, s.Tag, err)
		}
		return fmt.Errorf("segment %s: %w", s.Tag, err)
	}
	b = append(b, r.term...)
	if r.opts.Newline && !strings.HasSuffix(r.term, "\n") {
		b = append(b, '\n')
	}
	r.buf = b
	_, err = r.w.Write(b)
	return err
}

func (r *renderer) appendSegment(b []byte, s *Segment) ([]byte, error) {
	if s.Tag == "" || modelNeedsEscape(s.Tag, r.d) {
		return b, fmt.Errorf("bad segment tag %q", s.Tag)
	}
	if s.Tag == "ISA" && !r.edifact {
		return r.appendISA(b, s)
	}
	if r.edifact && strings.HasPrefix(s.Tag, "UNA") {
		return b, fmt.Errorf("segment tag %q would read as a UNA service string advice", s.Tag)
	}
	b = append(b, s.Tag...)
	if s.Delims == (Delimiters{}) || modelSameDelims(s.Delims, r.d) {
		// Raw bytes are already escaped for these delimiters.
		for _, e := range s.Elements {
			b = append(b, r.d.Element)
			b = append(b, e...)
		}
		return b, nil
	}
	ed := modelEncodeDelims(r.d, r.term)
	for i := 1; i <= s.Len(); i++ {
		b = append(b, r.d.Element)
		e := s.Repetitions(i)
		err := modelCheckTerm(e, r.term)
		if err == nil {
			b, err = modelAppendElement(b, e, ed)
		}
		if err != nil {
			return b, fmt.Errorf("%s%02d: %w", s.Tag, i, err)
		}
	}
	return b, nil
}

// appendISA writes an ISA with its fields padded to their fixed widths
// and ISA11 / ISA16 set from the delimiters in use.
func (r *renderer) appendISA(b []byte, s *Segment) ([]byte, error) {
	vals := make([]string, s.Len())
	for i := range vals {
		vals[i] = string(s.Elements[i])
	}
	if len(vals) >= 16 && r.d.Component != 0 {
		vals[15] = string([]byte{r.d.Component})
	}
	if len(vals) >= 12 {
		switch {
		case r.d.Repetition != 0 && strings.TrimSpace(vals[11]) >= "00402":
			vals[10] = string([]byte{r.d.Repetition})
		case r.src.Repetition != 0 && vals[10] == string([]byte{r.src.Repetition}):
			vals[10] = "U"
		}
	}
	b = append(b, "ISA"...)
	for i, v := range vals {
		if i < len(isaWidths) {
			v = writerPadISA(i+1, v)
		}
		for k := 0; k < len(v); k++ {
			if c := v[k]; c == r.d.Element || c == r.d.Segment {
				return b, fmt.Errorf("ISA%02d %q contains a delimiter", i+1, v)
			}
		}
		b = append(b, r.d.Element)
		b = append(b, v...)
	}
	return b, nil
}

// writerPadISA pads ISA element n (1-based) to its fixed width: ISA13
// (digits) with leading zeros, others with trailing spaces. Longer values
// are kept as they are.
func writerPadISA(n int, v string) string {
	w := isaWidths[n-1]
	if len(v) >= w {
		return v
	}
	if n == 13 && envDigits(v) {
		return strings.Repeat("0", w-len(v)) + v
	}
	return v + strings.Repeat(" ", w-len(v))
}
