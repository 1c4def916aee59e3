package edi

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// corpusDir is the shared conformance corpus, relative to the package.

// envCodes returns the issue codes, sorted, "code" or "code×n".
func envCodes(issues []Issue) []string {
	n := map[string]int{}
	for _, is := range issues {
		n[is.Code]++
	}
	var out []string
	for c, k := range n {
		if k > 1 {
			c = fmt.Sprintf("%s×%d", c, k)
		}
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// envCheckModes asserts the severity rule: strict makes every envelope
// issue an error; tolerant makes them warnings except misplaced segments;
// both modes find the same issues.
func envCheckModes(t *testing.T, tolerant, strict []Issue) {
	t.Helper()
	if len(tolerant) != len(strict) {
		t.Fatalf("tolerant found %d issues, strict %d", len(tolerant), len(strict))
	}
	for i := range tolerant {
		a, b := tolerant[i], strict[i]
		if b.Severity != SeverityError {
			t.Errorf("strict: %s is a %s", b.Code, b.Severity)
		}
		want := SeverityWarning
		if a.Code == CodeEnvUnexpectedSegment {
			want = SeverityError
		}
		if a.Severity != want {
			t.Errorf("tolerant: %s is a %s, want %s", a.Code, a.Severity, want)
		}
		a.Severity, b.Severity = 0, 0
		if !reflect.DeepEqual(a, b) {
			t.Errorf("modes differ beyond severity:\n%+v\n%+v", a, b)
		}
	}
}

// TestEnvelopeGolden checks every testdata/envelope/*.edi file in both
// modes against testdata/envelope/<name>.golden.
func TestEnvelopeGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/envelope/*.edi")
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc, tolerant, _ := modelParseFile(t, f, ParseOptions{})
			_, strict, _ := modelParseFile(t, f, ParseOptions{Strict: true})
			envCheckModes(t, tolerant, strict)
			if v := ValidateEnvelopes(doc, ValidateOptions{Strict: true}); !reflect.DeepEqual(v, strict) {
				t.Errorf("ValidateEnvelopes(strict) differs from Parse(strict)")
			}
			var out bytes.Buffer
			out.WriteString("# tolerant\n")
			out.WriteString(modelIssueLines(tolerant))
			out.WriteString("# strict\n")
			out.WriteString(modelIssueLines(strict))
			modelGolden(t, strings.TrimSuffix(f, ".edi")+".golden", out.Bytes())
		})
	}
}

// TestEnvelopeCodes states what each synthetic input must produce.
func TestEnvelopeCodes(t *testing.T) {
	type want struct {
		code, tag string
		pos       int
		elem      int
		ack       string
		ctl       [3]string // interchange, group, set control numbers
	}
	cases := map[string][]want{
		"x12_counts.edi": {
			{CodeEnvSECount, "SE", 5, 1, "4", [3]string{"000000001", "1", "0001"}},
			{CodeEnvSEControl, "SE", 8, 2, "3", [3]string{"000000001", "1", "0002"}},
			{CodeEnvGECount, "GE", 12, 1, "5", [3]string{"000000001", "1", ""}},
			{CodeEnvGEControl, "GE", 12, 2, "4", [3]string{"000000001", "1", ""}},
			{CodeEnvSECount, "SE", 16, 1, "4", [3]string{"000000001", "2", "0001"}},
			{CodeEnvIEACount, "IEA", 18, 1, "021", [3]string{"000000001", "", ""}},
			{CodeEnvIEAControl, "IEA", 18, 2, "001", [3]string{"000000001", "", ""}},
		},
		"x12_controls.edi": {
			{CodeEnvGSVersion, "GS", 2, 8, "", [3]string{"000000002", "7", ""}},
			{CodeEnvDuplicateSet, "ST", 6, 2, "23", [3]string{"000000002", "7", "0001"}},
			{CodeEnvSTID, "ST", 9, 1, "6", [3]string{"000000002", "7", "0003"}},
			{CodeEnvSTControl, "ST", 12, 2, "7", [3]string{"000000002", "7", ""}},
			{CodeEnvDuplicateGroup, "GS", 16, 6, "19", [3]string{"000000002", "7", ""}},
			{CodeEnvGSControl, "GS", 21, 6, "6", [3]string{"000000002", "", ""}},
		},
		"x12_isa.edi": {
			{CodeEnvISAWidth, "ISA", 1, 2, "011", [3]string{"12345678", "", ""}},
			{CodeEnvISAWidth, "ISA", 1, 6, "006", [3]string{"12345678", "", ""}},
			{CodeEnvISAControl, "ISA", 1, 13, "018", [3]string{"12345678", "", ""}},
		},
		"x12_ta1_count.edi": {
			{CodeEnvIEACount, "IEA", 3, 1, "021", [3]string{"000000001", "", ""}},
		},
		"x12_missing.edi": {
			{CodeEnvMissingTrailer, "ST", 3, 0, "2", [3]string{"000000003", "3", "0001"}},
			{CodeEnvMissingTrailer, "GS", 2, 0, "3", [3]string{"000000003", "3", ""}},
			{CodeEnvMissingTrailer, "GS", 5, 0, "3", [3]string{"000000003", "4", ""}},
			{CodeEnvMissingTrailer, "ISA", 1, 0, "023", [3]string{"000000003", "", ""}},
			{CodeEnvUnexpectedSegment, "GE", 11, 0, "", [3]string{"", "", ""}},
		},
		"edifact_counts.edi": {
			{CodeEnvUNTCount, "UNT", 5, 1, "29", [3]string{"IC1", "G1", "M1"}},
			{CodeEnvUNTControl, "UNT", 8, 2, "28", [3]string{"IC1", "G1", "M2"}},
			{CodeEnvUNECount, "UNE", 9, 1, "29", [3]string{"IC1", "G1", ""}},
			{CodeEnvUNEControl, "UNE", 9, 2, "28", [3]string{"IC1", "G1", ""}},
			{CodeEnvUNZCount, "UNZ", 10, 1, "29", [3]string{"IC1", "", ""}},
			{CodeEnvUNZControl, "UNZ", 10, 2, "28", [3]string{"IC1", "", ""}},
		},
		"edifact_controls.edi": {
			{CodeEnvUNBControl, "UNB", 1, 5, "13", [3]string{"", "", ""}},
			{CodeEnvDuplicateSet, "UNH", 5, 1, "26", [3]string{"", "G1", "M1"}},
			{CodeEnvUNHControl, "UNH", 7, 1, "13", [3]string{"", "G1", ""}},
			{CodeEnvDuplicateGroup, "UNG", 10, 5, "26", [3]string{"", "G1", ""}},
			{CodeEnvUNGControl, "UNG", 12, 5, "13", [3]string{"", "", ""}},
		},
		"edifact_missing.edi": {
			{CodeEnvMissingTrailer, "UNH", 3, 0, "13", [3]string{"IC1", "G1", "M1"}},
			{CodeEnvMissingTrailer, "UNG", 2, 0, "13", [3]string{"IC1", "G1", ""}},
			{CodeEnvMissingTrailer, "UNB", 1, 0, "13", [3]string{"IC1", "", ""}},
			{CodeEnvUnexpectedSegment, "UNT", 12, 0, "33", [3]string{"", "", ""}},
		},
	}
	for file, wants := range cases {
		t.Run(file, func(t *testing.T) {
			_, issues, _ := modelParseFile(t, "testdata/envelope/"+file, ParseOptions{Strict: true})
			var got []want
			for _, is := range issues {
				got = append(got, want{is.Code, is.Tag, is.SegmentPos, is.Element, is.AckCode,
					[3]string{is.InterchangeControl, is.GroupControl, is.SetControl}})
			}
			if !reflect.DeepEqual(got, wants) {
				t.Errorf("got:\n%s", modelIssueLines(issues))
				for i := range max(len(got), len(wants)) {
					var g, w want
					if i < len(got) {
						g = got[i]
					}
					if i < len(wants) {
						w = wants[i]
					}
					if g != w {
						t.Errorf("issue %d: got %+v, want %+v", i+1, g, w)
					}
				}
			}
			for _, is := range issues {
				if is.Offset <= 0 && is.SegmentPos > 1 {
					t.Errorf("%s at segment %d has no offset", is.Code, is.SegmentPos)
				}
				if EnvelopeLevel(is) == "" {
					t.Errorf("%s has no envelope level", is.Code)
				}
			}
		})
	}
}

// TestEnvelopeLevel checks which envelope issues concern.
func TestEnvelopeLevel(t *testing.T) {
	for _, c := range []struct {
		is   Issue
		want string
	}{
		{Issue{Code: CodeEnvMissingTrailer, Tag: "ST"}, LevelTransaction},
		{Issue{Code: CodeEnvMissingTrailer, Tag: "UNG"}, LevelGroup},
		{Issue{Code: CodeEnvMissingTrailer, Tag: "ISA"}, LevelInterchange},
		{Issue{Code: CodeEnvSECount}, LevelTransaction},
		{Issue{Code: CodeEnvUNTControl}, LevelTransaction},
		{Issue{Code: CodeEnvGECount}, LevelGroup},
		{Issue{Code: CodeEnvNoGroup}, LevelGroup},
		{Issue{Code: CodeEnvIEAControl}, LevelInterchange},
		{Issue{Code: CodeEnvISAWidth}, LevelInterchange},
		{Issue{Code: CodeEnvMixed}, LevelInterchange},
		{Issue{Code: CodeEnvUnexpectedSegment, GroupControl: "7"}, LevelGroup},
		{Issue{Code: CodeEnvUnexpectedSegment}, LevelInterchange},
		{Issue{Code: "structure.missing_segment"}, ""},
	} {
		if got := EnvelopeLevel(c.is); got != c.want {
			t.Errorf("%s/%s: %q, want %q", c.is.Code, c.is.Tag, got, c.want)
		}
	}
}

// TestEnvelopeInMemory: ValidateEnvelopes checks a document changed in
// memory (here: one read back from JSON and edited).
func TestEnvelopeInMemory(t *testing.T) {
	doc, issues, _ := modelParseFile(t, "testdata/model/x12_856.edi", ParseOptions{Strict: true})
	if len(issues) != 0 {
		t.Fatalf("clean input has issues: %v", issues)
	}
	tx := doc.Interchanges[0].Groups[0].Transactions[0]
	tx.Segments = tx.Segments[:len(tx.Segments)-1] // drop CTT: SE01 is now wrong
	doc.Interchanges[0].Groups[0].Trailer = nil    // and GE is missing
	got := envCodes(ValidateEnvelopes(doc, ValidateOptions{Strict: true}))
	if want := []string{CodeEnvMissingTrailer, CodeEnvSECount}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if ValidateEnvelopes(nil, ValidateOptions{}) != nil {
		t.Fatal("nil document")
	}
}

// envValidPerSource are the 12 corpus samples their projects use as good
// input although their envelopes are wrong (FORMAT-NOTES §2, SOURCES.md),
// with the findings a tolerant reader must report as warnings and a
// strict one as errors.
var envValidPerSource = map[string][]string{
	"x12/omniparser/2_ups_edi_210.input.txt":               {CodeEnvSECount},                        // SE01 46, 48 segments
	"x12/edinet/204-MGCTLYST-SAMPLE.EDI":                   {CodeEnvSECount},                        // SE01 41, 38 segments
	"x12/staedi/wiki/x12_interchange_ack.txt":              {CodeEnvIEACount},                       // TA1 only: IEA01 1, 0 groups
	"x12/ediengine/MultipleInterchangesAndGroups.edi":      {CodeEnvIEAControl + "×2"},              // IEA02 3438 vs ISA13 000003438
	"x12/imsweb-x12-parser/x12_999_accepted.txt":           {CodeEnvIEAControl},                     // IEA02 000000001 vs 000000286
	"edifact/edinet/edifact.D01B.IFCSUM.EDI":               {CodeEnvUNTCount},                       // UNT 787, 27 segments (trimmed extract)
	"edifact/edinet/edifact.D95B.CUSCAR.EDI":               {CodeEnvUNTCount},                       // UNT 53, 52 segments
	"edifact/chemaclass-edifact-parser/edifact-sample.edi": {CodeEnvUNTCount},                       // second UNT 19, 18 segments
	"edifact/edifact-types/d00b_iftsta.edi":                {CodeEnvUNZControl},                     // UNZ 2805570 vs UNB 2803570
	"edifact/edifact-types/d95b_coprar.edi":                {CodeEnvNoInterchange, CodeEnvUNTCount}, // no UNB; UNT 56, 29 segments
	"edifact/pydifact/messages/v3/aperak.edi":              {CodeEnvUNTCount},                       // UNT 8, 7 segments
	"edifact/pydifact/messages/v4/aperak_rejected.edi":     {CodeEnvUNTCount},                       // UNT 8, 7 segments
}

// TestEnvelopeCorpus runs the envelope checks over the whole corpus:
// files marked valid have no finding even in strict mode; the
// valid-per-source ones have exactly the listed findings, warnings in
// tolerant mode and errors in strict mode; every file's findings are kept
// in testdata/envelope/corpus.golden.
func TestEnvelopeCorpus(t *testing.T) {
	entries := readManifest(t)
	var table bytes.Buffer
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Status == "golden" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(corpusDir, e.File))
		if err != nil {
			t.Errorf("%s: %v", e.File, err)
			continue
		}
		_, tolerant, terr := Parse(bytes.NewReader(b), ParseOptions{})
		_, strict, serr := Parse(bytes.NewReader(b), ParseOptions{Strict: true})
		if (terr == nil) != (serr == nil) {
			t.Errorf("%s: errors differ: %v / %v", e.File, terr, serr)
		}
		codes := envCodes(tolerant)
		line := strings.Join(codes, " ")
		if terr != nil {
			line = "read error: " + terr.Error()
		}
		fmt.Fprintf(&table, "%s\t%s\t%s\n", e.File, e.Status, line)
		t.Run(e.File, func(t *testing.T) {
			envCheckModes(t, tolerant, strict)
			switch e.Status {
			case "valid":
				if terr != nil || len(strict) != 0 {
					t.Errorf("valid file: err %v, strict issues:\n%s", terr, modelIssueLines(strict))
				}
			case "valid-per-source":
				seen[e.File] = true
				want, ok := envValidPerSource[e.File]
				if !ok {
					t.Fatalf("valid-per-source file not in envValidPerSource")
				}
				if terr != nil || !reflect.DeepEqual(codes, want) {
					t.Errorf("err %v, codes %v, want %v", terr, codes, want)
				}
				for _, is := range tolerant {
					if is.Severity != SeverityWarning {
						t.Errorf("tolerant: %s is an error", is.Code)
					}
				}
			}
		})
	}
	if len(seen) != len(envValidPerSource) || len(seen) != 12 {
		t.Errorf("valid-per-source files: %d seen, %d listed, want 12", len(seen), len(envValidPerSource))
	}
	modelGolden(t, "testdata/envelope/corpus.golden", table.Bytes())
}
