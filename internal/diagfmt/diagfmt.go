// Package diagfmt renders hcl.Diagnostics for people (Text) and for machines
// (JSON, GitHub Actions workflow commands, SARIF 2.1.0).
//
// Every format reads the same fields: severity, rule code (see Code),
// summary, detail and subject range. Diagnostics are written in the order
// given; sorting is the caller's business.
package diagfmt

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Options tunes the Text format.
type Options struct {
	Color bool // emit ANSI colour sequences
	Width int  // wrap detail text at this many columns; 0 means 80
	// ToolVersion is reported as the tool's version in SARIF.
	ToolVersion string
}

// Formats lists the names Write accepts, in the order to show them in help.
var Formats = []string{"text", "json", "github", "sarif"}

// Coded is implemented by a diagnostic's Extra value to name the rule that
// produced it.
type Coded interface{ DiagCode() string }

// Described is implemented by an Extra value that can describe its rule as a
// whole (used for SARIF rule descriptions); otherwise the first diagnostic's
// summary stands for the rule.
type Described interface{ DiagDescription() string }

// genericCode is the code of diagnostics that carry no rule code, such as
// HCL syntax errors.
const genericCode = "FC000"

// Code returns d's rule code: the DiagCode of d.Extra (or of a value it
// wraps, see hcl.DiagnosticExtra) when that implements Coded, else "FC000".
func Code(d *hcl.Diagnostic) string {
	if d == nil {
		return genericCode
	}
	if c, ok := hcl.DiagnosticExtra[Coded](d); ok && c != nil {
		if code := c.DiagCode(); code != "" {
			return code
		}
	}
	return genericCode
}

// Write renders diags in the named format (one of Formats). sources and
// opts are used by the text format only.
func Write(w io.Writer, format string, diags hcl.Diagnostics, sources map[string][]byte, opts Options) error {
	switch format {
	case "text":
		return Text(w, diags, sources, opts)
	case "json":
		return JSON(w, diags)
	case "github":
		return GitHub(w, diags)
	case "sarif":
		return SARIF(w, diags, opts.ToolVersion)
	}
	return fmt.Errorf("unknown diagnostics format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// isWarning reports whether d is a warning. Anything else, including the
// zero severity hcl.DiagInvalid, is treated as an error so that it cannot be
// overlooked.
func isWarning(d *hcl.Diagnostic) bool { return d.Severity == hcl.DiagWarning }

func severity(d *hcl.Diagnostic) string {
	if isWarning(d) {
		return "warning"
	}
	return "error"
}

// message joins summary and detail on one line, for the formats that have a
// single message field.
func message(d *hcl.Diagnostic) string {
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + ": " + d.Detail
}
