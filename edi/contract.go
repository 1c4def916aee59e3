package edi

import "fmt"

// This file fixes the types every part of the package shares, so the parts
// can be built side by side. Behaviour lives in the owning files.

// Format is the EDI syntax of an input.
type Format int

// Formats.
const (
	FormatUnknown Format = iota
	FormatX12
	FormatEDIFACT
)

func (f Format) String() string {
	switch f {
	case FormatX12:
		return "x12"
	case FormatEDIFACT:
		return "edifact"
	}
	return "unknown"
}

// Delimiters are the separators of one interchange. Zero means "none"
// (X12 before 00402 has no repetition separator; X12 has no release
// character).
type Delimiters struct {
	Segment    byte
	Element    byte
	Component  byte
	Repetition byte
	Release    byte
	Decimal    byte // EDIFACT decimal mark ('.' or ',')
}

// Severity of an Issue.
type Severity int

// Severities: an error makes a document invalid; a warning is reported and
// tolerated (tolerant mode turns some errors into warnings).
const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// MarshalText makes Issue JSON say "error"/"warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "warning":
		*s = SeverityWarning
	case "error":
		*s = SeverityError
	default:
		return fmt.Errorf("edi: unknown severity %q", b)
	}
	return nil
}

// Issue is one validation finding. Every issue names where it is: the
// 1-based segment position in the input and the byte offset of the
// segment (or of the bad byte for syntax errors).
type Issue struct {
	Severity Severity `json:"severity"`
	// Code is a stable identifier, e.g. "envelope.ie_count",
	// "envelope.control_mismatch", "syntax.truncated_isa",
	// "structure.missing_segment", "element.too_long", "element.bad_code".
	Code    string `json:"code"`
	Message string `json:"message"`
	// Where. SegmentPos and Offset are always set when the issue concerns a
	// segment; Element (1-based), Component (1-based) when it concerns one.
	SegmentPos int    `json:"segment_pos,omitempty"`
	Offset     int64  `json:"offset"`
	Tag        string `json:"tag,omitempty"`
	Element    int    `json:"element,omitempty"`
	Component  int    `json:"component,omitempty"`
	// Control numbers of the enclosing envelopes, for acknowledgements.
	InterchangeControl string `json:"interchange_control,omitempty"`
	GroupControl       string `json:"group_control,omitempty"`
	SetControl         string `json:"set_control,omitempty"`
	// X12 acknowledgement codes when the issue maps to one (AK3/IK3 segment
	// syntax error code, AK4/IK4 element error code, AK5/IK5 and AK9
	// codes, TA1 note code); EDIFACT CONTRL error code (UCS/UCD 0085).
	AckCode string `json:"ack_code,omitempty"`
}
