package edi

import (
	"fmt"
	"strings"
)

// AckLevel is what an AckResult acknowledges.
type AckLevel string

// Acknowledged levels.
const (
	AckLevelInterchange AckLevel = "interchange"
	AckLevelGroup       AckLevel = "group"
	AckLevelSet         AckLevel = "set"
)

// AckResult is one outcome read from an incoming acknowledgement: the
// acknowledged interchange, group or transaction set (by the control
// numbers the sender assigned) and its status.
type AckResult struct {
	Type  AckType  `json:"type"`
	Level AckLevel `json:"level"`

	// The acknowledged envelope, as the original sender numbered it.
	// InterchangeControl is set for TA1 and CONTRL (UCI); a 997/999 does
	// not carry the acknowledged ISA13.
	InterchangeControl string `json:"interchange_control,omitempty"`
	FunctionalID       string `json:"functional_id,omitempty"` // AK101 (X12)
	GroupControl       string `json:"group_control,omitempty"` // AK102, UCF 0048
	SetID              string `json:"set_id,omitempty"`        // AK201, UCM S009 0065
	SetControl         string `json:"set_control,omitempty"`   // AK202, UCM 0062
	// Version is the implementation convention reference (AK103 / AK203)
	// or the UCM message version (version:release:agency).
	Version string `json:"version,omitempty"`

	// Sender and Receiver identify the original sender and receiver of the
	// acknowledged data: the acknowledgement's receiver and sender
	// (GS03/GS02 for a 997/999 result, ISA08/ISA06 for TA1, the UCI
	// copies for CONTRL).
	Sender   string `json:"sender,omitempty"`
	Receiver string `json:"receiver,omitempty"`

	Status AckStatus `json:"status"`
	// Codes are the result's codes: AK5/IK5 02-06, AK9 05-09, TA105, or the
	// UCI/UCF/UCM 0085 error code.
	Codes []string `json:"codes,omitempty"`
	// Group counts (AK9 02-04); zero for other levels.
	Included int `json:"included,omitempty"`
	Received int `json:"received,omitempty"`
	Accepted int `json:"accepted,omitempty"`
	// Errors are the segment and element errors reported for a set.
	Errors []AckError `json:"errors,omitempty"`

	// Where the result was read: the acknowledgement's own interchange
	// control number and the position/offset of the AK2, AK1, TA1, UCI,
	// UCF or UCM segment.
	AckInterchangeControl string `json:"ack_interchange_control,omitempty"`
	SegmentPos            int    `json:"segment_pos,omitempty"`
	Offset                int64  `json:"offset"`
}

// AckError is one segment or element error read from an acknowledgement
// (AK3/AK4, IK3/IK4, UCS/UCD). Element is 0 for a segment error.
type AckError struct {
	SegmentTag  string `json:"segment_tag,omitempty"` // AK301 (UCS has none)
	SegmentPos  int    `json:"segment_pos,omitempty"` // AK302, UCS 0096: position in the set
	LoopID      string `json:"loop_id,omitempty"`     // AK303
	SegmentCode string `json:"segment_code,omitempty"`
	Element     int    `json:"element,omitempty"`
	Component   int    `json:"component,omitempty"`
	Repetition  int    `json:"repetition,omitempty"`
	ElementRef  string `json:"element_ref,omitempty"` // AK402
	ElementCode string `json:"element_code,omitempty"`
	BadData     string `json:"bad_data,omitempty"` // AK404
}

// AckFormatError reports an acknowledgement that cannot be read
// unambiguously (an AK2 before AK1, an AK5 without AK2, ...).
type AckFormatError struct {
	SegmentPos int
	Offset     int64
	Msg        string
}

func (e *AckFormatError) Error() string {
	return fmt.Sprintf("edi: acknowledgement at segment %d (offset %d): %s", e.SegmentPos, e.Offset, e.Msg)
}

// IsAck reports whether a transaction set or message is an
// acknowledgement (997, 999 or CONTRL).
func IsAck(t *Transaction) bool {
	if t == nil || t.Header == nil {
		return false
	}
	switch t.Header.Tag {
	case "ST":
		id := t.Header.Value(1)
		return id == "997" || id == "999"
	case "UNH":
		return firstOf(t.Header.Components(2)) == "CONTRL"
	}
	return false
}

// ParseAck reads every acknowledgement in doc: TA1 segments, 997 and 999
// transaction sets and CONTRL messages. Other content is ignored. It
// returns one result per acknowledged interchange (TA1, UCI), group (AK1
// with AK9, UCF) and set (AK2 with AK5/IK5, UCM), in input order. The error
// is an *AckFormatError for an acknowledgement too malformed to read; the
// results read before it are returned with it.
func ParseAck(doc *Document) ([]AckResult, error) {
	var out []AckResult
	if doc == nil {
		return nil, nil
	}
	for _, ic := range doc.Interchanges {
		ackCtl := ""
		var sender, receiver string // of the acknowledgement interchange
		if h := ic.Header; h != nil {
			switch h.Tag {
			case "ISA":
				ackCtl = h.Value(13)
				sender, receiver = strings.TrimSpace(h.Value(6)), strings.TrimSpace(h.Value(8))
			case "UNB":
				ackCtl = h.Value(5)
				sender, receiver = firstOf(h.Components(2)), firstOf(h.Components(3))
			}
		}
		for _, s := range ic.TA1 {
			out = append(out, parseTA1(s, ackCtl, receiver, sender))
		}
		for _, g := range ic.Groups {
			for _, t := range g.Transactions {
				// pyx12 places TA1 after GE; a parser may keep it anywhere.
				if !IsAck(t) {
					continue
				}
				gsFrom, gsTo := receiver, sender
				if g.Header != nil && g.Header.Tag == "GS" {
					gsFrom, gsTo = g.Header.Value(3), g.Header.Value(2)
				}
				rs, err := parseFunctionalAck(t, ackCtl, gsFrom, gsTo)
				out = append(out, rs...)
				if err != nil {
					return out, err
				}
			}
		}
		for _, t := range ic.Messages {
			if !IsAck(t) {
				continue
			}
			rs, err := parseCONTRL(t, ackCtl)
			out = append(out, rs...)
			if err != nil {
				return out, err
			}
		}
		for _, g := range ic.Groups {
			if g.Header != nil && g.Header.Tag == "UNG" {
				for _, t := range g.Transactions {
					if !IsAck(t) || t.Header.Tag != "UNH" {
						continue
					}
					rs, err := parseCONTRL(t, ackCtl)
					out = append(out, rs...)
					if err != nil {
						return out, err
					}
				}
			}
		}
	}
	return out, nil
}

func parseTA1(s *Segment, ackCtl, origSender, origReceiver string) AckResult {
	r := AckResult{
		Type: AckTypeTA1, Level: AckLevelInterchange,
		InterchangeControl:    s.Value(1),
		Status:                AckStatus(s.Value(4)),
		Sender:                origSender,
		Receiver:              origReceiver,
		AckInterchangeControl: ackCtl,
		SegmentPos:            s.Pos,
		Offset:                s.Offset,
	}
	if c := s.Value(5); c != "" {
		r.Codes = []string{c}
	}
	return r
}

func nonEmpty(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseFunctionalAck reads one 997 or 999. from/to are the original
// sender/receiver (the ack group's receiver/sender).
func parseFunctionalAck(t *Transaction, ackCtl, from, to string) ([]AckResult, error) {
	typ := AckType(t.Header.Value(1))
	var (
		out   []AckResult
		group *AckResult
		set   *AckResult
		last  *AckError // current AK3 for AK4s
	)
	bad := func(s *Segment, format string, args ...any) error {
		return &AckFormatError{SegmentPos: s.Pos, Offset: s.Offset, Msg: fmt.Sprintf("%s %s: ", typ, s.Tag) + fmt.Sprintf(format, args...)}
	}
	flushSet := func() {
		if set != nil {
			out = append(out, *set)
			set, last = nil, nil
		}
	}
	for _, s := range t.Segments {
		switch s.Tag {
		case "AK1":
			if group != nil {
				return out, bad(s, "second AK1 in one acknowledgement")
			}
			group = &AckResult{
				Type: typ, Level: AckLevelGroup,
				FunctionalID: strings.TrimSpace(s.Value(1)), GroupControl: s.Value(2), Version: s.Value(3),
				Sender: from, Receiver: to, AckInterchangeControl: ackCtl,
				SegmentPos: s.Pos, Offset: s.Offset,
			}
		case "AK2":
			if group == nil {
				return out, bad(s, "AK2 before AK1")
			}
			if set != nil {
				return out, bad(s, "AK2 %s has no AK5/IK5", set.SetControl)
			}
			set = &AckResult{
				Type: typ, Level: AckLevelSet,
				FunctionalID: group.FunctionalID, GroupControl: group.GroupControl,
				SetID: s.Value(1), SetControl: s.Value(2), Version: s.Value(3),
				Sender: from, Receiver: to, AckInterchangeControl: ackCtl,
				SegmentPos: s.Pos, Offset: s.Offset,
			}
			if set.Version == "" {
				set.Version = group.Version
			}
		case "AK3", "IK3":
			if set == nil {
				return out, bad(s, "segment error outside an AK2 loop")
			}
			pos, _ := atoi(s.Value(2))
			set.Errors = append(set.Errors, AckError{SegmentTag: s.Value(1), SegmentPos: pos, LoopID: s.Value(3), SegmentCode: s.Value(4)})
			last = &set.Errors[len(set.Errors)-1]
		case "AK4", "IK4":
			if set == nil {
				return out, bad(s, "element error outside an AK2 loop")
			}
			e := AckError{ElementRef: s.Value(2), ElementCode: s.Value(3), BadData: s.Value(4)}
			pos := s.Components(1)
			if len(pos) > 0 {
				e.Element, _ = atoi(pos[0])
			}
			if len(pos) > 1 {
				e.Component, _ = atoi(pos[1])
			}
			if len(pos) > 2 {
				e.Repetition, _ = atoi(pos[2])
			}
			if last != nil {
				e.SegmentTag, e.SegmentPos, e.LoopID = last.SegmentTag, last.SegmentPos, last.LoopID
				if last.Element == 0 && last.ElementCode == "" {
					last.Element, last.Component, last.Repetition = e.Element, e.Component, e.Repetition
					last.ElementRef, last.ElementCode, last.BadData = e.ElementRef, e.ElementCode, e.BadData
					continue
				}
			}
			set.Errors = append(set.Errors, e)
			last = &set.Errors[len(set.Errors)-1]
		case "AK5", "IK5":
			if set == nil {
				return out, bad(s, "set response outside an AK2 loop")
			}
			set.Status = AckStatus(s.Value(1))
			set.Codes = nonEmpty(s.Value(2), s.Value(3), s.Value(4), s.Value(5), s.Value(6))
			if !validStatus(set.Status, false) {
				return out, bad(s, "unknown status %q", s.Value(1))
			}
			flushSet()
		case "AK9":
			if group == nil {
				return out, bad(s, "AK9 before AK1")
			}
			if set != nil {
				return out, bad(s, "AK2 %s has no AK5/IK5", set.SetControl)
			}
			group.Status = AckStatus(s.Value(1))
			group.Included, _ = atoi(s.Value(2))
			group.Received, _ = atoi(s.Value(3))
			group.Accepted, _ = atoi(s.Value(4))
			group.Codes = nonEmpty(s.Value(5), s.Value(6), s.Value(7), s.Value(8), s.Value(9))
			if !validStatus(group.Status, true) {
				return out, bad(s, "unknown status %q", s.Value(1))
			}
		}
	}
	if set != nil {
		return out, &AckFormatError{SegmentPos: set.SegmentPos, Offset: set.Offset, Msg: fmt.Sprintf("%s AK2 %s without AK5/IK5", typ, set.SetControl)}
	}
	if group == nil {
		p := t.Header
		return out, &AckFormatError{SegmentPos: p.Pos, Offset: p.Offset, Msg: fmt.Sprintf("%s %s has no AK1", typ, t.Header.Value(2))}
	}
	if group.Status == "" {
		return out, &AckFormatError{SegmentPos: group.SegmentPos, Offset: group.Offset, Msg: fmt.Sprintf("%s AK1 %s without AK9", typ, group.GroupControl)}
	}
	// The group result goes first: it frames its sets.
	return append([]AckResult{*group}, out...), nil
}

func validStatus(s AckStatus, group bool) bool {
	switch s {
	case AckAccepted, AckAcceptedWithErrors, AckRejected:
		return true
	case AckPartial:
		return group
	case "M", "W", "X": // 5010: M rejected (MAC failed), W rejected (assurance), X rejected (content)
		return true
	}
	return false
}

// contrlStatus maps a CONTRL action code (0083).
func contrlStatus(action string) AckStatus {
	switch action {
	case "7":
		return AckAccepted
	case "4":
		return AckRejected
	case "8":
		return AckReceived
	}
	return AckStatus(action)
}

// parseCONTRL reads one CONTRL message.
func parseCONTRL(t *Transaction, ackCtl string) ([]AckResult, error) {
	var (
		out       []AckResult
		ic        *AckResult
		groupCtl  string
		set       *AckResult
		lastSegIx = -1
	)
	bad := func(s *Segment, format string, args ...any) error {
		return &AckFormatError{SegmentPos: s.Pos, Offset: s.Offset, Msg: "CONTRL " + s.Tag + ": " + fmt.Sprintf(format, args...)}
	}
	flushSet := func() {
		if set != nil {
			out = append(out, *set)
			set, lastSegIx = nil, -1
		}
	}
	for _, s := range t.Segments {
		switch s.Tag {
		case "UCI":
			if ic != nil {
				return out, bad(s, "second UCI")
			}
			ic = &AckResult{
				Type: AckTypeCONTRL, Level: AckLevelInterchange,
				InterchangeControl: s.Value(1),
				Sender:             firstOf(s.Components(2)), Receiver: firstOf(s.Components(3)),
				Status:                contrlStatus(s.Value(4)),
				Codes:                 nonEmpty(s.Value(5)),
				AckInterchangeControl: ackCtl, SegmentPos: s.Pos, Offset: s.Offset,
			}
			out = append(out, *ic)
		case "UCF":
			if ic == nil {
				return out, bad(s, "UCF before UCI")
			}
			flushSet()
			groupCtl = s.Value(1)
			out = append(out, AckResult{
				Type: AckTypeCONTRL, Level: AckLevelGroup,
				InterchangeControl: ic.InterchangeControl, GroupControl: groupCtl,
				Sender: firstOf(s.Components(2)), Receiver: firstOf(s.Components(3)),
				Status: contrlStatus(s.Value(4)), Codes: nonEmpty(s.Value(5)),
				AckInterchangeControl: ackCtl, SegmentPos: s.Pos, Offset: s.Offset,
			})
		case "UCM":
			if ic == nil {
				return out, bad(s, "UCM before UCI")
			}
			flushSet()
			s009 := s.Components(2)
			set = &AckResult{
				Type: AckTypeCONTRL, Level: AckLevelSet,
				InterchangeControl: ic.InterchangeControl, GroupControl: groupCtl,
				SetControl: s.Value(1), SetID: firstOf(s009),
				Sender: ic.Sender, Receiver: ic.Receiver,
				Status: contrlStatus(s.Value(3)), Codes: nonEmpty(s.Value(4)),
				AckInterchangeControl: ackCtl, SegmentPos: s.Pos, Offset: s.Offset,
			}
			if len(s009) > 1 {
				set.Version = strings.Join(s009[1:], ":")
			}
		case "UCS":
			if set == nil {
				return out, bad(s, "UCS outside a UCM group")
			}
			pos, _ := atoi(s.Value(1))
			set.Errors = append(set.Errors, AckError{SegmentPos: pos, SegmentCode: s.Value(2)})
			lastSegIx = len(set.Errors) - 1
		case "UCD":
			if set == nil || lastSegIx < 0 {
				return out, bad(s, "UCD outside a UCS group")
			}
			e := AckError{SegmentPos: set.Errors[lastSegIx].SegmentPos, ElementCode: s.Value(1)}
			pos := s.Components(2)
			if len(pos) > 0 {
				e.Element, _ = atoi(pos[0])
			}
			if len(pos) > 1 {
				e.Component, _ = atoi(pos[1])
			}
			last := &set.Errors[lastSegIx]
			if last.Element == 0 && last.ElementCode == "" {
				last.Element, last.Component, last.ElementCode = e.Element, e.Component, e.ElementCode
				continue
			}
			set.Errors = append(set.Errors, e)
		}
	}
	flushSet()
	if ic == nil {
		return out, &AckFormatError{SegmentPos: t.Header.Pos, Offset: t.Header.Offset, Msg: "CONTRL without UCI"}
	}
	return out, nil
}

// SentAck is the acknowledgement state of one sent transaction set or
// message, as decided by MatchAcks.
type SentAck struct {
	InterchangeControl string `json:"interchange_control"`
	GroupControl       string `json:"group_control,omitempty"`
	SetID              string `json:"set_id"`
	SetControl         string `json:"set_control"`
	// Status is "" when no acknowledgement covers the set yet.
	Status AckStatus `json:"status,omitempty"`
	// Result is the most specific result that decided the status (a set
	// result, else its group's, else its interchange's), nil when none.
	Result *AckResult `json:"result,omitempty"`
}

// Acknowledged reports whether an acknowledgement covers the set.
func (s SentAck) Acknowledged() bool { return s.Status != "" }

// MatchAcks decides, for every transaction set / message of the sent
// document, which acknowledgement result covers it:
//
//   - a set-level result naming its group control (X12) or interchange
//     reference (EDIFACT) and its set control number decides;
//   - otherwise a group-level result (997/999 AK9, CONTRL UCF) for its
//     group: A or E accepts every set not listed (a 997 may list only
//     sets in error), R rejects them, P leaves them undecided;
//   - otherwise an interchange-level result (TA1, CONTRL UCI): rejected
//     rejects everything, CONTRL action 7 accepts what is not reported,
//     TA1 A/E only says the interchange arrived (status "received").
//
// Results are matched on control numbers; when a result names the
// original sender/receiver, those must match the sent envelope too.
func MatchAcks(sent *Document, results []AckResult) []SentAck {
	var out []SentAck
	if sent == nil {
		return nil
	}
	for _, ic := range sent.Interchanges {
		icCtl := ic.Control()
		icFrom, icTo := icParties(ic)
		var icRes *AckResult
		for i := range results {
			r := &results[i]
			if r.Level == AckLevelInterchange && r.InterchangeControl != "" && sameControl(r.InterchangeControl, icCtl) && partiesMatch(r, icFrom, icTo) {
				icRes = r
			}
		}
		visit := func(g *Group, t *Transaction) {
			sa := SentAck{InterchangeControl: icCtl}
			var gFrom, gTo, fid string
			edifact := t.Header != nil && t.Header.Tag == "UNH"
			if g != nil && g.Header != nil {
				sa.GroupControl = g.Control()
				if g.Header.Tag == "GS" {
					fid = g.Header.Value(1)
					gFrom, gTo = g.Header.Value(2), g.Header.Value(3)
				} else {
					gFrom, gTo = firstOf(g.Header.Components(2)), firstOf(g.Header.Components(3))
				}
			}
			if t.Header != nil {
				if edifact {
					sa.SetControl = t.Header.Value(1)
					sa.SetID = firstOf(t.Header.Components(2))
				} else {
					sa.SetID, sa.SetControl = t.Header.Value(1), t.Header.Value(2)
				}
			}
			var setRes, grpRes *AckResult
			for i := range results {
				r := &results[i]
				switch r.Level {
				case AckLevelSet:
					if r.SetControl != sa.SetControl || (r.SetID != "" && sa.SetID != "" && r.SetID != sa.SetID) {
						continue
					}
					if edifact {
						if !sameControl(r.InterchangeControl, icCtl) || (r.GroupControl != "" && r.GroupControl != sa.GroupControl) {
							continue
						}
					} else if !sameControl(r.GroupControl, sa.GroupControl) || (r.FunctionalID != "" && fid != "" && r.FunctionalID != fid) || !partiesMatch(r, gFrom, gTo) {
						continue
					}
					setRes = r
				case AckLevelGroup:
					if sa.GroupControl == "" || !sameControl(r.GroupControl, sa.GroupControl) {
						continue
					}
					if edifact {
						if !sameControl(r.InterchangeControl, icCtl) {
							continue
						}
					} else if (r.FunctionalID != "" && fid != "" && r.FunctionalID != fid) || !partiesMatch(r, gFrom, gTo) {
						continue
					}
					grpRes = r
				}
			}
			switch {
			case setRes != nil:
				sa.Status, sa.Result = setRes.Status, setRes
			case grpRes != nil && grpRes.Status != AckPartial:
				sa.Status, sa.Result = grpRes.Status, grpRes
			case icRes != nil:
				sa.Result = icRes
				switch {
				case icRes.Status == AckRejected:
					sa.Status = AckRejected
				case icRes.Type == AckTypeCONTRL:
					sa.Status = icRes.Status
				default:
					sa.Status = AckReceived
				}
			}
			out = append(out, sa)
		}
		for _, t := range ic.Messages {
			visit(nil, t)
		}
		for _, g := range ic.Groups {
			for _, t := range g.Transactions {
				visit(g, t)
			}
		}
	}
	return out
}

func icParties(ic *Interchange) (string, string) {
	h := ic.Header
	if h == nil {
		return "", ""
	}
	if h.Tag == "UNB" {
		return firstOf(h.Components(2)), firstOf(h.Components(3))
	}
	return strings.TrimSpace(h.Value(6)), strings.TrimSpace(h.Value(8))
}

// sameControl compares control numbers, ignoring leading zeros (IEA02 and
// AK102 are often written unpadded).
func sameControl(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b {
		return true
	}
	na, aok := atoi(a)
	nb, bok := atoi(b)
	return aok && bok && na == nb
}

func partiesMatch(r *AckResult, from, to string) bool {
	if r.Sender != "" && from != "" && !strings.EqualFold(strings.TrimSpace(r.Sender), strings.TrimSpace(from)) {
		return false
	}
	if r.Receiver != "" && to != "" && !strings.EqualFold(strings.TrimSpace(r.Receiver), strings.TrimSpace(to)) {
		return false
	}
	return true
}
