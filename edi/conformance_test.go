package edi

// The conformance table: every file of the shared EDI corpus
// (../../shared/corpus/edi, described in its SOURCES.md and listed in
// manifest.tsv) with the result this package must give for it.
//
//   - valid: strict validation (envelopes, and structure and elements where
//     a definition exists) finds no error. Two files have element errors
//     in their data; their entries list them.
//   - valid-per-source, edge: tolerant validation finds no error; strict
//     validation reports exactly the anomalies listed (SOURCES.md names
//     the envelope ones).
//   - invalid-intentional: rejected: the input is not EDI (a *SyntaxError
//     with the listed code), or strict validation reports errors, the
//     listed reject code among them. Never a panic.
//   - golden: expected outputs of the source projects, checked against our
//     parse: pyx12's 997s against our 997 for the same input (AK1, AK2,
//     AK3/AK4 codes, AK5, AK9), omniparser snapshots and schemas, EdiEngine
//     JSON and Smooks XML against the segments and values we read.
//
// Every parsed input is also acknowledged (997 or CONTRL) and the
// acknowledgement read back with ParseAck.
//
// go test -run TestConformance -v prints one line per file.

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

type confCase struct {
	file   string
	status string // manifest status
	// strict lists the distinct error codes strict validation reports
	// (sorted); tolerant those of tolerant validation (normally none).
	strict, tolerant []string
	// reject is, for invalid-intentional files, the finding that rejects
	// the file: a *SyntaxError code or an error code of strict validation.
	reject string
	// guides validates with the HIPAA guide subsets of
	// testdata/ack/guides (pyx12's health care inputs).
	guides bool
	// golden checks a golden file; it returns a summary for the log.
	golden func(t *testing.T) string
	note   string
}

// conformance is the table. Keep it in manifest order.
var conformance = []confCase{
	{file: "x12/omniparser/1_canadapost_edi_214.input.txt", status: "valid", strict: []string{"element.conditional_missing"},
		note: "N1*ST* (segment 34 and 7 more) has neither N102 nor N103 (N1 syntax rule R0203): a data error the source's envelope check does not see"},
	{file: "x12/omniparser/.snapshots/Test1_CanadaPost_EDI_214", status: "golden", golden: omniSnapshot("x12/omniparser/.snapshots/Test1_CanadaPost_EDI_214", "x12/omniparser/1_canadapost_edi_214.input.txt")},
	{file: "x12/omniparser/1_canadapost_edi_214.schema.json", status: "golden", golden: omniSchema("x12/omniparser/1_canadapost_edi_214.schema.json", "x12/omniparser/1_canadapost_edi_214.input.txt")},
	{file: "x12/omniparser/2_ups_edi_210.input.txt", status: "valid-per-source", strict: []string{"element.conditional_missing", "envelope.se_count"}},
	{file: "x12/omniparser/.snapshots/Test2_UPS_EDI_210", status: "golden", golden: omniSnapshot("x12/omniparser/.snapshots/Test2_UPS_EDI_210", "x12/omniparser/2_ups_edi_210.input.txt")},
	{file: "x12/omniparser/2_ups_edi_210.schema.json", status: "golden", golden: omniSchema("x12/omniparser/2_ups_edi_210.schema.json", "x12/omniparser/2_ups_edi_210.input.txt")},
	{file: "x12/edinet/204-MGCTLYST-SAMPLE.EDI", status: "valid-per-source", strict: []string{"envelope.se_count"}},
	{file: "x12/edinet/210-MGCTLYST-SAMPLE.EDI", status: "valid"},
	{file: "x12/edinet/214-MGCTLYST-SAMPLE.EDI", status: "valid"},
	{file: "x12/edinet/990-MGCTLYST-SAMPLE.EDI", status: "valid"},
	{file: "x12/edinet/x12.214.edi", status: "edge"},
	{file: "x12/edinet/x12.810a.edi", status: "edge", strict: []string{"envelope.isa_width"}},
	{file: "x12/edinet/x12.850.edi", status: "edge", strict: []string{"envelope.iea_control", "envelope.isa_width"}},
	{file: "x12/edinet/x12.810.mandatory-conditions.edi", status: "invalid-intentional", strict: []string{"envelope.iea_control", "envelope.isa_width", "envelope.se_count", "structure.missing_segment", "structure.not_in_set"}, tolerant: []string{"structure.missing_segment", "structure.not_in_set"}, reject: "structure.missing_segment"},
	{file: "edifact/edinet/edifact.Issue188.edi", status: "invalid-intentional", strict: []string{"envelope.duplicate_set_control", "envelope.unt_control", "envelope.unt_count", "envelope.unz_count", "structure.missing_segment"}, tolerant: []string{"structure.missing_segment"}, reject: "envelope.unt_control"},
	{file: "edifact/edinet/Apperak edi_out_issue235.edi", status: "invalid-intentional", strict: []string{"envelope.missing_trailer", "envelope.unb_control", "envelope.unz_control"}, reject: "envelope.unb_control"},
	{file: "edifact/edinet/edifact.ORDRSP-formatted.edi", status: "edge", strict: []string{"envelope.unt_control", "envelope.unt_count", "envelope.unz_control"}},
	{file: "edifact/edinet/edifact.D01B.IFCSUM.EDI", status: "valid-per-source", strict: []string{"envelope.unt_count"}},
	{file: "edifact/edinet/edifact.D01B.IFCSUM.NewLines.EDI", status: "edge", strict: []string{"envelope.unt_count"}},
	{file: "edifact/edinet/edifact.D95B.CUSCAR.EDI", status: "valid-per-source", strict: []string{"envelope.unt_count"}},
	{file: "x12/staedi/x12/simple997.edi", status: "valid"},
	{file: "x12/staedi/x12/simple999.edi", status: "valid"},
	{file: "x12/staedi/x12/invalid997.edi", status: "invalid-intentional", strict: []string{"element.bad_type", "element.too_long"}, reject: "element.bad_type"},
	{file: "x12/staedi/x12/invalid999.edi", status: "invalid-intentional", strict: []string{"element.bad_code", "element.bad_type", "element.too_long", "element.too_many", "envelope.se_count", "structure.max_use", "structure.unexpected_segment"}, tolerant: []string{"structure.max_use", "structure.unexpected_segment"}, reject: "structure.unexpected_segment"},
	{file: "x12/staedi/x12/extraDelimiter997.edi", status: "edge", strict: []string{"element.bad_type", "element.too_long"},
		note: "repetitions in AK302/AK304, which are not repeatable: element errors in strict mode"},
	{file: "x12/staedi/x12/empty997.edi", status: "invalid-intentional", strict: []string{"element.too_many", "structure.missing_segment"}, tolerant: []string{"structure.missing_segment"}, reject: "structure.missing_segment"},
	{file: "x12/staedi/x12/invoice810_po850_dual.edi", status: "valid"},
	{file: "x12/staedi/x12/issue109/ts214_ellipses_segterm.edi", status: "edge"},
	{file: "x12/staedi/x12/issue128/ts210_80char.edi", status: "edge"},
	{file: "x12/staedi/x12/simple997-multiple-interchanges.edi", status: "valid"},
	{file: "x12/staedi/x12/simple810.edi", status: "valid"},
	{file: "x12/staedi/x12/optionalInterchangeServices.edi", status: "edge"},
	{file: "x12/staedi/x12/issue590/multi-tx-transaction-type.edi", status: "edge"},
	{file: "x12/staedi/wiki/x12_interchange_ack.txt", status: "valid-per-source", strict: []string{"envelope.iea_count"}},
	{file: "edifact/staedi/EDIFACT/invoic_d97b.edi", status: "valid"},
	{file: "edifact/staedi/EDIFACT/invoic_d97b_bad.edi", status: "invalid-intentional", strict: []string{"element.bad_type", "element.too_long", "structure.max_use"}, tolerant: []string{"structure.max_use"}, reject: "element.bad_type"},
	{file: "edifact/staedi/EDIFACT/invoic_d97b_una.edi", status: "edge"},
	{file: "edifact/staedi/EDIFACT/invoic_d93a_una.edi", status: "valid"},
	{file: "edifact/staedi/EDIFACT/issue128/wrapped_invoic_d97b.edi", status: "edge"},
	{file: "edifact/staedi/EDIFACT/orders-with-group.edi", status: "edge", strict: []string{"element.too_long", "envelope.unt_count"},
		note: "UNH S009 0057 EAN008B is 7 characters (an..6)"},
	{file: "edifact/staedi/EDIFACT/issue174/other_dialect_term_segments.edi", status: "edge"},
	{file: "x12/ediengine/940.OK.edi", status: "valid"},
	{file: "x12/ediengine/940.2.OK.edi", status: "valid"},
	{file: "x12/ediengine/940_Failed_SE01.edi", status: "invalid-intentional", strict: []string{"element.bad_type", "element.missing", "element.too_long", "element.too_short", "envelope.se_count"}, reject: "envelope.se_count"},
	{file: "x12/ediengine/940.W05.Only.edi", status: "invalid-intentional", strict: []string{"structure.missing_segment"}, tolerant: []string{"structure.missing_segment"}, reject: "structure.missing_segment"},
	{file: "x12/ediengine/856.Crossdock.OK.edi", status: "valid"},
	{file: "x12/ediengine/AckTest.edi", status: "invalid-intentional", strict: []string{"element.missing", "element.too_long"}, reject: "element.missing"},
	{file: "x12/ediengine/ControlNumbersMismatch.edi", status: "invalid-intentional", strict: []string{"envelope.ge_control", "envelope.iea_control", "envelope.se_control"}, reject: "envelope.se_control"},
	{file: "x12/ediengine/WrongGroupsAndTranCount.edi", status: "invalid-intentional", strict: []string{"envelope.ge_count", "envelope.iea_control", "envelope.iea_count"}, reject: "envelope.ge_count"},
	{file: "x12/ediengine/MultipleInterchangesAndGroups.edi", status: "valid-per-source", strict: []string{"envelope.iea_control"}},
	{file: "x12/ediengine/850.OK.edi", status: "valid"},
	{file: "x12/ediengine/850.SyntaxNotes.ERR.edi", status: "invalid-intentional", strict: []string{"element.conditional_missing"}, reject: "element.conditional_missing"},
	{file: "x12/ediengine/NonEdi.edi", status: "invalid-intentional", reject: "syntax.not_edi"},
	{file: "x12/ediengine/940.OK.json", status: "golden", golden: ediEngineJSON("x12/ediengine/940.OK.json", "x12/ediengine/940.OK.edi")},
	{file: "x12/ediengine/856.Crossdock.OK.json", status: "golden", golden: ediEngineJSON("x12/ediengine/856.Crossdock.OK.json", "x12/ediengine/856.Crossdock.OK.edi")},
	{file: "x12/node-x12/856.edi", status: "edge"},
	{file: "x12/node-x12/850.edi", status: "valid"},
	{file: "x12/node-x12/850_3.edi", status: "valid"},
	{file: "x12/x12-types/004060_856.edi", status: "valid"},
	{file: "x12/stupidedi/004010/FA997/pass/1.edi", status: "edge", strict: []string{"envelope.isa_width"}},
	{file: "x12/stupidedi/004010/PR855/pass/1.edi", status: "valid"},
	{file: "x12/stupidedi/004010/PR855/fail/2.edi", status: "invalid-intentional", strict: []string{"element.too_long", "envelope.isa_width"}, reject: "envelope.isa_width"},
	{file: "x12/stupidedi/004010/SH856/fail/2.edi", status: "invalid-intentional", strict: []string{"element.bad_type", "element.too_long", "element.too_many", "envelope.se_count", "structure.hl_parent", "structure.out_of_order"}, tolerant: []string{"structure.hl_parent", "structure.out_of_order"}, reject: "element.too_many"},
	{file: "x12/stupidedi/002001/SH856/fail/1.edi", status: "invalid-intentional", strict: []string{"envelope.isa_width"}, reject: "envelope.isa_width"},
	{file: "x12/pyx12/simple1.txt", status: "valid",
		note: "ST/SE only: valid for our builtin definitions (no 837); with the 837 guide subset it is rejected, as pyx12's simple1.997.base says"},
	{file: "x12/pyx12/simple1.997.base", status: "golden", golden: pyx12Ack("x12/pyx12/simple1.997.base", "x12/pyx12/simple1.txt")},
	{file: "x12/pyx12/fail_no_IEA.txt", status: "invalid-intentional", strict: []string{"envelope.missing_trailer", "envelope.se_count", "structure.missing_segment"}, tolerant: []string{"structure.missing_segment"}, guides: true, reject: "envelope.missing_trailer"},
	{file: "x12/pyx12/fail_no_IEA.997.base", status: "golden", golden: pyx12Ack("x12/pyx12/fail_no_IEA.997.base", "x12/pyx12/fail_no_IEA.txt")},
	{file: "x12/pyx12/trailer_errors.txt", status: "invalid-intentional", strict: []string{"envelope.ge_control", "envelope.iea_control", "envelope.iea_count", "envelope.se_count"}, guides: true, reject: "envelope.ge_control"},
	{file: "x12/pyx12/trailer_errors.997.base", status: "golden", golden: pyx12Ack("x12/pyx12/trailer_errors.997.base", "x12/pyx12/trailer_errors.txt",
		// TA1 (not an AK segment): IEA01 and IEA02 are both wrong; we give
		// the first finding's note code, 021 (group count), pyx12 018.
		"-TA1 R 018", "+TA1 R 021")},
	{file: "x12/pyx12/bad_elements.txt", status: "invalid-intentional", strict: []string{"element.bad_code", "element.bad_date", "element.too_long", "envelope.se_count"}, guides: true, reject: "element.bad_code"},
	{file: "x12/pyx12/bad_elements.997.base", status: "golden", golden: pyx12Ack("x12/pyx12/bad_elements.997.base", "x12/pyx12/bad_elements.txt",
		// NM108 "MIM": pyx12 reports too long (5) and invalid code (7); the
		// structural validation reports one finding per value.
		"-AK4 NM1 8 66 7")},
	{file: "x12/pyx12/mult_trn.txt", status: "invalid-intentional", strict: []string{"structure.missing_segment"}, tolerant: []string{"structure.missing_segment"}, guides: true, reject: "structure.missing_segment"},
	{file: "x12/pyx12/mult_trn.997.base", status: "golden", golden: pyx12Ack("x12/pyx12/mult_trn.997.base", "x12/pyx12/mult_trn.txt")},
	{file: "x12/pyx12/trailing_terms.txt", status: "invalid-intentional", strict: []string{"element.missing"}, guides: true, reject: "element.missing"},
	{file: "x12/pyx12/trailing_terms.997.base", status: "golden", golden: pyx12Ack("x12/pyx12/trailing_terms.997.base", "x12/pyx12/trailing_terms.txt")},
	{file: "x12/pyx12/bad_header_looping.txt", status: "invalid-intentional", strict: []string{"envelope.se_count", "structure.unexpected_segment"}, tolerant: []string{"structure.unexpected_segment"}, guides: true, reject: "structure.unexpected_segment"},
	{file: "x12/pyx12/bad_header_looping.997.base", status: "golden", golden: pyx12Ack("x12/pyx12/bad_header_looping.997.base", "x12/pyx12/bad_header_looping.txt",
		// N1/N3/N4 after the 2110 loop: pyx12 says 1 (unrecognized segment),
		// we say 2 (unexpected: the segments exist in the 835, not here).
		"-AK3 N1 1", "-AK3 N1 1", "-AK3 N3 1", "-AK3 N4 1", "+AK3 N1 2", "+AK3 N1 2", "+AK3 N3 2", "+AK3 N4 2",
		// DTM02 11111111: pyx12 rejects the year 1111, our date check accepts
		// any CCYYMMDD with a valid month and day.
		"-AK3 DTM 8", "-AK4 DTM 2 373 8")},
	{file: "x12/pyx12/834_ls_le_ls_5010.999.txt", status: "valid"},
	{file: "x12/pyx12/834_lui_id_5010.999.txt", status: "valid"},
	{file: "x12/imsweb-x12-parser/x12_999_accepted.txt", status: "valid-per-source", strict: []string{"envelope.iea_control"}},
	{file: "x12/imsweb-x12-parser/x12_999_rejected.txt", status: "valid"},
	{file: "x12/imsweb-x12-parser/x12_valid_different_separators.txt", status: "edge", strict: []string{"envelope.se_count"}},
	{file: "x12/imsweb-x12-parser/x12_bad_first_line.txt", status: "invalid-intentional", strict: []string{"envelope.isa_width", "envelope.se_count"}, reject: "envelope.isa_width"},
	{file: "x12/stedi-bootstrap/855/inbound.edi", status: "valid"},
	{file: "x12/stedi-bootstrap/850/input.edi", status: "edge"},
	{file: "x12/edifabric/X12_810_00204_RepetitionSeparator.txt", status: "edge"},
	{file: "x12/edifabric/X12_810_00204_NonDefaultSeparators.txt", status: "edge"},
	{file: "x12/edifabric/X12_810_00204_SegmentSeparatorLF.txt", status: "edge"},
	{file: "x12/edifabric/X12_810_00204_TA1.txt", status: "edge"},
	{file: "x12/edifabric/X12_810_00204_InvalidTrailers.txt", status: "invalid-intentional", strict: []string{"envelope.unexpected_segment"}, tolerant: []string{"envelope.unexpected_segment"}, reject: "envelope.unexpected_segment"},
	{file: "x12/edifabric/X12_810_00204_MissingInterchangeTrailer.txt", status: "invalid-intentional", strict: []string{"envelope.missing_trailer"}, reject: "envelope.missing_trailer"},
	{file: "x12/edifabric/X12_810_00204_MultipleInvalidMessages.txt", status: "invalid-intentional", strict: []string{"envelope.duplicate_set_control", "envelope.ge_count", "envelope.missing_trailer", "envelope.se_count"}, reject: "envelope.ge_count"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_EscapedSegmentTerminator.txt", status: "edge"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_EscapedRepetition.txt", status: "edge", strict: []string{"element.too_long"},
		note: "COM01-02 unescapes to 2*3:4, longer than an..3"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_EscapedEscape.txt", status: "edge", strict: []string{"element.too_long"},
		note: "FTX01 unescapes to AAI?, longer than an..3"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_NonDefaultSeparators.txt", status: "edge"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_RepeatingDataElement.txt", status: "edge", strict: []string{"element.too_many"},
		note: "'*' is not a repetition separator under UNOB:1: COM01 has too many components"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_Group.txt", status: "valid"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_MissingGroupTrailer.txt", status: "invalid-intentional", strict: []string{"envelope.missing_trailer"}, reject: "envelope.missing_trailer"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_InvalidTrailers.txt", status: "invalid-intentional", strict: []string{"envelope.unexpected_segment"}, tolerant: []string{"envelope.unexpected_segment"}, reject: "envelope.unexpected_segment"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_Val_WrongSegmentCount.txt", status: "invalid-intentional", strict: []string{"envelope.unt_count"}, reject: "envelope.unt_count"},
	{file: "edifact/edifabric/Edifact_INVOIC_D00A_Val_WrongControlNumber.txt", status: "invalid-intentional", strict: []string{"envelope.unt_control"}, reject: "envelope.unt_control"},
	{file: "edifact/php-edifact/D96ADESADV.edi", status: "valid", strict: []string{"element.too_long"},
		note: "BGM+351+Y02197250+700101: BGM03 (1225, an..3) holds a date: a data error the source's envelope check does not see"},
	{file: "edifact/php-edifact/example_utf8.edi", status: "edge", strict: []string{"element.too_long"},
		note: "same BGM03 data error as D96ADESADV.edi"},
	{file: "edifact/php-edifact/example_release_character.edi", status: "edge", strict: []string{"envelope.unt_count"}},
	{file: "edifact/php-edifact/example_wrapped.edi", status: "edge"},
	{file: "edifact/php-edifact/example_multiline.edi", status: "edge", strict: []string{"envelope.unt_count"}},
	{file: "edifact/php-edifact/example_order_ok.edi", status: "valid"},
	{file: "edifact/php-edifact/example_order_error.edi", status: "invalid-intentional", strict: []string{"element.too_long", "element.too_many"}, reject: "element.too_many"},
	{file: "edifact/smooks/d96a-invoic-1/input.edi", status: "edge", strict: []string{"envelope.unexpected_segment"}, tolerant: []string{"envelope.unexpected_segment"},
		note: "a message body without UNB/UNH: parsed, its segments reported as outside any message"},
	{file: "edifact/smooks/d96a-invoic-1/expected-result.xml", status: "golden", golden: smooksXML("edifact/smooks/d96a-invoic-1/expected-result.xml", "edifact/smooks/d96a-invoic-1/input.edi")},
	{file: "edifact/smooks/unedifact/with_ung/unedifact-msg-01.edi", status: "edge", strict: []string{"envelope.duplicate_set_control", "envelope.mixed_groups_messages", "envelope.unt_count", "envelope.unz_control"}},
	{file: "edifact/smooks/unedifact/with_ung/unedifact-msg-02.edi", status: "edge", strict: []string{"envelope.duplicate_set_control", "envelope.mixed_groups_messages", "envelope.unt_count", "envelope.unz_control"}},
	{file: "edifact/smooks/unedifact/with_ung/unedifact-msg-03.edi", status: "invalid-intentional", strict: []string{"envelope.duplicate_set_control", "envelope.mixed_groups_messages", "envelope.une_control", "envelope.ung_control", "envelope.unt_count", "envelope.unz_control"}, reject: "envelope.ung_control"},
	{file: "edifact/smooks/unedifact/with_ung/unedifact-msg-expected-01.xml", status: "golden", golden: smooksXML("edifact/smooks/unedifact/with_ung/unedifact-msg-expected-01.xml", "edifact/smooks/unedifact/with_ung/unedifact-msg-01.edi", "edifact/smooks/unedifact/with_ung/unedifact-msg-02.edi")},
	{file: "edifact/smooks/test_escape_character/edi-input.txt", status: "edge", strict: []string{"envelope.unexpected_segment"}, tolerant: []string{"envelope.unexpected_segment"},
		note: "a fragment without UNB/UNH: parsed, its segments reported as outside any message"},
	{file: "edifact/chemaclass-edifact-parser/edifact-sample.edi", status: "valid-per-source", strict: []string{"envelope.unt_count"}},
	{file: "edifact/edifact-types/d00b_iftsta.edi", status: "valid-per-source", strict: []string{"envelope.unz_control"}},
	{file: "edifact/edifact-types/d95b_coprar.edi", status: "valid-per-source", strict: []string{"envelope.no_interchange", "envelope.unt_count"}},
	{file: "edifact/pydifact/messages/v3/aperak.edi", status: "valid-per-source", strict: []string{"envelope.unt_count"}},
	{file: "edifact/pydifact/messages/v4/aperak_rejected.edi", status: "valid-per-source", strict: []string{"envelope.unt_count"}},
	{file: "edifact/pydifact/order.edi", status: "edge", strict: []string{"envelope.missing_trailer"}},
	{file: "edifact/pydifact/invoice_with_colon_at_end.edi", status: "edge"},
	{file: "edifact/edifact-rs/d96a_orders_malformed.edi", status: "invalid-intentional", strict: []string{"envelope.no_interchange", "envelope.unexpected_segment", "envelope.unt_count", "structure.missing_segment"}, tolerant: []string{"envelope.unexpected_segment", "structure.missing_segment"}, reject: "envelope.unexpected_segment"},
}

// --- the test ----------------------------------------------------------------

var (
	confGuidesOnce sync.Once
	confGuidesDefs *Definitions
	confGuidesErr  error
)

// confGuides returns the builtin definitions plus the HIPAA guide subsets
// of testdata/ack/guides.
func confGuides(t *testing.T) *Definitions {
	t.Helper()
	confGuidesOnce.Do(func() {
		confGuidesDefs, confGuidesErr = Builtin().Overlay(os.DirFS(filepath.Join("testdata", "ack", "guides")))
	})
	if confGuidesErr != nil {
		t.Fatalf("testdata/ack/guides: %v", confGuidesErr)
	}
	return confGuidesDefs
}

// confValidate runs Validate on a corpus file, turning a panic into a test
// error.
func confValidate(t *testing.T, c *confCase, strict bool) (rep *Report, err error) {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, c.file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := ReportOptions{Strict: strict}
	if c.guides {
		opts.Definitions = confGuides(t)
		opts.VersionGuides = true
	}
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("panic validating %s (strict=%v): %v", c.file, strict, p)
			rep, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return Validate(f, opts)
}

func errorCodes(rep *Report) []string {
	seen := map[string]bool{}
	var out []string
	for _, is := range rep.Issues {
		if is.Severity == SeverityError && !seen[is.Code] {
			seen[is.Code] = true
			out = append(out, is.Code)
		}
	}
	sort.Strings(out)
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstErrors(rep *Report, n int) string {
	var out []string
	for _, is := range rep.Issues {
		if is.Severity == SeverityError {
			out = append(out, fmt.Sprintf("segment %d offset %d %s: %s", is.SegmentPos, is.Offset, is.Code, is.Message))
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, "; ")
}

func TestConformance(t *testing.T) {
	rows := readManifest(t)
	byFile := map[string]*confCase{}
	for i := range conformance {
		c := &conformance[i]
		if byFile[c.file] != nil {
			t.Errorf("%s is in the conformance table twice", c.file)
		}
		byFile[c.file] = c
	}
	inManifest := map[string]bool{}
	for _, r := range rows {
		inManifest[r.File] = true
		c := byFile[r.File]
		if c == nil {
			t.Errorf("manifest file %s (%s) has no entry in the conformance table", r.File, r.Status)
			continue
		}
		if c.status != r.Status {
			t.Errorf("%s: table says %s, manifest says %s", r.File, c.status, r.Status)
		}
	}
	for _, c := range conformance {
		if !inManifest[c.file] {
			t.Errorf("%s is in the conformance table but not in manifest.tsv", c.file)
		}
	}
	var (
		mu      sync.Mutex
		summary = map[string]int{}
	)
	count := func(k string) {
		mu.Lock()
		summary[k]++
		mu.Unlock()
	}
	t.Run("files", func(t *testing.T) {
		for i := range conformance {
			c := &conformance[i]
			t.Run(c.file, func(t *testing.T) {
				t.Parallel()
				line := confCheck(t, c)
				if t.Failed() {
					count(c.status + ": FAILED")
				} else {
					count(c.status + ": ok")
				}
				t.Logf("%s: %s: %s", c.file, c.status, line)
			})
		}
	})
	var keys []string
	for k := range summary {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-30s %d", k, summary[k])
	}
}

// confCheck checks one file and returns its log line.
func confCheck(t *testing.T, c *confCase) string {
	if c.status == "golden" {
		if c.golden == nil {
			t.Fatalf("golden file without a check")
		}
		return c.golden(t)
	}
	strictRep, strictErr := confValidate(t, c, true)
	tolRep, tolErr := confValidate(t, c, false)
	if strictErr != nil || tolErr != nil {
		// Only "not EDI" inputs may fail to parse, and only when intended.
		var se *SyntaxError
		if c.status != "invalid-intentional" || !errors.As(strictErr, &se) {
			t.Fatalf("unreadable: strict %v, tolerant %v", strictErr, tolErr)
		}
		if se.Code != c.reject {
			t.Errorf("rejected with %s, want %s", se.Code, c.reject)
		}
		if !errors.As(tolErr, &se) {
			t.Errorf("tolerant parse: %v, want the same syntax error", tolErr)
		}
		return fmt.Sprintf("rejected: %s at offset %d", se.Code, se.Offset)
	}
	gotStrict, gotTol := errorCodes(strictRep), errorCodes(tolRep)
	if !sameStrings(gotStrict, c.strict) {
		t.Errorf("strict errors %q, want %q (%s)", gotStrict, c.strict, firstErrors(strictRep, 3))
	}
	if !sameStrings(gotTol, c.tolerant) {
		t.Errorf("tolerant errors %q, want %q (%s)", gotTol, c.tolerant, firstErrors(tolRep, 3))
	}
	var line string
	switch c.status {
	case "valid":
		if len(c.strict) == 0 {
			line = "strict: valid"
		} else {
			line = fmt.Sprintf("strict: %d errors (%s), documented data errors", strictRep.Errors, strings.Join(gotStrict, ", "))
		}
	case "valid-per-source", "edge":
		if len(c.tolerant) > 0 {
			line = fmt.Sprintf("tolerant: parsed, %s", strings.Join(gotTol, ", "))
		} else {
			line = fmt.Sprintf("tolerant: valid (%d warnings)", tolRep.Warnings)
		}
		if len(gotStrict) > 0 {
			line += "; strict: " + strings.Join(gotStrict, ", ")
		} else {
			line += "; strict: valid"
		}
	case "invalid-intentional":
		if strictRep.Valid {
			t.Errorf("not rejected: strict validation finds no error")
		}
		found := false
		for _, code := range gotStrict {
			found = found || code == c.reject
		}
		if !found {
			t.Errorf("reject code %s not among the strict errors %q", c.reject, gotStrict)
		}
		line = fmt.Sprintf("rejected: %s (strict: %s)", c.reject, strings.Join(gotStrict, ", "))
	default:
		t.Fatalf("unknown status %q", c.status)
	}
	if ack := confAckRoundTrip(t, strictRep); ack != "" {
		line += "; " + ack
	}
	return line
}

// confAckRoundTrip acknowledges a parsed input (997 for X12, CONTRL for
// EDIFACT) and reads the acknowledgement back.
func confAckRoundTrip(t *testing.T, rep *Report) string {
	typ := AckType997
	if rep.Format == FormatEDIFACT {
		typ = AckTypeCONTRL
	}
	ack, err := Acknowledge(context.Background(), rep.Document, rep.Issues, typ, AckOptions{Now: ackNow})
	if errors.Is(err, ErrNothingToAcknowledge) {
		return ""
	}
	if err != nil {
		t.Errorf("%s: %v", typ, err)
		return ""
	}
	var b strings.Builder
	if err := Render(&b, ack, nil, RenderOptions{}); err != nil {
		t.Errorf("%s: render: %v", typ, err)
		return ""
	}
	back, issues, err := Parse(strings.NewReader(b.String()), ParseOptions{Strict: true})
	if err != nil {
		t.Errorf("%s: parse: %v", typ, err)
		return ""
	}
	for _, is := range issues {
		t.Errorf("%s: envelope: %s: %s", typ, is.Code, is.Message)
	}
	results, err := ParseAck(back)
	if err != nil {
		t.Errorf("%s: ParseAck: %v", typ, err)
	}
	matched, rejected := 0, 0
	for _, m := range MatchAcks(rep.Document, results) {
		if m.Acknowledged() {
			matched++
		}
		if m.Status == AckRejected {
			rejected++
		}
	}
	return fmt.Sprintf("%s: %d of %d sets matched, %d rejected", typ, matched, rep.Transactions, rejected)
}

// --- golden checks ---------------------------------------------------------

func confParse(t *testing.T, file string) *Document {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, _, err := Parse(f, ParseOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc
}

func allTransactions(doc *Document) []*Transaction {
	var out []*Transaction
	for _, ic := range doc.Interchanges {
		out = append(out, ic.Messages...)
		for _, g := range ic.Groups {
			out = append(out, g.Transactions...)
		}
	}
	return out
}

// segmentValues returns every value of a segment: each component of each
// repetition of each element.
func segmentValues(s *Segment) []string {
	var out []string
	for i := 1; i <= s.Len(); i++ {
		for _, rep := range s.Repetitions(i) {
			out = append(out, rep...)
		}
	}
	return out
}

// omniSnapshot checks an omniparser cupaloy snapshot: one record per
// transaction set, and every raw value the record holds is a value of that
// set.
func omniSnapshot(snapshot, input string) func(t *testing.T) string {
	return func(t *testing.T) string {
		b, err := os.ReadFile(filepath.Join(corpusDir, snapshot))
		if err != nil {
			t.Fatal(err)
		}
		var records []struct{ RawRecord string }
		if err := json.Unmarshal(b, &records); err != nil {
			t.Fatal(err)
		}
		txs := allTransactions(confParse(t, input))
		if len(records) != len(txs) {
			t.Fatalf("%d records, we read %d transaction sets", len(records), len(txs))
		}
		checked := 0
		for i, r := range records {
			var raw any
			if err := json.Unmarshal([]byte(r.RawRecord), &raw); err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{"": true}
			for _, s := range txs[i].AllSegments() {
				for _, v := range segmentValues(s) {
					have[v] = true
				}
			}
			var walk func(v any)
			walk = func(v any) {
				switch x := v.(type) {
				case map[string]any:
					for _, y := range x {
						walk(y)
					}
				case []any:
					for _, y := range x {
						walk(y)
					}
				case string:
					checked++
					if !have[x] {
						t.Errorf("record %d: value %q is not in transaction set %s", i+1, x, txs[i].Control())
					}
				}
			}
			walk(raw)
		}
		return fmt.Sprintf("%d records = %d transaction sets; %d raw values found in their sets", len(records), len(txs), checked)
	}
}

// omniSchema checks that every segment an omniparser schema maps is one we
// read from its input.
func omniSchema(schema, input string) func(t *testing.T) string {
	return func(t *testing.T) string {
		b, err := os.ReadFile(filepath.Join(corpusDir, schema))
		if err != nil {
			t.Fatal(err)
		}
		// names maps a declared segment to whether it is required (no
		// "min": 0 on it).
		names := map[string]bool{}
		var walk func(raw json.RawMessage)
		walk = func(raw json.RawMessage) {
			var d struct {
				Name     string            `json:"name"`
				Type     string            `json:"type"`
				Min      *int              `json:"min"`
				Children []json.RawMessage `json:"child_segments"`
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			if d.Type != "segment_group" && d.Name != "" {
				names[d.Name] = names[d.Name] || d.Min == nil || *d.Min > 0
			}
			for _, c := range d.Children {
				walk(c)
			}
		}
		var top struct {
			FileDeclaration struct {
				ElementDelimiter string            `json:"element_delimiter"`
				SegmentDelimiter string            `json:"segment_delimiter"`
				SegmentDecls     []json.RawMessage `json:"segment_declarations"`
			} `json:"file_declaration"`
		}
		if err := json.Unmarshal(b, &top); err != nil {
			t.Fatal(err)
		}
		for _, d := range top.FileDeclaration.SegmentDecls {
			walk(d)
		}
		if len(names) == 0 {
			t.Fatal("no segment declarations found in the schema")
		}
		tags := map[string]int{}
		doc := confParse(t, input)
		fd := top.FileDeclaration
		for _, ic := range doc.Interchanges {
			if el := string([]byte{ic.Delims.Element}); fd.ElementDelimiter != "" && el != fd.ElementDelimiter {
				t.Errorf("element separator %q, the schema declares %q", el, fd.ElementDelimiter)
			}
			seg := string([]byte{ic.Delims.Segment})
			if ic.Terminator != "" {
				seg = ic.Terminator
			}
			if fd.SegmentDelimiter != "" && !strings.HasPrefix(fd.SegmentDelimiter, seg) && !strings.HasPrefix(seg, strings.TrimSpace(fd.SegmentDelimiter)) {
				t.Errorf("segment terminator %q, the schema declares %q", seg, fd.SegmentDelimiter)
			}
			tags[ic.Header.Tag]++
			if ic.Trailer != nil {
				tags[ic.Trailer.Tag]++
			}
			for _, g := range ic.Groups {
				tags[g.Header.Tag]++
				if g.Trailer != nil {
					tags[g.Trailer.Tag]++
				}
			}
		}
		for _, tx := range allTransactions(doc) {
			for _, s := range tx.AllSegments() {
				tags[s.Tag]++
			}
		}
		var found, absent []string
		for n, required := range names {
			switch {
			case tags[n] > 0:
				found = append(found, n)
			case required:
				t.Errorf("schema segment %s: not found in %s", n, input)
			default:
				absent = append(absent, n)
			}
		}
		sort.Strings(found)
		sort.Strings(absent)
		line := fmt.Sprintf("%d schema segments found (%s)", len(found), strings.Join(found, " "))
		if len(absent) > 0 {
			line += fmt.Sprintf("; optional, not in the input: %s", strings.Join(absent, " "))
		}
		return line
	}
}

// ediEngineJSON checks an EdiEngine JSON serialization: the same body
// segments (ST and SE excluded), in order, with the same element values.
func ediEngineJSON(golden, input string) func(t *testing.T) string {
	return func(t *testing.T) string {
		b, err := os.ReadFile(filepath.Join(corpusDir, golden))
		if err != nil {
			t.Fatal(err)
		}
		type node struct {
			Type    string
			Name    string
			E       *string
			Content []json.RawMessage
		}
		type seg struct {
			tag  string
			vals []string
		}
		var want []seg
		loops := map[string]int{}
		var walk func(raw json.RawMessage)
		walk = func(raw json.RawMessage) {
			var n node
			if err := json.Unmarshal(raw, &n); err != nil {
				t.Fatal(err)
			}
			switch n.Type {
			case "S":
				s := seg{tag: n.Name}
				for _, c := range n.Content {
					var e node
					if err := json.Unmarshal(c, &e); err != nil {
						t.Fatal(err)
					}
					switch {
					case e.E != nil:
						s.vals = append(s.vals, *e.E)
					case e.Type == "C":
						var comps []string
						for _, cc := range e.Content {
							var ce node
							if err := json.Unmarshal(cc, &ce); err != nil {
								t.Fatal(err)
							}
							if ce.E != nil {
								comps = append(comps, *ce.E)
							}
						}
						s.vals = append(s.vals, strings.Join(comps, ":"))
					}
				}
				want = append(want, s)
			default:
				if n.Type == "L" {
					loops[n.Name]++
				}
				for _, c := range n.Content {
					walk(c)
				}
			}
		}
		walk(b)
		txs := allTransactions(confParse(t, input))
		var got []seg
		for _, tx := range txs {
			for _, s := range tx.Segments {
				g := seg{tag: s.Tag}
				for i := 1; i <= s.Len(); i++ {
					g.vals = append(g.vals, strings.Join(s.Components(i), ":"))
				}
				got = append(got, g)
			}
		}
		trim := func(v []string) []string {
			for len(v) > 0 && v[len(v)-1] == "" {
				v = v[:len(v)-1]
			}
			return v
		}
		if len(got) != len(want) {
			t.Errorf("%d body segments, EdiEngine has %d", len(got), len(want))
		}
		values := 0
		for i := 0; i < len(got) && i < len(want); i++ {
			g, w := got[i], want[i]
			if g.tag != w.tag || !sameStrings(trim(g.vals), trim(w.vals)) {
				t.Errorf("segment %d: we read %s %q, EdiEngine %s %q", i+1, g.tag, g.vals, w.tag, w.vals)
			}
			values += len(trim(w.vals))
		}
		var ls []string
		for k, n := range loops {
			ls = append(ls, fmt.Sprintf("%s×%d", k, n))
		}
		sort.Strings(ls)
		return fmt.Sprintf("%d body segments and %d element values agree (EdiEngine loops %s)", len(want), values, strings.Join(ls, " "))
	}
}

// smooksXML checks a Smooks expected XML: its text values, in document
// order, are the values we read, in order (a subsequence: Smooks leaves
// out empty and some service values).
func smooksXML(golden string, inputs ...string) func(t *testing.T) string {
	return func(t *testing.T) string {
		f, err := os.Open(filepath.Join(corpusDir, golden))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var want []string
		leafs := 0
		dec := xml.NewDecoder(f)
		var text strings.Builder
		depthHasChild := []bool{}
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if len(depthHasChild) > 0 {
					depthHasChild[len(depthHasChild)-1] = true
				}
				depthHasChild = append(depthHasChild, false)
				text.Reset()
			case xml.CharData:
				text.Write(x)
			case xml.EndElement:
				hadChild := depthHasChild[len(depthHasChild)-1]
				depthHasChild = depthHasChild[:len(depthHasChild)-1]
				if !hadChild {
					leafs++
					if v := strings.TrimSpace(text.String()); v != "" {
						want = append(want, v)
					}
				}
				text.Reset()
			}
		}
		var lines []string
		for _, input := range inputs {
			doc := confParse(t, input)
			var got []string
			segs := 0
			visit := func(s *Segment) {
				if s == nil {
					return
				}
				segs++
				got = append(got, segmentValues(s)...)
			}
			for _, ic := range doc.Interchanges {
				visit(ic.Header)
				for _, it := range interchangeItems(ic) {
					switch {
					case it.group != nil:
						visit(it.group.Header)
						for _, tx := range it.group.Transactions {
							for _, s := range tx.AllSegments() {
								visit(s)
							}
						}
						visit(it.group.Trailer)
					case it.tx != nil:
						for _, s := range it.tx.AllSegments() {
							visit(s)
						}
					default:
						visit(it.seg)
					}
				}
				visit(ic.Trailer)
			}
			j := 0
			for _, w := range want {
				for j < len(got) && got[j] != w {
					j++
				}
				if j == len(got) {
					t.Errorf("%s: value %q of %s not found in order in what we read", input, w, filepath.Base(golden))
					break
				}
				j++
			}
			lines = append(lines, fmt.Sprintf("%s: %d segments, %d Smooks values found in order", filepath.Base(input), segs, len(want)))
		}
		return strings.Join(lines, "; ")
	}
}

// --- pyx12 997 comparison ----------------------------------------------------

// pyx12Ack compares pyx12's expected 997 for an input with ours: the codes
// of AK1, AK2, AK3, AK4, AK5 and AK9 (and TA1 when pyx12 writes one).
// AK3 segment positions are not compared: pyx12 reports a missing segment
// at the last segment read, we at the segment where its absence shows.
// known lists the items we knowingly differ on: "-ITEM" pyx12 has and we
// do not, "+ITEM" we have and pyx12 does not.
func pyx12Ack(base, input string, known ...string) func(t *testing.T) string {
	return func(t *testing.T) string {
		want := pyx12Items(t, confParse(t, base))
		c := &confCase{file: input, guides: true}
		rep, err := confValidate(t, c, true)
		if err != nil {
			t.Fatal(err)
		}
		ack, err := Ack997(rep.Document, rep.Issues, AckOptions{Now: ackNow, TA1: true, Definitions: confGuides(t)})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := Render(&b, ack, nil, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		got := pyx12Items(t, parseString(t, b.String()))
		var diff []string
		wm := map[string]int{}
		for _, w := range want {
			wm[w]++
		}
		gm := map[string]int{}
		for _, g := range got {
			gm[g]++
		}
		for _, w := range want {
			if gm[w] > 0 {
				gm[w]--
			} else {
				diff = append(diff, "-"+w)
			}
		}
		for _, g := range got {
			if wm[g] > 0 {
				wm[g]--
			} else {
				diff = append(diff, "+"+g)
			}
		}
		sort.Strings(diff)
		k := append([]string(nil), known...)
		sort.Strings(k)
		if !sameStrings(diff, k) {
			t.Errorf("our 997 for %s differs from %s: %q, documented differences %q\nours:\n%s", input, filepath.Base(base), diff, k, b.String())
		}
		s := fmt.Sprintf("997 agrees with pyx12 on %d of %d AK/TA1 items", len(want)-countPrefix(diff, "-"), len(want))
		if len(diff) > 0 {
			s += fmt.Sprintf(" (documented differences: %s)", strings.Join(diff, ", "))
		}
		return s
	}
}

func countPrefix(s []string, p string) int {
	n := 0
	for _, x := range s {
		if strings.HasPrefix(x, p) {
			n++
		}
	}
	return n
}

var spaces = regexp.MustCompile(`\s+`)

// pyx12Items lists the acknowledgement codes of a 997 document as
// comparable items, in order: "AK1 HC 17", "AK2 837 11280001",
// "AK3 BHT 3", "AK4 8 66 5", "AK5 R 4 5", "AK9 R 1 1 0", "TA1 R 023".
func pyx12Items(t *testing.T, doc *Document) []string {
	t.Helper()
	results, err := ParseAck(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range results {
		switch r.Level {
		case AckLevelInterchange:
			out = append(out, strings.TrimSpace(fmt.Sprintf("TA1 %s %s", r.Status, strings.Join(r.Codes, " "))))
		case AckLevelGroup:
			out = append(out, "AK1 "+r.FunctionalID+" "+r.GroupControl)
			out = append(out, strings.TrimSpace(fmt.Sprintf("AK9 %s %d %d %d %s", r.Status, r.Included, r.Received, r.Accepted, strings.Join(r.Codes, " "))))
		case AckLevelSet:
			out = append(out, "AK2 "+r.SetID+" "+r.SetControl)
			for _, e := range r.Errors {
				if e.SegmentCode != "" {
					out = append(out, fmt.Sprintf("AK3 %s %s", e.SegmentTag, e.SegmentCode))
				}
				if e.ElementCode != "" {
					pos := fmt.Sprint(e.Element)
					if e.Component > 0 {
						pos += fmt.Sprintf(":%d", e.Component)
					}
					out = append(out, fmt.Sprintf("AK4 %s %s %s %s", e.SegmentTag, pos, e.ElementRef, e.ElementCode))
				}
			}
			out = append(out, strings.TrimSpace(fmt.Sprintf("AK5 %s %s", r.Status, strings.Join(r.Codes, " "))))
		}
	}
	for i := range out {
		out[i] = spaces.ReplaceAllString(out[i], " ")
	}
	return out
}
