package edi

// Structural validation of one transaction set / message against its
// definition: a state machine over the set's structure that builds the
// Loop tree, then element checks per segment, then set rules (HL
// hierarchy, counts).

import (
	"strconv"
	"unicode/utf8"
)

// StructureOptions configures Definitions.Validate.
type StructureOptions struct {
	// Partner selects a partner implementation guide (see Overlay); the
	// base definition is used when the partner has none for the set.
	Partner string
	// Tolerant reports element-level findings (length, type, code,
	// missing element) as warnings; structure findings stay errors.
	Tolerant bool
	// SkipElements checks structure only (segment order, loops, counts).
	SkipElements bool
	// StrictCodes reports values outside partial code lists (lists that
	// name only the common codes of a larger standard list) as warnings.
	StrictCodes bool
	// MaxIssues caps the issues returned for one transaction (0 = 1000).
	MaxIssues int
	// InterchangeControl and GroupControl are copied onto every issue.
	InterchangeControl string
	GroupControl       string
}

// Issue codes reported by Validate, with their X12 997 (AK3-04 / AK4-03)
// and EDIFACT CONTRL (0085) acknowledgement codes in Issue.AckCode.
const (
	CodeUnknownSet          = "structure.unknown_set"          // no definition (warning; AK5 1)
	CodeUnrecognizedSegment = "structure.unrecognized_segment" // tag in no dictionary: AK3 1 / 15
	CodeUnexpectedSegment   = "structure.unexpected_segment"   // in the set, not reachable here: AK3 2 / 15
	CodeMissingSegment      = "structure.missing_segment"      // mandatory segment or loop absent: AK3 3 / 13
	CodeLoopMaxUse          = "structure.loop_max_use"         // loop repeats too often: AK3 4 / 36
	CodeMaxUse              = "structure.max_use"              // segment repeats too often: AK3 5 / 35
	CodeNotInSet            = "structure.not_in_set"           // known segment, not in this set: AK3 6 / 15
	CodeOutOfOrder          = "structure.out_of_order"         // in the set but earlier: AK3 7 / 15
	CodeNotUsed             = "structure.not_used"             // guide marks it not used: AK3 2 (999 I4) / 15
	CodeBelowMin            = "structure.below_min"            // guide minimum not reached: AK3 3 (999 I7/I8) / 13
	CodeHLParent            = "structure.hl_parent"            // HL02 names no earlier HL01: AK4 7 / 12
	CodeHLDuplicate         = "structure.hl_duplicate"         // HL01 repeated: AK4 7 / 12
	CodeCountMismatch       = "structure.count_mismatch"       // e.g. CTT01 != number of HL (warning)

	CodeElementMissing     = "element.missing"              // AK4 1 / 13
	CodeConditionalMissing = "element.conditional_missing"  // syntax rule P/R/C/L: AK4 2 / 13
	CodeElementTooMany     = "element.too_many"             // too many elements or components: AK4 3 / 16
	CodeElementTooShort    = "element.too_short"            // AK4 4 / 40
	CodeElementTooLong     = "element.too_long"             // AK4 5 / 39
	CodeElementBadType     = "element.bad_type"             // invalid character for the type: AK4 6 / 37
	CodeElementBadCode     = "element.bad_code"             // AK4 7 / 12
	CodeElementCodeNotUsed = "element.code_not_used"        // standard code excluded by the guide: AK4 7 (999 I6) / 12
	CodeElementBadDate     = "element.bad_date"             // AK4 8 / 12
	CodeElementBadTime     = "element.bad_time"             // AK4 9 / 12
	CodeElementExclusion   = "element.exclusion"            // syntax rule E: AK4 10 / 12
	CodeElementNotUsed     = "element.not_used"             // guide marks it not used: AK4 10 (999 I10) / 15
	CodeElementTooManyReps = "element.too_many_repetitions" // AK4 12 (5010) / 35
	CodeElementUnknownCode = "element.unknown_code"         // value outside a partial list (StrictCodes; warning)
)

// ackCodes maps an issue code to its X12 and EDIFACT acknowledgement codes.
var ackCodes = map[string][2]string{
	CodeUnknownSet:          {"1", ""},
	CodeUnrecognizedSegment: {"1", "15"},
	CodeUnexpectedSegment:   {"2", "15"},
	CodeMissingSegment:      {"3", "13"},
	CodeLoopMaxUse:          {"4", "36"},
	CodeMaxUse:              {"5", "35"},
	CodeNotInSet:            {"6", "15"},
	CodeOutOfOrder:          {"7", "15"},
	CodeNotUsed:             {"2", "15"},
	CodeBelowMin:            {"3", "13"},
	CodeHLParent:            {"7", "12"},
	CodeHLDuplicate:         {"7", "12"},
	CodeElementMissing:      {"1", "13"},
	CodeConditionalMissing:  {"2", "13"},
	CodeElementTooMany:      {"3", "16"},
	CodeElementTooShort:     {"4", "40"},
	CodeElementTooLong:      {"5", "39"},
	CodeElementBadType:      {"6", "37"},
	CodeElementBadCode:      {"7", "12"},
	CodeElementCodeNotUsed:  {"7", "12"},
	CodeElementBadDate:      {"8", "12"},
	CodeElementBadTime:      {"9", "12"},
	CodeElementExclusion:    {"10", "12"},
	CodeElementNotUsed:      {"10", "15"},
	CodeElementTooManyReps:  {"12", "35"},
}

// Validate checks tx against the definition of its set (found with
// LookupPartner for opts.Partner, the version and tx's set identifier),
// fills tx.Loops with the loop tree and returns it with the findings.
// Without a definition the tree is flat (every segment in the root) and a
// single warning CodeUnknownSet is returned. Validate never panics on any
// input and does not modify segments.
func (d *Definitions) Validate(tx *Transaction, format Format, version string, opts ...StructureOptions) (*Loop, []Issue) {
	var o StructureOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if tx == nil {
		return nil, nil
	}
	setID := tx.SetID()
	set, ok := d.LookupPartner(o.Partner, format, version, setID)
	if !ok {
		root := &Loop{ID: setID}
		root.Segments = tx.AllSegments()
		tx.Loops = root
		is := Issue{Severity: SeverityWarning, Code: CodeUnknownSet, Message: "no definition for " + format.String() + " " + setID + " " + version, SetControl: tx.Control(), AckCode: "1",
			InterchangeControl: o.InterchangeControl, GroupControl: o.GroupControl}
		if format == FormatEDIFACT {
			is.AckCode = ""
		}
		if h := tx.Header; h != nil {
			is.SegmentPos, is.Offset, is.Tag = h.Pos, h.Offset, h.Tag
		}
		return root, []Issue{is}
	}
	return set.Validate(tx, o)
}

// Validate checks tx against this definition (see Definitions.Validate).
func (set *SetDef) Validate(tx *Transaction, o StructureOptions) (*Loop, []Issue) {
	v := validator{set: set, opts: o, control: tx.Control(), edifact: set.Format == FormatEDIFACT}
	v.max = o.MaxIssues
	if v.max <= 0 {
		v.max = 1000
	}
	root := &Loop{ID: set.ID}
	v.stack = append(v.stackBuf[:0], frame{node: set.Root, idx: -1, loop: root})
	if tx.Header != nil {
		v.segment(tx.Header)
	}
	for _, s := range tx.Segments {
		if s != nil {
			v.segment(s)
		}
	}
	if tx.Trailer != nil {
		v.segment(tx.Trailer)
	}
	v.finish(tx.Trailer == nil)
	v.rules(tx)
	tx.Loops = root
	return root, v.issues
}

type frame struct {
	node  *NodeDef // loop (or root) whose children are walked
	idx   int      // index of the current child (-1: none yet)
	count int      // occurrences of the current child
	loop  *Loop    // tree node being filled
}

// newLoop takes a Loop from a per-transaction slab (fewer allocations).
func (v *validator) newLoop(id string) *Loop {
	if len(v.slab) == cap(v.slab) {
		v.slab = make([]Loop, 0, 16)
	}
	v.slab = append(v.slab, Loop{ID: id})
	l := &v.slab[len(v.slab)-1]
	l.Segments = make([]*Segment, 0, 4)
	return l
}

type validator struct {
	slab     []Loop
	set      *SetDef
	opts     StructureOptions
	control  string
	edifact  bool
	stack    []frame
	stackBuf [8]frame
	issues   []Issue
	max      int
	last     *Segment // last segment seen (for end-of-set findings)
	hl       map[string]struct{}
}

func (v *validator) add(is Issue) {
	if len(v.issues) >= v.max {
		return
	}
	if is.AckCode == "" {
		if c, ok := ackCodes[is.Code]; ok {
			if v.edifact {
				is.AckCode = c[1]
			} else {
				is.AckCode = c[0]
			}
		}
	}
	is.SetControl = v.control
	is.InterchangeControl = v.opts.InterchangeControl
	is.GroupControl = v.opts.GroupControl
	v.issues = append(v.issues, is)
}

func (v *validator) segIssue(s *Segment, code, msg string) {
	v.add(Issue{Severity: SeverityError, Code: code, Message: msg, SegmentPos: s.Pos, Offset: s.Offset, Tag: s.Tag})
}

// at returns the segment the issue about a missing segment is reported at:
// the segment where the absence was detected.
func (v *validator) missing(at *Segment, n *NodeDef, where string) {
	what := "segment " + n.Tag
	if n.Loop {
		what = "loop " + n.ID + " (" + n.Tag + ")"
	}
	is := Issue{Severity: SeverityError, Code: CodeMissingSegment, Tag: n.Tag, Message: "mandatory " + what + " missing" + where}
	if at != nil {
		is.SegmentPos, is.Offset = at.Pos, at.Offset
	}
	v.add(is)
}

func (v *validator) segment(s *Segment) {
	v.last = s
	tag := s.Tag
	// search the innermost frame, then its ancestors
	for k := len(v.stack) - 1; k >= 0; k-- {
		f := &v.stack[k]
		j, _ := f.acceptAt(tag, k == 0)
		if j < 0 {
			continue
		}
		// close the frames above k
		for len(v.stack)-1 > k {
			v.closeFrame(s)
		}
		v.enter(f, j, s)
		return
	}
	// nowhere: a repeat beyond max use of the innermost current node?
	for k := len(v.stack) - 1; k >= 0; k-- {
		f := &v.stack[k]
		if f.idx < 0 {
			continue
		}
		n := f.node.Children[f.idx]
		if n.Tag != tag || (f.idx == 0 && k > 0) {
			continue
		}
		for len(v.stack)-1 > k {
			v.closeFrame(s)
		}
		if n.Loop {
			v.segIssue(s, CodeLoopMaxUse, "loop "+n.ID+" repeats more than "+strconv.Itoa(n.Max)+" times")
		} else {
			v.segIssue(s, CodeMaxUse, "segment "+tag+" repeats more than "+strconv.Itoa(n.Max)+" times")
		}
		v.enterRepeat(f, s)
		return
	}
	v.unplaced(s)
}

// acceptAt is accept with the root rule: in the root (not a loop) the
// first child may repeat like any other.
func (f *frame) acceptAt(tag string, isRoot bool) (int, bool) {
	kids := f.node.Children
	start := f.idx
	if start < 0 {
		start = 0
	}
	overflow := false
	for j := start; j < len(kids); j++ {
		n := kids[j]
		if n.Tag != tag {
			continue
		}
		if j == f.idx {
			if j == 0 && !isRoot {
				continue // a trigger never repeats inside its own iteration
			}
			if n.Max == 0 || f.count < n.Max {
				return j, false
			}
			overflow = true
			continue
		}
		return j, overflow
	}
	return -1, overflow
}

// enter places s at child j of frame f (j >= f.idx).
func (v *validator) enter(f *frame, j int, s *Segment) {
	if j != f.idx {
		v.skipped(f, j, s)
		f.idx, f.count = j, 0
	}
	v.enterRepeat(f, s)
}

// enterRepeat adds one occurrence of the current child of f.
func (v *validator) enterRepeat(f *frame, s *Segment) {
	n := f.node.Children[f.idx]
	f.count++
	if n.Loop {
		l := v.newLoop(n.ID)
		f.loop.Children = append(f.loop.Children, l)
		l.Segments = append(l.Segments, s)
		v.stack = append(v.stack, frame{node: n, idx: 0, count: 1, loop: l})
		trig := n.Children[0]
		if trig.Req == ReqNotUsed || n.Req == ReqNotUsed {
			v.segIssue(s, CodeNotUsed, "loop "+n.ID+" is not used in this implementation")
			return
		}
		v.checkSegment(s, trig.Segment)
		return
	}
	f.loop.Segments = append(f.loop.Segments, s)
	if n.Req == ReqNotUsed {
		v.segIssue(s, CodeNotUsed, "segment "+s.Tag+" is not used in this implementation")
		return
	}
	v.checkSegment(s, n.Segment)
}

// skipped reports mandatory children of f between its current child and
// child j that never occurred, and a current child below its minimum.
func (v *validator) skipped(f *frame, j int, at *Segment) {
	kids := f.node.Children
	if f.idx >= 0 {
		if n := kids[f.idx]; n.Min > 1 && f.count < n.Min {
			v.belowMin(at, n, f.count)
		}
	}
	for i := f.idx + 1; i < j && i < len(kids); i++ {
		n := kids[i]
		if n.Req == ReqMandatory {
			v.missing(at, n, "")
		}
	}
}

func (v *validator) belowMin(at *Segment, n *NodeDef, count int) {
	is := Issue{Severity: SeverityError, Code: CodeBelowMin, Tag: n.Tag,
		Message: n.ID + " occurs " + strconv.Itoa(count) + " times, at least " + strconv.Itoa(n.Min) + " required"}
	if at != nil {
		is.SegmentPos, is.Offset = at.Pos, at.Offset
	}
	v.add(is)
}

// closeFrame ends the innermost loop iteration: remaining mandatory
// children are missing.
func (v *validator) closeFrame(at *Segment) {
	f := &v.stack[len(v.stack)-1]
	v.skipped(f, len(f.node.Children), at)
	v.stack = v.stack[:len(v.stack)-1]
}

// finish closes every frame at the end of the set.
func (v *validator) finish(noTrailer bool) {
	at := v.last
	for len(v.stack) > 1 {
		v.closeFrame(at)
	}
	f := &v.stack[0]
	kids := f.node.Children
	end := len(kids)
	if noTrailer && end > 0 {
		if t := kids[end-1].Tag; t == "SE" || t == "UNT" {
			end-- // a missing trailer is an envelope finding
		}
	}
	v.skipped(f, end, at)
}

// unplaced reports a segment that fits nowhere and attaches it to the
// innermost loop.
func (v *validator) unplaced(s *Segment) {
	f := &v.stack[len(v.stack)-1]
	f.loop.Segments = append(f.loop.Segments, s)
	tag := s.Tag
	if _, ok := v.set.tags[tag]; ok {
		// in the set: earlier in an open container (out of order) or in
		// a loop that is not open here (unexpected)
		for k := len(v.stack) - 1; k >= 0; k-- {
			g := &v.stack[k]
			for i := 0; i <= g.idx && i < len(g.node.Children); i++ {
				if g.node.Children[i].Tag == tag {
					v.segIssue(s, CodeOutOfOrder, "segment "+tag+" is not in proper sequence")
					return
				}
			}
		}
		v.segIssue(s, CodeUnexpectedSegment, "segment "+tag+" is not expected here")
		return
	}
	if _, ok := v.set.dict.segments[tag]; ok || isServiceTag(tag) {
		v.segIssue(s, CodeNotInSet, "segment "+tag+" is not defined in transaction set "+v.set.ID)
		return
	}
	v.segIssue(s, CodeUnrecognizedSegment, "unrecognized segment "+strconv.Quote(tag))
}

func isServiceTag(tag string) bool {
	switch tag {
	case "ISA", "IEA", "GS", "GE", "ST", "SE", "TA1", "UNA", "UNB", "UNZ", "UNG", "UNE", "UNH", "UNT":
		return true
	}
	return false
}

// ---- elements ---------------------------------------------------------

func (v *validator) elemIssue(s *Segment, code string, el, comp int, msg string) {
	sev := SeverityError
	if v.opts.Tolerant {
		sev = SeverityWarning
	}
	v.add(Issue{Severity: sev, Code: code, Message: msg, SegmentPos: s.Pos, Offset: s.Offset, Tag: s.Tag, Element: el, Component: comp})
}

func elemName(tag string, el, comp int) string {
	b := make([]byte, 0, 12)
	b = append(b, tag...)
	if el < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(el), 10)
	if comp > 0 {
		b = append(b, '-')
		if comp < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, int64(comp), 10)
	}
	return string(b)
}

func (v *validator) checkSegment(s *Segment, sd *SegmentDef) {
	if sd == nil || v.opts.SkipElements {
		return
	}
	var present uint64
	n := len(s.Elements)
	for i := 0; i < n; i++ {
		raw := s.Elements[i]
		if i >= len(sd.Elements) {
			if sd.Open {
				break
			}
			if !allBlank(raw) {
				v.elemIssue(s, CodeElementTooMany, i+1, 0, "too many data elements: "+s.Tag+" has "+strconv.Itoa(len(sd.Elements)))
				break
			}
			continue
		}
		u := &sd.Elements[i]
		if len(raw) == 0 {
			continue
		}
		if i < 64 {
			present |= 1 << uint(i)
		}
		if u.Req == ReqNotUsed {
			v.elemIssue(s, CodeElementNotUsed, i+1, 0, elemName(s.Tag, i+1, 0)+" is not used in this implementation")
			continue
		}
		v.checkElement(s, u, raw, i+1)
	}
	for i := range sd.Elements {
		u := &sd.Elements[i]
		if u.Req != ReqMandatory {
			continue
		}
		if i >= n || len(s.Elements[i]) == 0 {
			v.elemIssue(s, CodeElementMissing, i+1, 0, "mandatory element "+elemName(s.Tag, i+1, 0)+" ("+u.Name+") missing")
		}
	}
	for _, r := range sd.Syntax {
		v.syntaxRule(s, r, present)
	}
}

func allBlank(b []byte) bool { return len(b) == 0 }

func (v *validator) syntaxRule(s *Segment, r SyntaxRule, present uint64) {
	has := func(e int) bool { return e <= 64 && present&(1<<uint(e-1)) != 0 }
	cnt := 0
	for _, e := range r.Elems {
		if has(e) {
			cnt++
		}
	}
	firstMissing := func(from int) int {
		for _, e := range r.Elems[from:] {
			if !has(e) {
				return e
			}
		}
		return r.Elems[0]
	}
	switch r.Kind {
	case 'P':
		if cnt > 0 && cnt < len(r.Elems) {
			e := firstMissing(0)
			v.elemIssue(s, CodeConditionalMissing, e, 0, "syntax rule "+r.String()+": "+elemName(s.Tag, e, 0)+" required when the others are present")
		}
	case 'R':
		if cnt == 0 {
			e := r.Elems[0]
			v.elemIssue(s, CodeConditionalMissing, e, 0, "syntax rule "+r.String()+": at least one of the elements is required")
		}
	case 'E':
		if cnt > 1 {
			second := 0
			seen := 0
			for _, e := range r.Elems {
				if has(e) {
					seen++
					if seen == 2 {
						second = e
						break
					}
				}
			}
			v.elemIssue(s, CodeElementExclusion, second, 0, "syntax rule "+r.String()+": only one of the elements may be present")
		}
	case 'C':
		if has(r.Elems[0]) {
			for _, e := range r.Elems[1:] {
				if !has(e) {
					v.elemIssue(s, CodeConditionalMissing, e, 0, "syntax rule "+r.String()+": "+elemName(s.Tag, e, 0)+" required when "+elemName(s.Tag, r.Elems[0], 0)+" is present")
					break
				}
			}
		}
	case 'L':
		if has(r.Elems[0]) {
			any := false
			for _, e := range r.Elems[1:] {
				if has(e) {
					any = true
				}
			}
			if !any {
				e := r.Elems[1]
				v.elemIssue(s, CodeConditionalMissing, e, 0, "syntax rule "+r.String()+": one of the listed elements is required when "+elemName(s.Tag, r.Elems[0], 0)+" is present")
			}
		}
	}
}

// checkElement checks one present element (raw, still escaped).
func (v *validator) checkElement(s *Segment, u *ElementUse, raw []byte, pos int) {
	d := s.Delims
	// repetitions
	if u.Repeat != 1 && d.Repetition != 0 {
		reps := 0
		v.split(raw, d.Repetition, d.Release, func(part []byte) {
			reps++
			if u.Repeat > 0 && reps == u.Repeat+1 {
				v.elemIssue(s, CodeElementTooManyReps, pos, 0, elemName(s.Tag, pos, 0)+" repeats more than "+strconv.Itoa(u.Repeat)+" times")
			}
			if len(part) > 0 {
				v.checkOccurrence(s, u, part, pos)
			}
		})
		return
	}
	v.checkOccurrence(s, u, raw, pos)
}

func (v *validator) checkOccurrence(s *Segment, u *ElementUse, raw []byte, pos int) {
	d := s.Delims
	if u.Components == nil {
		if v.edifact && d.Component != 0 && hasUnescaped(raw, d.Component, d.Release) {
			v.elemIssue(s, CodeElementTooMany, pos, 2, elemName(s.Tag, pos, 0)+" is a simple element but has components")
			return
		}
		v.checkValue(s, u, raw, pos, 0)
		return
	}
	comp := 0
	var present uint64
	tooMany := false
	v.split(raw, d.Component, d.Release, func(part []byte) {
		comp++
		if comp > len(u.Components) {
			if len(part) > 0 && !tooMany {
				tooMany = true
				v.elemIssue(s, CodeElementTooMany, pos, comp, "too many components in "+elemName(s.Tag, pos, 0))
			}
			return
		}
		if len(part) == 0 {
			return
		}
		if comp <= 64 {
			present |= 1 << uint(comp-1)
		}
		cu := &u.Components[comp-1]
		if cu.Req == ReqNotUsed {
			v.elemIssue(s, CodeElementNotUsed, pos, comp, elemName(s.Tag, pos, comp)+" is not used in this implementation")
			return
		}
		v.checkValue(s, cu, part, pos, comp)
	})
	for i := range u.Components {
		cu := &u.Components[i]
		if cu.Req == ReqMandatory && (i >= 64 || present&(1<<uint(i)) == 0) {
			v.elemIssue(s, CodeElementMissing, pos, i+1, "mandatory component "+elemName(s.Tag, pos, i+1)+" ("+cu.Name+") missing")
		}
	}
}

// split calls fn for each part of raw separated by sep (unescaped).
func (v *validator) split(raw []byte, sep, release byte, fn func([]byte)) {
	start := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if release != 0 && c == release && v.edifact {
			i++
			continue
		}
		if c == sep {
			fn(raw[start:i])
			start = i + 1
		}
	}
	fn(raw[start:])
}

func hasUnescaped(raw []byte, sep, release byte) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if release != 0 && c == release {
			i++
			continue
		}
		if c == sep {
			return true
		}
	}
	return false
}

// checkValue checks a simple value: type, length, code.
func (v *validator) checkValue(s *Segment, u *ElementUse, raw []byte, pos, comp int) {
	var release byte
	if v.edifact {
		release = s.Delims.Release
	}
	// length in characters (digits for numeric types)
	length := 0
	switch u.Type {
	case TypeN, TypeR, TypeNumeric:
		ok, digits, leadDot := numeric(raw, u.Type, release)
		if !ok {
			v.elemIssue(s, CodeElementBadType, pos, comp, elemName(s.Tag, pos, comp)+" must be numeric ("+u.Type.String()+")")
			return
		}
		if leadDot && v.edifact {
			v.add(Issue{Severity: v.elemSeverity(), Code: CodeElementBadType, Message: elemName(s.Tag, pos, comp) + " has no digit before the decimal mark", SegmentPos: s.Pos, Offset: s.Offset, Tag: s.Tag, Element: pos, Component: comp, AckCode: "38"})
			return
		}
		length = digits
	case TypeDT:
		if !validDate(raw) {
			v.elemIssue(s, CodeElementBadDate, pos, comp, elemName(s.Tag, pos, comp)+" is not a valid date")
			return
		}
		length = len(raw)
	case TypeTM:
		if !validTime(raw) {
			v.elemIssue(s, CodeElementBadTime, pos, comp, elemName(s.Tag, pos, comp)+" is not a valid time")
			return
		}
		length = len(raw)
	default:
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			if release != 0 && c == release && i+1 < len(raw) {
				i++
				c = raw[i]
			}
			if c < 0x80 {
				length++
				if (c < 0x20 && !v.edifact) || c == 0x7f {
					v.elemIssue(s, CodeElementBadType, pos, comp, elemName(s.Tag, pos, comp)+" contains a control character")
					return
				}
				continue
			}
			if c&0xC0 != 0x80 { // count UTF-8 sequences as one character
				length++
			}
		}
		if !utf8.Valid(raw) {
			// Latin-1 and other 8-bit data: one byte is one character
			length = len(raw)
		}
	}
	if u.Max > 0 && length > u.Max {
		v.elemIssue(s, CodeElementTooLong, pos, comp, elemName(s.Tag, pos, comp)+" is longer than "+strconv.Itoa(u.Max))
		return
	}
	if length < u.Min {
		v.elemIssue(s, CodeElementTooShort, pos, comp, elemName(s.Tag, pos, comp)+" is shorter than "+strconv.Itoa(u.Min))
		return
	}
	if u.Codes != nil {
		val := raw
		if release != 0 {
			val = unescapeBytes(raw, release)
		}
		if _, ok := u.Codes.Codes[string(val)]; !ok {
			switch {
			case u.BaseCodes != nil && u.BaseCodes.Has(string(val)):
				v.elemIssue(s, CodeElementCodeNotUsed, pos, comp, elemName(s.Tag, pos, comp)+" code "+strconv.Quote(string(val))+" is not used in this implementation")
			case !u.Codes.Partial:
				v.elemIssue(s, CodeElementBadCode, pos, comp, elemName(s.Tag, pos, comp)+" code "+strconv.Quote(string(val))+" is not valid")
			case v.opts.StrictCodes:
				v.add(Issue{Severity: SeverityWarning, Code: CodeElementUnknownCode, Message: elemName(s.Tag, pos, comp) + " code " + strconv.Quote(string(val)) + " is not in the known list", SegmentPos: s.Pos, Offset: s.Offset, Tag: s.Tag, Element: pos, Component: comp})
			}
		}
	}
}

func (v *validator) elemSeverity() Severity {
	if v.opts.Tolerant {
		return SeverityWarning
	}
	return SeverityError
}

func unescapeBytes(raw []byte, release byte) []byte {
	i := 0
	for i < len(raw) && raw[i] != release {
		i++
	}
	if i == len(raw) {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for j := 0; j < len(raw); j++ {
		if raw[j] == release && j+1 < len(raw) {
			j++
		}
		out = append(out, raw[j])
	}
	return out
}

// numeric checks an X12 N/R or EDIFACT n value and returns its digit
// count (sign and decimal mark excluded) and whether it starts with the
// decimal mark.
func numeric(raw []byte, t DataType, release byte) (ok bool, digits int, leadDot bool) {
	i := 0
	if i < len(raw) && raw[i] == '-' {
		i++
	}
	dots := 0
	exp := false
	for ; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && t != TypeN, c == ',' && t == TypeNumeric:
			if dots > 0 || exp {
				return false, 0, false
			}
			if digits == 0 {
				leadDot = true
			}
			dots++
		case (c == 'E' || c == 'e') && t == TypeR && digits > 0 && !exp:
			exp = true
			if i+1 < len(raw) && raw[i+1] == '-' {
				i++
			}
		default:
			return false, 0, false
		}
	}
	return digits > 0, digits, leadDot
}

func digitsOnly(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func atoiBytes(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// validDate accepts CCYYMMDD and YYMMDD.
func validDate(b []byte) bool {
	if !digitsOnly(b) {
		return false
	}
	var y, m, d int
	switch len(b) {
	case 8:
		y, m, d = atoiBytes(b[:4]), atoiBytes(b[4:6]), atoiBytes(b[6:])
	case 6:
		y, m, d = 2000+atoiBytes(b[:2]), atoiBytes(b[2:4]), atoiBytes(b[4:])
	default:
		return false
	}
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && (y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		days = 29
	}
	return d <= days
}

// validTime accepts HHMM, HHMMSS, HHMMSSd and HHMMSSdd.
func validTime(b []byte) bool {
	if !digitsOnly(b) || len(b) < 4 || len(b) > 8 || len(b) == 5 {
		return false
	}
	if atoiBytes(b[:2]) > 23 || atoiBytes(b[2:4]) > 59 {
		return false
	}
	if len(b) >= 6 && atoiBytes(b[4:6]) > 59 {
		return false
	}
	return true
}

// ---- set rules ----------------------------------------------------------

func (v *validator) rules(tx *Transaction) {
	for _, r := range v.set.Rules {
		switch r.Kind {
		case "hl":
			v.hlRule(tx)
		case "count":
			v.countRule(tx, r)
		}
	}
}

func (v *validator) hlRule(tx *Transaction) {
	seen := map[string]struct{}{}
	for _, s := range tx.Segments {
		if s == nil || s.Tag != "HL" || len(s.Elements) == 0 {
			continue
		}
		id := string(s.Elements[0])
		if id == "" {
			continue // element.missing already
		}
		if _, dup := seen[id]; dup {
			v.add(Issue{Severity: SeverityError, Code: CodeHLDuplicate, Message: "HL01 " + strconv.Quote(id) + " is used twice", SegmentPos: s.Pos, Offset: s.Offset, Tag: "HL", Element: 1})
		}
		if len(s.Elements) > 1 && len(s.Elements[1]) > 0 {
			parent := string(s.Elements[1])
			if _, ok := seen[parent]; !ok {
				v.add(Issue{Severity: SeverityError, Code: CodeHLParent, Message: "HL02 " + strconv.Quote(parent) + " names no earlier HL01", SegmentPos: s.Pos, Offset: s.Offset, Tag: "HL", Element: 2})
			}
		}
		seen[id] = struct{}{}
	}
}

func (v *validator) countRule(tx *Transaction, r Rule) {
	count := 0
	var target *Segment
	for _, s := range tx.Segments {
		if s == nil {
			continue
		}
		if s.Tag == r.Of {
			count++
		}
		if s.Tag == r.Segment && target == nil {
			target = s
		}
	}
	if target == nil || r.Element > len(target.Elements) || len(target.Elements[r.Element-1]) == 0 {
		return
	}
	raw := target.Elements[r.Element-1]
	if !digitsOnly(raw) || len(raw) > 9 {
		return // element checks report it
	}
	if n := atoiBytes(raw); n != count {
		v.add(Issue{Severity: r.Severity, Code: CodeCountMismatch, Message: elemName(r.Segment, r.Element, 0) + " is " + strconv.Itoa(n) + " but the set has " + strconv.Itoa(count) + " " + r.Of + " segments",
			SegmentPos: target.Pos, Offset: target.Offset, Tag: r.Segment, Element: r.Element})
	}
}
