package edi

// segBuilder makes the segments of a generated acknowledgement. Element
// bytes are stored as the tokenizer stores them: raw, with EDIFACT
// release characters in place, joined with the component separator.
type segBuilder struct {
	f Format
	d Delimiters
}

func newSegBuilder(f Format, d Delimiters) *segBuilder { return &segBuilder{f: f, d: d} }

// escape writes one component value.
func (b *segBuilder) escape(v string) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		special := c == b.d.Segment || c == b.d.Element || c == b.d.Component ||
			(b.d.Repetition != 0 && c == b.d.Repetition) || (b.d.Release != 0 && c == b.d.Release)
		if special && c != 0 {
			if b.f == FormatEDIFACT && b.d.Release != 0 {
				out = append(out, b.d.Release)
			} else {
				// X12 has no escape: a delimiter inside a copied value
				// would break the segment; write a space instead.
				c = ' '
			}
		}
		out = append(out, c)
	}
	return out
}

// seg makes a segment of simple elements, dropping trailing empty ones.
func (b *segBuilder) seg(tag string, elems ...string) *Segment {
	cs := make([][]string, len(elems))
	for i, e := range elems {
		cs[i] = []string{e}
	}
	return b.segC(tag, cs...)
}

// segC makes a segment of composite elements, dropping trailing empty
// components and elements.
func (b *segBuilder) segC(tag string, elems ...[]string) *Segment {
	s := &Segment{Tag: tag, Delims: b.d}
	for _, comps := range elems {
		for len(comps) > 0 && comps[len(comps)-1] == "" {
			comps = comps[:len(comps)-1]
		}
		var el []byte
		for i, c := range comps {
			if i > 0 {
				el = append(el, b.d.Component)
			}
			el = append(el, b.escape(c)...)
		}
		s.Elements = append(s.Elements, el)
	}
	for len(s.Elements) > 0 && len(s.Elements[len(s.Elements)-1]) == 0 {
		s.Elements = s.Elements[:len(s.Elements)-1]
	}
	return s
}

// fixed makes a segment whose elements are written exactly as given (the
// fixed-width ISA).
func (b *segBuilder) fixed(tag string, elems ...string) *Segment {
	s := &Segment{Tag: tag, Delims: b.d}
	for _, e := range elems {
		s.Elements = append(s.Elements, []byte(e))
	}
	return s
}

// renumber gives the segments of a generated document consecutive
// positions, starting at 1.
func renumber(doc *Document) {
	n := 0
	set := func(s *Segment) {
		if s != nil {
			n++
			s.Pos = n
		}
	}
	for _, ic := range doc.Interchanges {
		set(ic.Header)
		for _, s := range ic.TA1 {
			set(s)
		}
		tx := func(t *Transaction) {
			set(t.Header)
			for _, s := range t.Segments {
				set(s)
			}
			set(t.Trailer)
		}
		for _, t := range ic.Messages {
			tx(t)
		}
		for _, g := range ic.Groups {
			set(g.Header)
			for _, t := range g.Transactions {
				tx(t)
			}
			set(g.Trailer)
		}
		set(ic.Trailer)
	}
}
