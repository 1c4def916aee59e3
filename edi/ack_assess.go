package edi

import (
	"fmt"
	"sort"
	"strings"
)

// This file sorts the issues found in a subject document onto its
// interchanges, groups, transaction sets, segments and elements, and maps
// each to the acknowledgement code the generators write.

type icAssess struct {
	ic     *Interchange
	format Format
	groups []*grpAssess
	loose  []*setAssess // EDIFACT messages outside any UNG group
	issues []Issue      // interchange-level findings
	codes  []string     // TA1 note codes (X12) or UCI 0085 codes (EDIFACT)
	tag    string       // service segment of the first finding (UCI 0013)
}

type grpAssess struct {
	g      *Group
	format Format
	sets   []*setAssess
	issues []Issue
	codes  []string // AK9 codes (X12) or UCF 0085 codes
	tag    string
}

type setAssess struct {
	tx        *Transaction
	version   string // GS08 / UNH S009 version:release, for element references
	defs      *Definitions
	format    Format
	issues    []Issue  // set-level (envelope) findings
	codes     []string // AK5/IK5 codes (X12) or UCM 0085 codes
	setTag    string   // UNH/UNT of the first set-level finding (UCM 0013)
	segErrors []*segErr
	byKey     map[string]*segErr
}

type segErr struct {
	pos          int // position in the set, header = 1
	tag          string
	loop         string
	codes        []string
	elemOnlyCode string // the code added only because elements are in error
	elems        []*elemErr
	errors       bool // any finding of error severity
}

type elemErr struct {
	element, component, repetition int
	ref, code, bad                 string
}

// positionComponents is AK401/IK401 (C030): the element position, then
// the component position and (5010) the repetition when known.
func (e *elemErr) positionComponents() []string {
	if e.element <= 0 {
		return nil
	}
	out := []string{fmt.Sprint(e.element), "", ""}
	if e.component > 0 {
		out[1] = fmt.Sprint(e.component)
	}
	if e.repetition > 0 {
		out[2] = fmt.Sprint(e.repetition)
	}
	return out
}

func hasErrorIssue(is []Issue) bool {
	for _, i := range is {
		if i.Severity == SeverityError {
			return true
		}
	}
	return false
}

func hasWarningIssue(is []Issue) bool {
	for _, i := range is {
		if i.Severity == SeverityWarning {
			return true
		}
	}
	return false
}

func (ia *icAssess) hasErrors() bool { return hasErrorIssue(ia.issues) }

// onlyContrl reports whether every message of the interchange is a CONTRL.
func (ia *icAssess) onlyContrl() bool {
	n := 0
	for _, t := range ia.loose {
		if !t.isContrl() {
			return false
		}
		n++
	}
	for _, g := range ia.groups {
		for _, t := range g.sets {
			if !t.isContrl() {
				return false
			}
			n++
		}
	}
	return n > 0
}

func (ga *grpAssess) functionalID() string {
	if ga.g.Header == nil {
		return ""
	}
	return ga.g.Header.Value(1)
}

func (ga *grpAssess) hasErrors() bool   { return hasErrorIssue(ga.issues) }
func (ga *grpAssess) hasWarnings() bool { return hasWarningIssue(ga.issues) }

func (ga *grpAssess) groupCodes() []string { return ga.codes }

// status of an EDIFACT group: rejected on group-level errors or when every
// message is rejected.
func (ga *grpAssess) status() AckStatus {
	if ga.hasErrors() {
		return AckRejected
	}
	acc := 0
	for _, t := range ga.sets {
		if t.status().Accepted() {
			acc++
		}
	}
	if len(ga.sets) > 0 && acc == 0 {
		return AckRejected
	}
	if acc < len(ga.sets) {
		return AckPartial
	}
	return AckAccepted
}

func (ta *setAssess) setID() string   { return ta.tx.SetID() }
func (ta *setAssess) control() string { return ta.tx.Control() }

func (ta *setAssess) isContrl() bool { return ta.format == FormatEDIFACT && ta.setID() == "CONTRL" }

func (ta *setAssess) status() AckStatus {
	errs := hasErrorIssue(ta.issues)
	warns := hasWarningIssue(ta.issues)
	for _, se := range ta.segErrors {
		if se.errors {
			errs = true
		} else {
			warns = true
		}
	}
	switch {
	case errs:
		return AckRejected
	case warns:
		return AckAcceptedWithErrors
	}
	return AckAccepted
}

// setCodes are the AK5/IK5 codes: the set-level codes, then 5 ("one or
// more segments in error") when any segment is reported; for EDIFACT only
// the set-level codes (segments are reported in UCS).
func (ta *setAssess) setCodes() []string {
	codes := append([]string(nil), ta.codes...)
	if ta.format == FormatX12 && len(ta.segErrors) > 0 {
		codes = appendUnique(codes, "5")
	}
	if ta.format == FormatX12 {
		sortCodes(codes)
	}
	return codes
}

func appendUnique(s []string, v string) []string {
	if v == "" {
		return s
	}
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// sortCodes orders numeric codes numerically, others after them.
func sortCodes(codes []string) {
	sort.SliceStable(codes, func(i, j int) bool {
		a, aok := atoi(codes[i])
		b, bok := atoi(codes[j])
		switch {
		case aok && bok:
			return a < b
		case aok:
			return true
		}
		return false
	})
}

// span is the segment position range of an envelope.
type span struct{ from, to int }

func (s span) has(p int) bool { return p >= s.from && p <= s.to && s.from > 0 }

func segPos(s *Segment) int {
	if s == nil {
		return 0
	}
	return s.Pos
}

func txSpan(t *Transaction) span {
	sp := span{from: segPos(t.Header), to: segPos(t.Trailer)}
	for _, s := range t.Segments {
		if s.Pos > sp.to {
			sp.to = s.Pos
		}
		if sp.from == 0 || (s.Pos > 0 && s.Pos < sp.from) {
			sp.from = s.Pos
		}
	}
	return sp
}

func grpSpan(g *Group) span {
	sp := span{from: segPos(g.Header), to: segPos(g.Trailer)}
	for _, s := range g.Other {
		if s.Pos > sp.to {
			sp.to = s.Pos
		}
	}
	for _, t := range g.Transactions {
		ts := txSpan(t)
		if ts.to > sp.to {
			sp.to = ts.to
		}
		if sp.from == 0 {
			sp.from = ts.from
		}
	}
	return sp
}

func icSpan(ic *Interchange) span {
	sp := span{from: segPos(ic.Header), to: segPos(ic.Trailer)}
	grow := func(o span) {
		if o.to > sp.to {
			sp.to = o.to
		}
		if sp.from == 0 {
			sp.from = o.from
		}
	}
	for _, s := range ic.TA1 {
		grow(span{s.Pos, s.Pos})
	}
	for _, s := range ic.Other {
		grow(span{s.Pos, s.Pos})
	}
	for _, g := range ic.Groups {
		grow(grpSpan(g))
	}
	for _, t := range ic.Messages {
		grow(txSpan(t))
	}
	return sp
}

// issueLevel says which envelope an issue is about.
type issueLevel int

const (
	levelInterchange issueLevel = iota
	levelGroup
	levelSet
	levelSegment
)

func tagLevel(tag string) (issueLevel, bool) {
	switch tag {
	case "ISA", "IEA", "TA1", "ISB", "ISE", "UNA", "UNB", "UNZ":
		return levelInterchange, true
	case "GS", "GE", "UNG", "UNE":
		return levelGroup, true
	case "ST", "SE", "UNH", "UNT":
		return levelSet, true
	}
	return 0, false
}

// assessDocument distributes issues over doc's envelopes.
func assessDocument(doc *Document, issues []Issue, defs *Definitions) []*icAssess {
	var out []*icAssess
	type setRef struct {
		ta *setAssess
		sp span
	}
	type grpRef struct {
		ga *grpAssess
		sp span
	}
	type icRef struct {
		ia *icAssess
		sp span
	}
	var (
		ics  []icRef
		grps []grpRef
		sets []setRef
	)
	for _, ic := range doc.Interchanges {
		f := doc.Format
		if ic.Header != nil {
			switch ic.Header.Tag {
			case "ISA":
				f = FormatX12
			case "UNB":
				f = FormatEDIFACT
			}
		}
		ia := &icAssess{ic: ic, format: f}
		out = append(out, ia)
		ics = append(ics, icRef{ia, icSpan(ic)})
		newSet := func(g *Group, t *Transaction) *setAssess {
			ta := &setAssess{tx: t, format: f, byKey: map[string]*segErr{}, defs: defs}
			switch {
			case f == FormatEDIFACT && t.Header != nil:
				if c := t.Header.Components(2); len(c) >= 3 {
					ta.version = c[1] + c[2] // "D" + "96A"
				}
			case g != nil && g.Header != nil:
				ta.version = g.Header.Value(8)
			}
			sets = append(sets, setRef{ta, txSpan(t)})
			return ta
		}
		for _, t := range ic.Messages {
			ia.loose = append(ia.loose, newSet(nil, t))
		}
		for _, g := range ic.Groups {
			ga := &grpAssess{g: g, format: f}
			ia.groups = append(ia.groups, ga)
			grps = append(grps, grpRef{ga, grpSpan(g)})
			for _, t := range g.Transactions {
				ga.sets = append(ga.sets, newSet(g, t))
			}
		}
	}
	seen := map[string]bool{}
	for _, is := range issues {
		key := fmt.Sprintf("%d|%s|%s|%d|%d|%s|%s", is.SegmentPos, is.Tag, is.Code, is.Element, is.Component, is.AckCode, is.Message)
		if seen[key] {
			continue
		}
		seen[key] = true
		// Find the innermost envelope holding the issue.
		var (
			ia *icAssess
			ga *grpAssess
			ta *setAssess
		)
		if is.SegmentPos > 0 {
			for _, r := range sets {
				if r.sp.has(is.SegmentPos) {
					ta = r.ta
					break
				}
			}
			for _, r := range grps {
				if r.sp.has(is.SegmentPos) {
					ga = r.ga
					break
				}
			}
			for _, r := range ics {
				if r.sp.has(is.SegmentPos) {
					ia = r.ia
					break
				}
			}
		}
		if ia == nil && ga == nil && ta == nil {
			// By control numbers.
			for _, r := range ics {
				if is.InterchangeControl != "" && r.ia.ic.Header != nil && r.ia.ic.Control() == is.InterchangeControl {
					ia = r.ia
					break
				}
			}
			if ia == nil && len(out) > 0 {
				ia = out[len(out)-1]
				for _, r := range ics {
					if is.Offset > 0 && r.ia.ic.Header != nil && r.ia.ic.Header.Offset <= is.Offset {
						ia = r.ia
					}
				}
			}
			if ia != nil && is.GroupControl != "" {
				for _, g := range ia.groups {
					if g.g.Header != nil && g.g.Control() == is.GroupControl {
						ga = g
						break
					}
				}
			}
			if ia != nil && is.SetControl != "" {
				var cands []*setAssess
				if ga != nil {
					cands = ga.sets
				} else {
					cands = append(cands, ia.loose...)
					for _, g := range ia.groups {
						cands = append(cands, g.sets...)
					}
				}
				for _, t := range cands {
					if t.control() == is.SetControl {
						ta = t
						break
					}
				}
			}
		}
		if ia == nil {
			continue
		}
		var level issueLevel
		envelope := strings.HasPrefix(is.Code, "envelope.") || strings.HasPrefix(is.Code, "syntax.")
		switch EnvelopeLevel(is) {
		case LevelInterchange:
			level = levelInterchange
		case LevelGroup:
			level = levelGroup
		case LevelTransaction:
			level = levelSet
		default:
			switch {
			case is.Code == CodeUnknownSet:
				// No definition: nothing was checked, nothing to report.
				continue
			case envelope:
				if l, ok := tagLevel(is.Tag); ok {
					level = l
				} else if ta != nil {
					level = levelSet
				} else if ga != nil {
					level = levelGroup
				}
			case ta != nil:
				if is.AckCode == "" {
					// A finding without an acknowledgement code (an
					// application rule such as CTT01's count) is not a
					// syntax error to acknowledge.
					continue
				}
				level = levelSegment
			case ga != nil:
				level = levelGroup
			}
		}
		// A set/group finding outside any set/group (missing header)
		// climbs up.
		if level >= levelSet && ta == nil {
			if ga != nil {
				level = levelGroup
			} else {
				level = levelInterchange
			}
		}
		if level == levelGroup && ga == nil {
			level = levelInterchange
		}
		switch level {
		case levelInterchange:
			ia.issues = append(ia.issues, is)
			ia.codes = appendUnique(ia.codes, ackCodeFor(ia.format, levelInterchange, is))
			if ia.tag == "" {
				ia.tag = serviceTag(is.Tag)
			}
		case levelGroup:
			ga.issues = append(ga.issues, is)
			ga.codes = appendUnique(ga.codes, ackCodeFor(ga.format, levelGroup, is))
			if ga.tag == "" {
				ga.tag = serviceTag(is.Tag)
			}
		case levelSet:
			ta.issues = append(ta.issues, is)
			ta.codes = appendUnique(ta.codes, ackCodeFor(ta.format, levelSet, is))
			if ta.setTag == "" {
				ta.setTag = serviceTag(is.Tag)
			}
		case levelSegment:
			ta.addSegmentIssue(is)
		}
	}
	for _, ia := range out {
		for _, ga := range ia.groups {
			for _, ta := range ga.sets {
				ta.finish()
			}
			if ga.g.Trailer == nil && ga.g.Header != nil {
				ga.codes = appendUnique(ga.codes, map[Format]string{FormatX12: "3", FormatEDIFACT: "13"}[ga.format])
				if len(ga.issues) == 0 {
					ga.issues = append(ga.issues, Issue{Severity: SeverityError, Code: "envelope.missing_trailer"})
				}
			}
		}
		for _, ta := range ia.loose {
			ta.finish()
		}
		if ia.ic.Trailer == nil && len(ia.codes) == 0 {
			ia.issues = append(ia.issues, Issue{Severity: SeverityError, Code: "envelope.missing_trailer"})
			if ia.format == FormatX12 {
				ia.codes = append(ia.codes, "023")
			} else {
				ia.codes = append(ia.codes, "13")
				if ia.tag == "" {
					ia.tag = "UNZ"
				}
			}
		}
	}
	return out
}

func serviceTag(tag string) string {
	if _, ok := tagLevel(tag); ok {
		return tag
	}
	return ""
}

// addSegmentIssue records a segment- or element-level finding.
func (ta *setAssess) addSegmentIssue(is Issue) {
	start := segPos(ta.tx.Header)
	pos := 0
	if is.SegmentPos > 0 && start > 0 {
		pos = is.SegmentPos - start + 1
	}
	tag := is.Tag
	key := fmt.Sprintf("%d|%s", pos, tag)
	absent := false
	if at := ta.segmentAt(is.SegmentPos); at == nil || at.Tag != tag {
		// About an absent segment (a missing one, reported where its
		// absence shows): each finding is its own AK3, and its loop is
		// not the loop of the segment it is reported at.
		key = fmt.Sprintf("%d|%s|%d", pos, tag, len(ta.segErrors))
		absent = true
	}
	se := ta.byKey[key]
	if se == nil {
		se = &segErr{pos: pos, tag: tag}
		if !absent {
			se.loop = loopOf(ta.tx.Loops, is.SegmentPos)
		}
		ta.byKey[key] = se
		ta.segErrors = append(ta.segErrors, se)
	}
	if is.Severity == SeverityError {
		se.errors = true
	}
	if is.Element > 0 {
		code := ackCodeFor(ta.format, levelSegment, is)
		ee := &elemErr{element: is.Element, component: is.Component, code: code, ref: ta.elementRef(tag, is.Element, is.Component)}
		if code != "1" && code != "13" { // not "missing": copy the bad data
			ee.bad = ta.badData(is)
		}
		se.elems = append(se.elems, ee)
		return
	}
	se.codes = appendUnique(se.codes, ackCodeFor(ta.format, levelSegment, is))
}

// finish orders segment errors by position and gives element-only
// segments their AK3 code 8.
func (ta *setAssess) finish() {
	for _, se := range ta.segErrors {
		if len(se.codes) == 0 && len(se.elems) > 0 && ta.format == FormatX12 {
			se.codes = []string{"8"}
			se.elemOnlyCode = "8"
		}
	}
	sort.SliceStable(ta.segErrors, func(i, j int) bool { return ta.segErrors[i].pos < ta.segErrors[j].pos })
	if ta.tx.Trailer == nil && ta.tx.Header != nil {
		code := "2"
		if ta.format == FormatEDIFACT {
			code = "13"
			if ta.setTag == "" {
				ta.setTag = "UNT"
			}
		}
		ta.codes = appendUnique(ta.codes, code)
		if !hasErrorIssue(ta.issues) {
			ta.issues = append(ta.issues, Issue{Severity: SeverityError, Code: "envelope.missing_trailer"})
		}
	}
}

// segmentAt returns the set's segment at input position pos.
func (ta *setAssess) segmentAt(pos int) *Segment {
	for _, s := range ta.tx.AllSegments() {
		if s.Pos == pos {
			return s
		}
	}
	return nil
}

// badData copies the erroneous element value (AK404/IK404), at most 99
// characters.
func (ta *setAssess) badData(is Issue) string {
	seg := ta.segmentAt(is.SegmentPos)
	if seg == nil || seg.Tag != is.Tag || is.Element <= 0 {
		return ""
	}
	v := seg.Value(is.Element)
	if is.Component > 0 {
		c := seg.Components(is.Element)
		v = ""
		if is.Component <= len(c) {
			v = c[is.Component-1]
		}
	}
	if len(v) > 99 {
		v = v[:99]
	}
	return v
}

// loopOf returns the ID of the innermost loop (below the root) holding the
// segment at input position pos, "" when none.
func loopOf(root *Loop, pos int) string {
	if root == nil || pos <= 0 {
		return ""
	}
	var find func(l *Loop, depth int) string
	find = func(l *Loop, depth int) string {
		for _, c := range l.Children {
			if id := find(c, depth+1); id != "" {
				return id
			}
		}
		if depth > 0 {
			for _, s := range l.Segments {
				if s.Pos == pos {
					return l.ID
				}
			}
		}
		return ""
	}
	return find(root, 0)
}

// elementRef returns the data element reference number of an element (or
// of its component) from the definitions, "" when unknown.
func (ta *setAssess) elementRef(tag string, el, comp int) string {
	if ta.defs == nil || el <= 0 {
		return ""
	}
	sd, ok := ta.defs.Segment(ta.format, ta.version, tag)
	if !ok || el > len(sd.Elements) {
		return ""
	}
	e := &sd.Elements[el-1]
	if comp > 0 {
		if comp > len(e.Components) {
			return ""
		}
		return e.Components[comp-1].Ref
	}
	if e.IsComposite() {
		return ""
	}
	return e.Ref
}
