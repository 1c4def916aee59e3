package edi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// This file holds the document model: a parsed input as a tree of
// interchanges, functional groups and transaction sets (X12) or messages
// (EDIFACT), built by Parse, and the streaming alternative Walk, which
// hands over one transaction at a time so memory stays bounded by the
// largest transaction, not by the input.
//
// Both run the same assembler over the tokenizer's segments and the same
// envelope checks (envelope.go), so Parse, Walk and ValidateEnvelopes on
// the parsed Document report identical issues in the same order.
//
// Assembly never fails on structure. Segments that do not fit where they
// are found are kept so rendering stays lossless:
//
//   - a segment outside any interchange opens an implicit interchange with
//     a nil Header (EDIFACT message without UNB, X12 ST without ISA);
//   - an X12 ST outside a GS opens an implicit group with a nil Header;
//   - a header or trailer where it cannot be (GE without GS, ...) and any
//     other segment between envelopes goes to Interchange.Other or
//     Group.Other;
//   - a header (ISA, GS, ST, UNB, UNG, UNH) closes whatever is still open
//     below its level, leaving that envelope's Trailer nil.
//
// ValidateEnvelopes reports each of these as an Issue.

// Document is a parsed input: one or more interchanges.
type Document struct {
	Format       Format
	Interchanges []*Interchange
}

// Interchange is one ISA…IEA (X12) or [UNA] UNB…UNZ (EDIFACT) envelope.
type Interchange struct {
	// Delims are the interchange's delimiters (from its ISA, or its UNA /
	// UNB syntax identifier).
	Delims Delimiters
	// Terminator is the full segment terminator when it is longer than
	// one byte (a multi-byte UTF-8 terminator such as "…", whose first
	// byte is Delims.Segment); "" otherwise.
	Terminator string
	// UNA is true when the EDIFACT interchange was preceded by a UNA
	// service string advice (rendering writes one back).
	UNA bool
	// Header is the ISA or UNB segment; nil for an implicit interchange
	// (segments found outside any interchange).
	Header *Segment
	// Trailer is the IEA or UNZ segment; nil when missing.
	Trailer *Segment
	// Groups are the functional groups (GS…GE, UNG…UNE) in input order.
	Groups []*Group
	// Messages are EDIFACT messages directly in the interchange (no UNG).
	Messages []*Transaction
	// TA1 are X12 TA1 segments directly in the interchange (interchange
	// acknowledgements).
	TA1 []*Segment
	// Other are the remaining segments directly in the interchange, outside
	// any group or transaction: X12 ISB/ISE interchange service segments,
	// and misplaced segments (reported by ValidateEnvelopes as
	// envelope.unexpected_segment).
	Other []*Segment
}

// Group is one functional group: GS…GE (X12) or UNG…UNE (EDIFACT).
type Group struct {
	// Header is the GS or UNG segment; nil for an implicit group (X12
	// transaction sets found directly in an interchange).
	Header *Segment
	// Trailer is the GE or UNE segment; nil when missing.
	Trailer *Segment
	// Transactions are the transaction sets (ST…SE) or messages (UNH…UNT).
	Transactions []*Transaction
	// Other are segments found in the group outside any transaction
	// (misplaced; reported as envelope.unexpected_segment).
	Other []*Segment
}

// Transaction is one X12 transaction set (ST…SE) or EDIFACT message
// (UNH…UNT).
type Transaction struct {
	// Header is the ST or UNH segment.
	Header *Segment
	// Trailer is the SE or UNT segment; nil when missing.
	Trailer *Segment
	// Segments is the body between header and trailer.
	Segments []*Segment
	// Loops is the loop tree, filled by the definitions layer when a
	// definition is known; nil otherwise.
	Loops *Loop
}

// Loop is one loop (segment group) of a transaction, as the definitions
// layer resolves it. The root loop of a transaction holds the segments
// that are in no loop.
type Loop struct {
	// ID names the loop: "0100", "HL", "SG2", ...
	ID string
	// Segments are the loop's own segments (pointers into the
	// Transaction's Header, Segments and Trailer).
	Segments []*Segment
	// Children are the nested loops in input order.
	Children []*Loop
}

// ParseOptions configures Parse and Walk.
type ParseOptions struct {
	// Reader configures the tokenizer.
	Reader ReaderOptions
	// Strict makes envelope count and control-number mismatches (and the
	// other envelope findings) errors; by default they are warnings, so
	// real files with wrong counts are read.
	Strict bool
	// SkipEnvelope turns the envelope checks off: only the tree is built.
	SkipEnvelope bool
	// MaxIssues caps the number of issues collected (0 = no cap); Walk
	// keeps memory bounded with it on inputs with an issue per
	// transaction. Issues beyond the cap are still handed to Walk's
	// callback in Event.Issues.
	MaxIssues int
}

func (o ParseOptions) validateOptions() ValidateOptions {
	return ValidateOptions{Strict: o.Strict}
}

// EventKind says what a Walk event reports.
type EventKind int

// Walk events, in input order. For each interchange:
// EventInterchangeStart, then per group EventGroupStart, one
// EventTransaction per set and EventGroupEnd; EDIFACT messages without a
// group come as EventTransaction with a nil Group; segments directly in
// an interchange or group (TA1, ISB/ISE, misplaced ones) as EventSegment;
// finally EventInterchangeEnd.
const (
	EventInterchangeStart EventKind = iota + 1
	EventGroupStart
	EventTransaction
	EventSegment
	EventGroupEnd
	EventInterchangeEnd
)

func (k EventKind) String() string {
	switch k {
	case EventInterchangeStart:
		return "interchange_start"
	case EventGroupStart:
		return "group_start"
	case EventTransaction:
		return "transaction"
	case EventSegment:
		return "segment"
	case EventGroupEnd:
		return "group_end"
	case EventInterchangeEnd:
		return "interchange_end"
	}
	return "unknown"
}

// Event is one step of Walk. The structs it points to are not reused:
// they may be kept after the callback returns. In Walk, Interchange and
// Group hold only their header (and, at the end events, their trailer):
// their Groups, Messages, Transactions, TA1 and Other slices stay empty.
type Event struct {
	Kind   EventKind
	Format Format
	// Interchange is the enclosing interchange (set for every event; its
	// Header is nil for an implicit interchange).
	Interchange *Interchange
	// Group is the enclosing group; nil for interchange-level events and
	// for EDIFACT messages directly in the interchange.
	Group *Group
	// Transaction is the complete set or message (EventTransaction).
	Transaction *Transaction
	// Segment is the segment of an EventSegment.
	Segment *Segment
	// Issues are the envelope issues found at this step: interchange
	// header checks at EventInterchangeStart, set checks at
	// EventTransaction, group trailer checks at EventGroupEnd, ... .
	Issues []Issue
	// Count is, at EventGroupEnd, the number of transactions in the group
	// and, at EventInterchangeEnd, the number of groups (or, without
	// groups, of EDIFACT messages) in the interchange.
	Count int
}

// ErrStop may be returned by a Walk callback to stop walking early
// without an error.
var ErrStop = errors.New("edi: stop walking")

// Parse reads the whole input into a Document. Structural and envelope
// problems (missing trailers, wrong counts, segments outside envelopes,
// ...) are returned as issues; the error is non-nil only when the input
// cannot be tokenized, and wraps the *SyntaxError (or the reader's error).
// On error the Document holds what was read before it.
func Parse(r io.Reader, opts ParseOptions) (*Document, []Issue, error) {
	doc := &Document{}
	a := newAssembler(opts, true, nil)
	a.doc = doc
	a.tee = &unaTee{r: r}
	err := a.run(NewReader(a.tee, opts.Reader))
	doc.Format = a.format
	return doc, a.issues, err
}

// Walk reads the input and calls fn for every event (see EventKind),
// keeping only the current transaction in memory. It returns the envelope
// issues (as Parse would) and an error when the input cannot be
// tokenized or fn returns one (ErrStop stops without error).
func Walk(r io.Reader, opts ParseOptions, fn func(ev Event) error) ([]Issue, error) {
	a := newAssembler(opts, false, fn)
	a.tee = &unaTee{r: r}
	err := a.run(NewReader(a.tee, opts.Reader))
	if errors.Is(err, ErrStop) {
		err = nil
	}
	return a.issues, err
}

// assembler builds envelopes from segments. It is shared by Parse (keep:
// the tree is retained) and Walk (emit: one event per step).
type assembler struct {
	keep   bool
	doc    *Document
	emit   func(Event) error
	chk    *envChecker // nil: no envelope checks
	max    int
	issues []Issue
	format Format // of the first interchange: the Document's
	cur    Format // of the current interchange
	rd     *Reader
	tee    *unaTee
	end    int64 // input offset just after the previous segment

	ic      *Interchange
	icCount int // groups (with header) in ic
	icMsgs  int // EDIFACT messages directly in ic
	g       *Group
	gCount  int // transactions in g
	t       *Transaction
}

func newAssembler(opts ParseOptions, keep bool, emit func(Event) error) *assembler {
	a := &assembler{keep: keep, emit: emit, max: opts.MaxIssues}
	if !opts.SkipEnvelope {
		a.chk = newEnvChecker(opts.validateOptions())
	}
	return a
}

func (a *assembler) run(rd *Reader) error {
	a.rd = rd
	var err error
	for {
		var seg *Segment
		seg, err = rd.Next()
		if err != nil {
			break
		}
		if a.format == FormatUnknown {
			a.format = rd.Format()
		}
		a.cur = rd.Format()
		if err = a.segment(seg.Clone(), a.cur == FormatEDIFACT, rd); err != nil {
			break
		}
		a.end = modelSegmentEnd(seg)
		if a.tee != nil && len(a.tee.hits) > 64 {
			a.tee.forget(a.end)
		}
	}
	if a.format == FormatUnknown {
		a.format = rd.Format()
	}
	if err == io.EOF {
		err = nil
	}
	// The Walk callback stopped: no more events.
	var ce *callbackErr
	if errors.As(err, &ce) {
		return ce.err
	}
	if errors.Is(err, ErrStop) {
		return err
	}
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			err = fmt.Errorf("edi: parse: %w", err)
		} else {
			err = fmt.Errorf("edi: read: %w", err)
		}
	}
	// Close what is still open, even after a syntax error: the partial
	// tree is returned by Parse, and Walk reports the envelope ends.
	if cerr := a.closeInterchange(nil); err == nil {
		err = cerr
		if errors.As(err, &ce) {
			err = ce.err
		}
	}
	return err
}

// callbackErr marks errors returned by the Walk callback so run does not
// wrap them as read errors.
type callbackErr struct{ err error }

func (e *callbackErr) Error() string { return e.err.Error() }
func (e *callbackErr) Unwrap() error { return e.err }

func (a *assembler) addIssues(is []Issue) {
	if a.max > 0 && len(a.issues)+len(is) > a.max {
		n := a.max - len(a.issues)
		if n < 0 {
			n = 0
		}
		is = is[:n]
	}
	a.issues = append(a.issues, is...)
}

func (a *assembler) send(ev Event) error {
	a.addIssues(ev.Issues)
	if a.emit == nil {
		return nil
	}
	ev.Format = a.cur
	if err := a.emit(ev); err != nil {
		if errors.Is(err, ErrStop) {
			return err
		}
		return &callbackErr{err}
	}
	return nil
}

// segment places one (cloned) segment.
func (a *assembler) segment(s *Segment, edifact bool, rd *Reader) error {
	x12 := !edifact
	switch {
	case x12 && s.Tag == "ISA", !x12 && s.Tag == "UNB":
		if err := a.closeInterchange(nil); err != nil {
			return err
		}
		ic := &Interchange{Delims: s.Delims, Header: s, Terminator: modelTerminator(rd)}
		if !x12 {
			ic.UNA = a.sawUNA(rd, s)
		}
		return a.openInterchange(ic)
	case x12 && s.Tag == "IEA", !x12 && s.Tag == "UNZ":
		if a.ic == nil || a.ic.Header == nil {
			return a.stray(s)
		}
		return a.closeInterchange(s)
	case x12 && s.Tag == "GS", !x12 && s.Tag == "UNG":
		if err := a.closeGroup(nil); err != nil {
			return err
		}
		if err := a.ensureInterchange(s); err != nil {
			return err
		}
		return a.openGroup(&Group{Header: s}, s)
	case x12 && s.Tag == "GE", !x12 && s.Tag == "UNE":
		if err := a.closeTransaction(nil); err != nil {
			return err
		}
		if a.g == nil || a.g.Header == nil {
			return a.stray(s)
		}
		return a.closeGroup(s)
	case x12 && s.Tag == "ST", !x12 && s.Tag == "UNH":
		if err := a.closeTransaction(nil); err != nil {
			return err
		}
		if err := a.ensureInterchange(s); err != nil {
			return err
		}
		if x12 && a.g == nil {
			if err := a.openGroup(&Group{}, s); err != nil {
				return err
			}
		}
		a.t = &Transaction{Header: s}
		return nil
	case x12 && s.Tag == "SE", !x12 && s.Tag == "UNT":
		if a.t == nil {
			return a.stray(s)
		}
		return a.closeTransaction(s)
	}
	if a.t != nil {
		a.t.Segments = append(a.t.Segments, s)
		return nil
	}
	return a.stray(s)
}

// stray places a segment found outside any transaction.
func (a *assembler) stray(s *Segment) error {
	if err := a.ensureInterchange(s); err != nil {
		return err
	}
	var issues []Issue
	if a.chk != nil {
		issues = a.chk.stray(a.ic, a.g, s)
	}
	if a.keep {
		switch {
		case a.g != nil:
			a.g.Other = append(a.g.Other, s)
		case s.Tag == "TA1" && (a.ic.Header == nil || a.ic.Header.Tag == "ISA"):
			a.ic.TA1 = append(a.ic.TA1, s)
		default:
			a.ic.Other = append(a.ic.Other, s)
		}
	}
	return a.send(Event{Kind: EventSegment, Interchange: a.ic, Group: a.g, Segment: s, Issues: issues})
}

// ensureInterchange opens an implicit interchange when none is open.
func (a *assembler) ensureInterchange(first *Segment) error {
	if a.ic != nil {
		return nil
	}
	ic := &Interchange{Delims: first.Delims, Terminator: modelTerminator(a.rd)}
	if a.cur == FormatEDIFACT {
		ic.UNA = a.sawUNA(a.rd, first)
	}
	return a.openInterchangeAt(ic, first)
}

// modelTerminator returns the reader's segment terminator when it is
// longer than one byte.
func modelTerminator(rd *Reader) string {
	if rd == nil {
		return ""
	}
	if t := rd.SegmentTerminator(); len(t) > 1 {
		return string(t)
	}
	return ""
}

func (a *assembler) openInterchange(ic *Interchange) error {
	return a.openInterchangeAt(ic, ic.Header)
}

func (a *assembler) openInterchangeAt(ic *Interchange, first *Segment) error {
	a.ic, a.icCount, a.icMsgs = ic, 0, 0
	if a.keep {
		a.doc.Interchanges = append(a.doc.Interchanges, ic)
	}
	var issues []Issue
	if a.chk != nil {
		issues = a.chk.startInterchange(ic, first, a.cur)
	}
	return a.send(Event{Kind: EventInterchangeStart, Interchange: ic, Issues: issues})
}

func (a *assembler) openGroup(g *Group, first *Segment) error {
	a.g, a.gCount = g, 0
	if g.Header != nil {
		a.icCount++
	}
	if a.keep {
		a.ic.Groups = append(a.ic.Groups, g)
	}
	var issues []Issue
	if a.chk != nil {
		issues = a.chk.startGroup(a.ic, g, first)
	}
	return a.send(Event{Kind: EventGroupStart, Interchange: a.ic, Group: g, Issues: issues})
}

func (a *assembler) closeTransaction(trailer *Segment) error {
	t := a.t
	if t == nil {
		return nil
	}
	a.t = nil
	t.Trailer = trailer
	if a.g != nil {
		a.gCount++
		if a.keep {
			a.g.Transactions = append(a.g.Transactions, t)
		}
	} else {
		a.icMsgs++
		if a.keep {
			a.ic.Messages = append(a.ic.Messages, t)
		}
	}
	var issues []Issue
	if a.chk != nil {
		issues = a.chk.transaction(a.ic, a.g, t)
	}
	return a.send(Event{Kind: EventTransaction, Interchange: a.ic, Group: a.g, Transaction: t, Issues: issues})
}

func (a *assembler) closeGroup(trailer *Segment) error {
	if err := a.closeTransaction(nil); err != nil {
		return err
	}
	g := a.g
	if g == nil {
		return nil
	}
	a.g = nil
	g.Trailer = trailer
	var issues []Issue
	if a.chk != nil {
		issues = a.chk.endGroup(a.ic, g, a.gCount)
	}
	return a.send(Event{Kind: EventGroupEnd, Interchange: a.ic, Group: g, Issues: issues, Count: a.gCount})
}

func (a *assembler) closeInterchange(trailer *Segment) error {
	if err := a.closeGroup(nil); err != nil {
		return err
	}
	ic := a.ic
	if ic == nil {
		return nil
	}
	a.ic = nil
	ic.Trailer = trailer
	count := a.icCount
	if count == 0 {
		count = a.icMsgs
	}
	var issues []Issue
	if a.chk != nil {
		issues = a.chk.endInterchange(ic, a.icCount, a.icMsgs)
	}
	return a.send(Event{Kind: EventInterchangeEnd, Interchange: ic, Issues: issues, Count: count})
}

// sawUNA reports whether the EDIFACT interchange starting with UNB
// segment s was preceded by a UNA. The tokenizer does not return UNA as a
// segment: a Reader exposing `UNA() bool` is asked; otherwise the input
// tee has recorded where "UNA" occurs, and a UNA starts after the previous
// segment and ends before the UNB. Without a tee, delimiters that differ
// from the defaults of the UNB's syntax identifier imply a UNA.
func (a *assembler) sawUNA(rd *Reader, s *Segment) bool {
	if u, ok := any(rd).(interface{ UNA() bool }); ok {
		return u.UNA()
	}
	if a.tee != nil {
		return a.tee.unaBetween(a.end, s.Offset)
	}
	return s.Delims != defaultEDIFACTDelims(s)
}

// modelSegmentEnd returns the input offset just after segment s and its
// (one-byte) terminator, as far as its raw bytes tell.
func modelSegmentEnd(s *Segment) int64 {
	n := s.Offset + int64(len(s.Tag)) + 1
	for _, e := range s.Elements {
		n += int64(len(e)) + 1
	}
	return n
}

// unaTee passes the input through to the tokenizer and records the
// offsets where the bytes "UNA" occur, so an interchange can tell whether
// it had a service string advice. Offsets already passed are dropped, so
// memory stays bounded by the tokenizer's read-ahead.
type unaTee struct {
	r    io.Reader
	off  int64  // offset of the next byte read
	tail []byte // last (up to 2) bytes read, for matches across reads
	hits []int64
}

func (t *unaTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.scan(p[:n])
	}
	return n, err
}

func (t *unaTee) scan(b []byte) {
	if len(t.tail) > 0 {
		j := append(append([]byte(nil), t.tail...), b[:min(2, len(b))]...)
		for i := 0; i < len(t.tail) && i+3 <= len(j); i++ {
			if string(j[i:i+3]) == "UNA" {
				t.hits = append(t.hits, t.off-int64(len(t.tail))+int64(i))
			}
		}
	}
	for i := 0; ; {
		k := bytes.Index(b[i:], []byte("UNA"))
		if k < 0 {
			break
		}
		t.hits = append(t.hits, t.off+int64(i+k))
		i += k + 1
	}
	if len(b) >= 2 {
		t.tail = append(t.tail[:0], b[len(b)-2:]...)
	} else {
		t.tail = append(t.tail, b...)
		t.tail = append(t.tail[:0], t.tail[max(0, len(t.tail)-2):]...)
	}
	t.off += int64(len(b))
}

// forget drops occurrences before off.
func (t *unaTee) forget(off int64) {
	keep := t.hits[:0]
	for _, h := range t.hits {
		if h >= off {
			keep = append(keep, h)
		}
	}
	t.hits = keep
}

// unaBetween reports whether a UNA starts at or after from and ends (9
// bytes) at or before to, and forgets occurrences before to.
func (t *unaTee) unaBetween(from, to int64) bool {
	found := false
	keep := t.hits[:0]
	for _, h := range t.hits {
		if h >= from && h+9 <= to {
			found = true
		}
		if h >= to {
			keep = append(keep, h)
		}
	}
	t.hits = keep
	return found
}

// defaultEDIFACTDelims returns the delimiters an EDIFACT interchange has
// without UNA, from UNB's syntax identifier (S001: UNOB level uses the
// information separators; syntax version 4 adds the '*' repetition
// separator).
func defaultEDIFACTDelims(unb *Segment) Delimiters {
	d := Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'}
	if unb != nil && unb.Delims.Element == 0x1D {
		d = Delimiters{Segment: 0x1C, Element: 0x1D, Component: 0x1F, Decimal: '.'}
	}
	if unb != nil && unb.Tag == "UNB" && unb.Len() >= 1 {
		c := unb.Components(1)
		if len(c) >= 2 && strings.TrimSpace(c[1]) == "4" {
			if d.Element == 0x1D {
				d.Repetition = 0x1E
			} else {
				d.Repetition = '*'
			}
		}
	}
	return d
}

// Control returns the interchange control number (ISA13 or UNB 0020), ""
// without a header.
func (ic *Interchange) Control() string {
	if ic == nil || ic.Header == nil {
		return ""
	}
	if ic.Header.Tag == "UNB" {
		return strings.TrimSpace(ic.Header.Value(5))
	}
	return strings.TrimSpace(ic.Header.Value(13))
}

// Control returns the group control number (GS06 or UNG 0048), "" without
// a header.
func (g *Group) Control() string {
	if g == nil || g.Header == nil {
		return ""
	}
	if g.Header.Tag == "UNG" {
		return g.Header.Value(5)
	}
	return g.Header.Value(6)
}

// Control returns the set control number (ST02) or message reference
// (UNH 0062).
func (t *Transaction) Control() string {
	if t == nil || t.Header == nil {
		return ""
	}
	if t.Header.Tag == "UNH" {
		return t.Header.Value(1)
	}
	return t.Header.Value(2)
}

// SetID returns the transaction set identifier (ST01, e.g. "856") or the
// message type (UNH S009 first component, e.g. "IFTSTA").
func (t *Transaction) SetID() string {
	if t == nil || t.Header == nil {
		return ""
	}
	if t.Header.Tag == "UNH" {
		if c := t.Header.Components(2); len(c) > 0 {
			return c[0]
		}
		return ""
	}
	return t.Header.Value(1)
}

// AllSegments returns header, body and trailer (those present) in order.
// The 1-based index into this slice is the segment's position in the set
// as X12 acknowledgements count it (AK3-02: ST is 1).
func (t *Transaction) AllSegments() []*Segment {
	out := make([]*Segment, 0, len(t.Segments)+2)
	if t.Header != nil {
		out = append(out, t.Header)
	}
	out = append(out, t.Segments...)
	if t.Trailer != nil {
		out = append(out, t.Trailer)
	}
	return out
}

// modelItem is one child of an interchange or group, for walking the tree
// in input order.
type modelItem struct {
	pos   int
	group *Group
	tx    *Transaction
	seg   *Segment
}

// interchangeItems returns the children of ic (TA1 and other segments,
// groups, direct messages) in input order: by segment position when every
// child has one, else TA1, Other, Groups, Messages.
func interchangeItems(ic *Interchange) []modelItem {
	var items []modelItem
	for _, s := range ic.TA1 {
		items = append(items, modelItem{pos: s.Pos, seg: s})
	}
	for _, s := range ic.Other {
		items = append(items, modelItem{pos: s.Pos, seg: s})
	}
	for _, g := range ic.Groups {
		items = append(items, modelItem{pos: groupFirstPos(g), group: g})
	}
	for _, t := range ic.Messages {
		items = append(items, modelItem{pos: txFirstPos(t), tx: t})
	}
	sortModelItems(items)
	return items
}

// groupItems returns the transactions and other segments of g in input
// order.
func groupItems(g *Group) []modelItem {
	items := make([]modelItem, 0, len(g.Transactions)+len(g.Other))
	for _, t := range g.Transactions {
		items = append(items, modelItem{pos: txFirstPos(t), tx: t})
	}
	for _, s := range g.Other {
		items = append(items, modelItem{pos: s.Pos, seg: s})
	}
	sortModelItems(items)
	return items
}

func sortModelItems(items []modelItem) {
	for _, it := range items {
		if it.pos <= 0 {
			return
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].pos < items[j].pos })
}

func txFirstPos(t *Transaction) int {
	if s := txFirstSegment(t); s != nil {
		return s.Pos
	}
	return 0
}

func txFirstSegment(t *Transaction) *Segment {
	if t.Header != nil {
		return t.Header
	}
	if len(t.Segments) > 0 {
		return t.Segments[0]
	}
	return t.Trailer
}

func groupFirstPos(g *Group) int {
	if s := groupFirstSegment(g); s != nil {
		return s.Pos
	}
	return 0
}

func groupFirstSegment(g *Group) *Segment {
	if g.Header != nil {
		return g.Header
	}
	items := groupItems(g)
	if len(items) == 0 {
		return g.Trailer
	}
	if items[0].tx != nil {
		return txFirstSegment(items[0].tx)
	}
	return items[0].seg
}

func interchangeFirstSegment(ic *Interchange) *Segment {
	if ic.Header != nil {
		return ic.Header
	}
	items := interchangeItems(ic)
	if len(items) == 0 {
		return ic.Trailer
	}
	switch it := items[0]; {
	case it.group != nil:
		return groupFirstSegment(it.group)
	case it.tx != nil:
		return txFirstSegment(it.tx)
	default:
		return it.seg
	}
}

// icFormat returns the syntax of an interchange: from its header, else
// from its first segment, else fallback.
func icFormat(ic *Interchange, fallback Format) Format {
	if ic == nil {
		return fallback
	}
	s := ic.Header
	if s == nil {
		s = interchangeFirstSegment(ic)
	}
	if s != nil {
		switch s.Tag {
		case "ISA", "GS", "ST", "TA1", "IEA", "GE", "SE", "ISB", "ISE":
			return FormatX12
		case "UNB", "UNG", "UNH", "UNZ", "UNE", "UNT":
			return FormatEDIFACT
		}
		if s.Delims.Release != 0 {
			return FormatEDIFACT
		}
	}
	return fallback
}
