package edi

import "strings"

// Acknowledgement code tables. An Issue normally carries its code in
// AckCode; these defaults cover issues that do not (or whose AckCode
// belongs to another level, e.g. an AK4 code on an issue reported at set
// level).
//
// X12 codes used:
//
//	TA105 (I18)  001 control numbers differ, 018 invalid control number,
//	             021 invalid number of groups, 023 premature end of file,
//	             024 invalid interchange content, 025 duplicate control number
//	AK9 (716)    1 group not supported, 3 trailer missing, 4 control numbers
//	             differ, 5 set count wrong, 6 control number syntax,
//	             19 duplicate group control number
//	AK5 (718)    1 set not supported, 2 trailer missing, 3 control numbers
//	             differ, 4 segment count wrong, 5 segments in error,
//	             6 missing/invalid set identifier, 7 missing/invalid control
//	             number, 23 duplicate set control number
//	AK3 (720)    1 unrecognized segment, 2 unexpected, 3 mandatory missing,
//	             4 loop over maximum, 5 segment over maximum use, 6 not in
//	             set, 7 out of sequence, 8 element errors
//	AK4 (723)    1 mandatory missing, 2 conditional missing, 3 too many
//	             elements, 4 too short, 5 too long, 6 invalid character,
//	             7 invalid code, 8 invalid date, 9 invalid time, 10 exclusion
//	             violated, 12 too many repetitions, 13 too many components
//
// EDIFACT CONTRL 0085 codes used: 12 invalid value, 13 missing, 14 not
// supported in this position, 15 not supported in position, 16 too many
// constituents, 18 unspecified, 26 duplicate, 28 references do not match,
// 29 control count wrong, 35 too many repetitions, 36 too many group
// repetitions, 37 invalid character type, 39 too long, 40 too short.

// validAckCode reports whether code fits the level's code list shape.
func validAckCode(f Format, level issueLevel, code string) bool {
	if code == "" {
		return false
	}
	if f == FormatEDIFACT {
		_, ok := atoi(code)
		return ok && len(code) <= 3
	}
	switch level {
	case levelInterchange:
		_, ok := atoi(code)
		return ok && len(code) == 3
	default:
		// AK3/AK4/AK5/AK9 codes: 1-3 characters, digits or I-prefixed
		// (999 implementation codes).
		if len(code) > 3 {
			return false
		}
		if code[0] == 'I' {
			_, ok := atoi(code[1:])
			return ok
		}
		_, ok := atoi(code)
		return ok
	}
}

// ackCodeFor returns the acknowledgement code for an issue at a level.
// For levelSegment, an issue naming an element yields the element code
// (AK4 / UCD), otherwise the segment code (AK3 / UCS).
func ackCodeFor(f Format, level issueLevel, is Issue) string {
	c := strings.ToLower(is.Code)
	if strings.HasPrefix(c, "envelope.") && is.AckCode == "" {
		// The envelope checks give every finding that has an
		// acknowledgement code its code; the others (a GS08 missing, a
		// segment between groups) have none to report.
		return ""
	}
	if level != levelSegment || f == FormatEDIFACT {
		if validAckCode(f, level, is.AckCode) && ackCodeFitsLevel(f, level, is) {
			return is.AckCode
		}
	} else if validAckCode(f, level, is.AckCode) {
		return is.AckCode
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(c, w) {
				return true
			}
		}
		return false
	}
	if f == FormatEDIFACT {
		switch {
		case has("count"):
			return "29"
		case has("mismatch", "reference", "control"):
			return "28"
		case has("duplicate"):
			return "26"
		case has("missing", "truncated", "premature", "eof"):
			return "13"
		case has("too_long"):
			return "39"
		case has("too_short"):
			return "40"
		case has("repetition"):
			return "35"
		case has("too_many", "extra"):
			return "16"
		case has("unexpected", "order", "sequence", "unknown_segment", "not_defined"):
			return "15"
		case has("character", "numeric", "date", "time", "code", "value", "format"):
			return "12"
		}
		return "18"
	}
	switch level {
	case levelInterchange:
		switch {
		case has("group_count", "count"):
			return "021"
		case has("duplicate"):
			return "025"
		case has("mismatch", "control"):
			return "001"
		case has("missing", "truncated", "premature", "eof", "junk", "trailing"):
			return "023"
		case has("delimiter", "separator"):
			return "026"
		}
		return "024"
	case levelGroup:
		switch {
		case has("duplicate"):
			return "19"
		case has("count"):
			return "5"
		case has("mismatch", "control"):
			return "4"
		case has("missing"):
			return "3"
		case has("unsupported", "not_supported", "version"):
			return "2"
		}
		return "1"
	case levelSet:
		switch {
		case has("duplicate"):
			return "23"
		case has("count"):
			return "4"
		case has("mismatch"):
			return "3"
		case has("missing_trailer", "missing_se", "trailer"):
			return "2"
		case has("unsupported", "not_supported", "unknown_set", "set_id"):
			return "1"
		case has("control"):
			return "7"
		}
		return "5"
	}
	// Segment or element.
	if is.Element > 0 {
		switch {
		case has("missing", "required", "mandatory"):
			if has("conditional", "condition", "syntax_note") {
				return "2"
			}
			return "1"
		case has("exclusion"):
			return "10"
		case has("too_many_elements", "extra_element", "too_many_el"):
			return "3"
		case has("too_many_components", "component"):
			return "13"
		case has("repetition"):
			return "12"
		case has("too_short", "min_length"):
			return "4"
		case has("too_long", "max_length"):
			return "5"
		case has("date"):
			return "8"
		case has("time"):
			return "9"
		case has("code", "qualifier"):
			return "7"
		case has("character", "numeric", "decimal", "type"):
			return "6"
		}
		return "7"
	}
	switch {
	case has("missing", "required", "mandatory"):
		return "3"
	case has("loop") && has("max", "many", "repeat"):
		return "4"
	case has("max", "many", "repeat"):
		return "5"
	case has("unknown", "unrecognized"):
		return "1"
	case has("not_in_set", "not_defined", "undefined"):
		return "6"
	case has("order", "sequence"):
		return "7"
	case has("unexpected"):
		return "2"
	}
	return "8"
}

// ackCodeFitsLevel guards against an AckCode meant for another level: an
// element code on an issue reported at segment level, or a set code on a
// group-level issue. Issues reported on envelope segments carry the code of
// their envelope's level.
func ackCodeFitsLevel(f Format, level issueLevel, is Issue) bool {
	if f == FormatEDIFACT {
		return true
	}
	tl, ok := tagLevel(is.Tag)
	if !ok {
		return level >= levelSet
	}
	return tl == level
}
