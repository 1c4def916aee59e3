package edi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file builds outbound interchanges: envelopes with computed counts,
// fixed-width ISA fields, formatted dates and times, and control numbers
// drawn from a ControlNumbers sequence.

// ControlNumbers hands out envelope control numbers. scope names one
// sequence: "isa:SENDER:RECEIVER" (ISA13), "gs:SENDER:RECEIVER" (GS06),
// "unb:SENDER:RECEIVER" (UNB 0020), "ung:SENDER:RECEIVER" (UNG 0048), with
// the interchange (or application) sender and receiver ids. Numbers must
// increase within a scope; the engine backs this with a durable counter.
type ControlNumbers interface {
	Next(ctx context.Context, scope string) (int64, error)
}

// MemoryControlNumbers is an in-memory ControlNumbers: every scope counts
// from 1 (or from Set). The zero value is ready to use and safe for
// concurrent use.
type MemoryControlNumbers struct {
	mu   sync.Mutex
	last map[string]int64
}

// NewMemoryControlNumbers returns an empty in-memory sequence set.
func NewMemoryControlNumbers() *MemoryControlNumbers { return &MemoryControlNumbers{} }

// Next returns the next number of scope.
func (m *MemoryControlNumbers) Next(ctx context.Context, scope string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]int64{}
	}
	m.last[scope]++
	return m.last[scope], nil
}

// Set makes the next number of scope last+1.
func (m *MemoryControlNumbers) Set(scope string, last int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]int64{}
	}
	m.last[scope] = last
}

// Last returns the last number handed out for scope (0 if none).
func (m *MemoryControlNumbers) Last(scope string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last[scope]
}

// Party identifies an interchange sender or receiver.
type Party struct {
	// Qualifier is ISA05/ISA07 (e.g. "ZZ", "01", "08"); for EDIFACT the
	// optional identification code qualifier (0007, e.g. "14", "ZZZ").
	Qualifier string
	// ID is ISA06/ISA08 (padded to 15) or UNB S002/S003 0004.
	ID string
}

// WriterOptions configure a Writer: one trading-partner relationship.
type WriterOptions struct {
	// Format is FormatX12 (the default when unset) or FormatEDIFACT.
	Format Format
	// Delimiters; nil means the defaults: X12 ~ * > (and ^ as repetition
	// separator from version 00402), EDIFACT ' + : ? . (and * as
	// repetition separator with syntax version 4).
	Delimiters *Delimiters
	// Newline writes a line feed after every segment.
	Newline bool

	// Sender and Receiver are the interchange parties (ISA05-08, UNB
	// S002/S003).
	Sender, Receiver Party
	// GroupSender and GroupReceiver are the application codes (GS02/GS03,
	// UNG S006/S007); default Sender.ID and Receiver.ID.
	GroupSender, GroupReceiver string

	// Version is ISA12 (default "00401"). GroupVersion is GS08; default
	// Version + "0" (00401 -> 004010, 00501 -> 005010).
	Version, GroupVersion string
	// Implementation gives ST03 (implementation convention reference,
	// 5010 and later) per transaction set id, e.g. {"999": "005010X231A1"}.
	Implementation map[string]string
	// FunctionalIDs overrides the GS01 functional identifier code per
	// transaction set id; the built-in table covers the common logistics
	// sets (SH 856, QM 214, SM 204, FA 997/999, ...).
	FunctionalIDs map[string]string
	// Test marks interchanges as test data (ISA15 T, UNB 0035 1).
	Test bool
	// AckRequested sets ISA14 to 1 (interchange acknowledgement
	// requested) and UNB 0031 to 1.
	AckRequested bool
	// AuthorizationQualifier/Authorization are ISA01/ISA02 and
	// SecurityQualifier/Security ISA03/ISA04 (default "00" and blanks).
	AuthorizationQualifier, Authorization string
	SecurityQualifier, Security           string

	// SyntaxID is the EDIFACT syntax identifier (UNB S001 0001, default
	// "UNOA") and SyntaxVersion its version (default "3").
	SyntaxID, SyntaxVersion string
	// MessageVersion completes UNH S009 when WriteTransaction is given a
	// bare message type: version:release:agency[:association], default
	// "D:96A:UN". A message type written "DESADV:D:96A:UN:EAN005" is
	// used as is.
	MessageVersion string
	// Groups wraps EDIFACT messages in UNG/UNE groups (X12 always has
	// groups).
	Groups bool
	// UNA always writes a UNA (it is written anyway when the delimiters
	// are not the defaults).
	UNA bool

	// Controls hands out ISA13/GS06 (UNB/UNG) control numbers; nil means
	// a MemoryControlNumbers owned by the Writer. Transaction set control
	// numbers (ST02, UNH 0062) count from 1 in each group (or, for
	// EDIFACT messages without groups, in each interchange).
	Controls ControlNumbers
	// Now is the clock for envelope dates and times; nil means time.Now.
	Now func() time.Time
}

// X12FunctionalIDs is the built-in table of GS01 functional identifier
// codes by transaction set.
var X12FunctionalIDs = map[string]string{
	"180": "AN", "204": "SM", "210": "IM", "211": "BL", "214": "QM",
	"300": "RO", "301": "RO", "310": "IO", "315": "QO", "404": "SR",
	"810": "IN", "820": "RA", "824": "AG", "830": "PS", "832": "SC",
	"846": "IB", "850": "PO", "852": "PD", "855": "PR", "856": "SH",
	"860": "PC", "861": "RC", "862": "SS", "864": "TX", "865": "CA",
	"867": "PT", "940": "OW", "943": "AR", "944": "RE", "945": "SW",
	"947": "AW", "990": "GF", "997": "FA", "999": "FA",
}

// Writer writes outbound interchanges. Open an interchange with
// BeginInterchange (or let WriteTransaction open one), optionally a group
// with BeginGroup, write transactions, and Close; trailers, counts and
// control numbers are computed. A Writer is not safe for concurrent use.
type Writer struct {
	opts     WriterOptions
	bw       *bufio.Writer
	r        *renderer
	edifact  bool
	d        Delimiters
	controls ControlNumbers
	now      time.Time
	closed   bool

	ic *writerIC
	g  *writerGroup
}

type writerIC struct {
	control string
	groups  int // groups written
	msgs    int // EDIFACT messages written directly in the interchange
	seq     int // EDIFACT message references without groups
}

type writerGroup struct {
	auto    bool   // opened by WriteTransaction
	fid     string // GS01 / UNG message type; "" until the first set
	written bool   // header written
	control string
	sets    int
}

// ErrWriterClosed is returned after Close.
var ErrWriterClosed = errors.New("edi: writer is closed")

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	if opts.Format == FormatUnknown {
		opts.Format = FormatX12
	}
	wr := &Writer{opts: opts, bw: bufio.NewWriter(w), edifact: opts.Format == FormatEDIFACT}
	if wr.opts.Version == "" {
		wr.opts.Version = "00401"
	}
	if wr.opts.GroupVersion == "" {
		wr.opts.GroupVersion = wr.opts.Version + "0"
	}
	if wr.opts.SyntaxID == "" {
		wr.opts.SyntaxID = "UNOA"
	}
	if wr.opts.SyntaxVersion == "" {
		wr.opts.SyntaxVersion = "3"
	}
	if wr.opts.MessageVersion == "" {
		wr.opts.MessageVersion = "D:96A:UN"
	}
	if wr.opts.AuthorizationQualifier == "" {
		wr.opts.AuthorizationQualifier = "00"
	}
	if wr.opts.SecurityQualifier == "" {
		wr.opts.SecurityQualifier = "00"
	}
	if wr.opts.GroupSender == "" {
		wr.opts.GroupSender = opts.Sender.ID
	}
	if wr.opts.GroupReceiver == "" {
		wr.opts.GroupReceiver = opts.Receiver.ID
	}
	wr.controls = opts.Controls
	if wr.controls == nil {
		wr.controls = NewMemoryControlNumbers()
	}
	if opts.Delimiters != nil {
		wr.d = *opts.Delimiters
	} else if wr.edifact {
		wr.d = Delimiters{Segment: '\'', Element: '+', Component: ':', Release: '?', Decimal: '.'}
		if wr.opts.SyntaxVersion == "4" {
			wr.d.Repetition = '*'
		}
	} else {
		wr.d = Delimiters{Segment: '~', Element: '*', Component: '>'}
		if wr.opts.Version >= "00402" {
			wr.d.Repetition = '^'
		}
	}
	if wr.edifact && wr.d.Decimal == 0 {
		wr.d.Decimal = '.'
	}
	if err := modelCheckDelims(wr.d, wr.edifact); err != nil {
		return nil, fmt.Errorf("edi: writer: %w", err)
	}
	if !wr.edifact {
		if strings.TrimSpace(opts.Sender.ID) == "" || strings.TrimSpace(opts.Receiver.ID) == "" {
			return nil, fmt.Errorf("edi: writer: sender and receiver ids are required")
		}
		if len(opts.Sender.ID) > 15 || len(opts.Receiver.ID) > 15 {
			return nil, fmt.Errorf("edi: writer: ISA06/ISA08 ids are at most 15 characters")
		}
		if len(wr.opts.Version) != 5 {
			return nil, fmt.Errorf("edi: writer: ISA12 version %q must be 5 characters (e.g. 00401)", wr.opts.Version)
		}
	} else if strings.TrimSpace(opts.Sender.ID) == "" || strings.TrimSpace(opts.Receiver.ID) == "" {
		return nil, fmt.Errorf("edi: writer: sender and receiver ids are required")
	}
	wr.r = &renderer{w: wr.bw, opts: RenderOptions{Newline: opts.Newline}}
	f := FormatX12
	if wr.edifact {
		f = FormatEDIFACT
	}
	if err := wr.r.begin(wr.d, "", nil, f); err != nil {
		return nil, fmt.Errorf("edi: writer: %w", err)
	}
	return wr, nil
}

// Delimiters returns the delimiters the Writer uses.
func (w *Writer) Delimiters() Delimiters { return w.d }

func (w *Writer) clock() time.Time {
	if w.opts.Now != nil {
		return w.opts.Now()
	}
	return time.Now()
}

func (w *Writer) scope(kind, s, r string) string {
	return kind + ":" + strings.TrimSpace(s) + ":" + strings.TrimSpace(r)
}

// writerWrap keeps a control number within max digits: 1..10^digits-1.
func writerWrap(n int64, digits int) int64 {
	max := int64(1)
	for i := 0; i < digits; i++ {
		max *= 10
	}
	max--
	if n < 1 {
		return 1
	}
	return (n-1)%max + 1
}

// seg builds a segment from values (JoinComponents / JoinRepetitions
// markers allowed) and writes it.
func (w *Writer) seg(tag string, vals ...string) error {
	elems := make([][][]string, len(vals))
	for i, v := range vals {
		if tag == "ISA" {
			elems[i] = [][]string{{v}}
		} else {
			elems[i] = modelSplitMarked(v)
		}
	}
	s, err := BuildSegment(w.d, tag, elems)
	if err != nil {
		return err
	}
	return w.r.segment(s)
}

// BeginInterchange writes an interchange header (ISA, or [UNA] UNB) and
// returns its control number. An open interchange is closed first.
func (w *Writer) BeginInterchange(ctx context.Context) (string, error) {
	if w.closed {
		return "", ErrWriterClosed
	}
	if err := w.EndInterchange(); err != nil {
		return "", err
	}
	w.now = w.clock()
	o := w.opts
	if w.edifact {
		n, err := w.controls.Next(ctx, w.scope("unb", o.Sender.ID, o.Receiver.ID))
		if err != nil {
			return "", fmt.Errorf("edi: writer: interchange control number: %w", err)
		}
		ctl := strconv.FormatInt(writerWrap(n, 14), 10)
		if o.UNA || !renderDefaultUNA(&Segment{Tag: "UNB", Elements: [][]byte{[]byte(o.SyntaxID + string([]byte{w.d.Component}) + o.SyntaxVersion)}}, w.d) {
			if err := w.r.una(); err != nil {
				return "", err
			}
		}
		vals := []string{
			JoinComponents(o.SyntaxID, o.SyntaxVersion),
			writerParty(o.Sender),
			writerParty(o.Receiver),
			JoinComponents(w.edifactDate(), w.now.Format("1504")),
			ctl,
		}
		if o.Test || o.AckRequested {
			ack := ""
			if o.AckRequested {
				ack = "1"
			}
			test := ""
			if o.Test {
				test = "1"
			}
			vals = append(vals, "", "", "", ack, "", test)
			for len(vals) > 5 && vals[len(vals)-1] == "" {
				vals = vals[:len(vals)-1]
			}
		}
		if err := w.seg("UNB", vals...); err != nil {
			return "", err
		}
		w.ic = &writerIC{control: ctl}
		return ctl, nil
	}
	n, err := w.controls.Next(ctx, w.scope("isa", o.Sender.ID, o.Receiver.ID))
	if err != nil {
		return "", fmt.Errorf("edi: writer: interchange control number: %w", err)
	}
	ctl := fmt.Sprintf("%09d", writerWrap(n, 9))
	rep := "U"
	if o.Version >= "00402" && w.d.Repetition != 0 {
		rep = string([]byte{w.d.Repetition})
	}
	ack, test := "0", "P"
	if o.AckRequested {
		ack = "1"
	}
	if o.Test {
		test = "T"
	}
	if err := w.seg("ISA",
		o.AuthorizationQualifier, o.Authorization, o.SecurityQualifier, o.Security,
		orZZ(o.Sender.Qualifier), o.Sender.ID, orZZ(o.Receiver.Qualifier), o.Receiver.ID,
		w.now.Format("060102"), w.now.Format("1504"), rep, o.Version, ctl, ack, test,
		string([]byte{w.d.Component})); err != nil {
		return "", err
	}
	w.ic = &writerIC{control: ctl}
	return ctl, nil
}

func orZZ(q string) string {
	if q == "" {
		return "ZZ"
	}
	return q
}

func writerParty(p Party) string {
	if p.Qualifier == "" {
		return p.ID
	}
	return JoinComponents(p.ID, p.Qualifier)
}

// edifactDate is the UNB/UNG date: CCYYMMDD in syntax 4, YYMMDD before.
func (w *Writer) edifactDate() string {
	if w.opts.SyntaxVersion >= "4" {
		return w.now.Format("20060102")
	}
	return w.now.Format("060102")
}

// BeginGroup opens a functional group (GS, or UNG for EDIFACT with
// Groups). functionalID is GS01 (or, for EDIFACT, the UNG message group
// identification, usually the message type); "" takes it from the first
// transaction written. The header is written with the first transaction,
// so an empty group writes nothing. An open group is closed first.
func (w *Writer) BeginGroup(ctx context.Context, functionalID string) error {
	if w.closed {
		return ErrWriterClosed
	}
	if err := w.EndGroup(); err != nil {
		return err
	}
	if w.ic == nil {
		if _, err := w.BeginInterchange(ctx); err != nil {
			return err
		}
	}
	if w.edifact && !w.opts.Groups {
		return fmt.Errorf("edi: writer: EDIFACT groups (UNG) need WriterOptions.Groups")
	}
	w.g = &writerGroup{fid: functionalID}
	return nil
}

// writeGroupHeader writes the pending group header.
func (w *Writer) writeGroupHeader(ctx context.Context) error {
	g := w.g
	o := w.opts
	if w.edifact {
		n, err := w.controls.Next(ctx, w.scope("ung", o.GroupSender, o.GroupReceiver))
		if err != nil {
			return fmt.Errorf("edi: writer: group control number: %w", err)
		}
		g.control = strconv.FormatInt(writerWrap(n, 14), 10)
		ver := strings.Split(o.MessageVersion, ":")
		s008 := ""
		agency := "UN"
		if len(ver) >= 3 {
			s008 = JoinComponents(ver[0], ver[1])
			agency = ver[2]
		}
		if err := w.seg("UNG", g.fid, o.GroupSender, o.GroupReceiver,
			JoinComponents(w.edifactDate(), w.now.Format("1504")), g.control, agency, s008); err != nil {
			return err
		}
	} else {
		n, err := w.controls.Next(ctx, w.scope("gs", o.GroupSender, o.GroupReceiver))
		if err != nil {
			return fmt.Errorf("edi: writer: group control number: %w", err)
		}
		g.control = strconv.FormatInt(writerWrap(n, 9), 10)
		date := w.now.Format("20060102")
		if o.GroupVersion < "004010" {
			date = w.now.Format("060102")
		}
		if err := w.seg("GS", g.fid, o.GroupSender, o.GroupReceiver, date, w.now.Format("1504"),
			g.control, "X", o.GroupVersion); err != nil {
			return err
		}
	}
	g.written = true
	w.ic.groups++
	return nil
}

// EndGroup writes the open group's trailer (GE or UNE).
func (w *Writer) EndGroup() error {
	g := w.g
	if g == nil {
		return nil
	}
	w.g = nil
	if !g.written {
		return nil
	}
	tag := "GE"
	if w.edifact {
		tag = "UNE"
	}
	return w.seg(tag, strconv.Itoa(g.sets), g.control)
}

// EndInterchange closes the open group and writes the interchange trailer
// (IEA or UNZ), then flushes.
func (w *Writer) EndInterchange() error {
	if err := w.EndGroup(); err != nil {
		return err
	}
	ic := w.ic
	if ic == nil {
		return nil
	}
	w.ic = nil
	var err error
	if w.edifact {
		n := ic.groups
		if n == 0 {
			n = ic.msgs
		}
		err = w.seg("UNZ", strconv.Itoa(n), ic.control)
	} else {
		err = w.seg("IEA", strconv.Itoa(ic.groups), ic.control)
	}
	if err != nil {
		return err
	}
	return w.bw.Flush()
}

// Close ends the open group and interchange and flushes. Later calls
// return ErrWriterClosed (Close itself may be called again).
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	err := w.EndInterchange()
	if ferr := w.bw.Flush(); err == nil {
		err = ferr
	}
	w.closed = true
	return err
}

// functionalID returns GS01 for a transaction set.
func (w *Writer) functionalID(setID string) (string, error) {
	if w.edifact {
		return strings.SplitN(setID, ":", 2)[0], nil
	}
	if f := w.opts.FunctionalIDs[setID]; f != "" {
		return f, nil
	}
	if f := X12FunctionalIDs[setID]; f != "" {
		return f, nil
	}
	return "", fmt.Errorf("edi: writer: no functional identifier code (GS01) known for transaction set %q: set WriterOptions.FunctionalIDs", setID)
}

// WriteTransaction writes one transaction set (X12 ST…SE) or message
// (EDIFACT UNH…UNT) and returns its control number. segments are the body
// between header and trailer, each a tag followed by its element values;
// build composite values with JoinComponents and repeated ones with
// JoinRepetitions. For EDIFACT setID is the message type ("IFTSTA", with
// WriterOptions.MessageVersion) or a full S009 ("IFTSTA:D:00B:UN").
//
// Without an open interchange one is begun; for X12 without an open group
// one is begun with the set's functional identifier, and such an
// automatic group is closed when a set of another functional identifier
// follows.
func (w *Writer) WriteTransaction(ctx context.Context, setID string, segments [][]string) (string, error) {
	if w.closed {
		return "", ErrWriterClosed
	}
	if setID == "" {
		return "", fmt.Errorf("edi: writer: empty transaction set id")
	}
	trailer := "SE"
	if w.edifact {
		trailer = "UNT"
	}
	for i, s := range segments {
		if len(s) == 0 || s[0] == "" {
			return "", fmt.Errorf("edi: writer: %s segment %d has no tag", setID, i+1)
		}
		switch s[0] {
		case "ISA", "IEA", "GS", "GE", "ST", "SE", "UNA", "UNB", "UNZ", "UNG", "UNE", "UNH", "UNT":
			return "", fmt.Errorf("edi: writer: %s segment %d: envelope segment %s is written by the Writer", setID, i+1, s[0])
		}
	}
	fid, err := w.functionalID(setID)
	if err != nil {
		return "", err
	}
	if w.ic == nil {
		if _, err := w.BeginInterchange(ctx); err != nil {
			return "", err
		}
	}
	useGroup := !w.edifact || w.opts.Groups
	if useGroup {
		if w.g != nil && w.g.auto && w.g.fid != fid {
			if err := w.EndGroup(); err != nil {
				return "", err
			}
		}
		if w.g == nil {
			if err := w.BeginGroup(ctx, fid); err != nil {
				return "", err
			}
			w.g.auto = true
		}
		if w.g.fid == "" {
			w.g.fid = fid
		}
		if !w.g.written {
			if err := w.writeGroupHeader(ctx); err != nil {
				return "", err
			}
		}
	}
	var seq int
	if useGroup {
		w.g.sets++
		seq = w.g.sets
	} else {
		w.ic.seq++
		w.ic.msgs++
		seq = w.ic.seq
	}
	var ctl string
	if w.edifact {
		ctl = strconv.Itoa(seq)
		typ := setID
		if !strings.Contains(setID, ":") {
			typ = setID + ":" + w.opts.MessageVersion
		}
		if err := w.seg("UNH", ctl, JoinComponents(strings.Split(typ, ":")...)); err != nil {
			return "", err
		}
	} else {
		ctl = fmt.Sprintf("%04d", writerWrap(int64(seq), 9))
		vals := []string{setID, ctl}
		if impl := w.opts.Implementation[setID]; impl != "" {
			vals = append(vals, impl)
		}
		if err := w.seg("ST", vals...); err != nil {
			return "", err
		}
	}
	for i, s := range segments {
		if err := w.seg(s[0], s[1:]...); err != nil {
			return "", fmt.Errorf("edi: writer: %s segment %d (%s): %w", setID, i+1, s[0], err)
		}
	}
	if err := w.seg(trailer, strconv.Itoa(len(segments)+2), ctl); err != nil {
		return "", err
	}
	return ctl, nil
}
