package diagfmt

import (
	"bufio"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

type jsonDiag struct {
	Severity string     `json:"severity"`
	Code     string     `json:"code"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *jsonRange `json:"range"` // null when the diagnostic has no subject
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSON writes diags as an indented JSON array ("[]" when empty).
func JSON(w io.Writer, diags hcl.Diagnostics) error {
	out := make([]jsonDiag, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		jd := jsonDiag{Severity: severity(d), Code: Code(d), Summary: d.Summary, Detail: d.Detail}
		if s := d.Subject; s != nil {
			jd.Range = &jsonRange{
				Filename: s.Filename,
				Start:    jsonPos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:      jsonPos{s.End.Line, s.End.Column, s.End.Byte},
			}
		}
		out = append(out, jd)
	}
	return encodeJSON(w, out)
}

// encodeJSON writes v indented by two spaces with a trailing newline, and
// without HTML escaping: "<" in a message should stay readable.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// GitHub writes one GitHub Actions workflow command per diagnostic, which
// the Actions runner turns into annotations on the pull request.
func GitHub(w io.Writer, diags hcl.Diagnostics) error {
	bw := bufio.NewWriter(w)
	for _, d := range diags {
		if d == nil {
			continue
		}
		var props []string
		if s := d.Subject; s != nil {
			if s.Filename != "" {
				props = append(props, "file="+ghProperty(filepath.ToSlash(s.Filename)))
			}
			// Positions HCL did not know (zero) are left out, not sent as 0.
			if s.Start.Line > 0 {
				props = append(props, "line="+strconv.Itoa(s.Start.Line))
				if s.Start.Column > 0 {
					props = append(props, "col="+strconv.Itoa(s.Start.Column))
				}
				if s.End.Line >= s.Start.Line {
					props = append(props, "endLine="+strconv.Itoa(s.End.Line))
					if s.End.Column > 0 {
						props = append(props, "endColumn="+strconv.Itoa(s.End.Column))
					}
				}
			}
		}
		props = append(props, "title="+ghProperty(d.Summary))
		bw.WriteString("::" + severity(d) + " " + strings.Join(props, ",") + "::" + ghMessage(message(d)) + "\n")
	}
	return bw.Flush()
}

// ghMessage and ghProperty escape as the Actions runner unescapes
// (actions/toolkit, core/src/command.ts): '%' first so that the escapes
// themselves survive.
var (
	ghMessageEscaper  = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func ghMessage(s string) string  { return ghMessageEscaper.Replace(s) }
func ghProperty(s string) string { return ghPropertyEscaper.Replace(s) }

// SARIF 2.1.0 log, reduced to the properties flowctl fills in.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// HCL columns count characters, not the UTF-16 code units that SARIF
	// assumes by default.
	ColumnKind string `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

const (
	sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"
	toolURI     = "https://github.com/flowctl/flowctl"
)

// SARIF writes diags as a SARIF 2.1.0 log with a single run, for code
// scanning services. Each distinct Code becomes a rule; its short
// description is the summary of its first diagnostic, except for the
// generic code, whose diagnostics share no summary.
func SARIF(w io.Writer, diags hcl.Diagnostics, toolVersion string) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "flowctl",
			Version:        toolVersion,
			InformationURI: toolURI,
			Rules:          []sarifRule{},
		}},
		Results:    []sarifResult{},
		ColumnKind: "unicodeCodePoints",
	}
	ruleIndex := map[string]int{}
	for _, d := range diags {
		if d == nil {
			continue
		}
		code := Code(d)
		idx, ok := ruleIndex[code]
		if !ok {
			desc := d.Summary
			if dc, ok := hcl.DiagnosticExtra[Described](d); ok && dc != nil && dc.DiagDescription() != "" {
				desc = dc.DiagDescription()
			} else if code == genericCode || desc == "" {
				desc = "flowctl diagnostic without a specific rule"
			}
			idx = len(run.Tool.Driver.Rules)
			ruleIndex[code] = idx
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules,
				sarifRule{ID: code, ShortDescription: sarifMessage{Text: desc}})
		}
		res := sarifResult{
			RuleID:    code,
			RuleIndex: idx,
			Level:     severity(d),
			Message:   sarifMessage{Text: message(d)},
		}
		if loc, ok := sarifLocationOf(d.Subject); ok {
			res.Locations = []sarifLocation{loc}
		}
		run.Results = append(run.Results, res)
	}
	return encodeJSON(w, sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifLocationOf(r *hcl.Range) (sarifLocation, bool) {
	if r == nil || r.Filename == "" {
		return sarifLocation{}, false
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: artifactOf(r.Filename)}}
	// SARIF requires line and column numbers >= 1; leave out what HCL did
	// not know rather than emit an invalid region.
	if r.Start.Line >= 1 {
		reg := &sarifRegion{StartLine: r.Start.Line}
		if r.Start.Column >= 1 {
			reg.StartColumn = r.Start.Column
		}
		if r.End.Line >= r.Start.Line {
			reg.EndLine = r.End.Line
			if r.End.Column >= 1 {
				reg.EndColumn = r.End.Column
			}
		}
		loc.PhysicalLocation.Region = reg
	}
	return loc, true
}

// artifactOf turns a file name into a URI reference: relative paths stay
// relative to %SRCROOT% (the checkout, for code scanning), absolute ones
// become file URIs. Characters that are not allowed in a URI are escaped.
func artifactOf(name string) sarifArtifact {
	p := filepath.ToSlash(name)
	if filepath.IsAbs(name) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // Windows: C:/x -> /C:/x
		}
		return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: p}).String()}
	}
	return sarifArtifact{URI: (&url.URL{Path: p}).String(), URIBaseID: "%SRCROOT%"}
}
