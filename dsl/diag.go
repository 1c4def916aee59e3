package dsl

import (
	"fmt"
	"sort"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// Code identifies the rule behind a diagnostic (SARIF rule id, JSON "code").
type Code string

// DiagCode implements diagfmt.Coded.
func (c Code) DiagCode() string { return string(c) }

// Diagnostic codes. Errors are FC0xx, warnings FC1xx.
const (
	CodeSyntax        Code = "FC001" // HCL syntax, encoding, unreadable file
	CodeSchema        Code = "FC002" // unknown or missing block/attribute
	CodeDuplicate     Code = "FC003" // a name declared twice
	CodeReference     Code = "FC004" // reference to something not declared
	CodeStaticType    Code = "FC005" // static value of the wrong type or an invalid value
	CodeExprSyntax    Code = "FC006" // expr syntax error
	CodeExprType      Code = "FC007" // expr type error
	CodeSecret        Code = "FC008" // secret flowing into a non-secret place
	CodeEval          Code = "FC009" // static evaluation failed (env, variables, locals)
	CodeUnused        Code = "FC101" // declared but never used
	CodeUnreachable   Code = "FC102" // route that can never match
	CodeNoIdempotency Code = "FC103" // target that cannot dedupe and has no key
	CodeEmpty         Code = "FC104" // empty flow file
)

// codeDescriptions say what each rule checks.
var codeDescriptions = map[Code]string{
	CodeSyntax:        "Flow file is unreadable, not UTF-8, or not valid HCL",
	CodeSchema:        "Unknown, missing or misplaced block or attribute",
	CodeDuplicate:     "Name declared more than once",
	CodeReference:     "Reference to something that is not declared",
	CodeStaticType:    "Static value of the wrong type or out of range",
	CodeExprSyntax:    "Runtime expression is not valid expr syntax",
	CodeExprType:      "Runtime expression does not type-check against the record schemas",
	CodeSecret:        "Secret value where it could be printed, or a credential in plain text",
	CodeEval:          "Static evaluation failed (environment, variables, locals)",
	CodeUnused:        "Declared but never used",
	CodeUnreachable:   "Route or target that no record can reach",
	CodeNoIdempotency: "Target that cannot dedupe writes has no idempotency key",
	CodeEmpty:         "Flow file declares nothing",
}

// DiagDescription implements diagfmt.Described.
func (c Code) DiagDescription() string { return codeDescriptions[c] }

// Codes lists every diagnostic code with its description, in code order.
func Codes() []Code {
	out := make([]Code, 0, len(codeDescriptions))
	for c := range codeDescriptions {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Errorf builds an error diagnostic with a code.
func Errorf(code Code, subject hcl.Range, summary, detailFormat string, args ...any) *hcl.Diagnostic {
	return newDiag(hcl.DiagError, code, subject, summary, detailFormat, args...)
}

// Warnf builds a warning diagnostic with a code.
func Warnf(code Code, subject hcl.Range, summary, detailFormat string, args ...any) *hcl.Diagnostic {
	return newDiag(hcl.DiagWarning, code, subject, summary, detailFormat, args...)
}

func newDiag(sev hcl.DiagnosticSeverity, code Code, subject hcl.Range, summary, detailFormat string, args ...any) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: sev, Summary: summary, Extra: code}
	if detailFormat != "" {
		d.Detail = fmt.Sprintf(detailFormat, args...)
	}
	if subject.Filename != "" || subject.Start.Line != 0 {
		s := subject
		d.Subject = &s
	}
	return d
}

// WithCode sets code on every diagnostic that has none yet (hcl's own
// diagnostics come without one, or with an Extra of hcl's own, which is kept
// behind the code).
func WithCode(diags hcl.Diagnostics, code Code) hcl.Diagnostics {
	for _, d := range diags {
		switch {
		case d.Extra == nil:
			d.Extra = code
		case DiagCode(d) == "":
			d.Extra = codedExtra{Code: code, inner: d.Extra}
		}
	}
	return diags
}

// codedExtra attaches a code to a diagnostic whose Extra is already taken.
type codedExtra struct {
	Code
	inner any
}

// UnwrapDiagnosticExtra implements hcl.DiagnosticExtraUnwrapper.
func (c codedExtra) UnwrapDiagnosticExtra() any { return c.inner }

type coded interface{ DiagCode() string }

// DiagCode returns the code attached to d, or "" if none.
func DiagCode(d *hcl.Diagnostic) Code {
	if c, ok := hcl.DiagnosticExtra[coded](d); ok && c != nil {
		return Code(c.DiagCode())
	}
	return ""
}

// Suggest returns the candidate closest to name when it is close enough to be
// a plausible typo, else "".
func Suggest(name string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		if d < 3 || (len(name) > 6 && d < 4) {
			if best == "" || d < bestDist || (d == bestDist && c < best) {
				best, bestDist = c, d
			}
		}
	}
	return best
}

// DidYouMean formats a suggestion sentence, or "" when there is none.
func DidYouMean(name string, candidates []string) string {
	if s := Suggest(name, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// SortDiagnostics orders diagnostics by file, position, then severity, so
// output is stable whatever order the checks ran in.
func SortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i], diags[j]
		if (a.Subject == nil) != (b.Subject == nil) {
			return a.Subject == nil
		}
		if a.Subject != nil {
			if a.Subject.Filename != b.Subject.Filename {
				return a.Subject.Filename < b.Subject.Filename
			}
			if a.Subject.Start.Byte != b.Subject.Start.Byte {
				return a.Subject.Start.Byte < b.Subject.Start.Byte
			}
		}
		return a.Severity < b.Severity
	})
}
