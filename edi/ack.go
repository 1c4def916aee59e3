package edi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file generates acknowledgements: X12 997 and 999 (functional
// acknowledgements), TA1 (interchange acknowledgement) and UN/EDIFACT
// CONTRL (syntax and service report). ack_parse.go reads them back.
//
// Every generator takes the parsed subject document and the issues found in
// it (envelope and structural, as returned by Check or by ValidateEnvelopes
// plus the definitions' validation) and returns a new Document holding one
// acknowledgement interchange per subject interchange, addressed back to
// the sender: interchange and group sender/receiver are swapped, dates and
// times are the generation time and control numbers are new.

// AckType names an acknowledgement kind.
type AckType string

// Acknowledgement kinds.
const (
	AckType997    AckType = "997"
	AckType999    AckType = "999"
	AckTypeTA1    AckType = "TA1"
	AckTypeCONTRL AckType = "CONTRL"
)

// ParseAckType reads an acknowledgement kind name (case-insensitive).
func ParseAckType(s string) (AckType, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "997":
		return AckType997, nil
	case "999":
		return AckType999, nil
	case "TA1":
		return AckTypeTA1, nil
	case "CONTRL":
		return AckTypeCONTRL, nil
	}
	return "", fmt.Errorf("unknown acknowledgement type %q (want 997, 999, TA1 or CONTRL)", s)
}

// Format returns the syntax the acknowledgement kind belongs to.
func (t AckType) Format() Format {
	switch t {
	case AckType997, AckType999, AckTypeTA1:
		return FormatX12
	case AckTypeCONTRL:
		return FormatEDIFACT
	}
	return FormatUnknown
}

// AckStatus is the outcome an acknowledgement reports for an interchange,
// group or transaction set. The values are the X12 codes (AK5/IK5, AK9,
// TA104); CONTRL action codes map onto them (7 accepted, 4 rejected, 8
// received only).
type AckStatus string

// Acknowledgement outcomes.
const (
	AckAccepted           AckStatus = "A" // accepted
	AckAcceptedWithErrors AckStatus = "E" // accepted, errors noted
	AckPartial            AckStatus = "P" // some sets of the group accepted (AK9 only)
	AckRejected           AckStatus = "R" // rejected
	AckReceived           AckStatus = "received"
)

// Accepted reports whether the status means the receiver took the data
// (A, E, or P for the accepted part of a group).
func (s AckStatus) Accepted() bool {
	return s == AckAccepted || s == AckAcceptedWithErrors || s == AckPartial
}

// AckOptions configures acknowledgement generation. The zero value works.
type AckOptions struct {
	// Now is the clock for envelope dates and times; nil means time.Now.
	Now func() time.Time
	// Controls hands out the interchange and group control numbers
	// (ISA13, GS06, UNB 0020), in the Writer's scopes ("isa:SENDER:RECEIVER",
	// "gs:...", "unb:..." with the acknowledgement's own sender and
	// receiver), so acknowledgements share the sequences of other
	// outbound documents. nil counts from FirstControl. Set control
	// numbers (ST02, UNH 0062) count from 1 in each group / interchange,
	// as the Writer does.
	Controls ControlNumbers
	// FirstControl is the first number of every scope when Controls is
	// nil (0 means 1).
	FirstControl int64
	// Delimiters overrides the acknowledgement's delimiters; nil reuses
	// the subject interchange's.
	Delimiters *Delimiters
	// TA1 adds a TA1 segment to every 997/999 interchange whose subject
	// interchange had interchange-level (ISA/IEA) findings, as pyx12
	// does. AckTA1 always produces one.
	TA1 bool
	// ErrorsOnly lists only the transaction sets (AK2 loops) and
	// messages (UCM) with findings; by default every one is listed, which
	// lets the sender match each set to an outcome.
	ErrorsOnly bool
	// AckFunctionalAcks also acknowledges 997/999 groups (GS01 FA) and
	// CONTRL messages; by default they are skipped, as the standards say.
	AckFunctionalAcks bool
	// TestIndicator overrides ISA15 / UNB 0035 (default: copy the
	// subject's).
	TestIndicator string
	// Version999 is the 999's implementation convention reference (ST03,
	// GS08); default "005010X231A1".
	Version999 string
	// ContrlVersion is CONTRL's S009 version:release:agency; default
	// "D:3:UN".
	ContrlVersion string
	// Definitions give the data element reference numbers written in
	// AK402/IK402; nil means Builtin().
	Definitions *Definitions
}

// ErrNothingToAcknowledge is returned when the subject holds nothing the
// requested acknowledgement can answer (no groups for a 997, only
// functional acknowledgements, an X12 document for CONTRL, ...).
var ErrNothingToAcknowledge = errors.New("edi: nothing to acknowledge")

// Ack997 builds X12 997 functional acknowledgements for every functional
// group of doc.
func Ack997(doc *Document, issues []Issue, opts AckOptions) (*Document, error) {
	return Acknowledge(context.Background(), doc, issues, AckType997, opts)
}

// Ack999 builds X12 999 implementation acknowledgements for every
// functional group of doc.
func Ack999(doc *Document, issues []Issue, opts AckOptions) (*Document, error) {
	return Acknowledge(context.Background(), doc, issues, AckType999, opts)
}

// AckTA1 builds one TA1 interchange acknowledgement per X12 interchange of
// doc.
func AckTA1(doc *Document, issues []Issue, opts AckOptions) (*Document, error) {
	return Acknowledge(context.Background(), doc, issues, AckTypeTA1, opts)
}

// AckCONTRL builds one EDIFACT CONTRL syntax report per interchange of doc.
func AckCONTRL(doc *Document, issues []Issue, opts AckOptions) (*Document, error) {
	return Acknowledge(context.Background(), doc, issues, AckTypeCONTRL, opts)
}

// Acknowledge builds acknowledgements of kind typ for doc, reporting the
// issues found in it. The result holds one interchange per acknowledged
// subject interchange; render it with Render. ctx is handed to
// opts.Controls.
func Acknowledge(ctx context.Context, doc *Document, issues []Issue, typ AckType, opts AckOptions) (*Document, error) {
	if doc == nil {
		return nil, ErrNothingToAcknowledge
	}
	if typ.Format() == FormatUnknown {
		return nil, fmt.Errorf("edi: unknown acknowledgement type %q", typ)
	}
	if doc.Format != FormatUnknown && doc.Format != typ.Format() {
		return nil, fmt.Errorf("%w: a %s acknowledgement answers %s, the input is %s", ErrNothingToAcknowledge, typ, typ.Format(), doc.Format)
	}
	g := &ackGen{opts: opts, typ: typ, ctx: ctx, seen: map[string]bool{}}
	if g.opts.Controls == nil {
		g.mem = NewMemoryControlNumbers()
		g.opts.Controls = g.mem
	}
	if g.opts.Now == nil {
		g.opts.Now = time.Now
	}
	g.now = g.opts.Now()
	if g.opts.Version999 == "" {
		g.opts.Version999 = "005010X231A1"
	}
	if g.opts.ContrlVersion == "" {
		g.opts.ContrlVersion = "D:3:UN"
	}
	out := &Document{Format: typ.Format()}
	defs := opts.Definitions
	if defs == nil {
		defs = Builtin()
	}
	assess := assessDocument(doc, issues, defs)
	for _, ia := range assess {
		var (
			ic  *Interchange
			err error
		)
		switch typ {
		case AckType997, AckType999:
			ic, err = g.x12Functional(ia)
		case AckTypeTA1:
			ic, err = g.x12TA1(ia)
		case AckTypeCONTRL:
			ic, err = g.contrl(ia)
		}
		if err != nil {
			return nil, err
		}
		if ic != nil {
			out.Interchanges = append(out.Interchanges, ic)
		}
	}
	if len(out.Interchanges) == 0 {
		why := "no interchange to acknowledge"
		switch typ {
		case AckType997, AckType999:
			why = "no functional group to acknowledge (functional acknowledgements are not acknowledged)"
		case AckTypeCONTRL:
			why = "no interchange to acknowledge (CONTRL messages are not acknowledged)"
		}
		return nil, fmt.Errorf("%w: %s", ErrNothingToAcknowledge, why)
	}
	renumber(out)
	return out, nil
}

// ackGen carries one generation run.
type ackGen struct {
	opts AckOptions
	typ  AckType
	ctx  context.Context
	now  time.Time
	mem  *MemoryControlNumbers // the built-in sequences when opts.Controls is nil
	seen map[string]bool       // scopes used from mem
}

// next returns the next control number of a scope ("isa", "gs", "unb")
// for the acknowledgement's sender and receiver, kept within digits.
func (g *ackGen) next(kind, sender, receiver string, digits int) (int64, error) {
	scope := kind + ":" + strings.TrimSpace(sender) + ":" + strings.TrimSpace(receiver)
	if g.mem != nil && !g.seen[scope] {
		g.seen[scope] = true
		if g.opts.FirstControl > 1 {
			g.mem.Set(scope, g.opts.FirstControl-1)
		}
	}
	n, err := g.opts.Controls.Next(g.ctx, scope)
	if err != nil {
		return 0, fmt.Errorf("edi: acknowledgement %s control number: %w", kind, err)
	}
	return writerWrap(n, digits), nil
}

// --- X12 997 / 999 -------------------------------------------------------

func (g *ackGen) x12Delims(ia *icAssess) Delimiters {
	d := ia.ic.Delims
	if g.opts.Delimiters != nil {
		d = *g.opts.Delimiters
	}
	if d.Segment == 0 {
		d.Segment = '~'
	}
	if d.Element == 0 {
		d.Element = '*'
	}
	if d.Component == 0 {
		d.Component = ':'
	}
	d.Release = 0
	return d
}

// x12Envelope builds the acknowledgement's ISA (sender and receiver
// swapped) and returns it with the new interchange control number.
func (g *ackGen) x12Envelope(ia *icAssess, d Delimiters) (*Interchange, string, error) {
	isa := ia.ic.Header
	sq, sid := isa.Value(7), strings.TrimSpace(isa.Value(8)) // subject receiver = our sender
	rq, rid := isa.Value(5), strings.TrimSpace(isa.Value(6))
	n, err := g.next("isa", sid, rid, 9)
	if err != nil {
		return nil, "", err
	}
	ctl := fmt.Sprintf("%09d", n)
	version := isa.Value(12)
	if version == "" {
		version = "00401"
	}
	rep := "U"
	if version >= "00402" {
		if d.Repetition == 0 || d.Repetition == d.Component || d.Repetition == d.Element || d.Repetition == d.Segment {
			// The subject had none, or one that collides with another
			// delimiter: pick a free one.
			d.Repetition = 0
			for _, c := range []byte("^!{|`") {
				if c != d.Component && c != d.Element && c != d.Segment {
					d.Repetition = c
					break
				}
			}
		}
		rep = string(d.Repetition)
	} else {
		d.Repetition = 0
	}
	usage := isa.Value(15)
	if g.opts.TestIndicator != "" {
		usage = g.opts.TestIndicator
	}
	if usage == "" {
		usage = "P"
	}
	b := newSegBuilder(FormatX12, d)
	hdr := b.fixed("ISA",
		"00", pad("", 10), "00", pad("", 10),
		pad(orDefault(strings.TrimSpace(sq), "ZZ"), 2), pad(sid, 15),
		pad(orDefault(strings.TrimSpace(rq), "ZZ"), 2), pad(rid, 15),
		g.now.Format("060102"), g.now.Format("1504"),
		rep, version, ctl, "0", usage, string(d.Component))
	ic := &Interchange{Delims: d, Header: hdr}
	if g.opts.Delimiters == nil {
		ic.Terminator = ia.ic.Terminator
	}
	return ic, ctl, nil
}

func (g *ackGen) x12Functional(ia *icAssess) (*Interchange, error) {
	if ia.ic.Header == nil || ia.ic.Header.Tag != "ISA" {
		return nil, nil
	}
	d := g.x12Delims(ia)
	var groups []*grpAssess
	for _, ga := range ia.groups {
		if ga.g.Header == nil || ga.g.Header.Tag != "GS" {
			continue // sets outside any GS: nothing to name in AK1
		}
		if ga.functionalID() == "FA" && !g.opts.AckFunctionalAcks {
			continue
		}
		groups = append(groups, ga)
	}
	wantTA1 := g.opts.TA1 && len(ia.codes) > 0
	if len(groups) == 0 && !wantTA1 {
		return nil, nil
	}
	ic, ctl, err := g.x12Envelope(ia, d)
	if err != nil {
		return nil, err
	}
	d = ic.Delims
	b := newSegBuilder(FormatX12, d)
	if wantTA1 {
		ic.TA1 = append(ic.TA1, g.ta1Segment(b, ia))
	}
	// One FA group per application sender/receiver pair (and version).
	type pairKey struct{ from, to, version string }
	byPair := map[pairKey]*Group{}
	setSeq := map[*Group]int{}
	usedGS := map[int64]bool{}
	for _, ga := range groups {
		gs := ga.g.Header
		from, to := gs.Value(3), gs.Value(2)
		gver := gs.Value(8)
		if len(gver) > 6 {
			gver = gver[:6]
		}
		if gver == "" {
			gver = "004010"
		}
		if g.typ == AckType999 {
			gver = g.opts.Version999
		}
		k := pairKey{from, to, gver}
		grp := byPair[k]
		if grp == nil {
			// GS06 must be unique in the interchange: sequences kept per
			// sender/receiver pair can collide when one acknowledgement
			// answers several pairs.
			var n int64
			for tries := 0; ; tries++ {
				if n, err = g.next("gs", from, to, 9); err != nil {
					return nil, err
				}
				if !usedGS[n] || tries > 1000 {
					break
				}
			}
			usedGS[n] = true
			date := g.now.Format("20060102")
			if gver < "004010" {
				date = g.now.Format("060102")
			}
			grp = &Group{Header: b.seg("GS", "FA", from, to, date, g.now.Format("1504"), fmt.Sprint(n), "X", gver)}
			byPair[k] = grp
			ic.Groups = append(ic.Groups, grp)
		}
		setSeq[grp]++
		tx := g.functionalSet(b, ga, fmt.Sprintf("%04d", setSeq[grp]))
		grp.Transactions = append(grp.Transactions, tx)
	}
	for _, grp := range ic.Groups {
		grp.Trailer = b.seg("GE", fmt.Sprint(len(grp.Transactions)), grp.Header.Value(6))
	}
	ic.Trailer = b.seg("IEA", fmt.Sprint(len(ic.Groups)), ctl)
	return ic, nil
}

// functionalSet builds one 997 or 999 transaction set for group ga.
func (g *ackGen) functionalSet(b *segBuilder, ga *grpAssess, ctl string) *Transaction {
	is999 := g.typ == AckType999
	setID := "997"
	segTag, elemTag, setTag := "AK3", "AK4", "AK5"
	if is999 {
		setID = "999"
		segTag, elemTag, setTag = "IK3", "IK4", "IK5"
	}
	var st *Segment
	if is999 {
		st = b.seg("ST", setID, ctl, g.opts.Version999)
	} else {
		st = b.seg("ST", setID, ctl)
	}
	tx := &Transaction{Header: st}
	gs := ga.g.Header
	if is999 {
		tx.Segments = append(tx.Segments, b.seg("AK1", gs.Value(1), gs.Value(6), gs.Value(8)))
	} else {
		tx.Segments = append(tx.Segments, b.seg("AK1", gs.Value(1), gs.Value(6)))
	}
	received, accepted := 0, 0
	anyE := false
	for _, ta := range ga.sets {
		received++
		status := ta.status()
		if status.Accepted() {
			accepted++
		}
		if status == AckAcceptedWithErrors {
			anyE = true
		}
		if g.opts.ErrorsOnly && status == AckAccepted {
			continue
		}
		h := ta.tx.Header
		if is999 {
			ref := ""
			if h != nil {
				ref = h.Value(3)
			}
			if ref == "" && strings.Contains(gs.Value(8), "X") {
				ref = gs.Value(8)
			}
			tx.Segments = append(tx.Segments, b.seg("AK2", ta.setID(), ta.control(), ref))
		} else {
			tx.Segments = append(tx.Segments, b.seg("AK2", ta.setID(), ta.control()))
		}
		for _, se := range ta.segErrors {
			for _, code := range se.codes {
				tx.Segments = append(tx.Segments, b.seg(segTag, se.tag, posStr(se.pos), se.loop, code))
			}
			for _, ee := range se.elems {
				tx.Segments = append(tx.Segments, b.segC(elemTag, ee.positionComponents(), []string{ee.ref}, []string{ee.code}, []string{ee.bad}))
			}
		}
		codes := ta.setCodes()
		tx.Segments = append(tx.Segments, b.seg(setTag, append([]string{string(status)}, limit(codes, 5)...)...))
	}
	included := received
	if ga.g.Trailer != nil {
		if n, ok := atoi(ga.g.Trailer.Value(1)); ok {
			included = n
		}
	}
	var gstatus AckStatus
	switch {
	case ga.hasErrors():
		gstatus = AckRejected
	case received == 0:
		gstatus = AckRejected
	case accepted == received && (anyE || ga.hasWarnings()):
		gstatus = AckAcceptedWithErrors
	case accepted == received:
		gstatus = AckAccepted
	case accepted == 0:
		gstatus = AckRejected
	default:
		gstatus = AckPartial
	}
	ak9 := []string{string(gstatus), fmt.Sprint(included), fmt.Sprint(received), fmt.Sprint(accepted)}
	ak9 = append(ak9, limit(ga.groupCodes(), 5)...)
	tx.Segments = append(tx.Segments, b.seg("AK9", ak9...))
	tx.Trailer = b.seg("SE", fmt.Sprint(len(tx.Segments)+2), ctl)
	return tx
}

// --- TA1 -----------------------------------------------------------------

func (g *ackGen) ta1Segment(b *segBuilder, ia *icAssess) *Segment {
	isa := ia.ic.Header
	status := AckAccepted
	code := "000"
	if len(ia.codes) > 0 {
		code = ia.codes[0]
		status = AckAcceptedWithErrors
		if ia.hasErrors() {
			status = AckRejected
		}
	}
	return b.seg("TA1", isa.Value(13), isa.Value(9), isa.Value(10), string(status), code)
}

func (g *ackGen) x12TA1(ia *icAssess) (*Interchange, error) {
	if ia.ic.Header == nil || ia.ic.Header.Tag != "ISA" {
		return nil, nil
	}
	d := g.x12Delims(ia)
	ic, ctl, err := g.x12Envelope(ia, d)
	if err != nil {
		return nil, err
	}
	b := newSegBuilder(FormatX12, ic.Delims)
	ic.TA1 = []*Segment{g.ta1Segment(b, ia)}
	ic.Trailer = b.seg("IEA", "0", ctl)
	return ic, nil
}

// --- EDIFACT CONTRL ------------------------------------------------------

func (g *ackGen) contrl(ia *icAssess) (*Interchange, error) {
	unb := ia.ic.Header
	if unb == nil || unb.Tag != "UNB" {
		return nil, nil
	}
	if !g.opts.AckFunctionalAcks && ia.onlyContrl() {
		return nil, nil
	}
	d := ia.ic.Delims
	if g.opts.Delimiters != nil {
		d = *g.opts.Delimiters
	}
	if d.Segment == 0 {
		d.Segment = '\''
	}
	if d.Element == 0 {
		d.Element = '+'
	}
	if d.Component == 0 {
		d.Component = ':'
	}
	if d.Release == 0 {
		d.Release = '?'
	}
	if d.Decimal == 0 {
		d.Decimal = '.'
	}
	b := newSegBuilder(FormatEDIFACT, d)
	syntax := unb.Components(1)
	level := ""
	if len(syntax) > 1 {
		level = syntax[1]
	}
	if level != "4" {
		d.Repetition = 0
		b.d.Repetition = 0
	}
	sender, recipient := unb.Components(3), unb.Components(2) // swapped
	n, err := g.next("unb", firstOf(sender), firstOf(recipient), 14)
	if err != nil {
		return nil, err
	}
	ref := fmt.Sprint(n)
	date := g.now.Format("060102")
	if level == "4" {
		date = g.now.Format("20060102")
	}
	unbElems := [][]string{syntax, sender, recipient, {date, g.now.Format("1504")}, {ref}}
	test := g.opts.TestIndicator
	if test == "" && unb.Len() >= 11 {
		test = unb.Value(11)
	}
	if test != "" {
		unbElems = append(unbElems, nil, nil, nil, nil, nil, []string{test})
	}
	ic := &Interchange{Delims: d, UNA: ia.ic.UNA || g.opts.Delimiters != nil, Header: b.segC("UNB", unbElems...)}
	if g.opts.Delimiters == nil {
		ic.Terminator = ia.ic.Terminator
	}
	mref := "1"
	ver := strings.Split(g.opts.ContrlVersion, ":")
	unh := b.segC("UNH", []string{mref}, append([]string{"CONTRL"}, ver...))
	msg := &Transaction{Header: unh}

	// UCI: subject reference, sender, recipient, action, error, segment.
	action := "7"
	uci := [][]string{{unb.Value(5)}, unb.Components(2), unb.Components(3), {action}}
	if len(ia.codes) > 0 {
		if ia.hasErrors() {
			action = "4"
		}
		uci[3] = []string{action}
		uci = append(uci, []string{ia.codes[0]})
		if ia.tag != "" {
			uci = append(uci, []string{ia.tag})
		}
	}
	msg.Segments = append(msg.Segments, b.segC("UCI", uci...))
	ucm := func(ta *setAssess) {
		status := ta.status()
		if g.opts.ErrorsOnly && status == AckAccepted {
			return
		}
		h := ta.tx.Header
		act := "7"
		if status == AckRejected {
			act = "4"
		}
		var s009 []string
		if h != nil {
			s009 = h.Components(2)
		}
		el := [][]string{{ta.control()}, s009, {act}}
		if codes := ta.setCodes(); len(codes) > 0 {
			el = append(el, []string{codes[0]})
			if ta.setTag != "" {
				el = append(el, []string{ta.setTag})
			}
		}
		msg.Segments = append(msg.Segments, b.segC("UCM", el...))
		for _, se := range ta.segErrors {
			// UCS: segment position and (for segment-level findings) the
			// error; UCD: error then element:component position.
			code := ""
			if len(se.codes) > 0 && !(len(se.codes) == 1 && se.codes[0] == se.elemOnlyCode) {
				code = se.codes[0]
			}
			msg.Segments = append(msg.Segments, b.segC("UCS", []string{posStr(se.pos)}, []string{code}))
			for _, ee := range se.elems {
				pos := []string{fmt.Sprint(ee.element)}
				if ee.component > 0 {
					pos = append(pos, fmt.Sprint(ee.component))
				}
				msg.Segments = append(msg.Segments, b.segC("UCD", []string{ee.code}, pos))
			}
		}
	}
	for _, ta := range ia.loose {
		if ta.isContrl() && !g.opts.AckFunctionalAcks {
			continue
		}
		ucm(ta)
	}
	for _, ga := range ia.groups {
		ung := ga.g.Header
		if ung == nil {
			for _, ta := range ga.sets {
				ucm(ta)
			}
			continue
		}
		act := "7"
		st := ga.status()
		if st == AckRejected {
			act = "4"
		}
		if g.opts.ErrorsOnly && st == AckAccepted && len(ga.codes) == 0 {
			continue
		}
		el := [][]string{{ung.Value(5)}, ung.Components(2), ung.Components(3), {act}}
		if codes := ga.groupCodes(); len(codes) > 0 {
			el = append(el, []string{codes[0]})
			if ga.tag != "" {
				el = append(el, []string{ga.tag})
			}
		}
		msg.Segments = append(msg.Segments, b.segC("UCF", el...))
		for _, ta := range ga.sets {
			ucm(ta)
		}
	}
	msg.Trailer = b.segC("UNT", []string{fmt.Sprint(len(msg.Segments) + 2)}, []string{mref})
	ic.Messages = []*Transaction{msg}
	ic.Trailer = b.segC("UNZ", []string{"1"}, []string{ref})
	return ic, nil
}

// --- helpers ---------------------------------------------------------------

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func limit(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func posStr(p int) string {
	if p <= 0 {
		return ""
	}
	return fmt.Sprint(p)
}

func atoi(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
