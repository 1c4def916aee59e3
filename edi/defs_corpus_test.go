package edi

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir is the shared conformance corpus (see its SOURCES.md).

// defsValidateDocument validates every transaction of doc with defs.
func defsValidateDocument(defs *Definitions, doc *Document) (covered int, issues []Issue) {
	each := func(ic *Interchange, g *Group, tx *Transaction) {
		f := FormatX12
		if tx.Header != nil && tx.Header.Tag == "UNH" {
			f = FormatEDIFACT
		}
		if _, ok := defs.Lookup(f, VersionOf(ic, g, tx), tx.SetID()); ok {
			covered++
		}
		_, is := defs.Validate(tx, f, VersionOf(ic, g, tx), StructureOptions{InterchangeControl: ic.Control(), GroupControl: g.Control()})
		for _, i := range is {
			if i.Code != CodeUnknownSet {
				issues = append(issues, i)
			}
		}
	}
	for _, ic := range doc.Interchanges {
		for _, g := range ic.Groups {
			for _, tx := range g.Transactions {
				each(ic, g, tx)
			}
		}
		for _, tx := range ic.Messages {
			each(ic, nil, tx)
		}
	}
	return covered, issues
}

// defsKnownViolations lists standard violations found in files the corpus
// marks valid; each is a fact about the file, checked to stay exactly so.
var defsKnownViolations = map[string][]string{
	// "N1*ST*": an N1 with neither a name (N102) nor an id (N103/N104)
	// breaks N1's syntax rule R0203, eight times.
	"x12/omniparser/1_canadapost_edi_214.input.txt": defsRepeat("element.conditional_missing@N102", 8),
	// "BGM+351+Y02197250+700101": BGM03 (1225, message function, an..3)
	// holds a 6-digit date.
	"edifact/php-edifact/D96ADESADV.edi": {"element.too_long@BGM03"},
}

func defsRepeat(k string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = k
	}
	return out
}

func defsIssueKey(is Issue) string {
	return fmt.Sprintf("%s@%s%02d", is.Code, is.Tag, is.Element)
}

func TestCorpusValidation(t *testing.T) {
	entries := readManifest(t)
	defs := Builtin()
	var report []string
	for _, e := range entries {
		if e.Status == "golden" {
			continue
		}
		e := e
		t.Run(strings.ReplaceAll(e.File, "/", "_"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			doc, penv, perr := Parse(bytes.NewReader(data), ParseOptions{Strict: true})
			if doc == nil {
				doc = &Document{}
			}
			covered, issues := defsValidateDocument(defs, doc)
			if covered == 0 {
				t.Skipf("set %s not covered", e.Set)
			}
			var errs []string
			for _, is := range issues {
				if is.Severity == SeverityError {
					errs = append(errs, defsIssueKey(is))
				}
			}
			sort.Strings(errs)
			report = append(report, fmt.Sprintf("%-70s %-20s %d sets, %d issues, errors %v", e.File, e.Status, covered, len(issues), errs))
			switch e.Status {
			case "valid":
				want := defsKnownViolations[e.File]
				if strings.Join(errs, " ") != strings.Join(want, " ") {
					for _, is := range issues {
						t.Logf("%s", defsDescribeIssue(is))
					}
					t.Errorf("valid file: errors %v, want %v", errs, want)
				}
			case "invalid-intentional":
				n := len(errs)
				for _, is := range penv {
					if is.Severity == SeverityError {
						n++
					}
				}
				if n == 0 && perr == nil {
					t.Errorf("invalid file: no error found (parse issues %d)", len(penv))
				}
			default:
				for _, is := range issues {
					t.Logf("%s", defsDescribeIssue(is))
				}
			}
		})
	}
	sort.Strings(report)
	t.Logf("corpus results:\n%s", strings.Join(report, "\n"))
}

func defsDescribeIssue(is Issue) string {
	return fmt.Sprintf("%s %s pos=%d %s%02d-%d ack=%s: %s", is.Severity, is.Code, is.SegmentPos, is.Tag, is.Element, is.Component, is.AckCode, is.Message)
}
