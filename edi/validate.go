package edi

import (
	"errors"
	"io"
	"sort"
	"strings"
)

// This file is the one-call validation: Parse (with its envelope checks)
// plus the definitions' structural validation of every transaction set,
// summed up in a Report.

// ReportOptions configures Validate and ValidateDocument.
type ReportOptions struct {
	// Strict makes every envelope finding (counts, control references,
	// ISA widths, missing trailers) and every element finding an error.
	// Tolerant (the default) reports them as warnings; structural
	// findings (missing, unexpected or repeated segments) and segments
	// outside any envelope stay errors.
	Strict bool
	// Definitions are the set definitions; nil means Builtin().
	Definitions *Definitions
	// Partner selects a partner implementation guide (see
	// Definitions.Overlay).
	Partner string
	// VersionGuides validates each transaction set against the guide
	// named by its version identifier when the definitions have one: an
	// X12 GS08 such as "004010X098A1" names the HIPAA implementation
	// guide, loaded as a partner guide with "partner": "004010X098A1".
	// Sets without such a guide use Partner (or the base definition).
	VersionGuides bool
	// SkipStructure checks envelopes only.
	SkipStructure bool
	// Reader configures the tokenizer.
	Reader ReaderOptions
}

// Report is the result of validating one input.
type Report struct {
	Format Format `json:"-"`
	Strict bool   `json:"strict"`
	// Valid is true when no issue has error severity.
	Valid    bool `json:"valid"`
	Errors   int  `json:"errors"`
	Warnings int  `json:"warnings"`
	// Counts of what was read.
	Interchanges int `json:"interchanges"`
	Groups       int `json:"groups"`
	Transactions int `json:"transactions"`
	// Issues are every finding, in input order (by segment position).
	Issues []Issue `json:"issues"`
	// Document is the parsed input, with each transaction's Loops filled
	// where a definition is known.
	Document *Document `json:"-"`
}

// Validate parses r and checks it: envelopes (counts, control numbers,
// ISA widths, trailers) and, for every transaction set or message with a
// definition, its structure and elements. The error is non-nil only when
// the input cannot be read at all (an I/O error, or not EDI: nothing
// before the first syntax error); a syntax error after some segments is
// reported as an issue (its Code the *SyntaxError's) and the segments
// before it are checked.
func Validate(r io.Reader, opts ReportOptions) (*Report, error) {
	doc, issues, err := Parse(r, ParseOptions{Reader: opts.Reader, Strict: opts.Strict})
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) || doc == nil || len(doc.Interchanges) == 0 {
			return nil, err
		}
		issues = append(issues, Issue{
			Severity: SeverityError,
			Code:     se.Code,
			Message:  se.Msg,
			Offset:   se.Offset,
		})
	}
	return buildReport(doc, issues, opts), nil
}

// ValidateDocument checks an already parsed (or built) document:
// ValidateEnvelopes plus the structural validation of Validate.
func ValidateDocument(doc *Document, opts ReportOptions) *Report {
	issues := ValidateEnvelopes(doc, ValidateOptions{Strict: opts.Strict})
	return buildReport(doc, issues, opts)
}

func buildReport(doc *Document, issues []Issue, opts ReportOptions) *Report {
	rep := &Report{Format: doc.Format, Strict: opts.Strict, Document: doc}
	defs := opts.Definitions
	if defs == nil && !opts.SkipStructure {
		defs = Builtin()
	}
	for _, ic := range doc.Interchanges {
		rep.Interchanges++
		f := icFormat(ic, doc.Format)
		for _, t := range ic.Messages {
			rep.Transactions++
			issues = append(issues, validateTransaction(defs, opts, f, ic, nil, t)...)
		}
		for _, g := range ic.Groups {
			if g.Header != nil {
				rep.Groups++
			}
			for _, t := range g.Transactions {
				rep.Transactions++
				issues = append(issues, validateTransaction(defs, opts, f, ic, g, t)...)
			}
		}
	}
	finishReport(rep, issues)
	return rep
}

// validateTransaction checks one set or message against its definition.
func validateTransaction(defs *Definitions, opts ReportOptions, f Format, ic *Interchange, g *Group, t *Transaction) []Issue {
	if opts.SkipStructure || t.Header == nil {
		return nil
	}
	version := TransactionVersion(ic, g, t)
	partner := opts.Partner
	if opts.VersionGuides && version != "" {
		if sd, ok := defs.LookupPartner(version, f, version, t.SetID()); ok && sd.Partner == version {
			partner = version
		}
	}
	_, is := defs.Validate(t, f, version, StructureOptions{
		Partner:            partner,
		Tolerant:           !opts.Strict,
		InterchangeControl: ic.Control(),
		GroupControl:       g.Control(),
	})
	return is
}

// ValidateStream checks r like Validate but keeps only the current
// transaction in memory (Walk), so a file of any size is validated in
// bounded memory. The report has no Document.
func ValidateStream(r io.Reader, opts ReportOptions) (*Report, error) {
	defs := opts.Definitions
	if defs == nil && !opts.SkipStructure {
		defs = Builtin()
	}
	rep := &Report{Strict: opts.Strict}
	var issues []Issue
	envIssues, err := Walk(r, ParseOptions{Reader: opts.Reader, Strict: opts.Strict}, func(ev Event) error {
		rep.Format = ev.Format
		switch ev.Kind {
		case EventInterchangeStart:
			rep.Interchanges++
		case EventGroupStart:
			if ev.Group != nil && ev.Group.Header != nil {
				rep.Groups++
			}
		case EventTransaction:
			rep.Transactions++
			issues = append(issues, validateTransaction(defs, opts, icFormat(ev.Interchange, ev.Format), ev.Interchange, ev.Group, ev.Transaction)...)
		}
		return nil
	})
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) || rep.Interchanges == 0 {
			return nil, err
		}
		issues = append(issues, Issue{Severity: SeverityError, Code: se.Code, Message: se.Msg, Offset: se.Offset})
	}
	finishReport(rep, append(envIssues, issues...))
	return rep, nil
}

// finishReport sorts issues into input order and counts them.
func finishReport(rep *Report, issues []Issue) {
	// Input order: by byte offset, then segment position (documents built
	// in memory have no offsets).
	sort.SliceStable(issues, func(i, j int) bool {
		a, b := issues[i], issues[j]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.SegmentPos < b.SegmentPos
	})
	rep.Issues = issues
	for _, is := range issues {
		if is.Severity == SeverityError {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	rep.Valid = rep.Errors == 0
}

// TransactionVersion returns the version a transaction is validated
// against: X12 GS08 (else ISA12), EDIFACT UNH S009 version + release
// ("D" + "96A"), else UNG's.
func TransactionVersion(ic *Interchange, g *Group, t *Transaction) string {
	if t != nil && t.Header != nil && t.Header.Tag == "UNH" {
		c := t.Header.Components(2)
		if len(c) >= 3 && strings.TrimSpace(c[2]) != "" {
			return c[1] + c[2]
		}
		if g != nil && g.Header != nil && g.Header.Tag == "UNG" {
			if c := g.Header.Components(7); len(c) >= 2 {
				return c[0] + c[1]
			}
		}
		return ""
	}
	if g != nil && g.Header != nil && strings.TrimSpace(g.Header.Value(8)) != "" {
		return g.Header.Value(8)
	}
	if ic != nil && ic.Header != nil && ic.Header.Tag == "ISA" {
		return ic.Header.Value(12)
	}
	return ""
}
