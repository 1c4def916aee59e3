package edi

import (
	"fmt"
	"strconv"
	"strings"
)

// This file checks envelopes: X12 ISA/IEA, GS/GE, ST/SE and EDIFACT
// UNB/UNZ, UNG/UNE, UNH/UNT. The checks run during Parse and Walk (the
// assembler in model.go feeds the checker as envelopes open and close) and
// over a finished Document with ValidateEnvelopes; all three report the
// same issues in the same order.
//
// Every issue carries the control numbers of its enclosing envelopes and,
// where the finding maps to one, the acknowledgement code (AckCode):
//
//	code                              X12 ack code        EDIFACT CONTRL 0085
//	envelope.missing_trailer   (ST)   AK5/IK5 2            13 (UNH)
//	                           (GS)   AK9 3                13 (UNG)
//	                           (ISA)  TA1 023              13 (UNB)
//	envelope.se_count / unt_count     AK5/IK5 4            29
//	envelope.se_control / unt_control AK5/IK5 3            28
//	envelope.st_id                    AK5/IK5 6            -
//	envelope.st_control / unh_control AK5/IK5 7            13
//	envelope.duplicate_set_control    AK5/IK5 23           26
//	envelope.ge_count / une_count     AK9 5                29
//	envelope.ge_control / une_control AK9 4                28
//	envelope.gs_control / ung_control AK9 6                13
//	envelope.gs_version               -                    -
//	envelope.duplicate_group_control  AK9 19               26
//	envelope.iea_count / unz_count    TA1 021              29
//	envelope.iea_control / unz_control TA1 001             28
//	envelope.isa_width                TA1 005…020, 027 (the ISA field's note code)
//	envelope.isa_elements             TA1 022              -
//	envelope.isa_control              TA1 018              -
//	envelope.isa_version              TA1 017              -
//	envelope.unb_control              -                    13
//	envelope.mixed_groups_messages    -                    30
//	envelope.unexpected_segment       TA1 024 (interchange level) 33
//	envelope.no_interchange / no_group -                   -
//
// AckCode holds the X12 code for X12 input and the CONTRL code for
// EDIFACT input. EnvelopeLevel tells which envelope an issue concerns.

// Envelope issue codes (Issue.Code).
const (
	CodeEnvMissingTrailer    = "envelope.missing_trailer"    // ST/GS/ISA (UNH/UNG/UNB) without its trailer; Tag is the header's
	CodeEnvNoInterchange     = "envelope.no_interchange"     // GS/ST (UNG/UNH) outside any ISA (UNB)
	CodeEnvNoGroup           = "envelope.no_group"           // X12 ST outside any GS
	CodeEnvUnexpectedSegment = "envelope.unexpected_segment" // a segment outside any transaction where only envelopes may be (first of a run)
	CodeEnvMixed             = "envelope.mixed_groups_messages"

	CodeEnvISAWidth    = "envelope.isa_width"    // an ISA field is not its fixed width
	CodeEnvISAElements = "envelope.isa_elements" // ISA does not have 16 elements
	CodeEnvISAControl  = "envelope.isa_control"  // ISA13 is not 9 digits
	CodeEnvISAVersion  = "envelope.isa_version"  // ISA12 missing
	CodeEnvIEACount    = "envelope.iea_count"    // IEA01 != number of GS
	CodeEnvIEAControl  = "envelope.iea_control"  // IEA02 != ISA13
	CodeEnvGSControl   = "envelope.gs_control"   // GS06 missing
	CodeEnvGSVersion   = "envelope.gs_version"   // GS08 missing
	CodeEnvGECount     = "envelope.ge_count"     // GE01 != number of ST
	CodeEnvGEControl   = "envelope.ge_control"   // GE02 != GS06
	CodeEnvSTID        = "envelope.st_id"        // ST01 missing
	CodeEnvSTControl   = "envelope.st_control"   // ST02 missing
	CodeEnvSECount     = "envelope.se_count"     // SE01 != segments ST..SE
	CodeEnvSEControl   = "envelope.se_control"   // SE02 != ST02

	CodeEnvUNBControl = "envelope.unb_control" // UNB 0020 missing
	CodeEnvUNZCount   = "envelope.unz_count"   // UNZ01 != number of UNG (or of UNH without groups)
	CodeEnvUNZControl = "envelope.unz_control" // UNZ02 != UNB 0020
	CodeEnvUNGControl = "envelope.ung_control" // UNG 0048 missing
	CodeEnvUNECount   = "envelope.une_count"   // UNE01 != number of UNH in the group
	CodeEnvUNEControl = "envelope.une_control" // UNE02 != UNG 0048
	CodeEnvUNHControl = "envelope.unh_control" // UNH 0062 missing
	CodeEnvUNTCount   = "envelope.unt_count"   // UNT01 != segments UNH..UNT
	CodeEnvUNTControl = "envelope.unt_control" // UNT02 != UNH 0062

	CodeEnvDuplicateSet   = "envelope.duplicate_set_control"   // ST02 (UNH 0062) repeated in a group (interchange for EDIFACT messages without group)
	CodeEnvDuplicateGroup = "envelope.duplicate_group_control" // GS06 (UNG 0048) repeated in an interchange
)

// Envelope levels returned by EnvelopeLevel.
const (
	LevelInterchange = "interchange"
	LevelGroup       = "group"
	LevelTransaction = "transaction"
)

// EnvelopeLevel says which envelope an envelope issue concerns:
// LevelInterchange, LevelGroup or LevelTransaction; "" for other issues.
func EnvelopeLevel(is Issue) string {
	switch is.Code {
	case CodeEnvMissingTrailer:
		switch is.Tag {
		case "ST", "UNH":
			return LevelTransaction
		case "GS", "UNG":
			return LevelGroup
		}
		return LevelInterchange
	case CodeEnvSECount, CodeEnvSEControl, CodeEnvSTID, CodeEnvSTControl,
		CodeEnvUNTCount, CodeEnvUNTControl, CodeEnvUNHControl, CodeEnvDuplicateSet:
		return LevelTransaction
	case CodeEnvGECount, CodeEnvGEControl, CodeEnvGSControl, CodeEnvGSVersion,
		CodeEnvUNECount, CodeEnvUNEControl, CodeEnvUNGControl, CodeEnvDuplicateGroup, CodeEnvNoGroup:
		return LevelGroup
	case CodeEnvUnexpectedSegment:
		if is.GroupControl != "" {
			return LevelGroup
		}
		return LevelInterchange
	case CodeEnvNoInterchange, CodeEnvMixed, CodeEnvISAWidth, CodeEnvISAElements,
		CodeEnvISAControl, CodeEnvISAVersion, CodeEnvIEACount, CodeEnvIEAControl,
		CodeEnvUNBControl, CodeEnvUNZCount, CodeEnvUNZControl:
		return LevelInterchange
	}
	return ""
}

// ValidateOptions configures the envelope checks.
type ValidateOptions struct {
	// Strict makes every envelope finding an error. Otherwise (tolerant
	// mode) counts, control references, missing trailers or headers and ISA
	// widths are warnings, as real partners get them wrong; only segments
	// that cannot belong anywhere (envelope.unexpected_segment) stay
	// errors.
	Strict bool
}

// ValidateEnvelopes checks the envelopes of doc: trailer counts and
// control references, ISA fixed widths, required control fields,
// duplicate control numbers and misplaced segments. Parse and Walk run the
// same checks (ParseOptions.Strict); use this on documents built or
// changed in memory.
func ValidateEnvelopes(doc *Document, opts ValidateOptions) []Issue {
	if doc == nil {
		return nil
	}
	c := newEnvChecker(opts)
	var out []Issue
	for _, ic := range doc.Interchanges {
		out = append(out, c.startInterchange(ic, interchangeFirstSegment(ic), icFormat(ic, doc.Format))...)
		groups, msgs := 0, 0
		for _, it := range interchangeItems(ic) {
			switch {
			case it.group != nil:
				g := it.group
				if g.Header != nil {
					groups++
				}
				out = append(out, c.startGroup(ic, g, groupFirstSegment(g))...)
				n := 0
				for _, git := range groupItems(g) {
					if git.tx != nil {
						n++
						out = append(out, c.transaction(ic, g, git.tx)...)
					} else {
						out = append(out, c.stray(ic, g, git.seg)...)
					}
				}
				out = append(out, c.endGroup(ic, g, n)...)
			case it.tx != nil:
				msgs++
				out = append(out, c.transaction(ic, nil, it.tx)...)
			default:
				out = append(out, c.stray(ic, nil, it.seg)...)
			}
		}
		out = append(out, c.endInterchange(ic, groups, msgs)...)
	}
	return out
}

// envChecker holds the state of the envelope checks across one input.
type envChecker struct {
	strict    bool
	edifact   bool            // current interchange
	groupCtl  map[string]bool // group control numbers seen in the interchange
	setCtl    map[string]bool // set control numbers seen in the group
	msgCtl    map[string]bool // EDIFACT message references directly in the interchange
	lastStray int             // position of the last stray segment (runs are reported once)
	needIC    bool            // implicit interchange: no_interchange not yet reported
}

// noInterchange reports the first envelope header found in an implicit
// interchange.
func (c *envChecker) noInterchange(ic *Interchange, g *Group, t *Transaction, s *Segment) []Issue {
	if !c.needIC || s == nil {
		return nil
	}
	c.needIC = false
	want := "ISA"
	if c.edifact {
		want = "UNB"
	}
	return []Issue{c.issue(CodeEnvNoInterchange, "", s, 0, ic, g, t,
		"%s outside an interchange (no %s header)", s.Tag, want)}
}

func newEnvChecker(opts ValidateOptions) *envChecker {
	return &envChecker{strict: opts.Strict}
}

func (c *envChecker) sev() Severity {
	if c.strict {
		return SeverityError
	}
	return SeverityWarning
}

// issue builds an issue located at segment s within the given envelopes.
func (c *envChecker) issue(code, ack string, s *Segment, elem int, ic *Interchange, g *Group, t *Transaction, format string, args ...any) Issue {
	is := Issue{
		Severity:           c.sev(),
		Code:               code,
		Message:            fmt.Sprintf(format, args...),
		Element:            elem,
		AckCode:            ack,
		InterchangeControl: ic.Control(),
		GroupControl:       g.Control(),
		SetControl:         t.Control(),
	}
	if s != nil {
		is.SegmentPos = s.Pos
		is.Offset = s.Offset
		is.Tag = s.Tag
	}
	return is
}

// ack picks the X12 or the EDIFACT acknowledgement code.
func (c *envChecker) ack(x12, edifact string) string {
	if c.edifact {
		return edifact
	}
	return x12
}

// isaWidths are the fixed widths of ISA01..ISA16.
var isaWidths = [16]int{2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1}

// isaNoteCodes are the TA1 note codes for an invalid ISA01..ISA16.
var isaNoteCodes = [16]string{"010", "011", "012", "013", "005", "006", "007", "008", "014", "015", "016", "017", "018", "019", "020", "027"}

func (c *envChecker) startInterchange(ic *Interchange, first *Segment, f Format) []Issue {
	c.edifact = f == FormatEDIFACT
	c.groupCtl, c.msgCtl, c.setCtl = nil, nil, nil
	h := ic.Header
	if h == nil {
		// Reported at the first group or transaction header inside, if
		// any (stray data segments are reported on their own).
		c.needIC = true
		return nil
	}
	c.needIC = false
	var out []Issue
	switch h.Tag {
	case "ISA":
		if h.Len() != 16 {
			out = append(out, c.issue(CodeEnvISAElements, "022", h, 0, ic, nil, nil,
				"ISA has %d elements, want 16", h.Len()))
		}
		for i, w := range isaWidths {
			n := i + 1
			if n == 13 || n > h.Len() {
				continue
			}
			if got := len(h.Elements[i]); got != w {
				out = append(out, c.issue(CodeEnvISAWidth, isaNoteCodes[i], h, n, ic, nil, nil,
					"ISA%02d is %d bytes, fixed width is %d", n, got, w))
			}
		}
		if v := h.Value(13); len(v) != 9 || !envDigits(v) {
			out = append(out, c.issue(CodeEnvISAControl, "018", h, 13, ic, nil, nil,
				"ISA13 %q is not a 9-digit interchange control number", v))
		}
		if strings.TrimSpace(h.Value(12)) == "" {
			out = append(out, c.issue(CodeEnvISAVersion, "017", h, 12, ic, nil, nil,
				"ISA12 (interchange control version) is missing"))
		}
	case "UNB":
		if strings.TrimSpace(h.Value(5)) == "" {
			out = append(out, c.issue(CodeEnvUNBControl, c.ack("", "13"), h, 5, ic, nil, nil,
				"UNB interchange control reference (0020) is missing"))
		}
	}
	return out
}

func (c *envChecker) startGroup(ic *Interchange, g *Group, first *Segment) []Issue {
	c.setCtl = nil
	out := c.noInterchange(ic, g, nil, first)
	h := g.Header
	if h == nil {
		if first == nil {
			return out
		}
		return append(out, c.issue(CodeEnvNoGroup, "", first, 0, ic, g, nil,
			"%s outside a functional group (no GS header)", first.Tag))
	}
	ctl := g.Control()
	switch h.Tag {
	case "GS":
		if strings.TrimSpace(ctl) == "" {
			out = append(out, c.issue(CodeEnvGSControl, "6", h, 6, ic, g, nil,
				"GS06 (group control number) is missing"))
		}
		if strings.TrimSpace(h.Value(8)) == "" {
			out = append(out, c.issue(CodeEnvGSVersion, "", h, 8, ic, g, nil,
				"GS08 (version / release / industry identifier) is missing"))
		}
	case "UNG":
		if strings.TrimSpace(ctl) == "" {
			out = append(out, c.issue(CodeEnvUNGControl, "13", h, 5, ic, g, nil,
				"UNG group reference number (0048) is missing"))
		}
	}
	if ctl != "" {
		if c.groupCtl[ctl] {
			out = append(out, c.issue(CodeEnvDuplicateGroup, c.ack("19", "26"), h, c.ctlElem(h), ic, g, nil,
				"group control number %q is used twice in the interchange", ctl))
		}
		if c.groupCtl == nil {
			c.groupCtl = map[string]bool{}
		}
		c.groupCtl[ctl] = true
	}
	return out
}

// ctlElem is the element holding a header's control number.
func (c *envChecker) ctlElem(h *Segment) int {
	switch h.Tag {
	case "ISA":
		return 13
	case "GS":
		return 6
	case "ST":
		return 2
	case "UNH":
		return 1
	}
	return 5 // UNB, UNG
}

func (c *envChecker) transaction(ic *Interchange, g *Group, t *Transaction) []Issue {
	h := t.Header
	if h == nil {
		return nil
	}
	out := c.noInterchange(ic, g, t, h)
	ctl := t.Control()
	edi := h.Tag == "UNH"
	if edi {
		if ctl == "" {
			out = append(out, c.issue(CodeEnvUNHControl, "13", h, 1, ic, g, t,
				"UNH message reference number (0062) is missing"))
		}
	} else {
		if strings.TrimSpace(h.Value(1)) == "" {
			out = append(out, c.issue(CodeEnvSTID, "6", h, 1, ic, g, t,
				"ST01 (transaction set identifier) is missing"))
		}
		if strings.TrimSpace(ctl) == "" {
			out = append(out, c.issue(CodeEnvSTControl, "7", h, 2, ic, g, t,
				"ST02 (transaction set control number) is missing"))
		}
	}
	if ctl != "" {
		seen := &c.setCtl
		if g == nil {
			seen = &c.msgCtl
		}
		if (*seen)[ctl] {
			where := "group"
			if g == nil {
				where = "interchange"
			}
			out = append(out, c.issue(CodeEnvDuplicateSet, c.ack("23", "26"), h, c.ctlElem(h), ic, g, t,
				"%s control number %q is used twice in the %s", h.Tag, ctl, where))
		}
		if *seen == nil {
			*seen = map[string]bool{}
		}
		(*seen)[ctl] = true
	}
	tr := t.Trailer
	if tr == nil {
		want := "SE"
		if edi {
			want = "UNT"
		}
		out = append(out, c.issue(CodeEnvMissingTrailer, c.ack("2", "13"), h, 0, ic, g, t,
			"%s %q has no %s trailer", h.Tag, ctl, want))
		return out
	}
	countCode, ctlCode := CodeEnvSECount, CodeEnvSEControl
	if edi {
		countCode, ctlCode = CodeEnvUNTCount, CodeEnvUNTControl
	}
	n := len(t.Segments) + 2
	if got := tr.Value(1); !envCountIs(got, n) {
		out = append(out, c.issue(countCode, c.ack("4", "29"), tr, 1, ic, g, t,
			"%s01 says %q segments, the %s has %d (%s to %s inclusive)", tr.Tag, got, envSetWord(edi), n, h.Tag, tr.Tag))
	}
	if got := tr.Value(2); got != ctl {
		out = append(out, c.issue(ctlCode, c.ack("3", "28"), tr, 2, ic, g, t,
			"%s02 %q does not match %s control number %q", tr.Tag, got, h.Tag, ctl))
	}
	return out
}

func envSetWord(edifact bool) string {
	if edifact {
		return "message"
	}
	return "transaction set"
}

func (c *envChecker) endGroup(ic *Interchange, g *Group, n int) []Issue {
	c.setCtl = nil
	h := g.Header
	if h == nil {
		return nil
	}
	ctl := g.Control()
	tr := g.Trailer
	if tr == nil {
		want := "GE"
		if h.Tag == "UNG" {
			want = "UNE"
		}
		return []Issue{c.issue(CodeEnvMissingTrailer, c.ack("3", "13"), h, 0, ic, g, nil,
			"%s %q has no %s trailer", h.Tag, ctl, want)}
	}
	countCode, ctlCode, unit := CodeEnvGECount, CodeEnvGEControl, "ST"
	if h.Tag == "UNG" {
		countCode, ctlCode, unit = CodeEnvUNECount, CodeEnvUNEControl, "UNH"
	}
	var out []Issue
	if got := tr.Value(1); !envCountIs(got, n) {
		out = append(out, c.issue(countCode, c.ack("5", "29"), tr, 1, ic, g, nil,
			"%s01 says %q, the group has %d %s", tr.Tag, got, n, unit))
	}
	if got := tr.Value(2); got != ctl {
		out = append(out, c.issue(ctlCode, c.ack("4", "28"), tr, 2, ic, g, nil,
			"%s02 %q does not match %s control number %q", tr.Tag, got, h.Tag, ctl))
	}
	return out
}

func (c *envChecker) endInterchange(ic *Interchange, groups, msgs int) []Issue {
	c.groupCtl, c.msgCtl, c.setCtl = nil, nil, nil
	h := ic.Header
	if h == nil {
		return nil
	}
	ctl := ic.Control()
	var out []Issue
	edi := h.Tag == "UNB"
	if edi && groups > 0 && msgs > 0 {
		out = append(out, c.issue(CodeEnvMixed, "30", h, 0, ic, nil, nil,
			"the interchange has %d groups and %d messages outside groups", groups, msgs))
	}
	tr := ic.Trailer
	if tr == nil {
		want := "IEA"
		if edi {
			want = "UNZ"
		}
		return append(out, c.issue(CodeEnvMissingTrailer, c.ack("023", "13"), h, 0, ic, nil, nil,
			"%s %q has no %s trailer", h.Tag, ctl, want))
	}
	countCode, ctlCode := CodeEnvIEACount, CodeEnvIEAControl
	n, unit := groups, "GS"
	if edi {
		countCode, ctlCode = CodeEnvUNZCount, CodeEnvUNZControl
		unit = "UNG"
		if groups == 0 {
			n, unit = msgs, "UNH"
		}
	}
	if got := tr.Value(1); !envCountIs(got, n) {
		out = append(out, c.issue(countCode, c.ack("021", "29"), tr, 1, ic, nil, nil,
			"%s01 says %q, the interchange has %d %s", tr.Tag, got, n, unit))
	}
	if got := strings.TrimSpace(tr.Value(2)); got != ctl {
		out = append(out, c.issue(ctlCode, c.ack("001", "28"), tr, 2, ic, nil, nil,
			"%s02 %q does not match %s control number %q", tr.Tag, got, h.Tag, ctl))
	}
	return out
}

// stray checks a segment found outside any transaction.
func (c *envChecker) stray(ic *Interchange, g *Group, s *Segment) []Issue {
	run := s.Pos > 0 && c.lastStray > 0 && s.Pos == c.lastStray+1
	c.lastStray = s.Pos
	if g == nil && !c.edifact && (ic.Header == nil || ic.Header.Tag == "ISA") {
		switch s.Tag {
		case "TA1", "ISB", "ISE":
			c.lastStray = 0
			return nil
		}
	}
	if run {
		return nil
	}
	where := "outside any transaction set"
	ack := ""
	if c.edifact {
		where = "outside any message"
		ack = "33"
	} else if g == nil && ic.Header != nil {
		ack = "024"
	}
	is := c.issue(CodeEnvUnexpectedSegment, ack, s, 0, ic, g, nil, "segment %s %s", s.Tag, where)
	is.Severity = SeverityError
	return []Issue{is}
}

// envCountIs reports whether a count element holds the number n (leading
// zeros and surrounding spaces allowed).
func envCountIs(s string, n int) bool {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	return err == nil && v == n
}

func envDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
