package edi

// Transaction-set definitions as data, and structural validation.
//
// The definitions live in edi/defs/ as JSON (documented in
// docs/edi-definitions.md) and are embedded into the binary. Builtin
// returns them; LoadDefinitions reads the same layout from any fs.FS, and
// Definitions.Overlay puts partner implementation guides (or any other
// set and dictionary files) on top of loaded definitions.

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed defs
var builtinDefsFS embed.FS

// Req is the requirement (usage) of a segment, loop, element or component.
type Req byte

// Requirements. X12 "X" (conditional) and EDIFACT "C" are both
// ReqConditional: structurally optional, governed by syntax rules.
const (
	ReqOptional    Req = 'O'
	ReqMandatory   Req = 'M'
	ReqConditional Req = 'C'
	ReqNotUsed     Req = 'N' // implementation guides: must not be sent
)

func (r Req) String() string {
	switch r {
	case ReqMandatory:
		return "M"
	case ReqConditional:
		return "C"
	case ReqNotUsed:
		return "N"
	}
	return "O"
}

func parseReq(s string) (Req, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "M", "R", "MANDATORY", "REQUIRED", "MUST USE":
		return ReqMandatory, nil
	case "O", "OPTIONAL", "USED", "S", "SITUATIONAL", "":
		return ReqOptional, nil
	case "C", "X", "CONDITIONAL":
		return ReqConditional, nil
	case "N", "NU", "NOT USED", "NOTUSED":
		return ReqNotUsed, nil
	}
	return 0, fmt.Errorf("unknown requirement %q (want M, O, C/X or N)", s)
}

// DataType is the data type of an element.
type DataType byte

// Data types. X12: AN, ID, N (N0..N9, see ElementUse.Decimals), R, DT, TM,
// B. EDIFACT: a, an, n (TypeAlpha, TypeAN, TypeNumeric).
const (
	TypeAN      DataType = iota // X12 AN, EDIFACT an: any characters
	TypeID                      // X12 ID: a code
	TypeN                       // X12 Nn: integer with implied decimals
	TypeR                       // X12 R: decimal number; EDIFACT n
	TypeDT                      // X12 DT: date CCYYMMDD or YYMMDD
	TypeTM                      // X12 TM: time HHMM[SS[d..]]
	TypeB                       // X12 B: binary (not checked)
	TypeAlpha                   // EDIFACT a
	TypeNumeric                 // EDIFACT n
)

func (t DataType) String() string {
	switch t {
	case TypeID:
		return "ID"
	case TypeN:
		return "N"
	case TypeR:
		return "R"
	case TypeDT:
		return "DT"
	case TypeTM:
		return "TM"
	case TypeB:
		return "B"
	case TypeAlpha:
		return "a"
	case TypeNumeric:
		return "n"
	}
	return "AN"
}

// CodeList is the set of allowed values of a coded element.
type CodeList struct {
	// Codes maps a code to its description.
	Codes map[string]string
	// Partial marks a list that names only the common codes of a larger
	// standard list: a value outside it is not an error (it is reported
	// as a warning only with ValidateOptions.StrictCodes).
	Partial bool
}

// Has reports whether code is in the list.
func (c *CodeList) Has(code string) bool {
	_, ok := c.Codes[code]
	return ok
}

// ElementUse is one element (or component) position of a segment (or
// composite) with its effective properties.
type ElementUse struct {
	Pos      int    // 1-based position in the segment or composite
	Ref      string // data element or composite reference ("353", "C040", "1001", "C002")
	Name     string
	Req      Req
	Type     DataType
	Decimals int // X12 Nn implied decimals
	Min, Max int // length bounds (0 = none)
	Repeat   int // maximum repetitions (1 = not repeating, 0 = unbounded)
	// Codes are the allowed values (nil = not a checked code).
	Codes *CodeList
	// BaseCodes is the standard list when an implementation guide
	// restricted Codes: a value in BaseCodes but not in Codes is reported
	// as "element.code_not_used".
	BaseCodes *CodeList
	// Components are the positions of a composite element (nil for a
	// simple element).
	Components []ElementUse
}

// IsComposite reports whether the element is a composite.
func (e *ElementUse) IsComposite() bool { return e.Components != nil }

// SyntaxRule is an X12 relational condition on the elements of a segment
// (P paired, R required, E exclusion, C conditional, L list conditional),
// written like the standard: "P0304", "R020305", "C0605", "L010203".
type SyntaxRule struct {
	Kind  byte
	Elems []int
}

func (r SyntaxRule) String() string {
	var b strings.Builder
	b.WriteByte(r.Kind)
	for _, e := range r.Elems {
		fmt.Fprintf(&b, "%02d", e)
	}
	return b.String()
}

// SegmentDef describes one segment: its tag, name, elements and syntax
// rules. The dictionary holds the standard form; a set or a partner guide
// may refine it per position (NodeDef.Segment).
type SegmentDef struct {
	Tag      string
	Name     string
	Elements []ElementUse
	Syntax   []SyntaxRule
	// Open marks a segment described loosely: only its first elements
	// are defined and further elements are accepted unchecked.
	Open bool
}

// NodeDef is one entry of a set's structure: a segment or a loop (an X12
// loop, an EDIFACT segment group).
type NodeDef struct {
	Loop bool
	// ID names the node in paths and in the Loop tree: for a loop its loop
	// id ("HL", "N1", "SG2"...), for a segment its tag unless the data
	// gives another.
	ID string
	// Tag is the segment tag, or for a loop the tag of its trigger (first)
	// segment.
	Tag  string
	Name string
	// Code is the standard's loop identifier where the data gives one
	// (EDIFACT "SG2", X12 "0100").
	Code string
	Req  Req
	Min  int // minimum occurrences when present (0 = none beyond Req)
	Max  int // maximum occurrences (0 = unbounded)
	// Segment is the effective segment definition (segment nodes).
	Segment *SegmentDef
	// Children are the loop's entries, the trigger segment first.
	Children []*NodeDef
}

// Rule is a set-level check beyond structure and elements.
type Rule struct {
	// Kind: "hl" (HL01 unique, HL02 names an earlier HL01), "count"
	// (Segment's Element equals the number of Of segments).
	Kind     string
	Segment  string
	Element  int
	Of       string
	Severity Severity
}

// SetDef is one transaction set or message definition.
type SetDef struct {
	Format  Format
	Version string // version of the definition ("004010", "D96A")
	ID      string // "856", "IFTMIN"
	Name    string
	Group   string // X12 functional identifier code (GS01)
	Partner string // non-empty for a partner implementation guide
	// Root is the transaction itself: a loop whose children are the set's
	// entries, header and trailer included.
	Root  *NodeDef
	Rules []Rule

	dict *dictionary
	tags map[string]struct{} // every tag of the structure
}

// Definitions is a collection of dictionaries and set definitions. It is
// immutable once loaded and safe for concurrent use.
type Definitions struct {
	raw   *rawCollection
	dicts map[dictKey]*dictionary
	sets  map[setKey]*SetDef
}

type dictKey struct {
	format  Format
	version string
}

type setKey struct {
	format  Format
	version string
	id      string
	partner string
}

var (
	builtinOnce sync.Once
	builtinDefs *Definitions
	builtinErr  error
)

// Builtin returns the definitions embedded in the binary (edi/defs). It
// panics if they do not load, which the package's tests rule out.
func Builtin() *Definitions {
	builtinOnce.Do(func() {
		sub, err := fs.Sub(builtinDefsFS, "defs")
		if err == nil {
			builtinDefs, builtinErr = LoadDefinitions(sub)
		} else {
			builtinErr = err
		}
	})
	if builtinErr != nil {
		panic("edi: builtin definitions: " + builtinErr.Error())
	}
	return builtinDefs
}

// LoadDefinitions reads every *.json file of fsys. The layout is
// FORMAT/VERSION/FILE.json ("x12/004010/856.json"); elements.json,
// composites.json, segments.json and codes.json are dictionary parts, any
// other file is a set definition or a partner guide. A file may also
// state "format" and "version" itself, which frees it from the layout.
func LoadDefinitions(fsys fs.FS) (*Definitions, error) {
	rc := &rawCollection{}
	if err := rc.addFS(fsys); err != nil {
		return nil, err
	}
	return rc.compile()
}

// Overlay returns new Definitions made of d plus the files of fsys, read
// like LoadDefinitions: dictionary entries add to or replace d's, set
// files replace d's set of the same format, version and id (and partner),
// and partner guides ("partner": "acme") are added beside the base sets.
// d itself is not changed.
func (d *Definitions) Overlay(fsys fs.FS) (*Definitions, error) {
	rc := d.raw.clone()
	if err := rc.addFS(fsys); err != nil {
		return nil, err
	}
	return rc.compile()
}

// OverlayJSON is Overlay for a single file given as bytes; name is used in
// error messages and, when the file states no format and version, as its
// path ("x12/004010/acme-856.json").
func (d *Definitions) OverlayJSON(name string, data []byte) (*Definitions, error) {
	rc := d.raw.clone()
	if err := rc.addFile(name, data); err != nil {
		return nil, err
	}
	return rc.compile()
}

// Lookup finds the base (non-partner) definition of a set. version is
// normalised ("004010VICS" and "00401" mean 004010, "D:96A:UN" means D96A);
// when the version has no such set, the nearest lower version that has it
// is used, else the nearest higher one (so 999 under 004010 finds the
// 005010 definition and an INVOIC D97B the D96A one). The returned SetDef
// tells which version was used.
func (d *Definitions) Lookup(format Format, version, setID string) (*SetDef, bool) {
	return d.LookupPartner("", format, version, setID)
}

// LookupPartner is Lookup for a partner's guide; it falls back to the
// base definition when the partner has none for the set.
func (d *Definitions) LookupPartner(partner string, format Format, version, setID string) (*SetDef, bool) {
	if d == nil {
		return nil, false
	}
	setID = strings.TrimSpace(setID)
	if format == FormatEDIFACT {
		setID = strings.ToUpper(setID)
	}
	want := normalizeVersion(format, version)
	if partner != "" {
		if s := d.nearest(format, want, setID, partner); s != nil {
			return s, true
		}
	}
	if s := d.nearest(format, want, setID, ""); s != nil {
		return s, true
	}
	return nil, false
}

func (d *Definitions) nearest(format Format, want, setID, partner string) *SetDef {
	if s, ok := d.sets[setKey{format, want, setID, partner}]; ok {
		return s
	}
	var versions []string
	for k := range d.sets {
		if k.format == format && k.id == setID && k.partner == partner {
			versions = append(versions, k.version)
		}
	}
	if len(versions) == 0 {
		return nil
	}
	wk := versionKey(format, want)
	sort.Slice(versions, func(i, j int) bool { return versionKey(format, versions[i]) < versionKey(format, versions[j]) })
	best := ""
	if wk >= 0 && format == FormatEDIFACT {
		// EDIFACT directories: the nearest release either way (ties go
		// to the older), so D00A uses D01B and D97B uses D96A.
		bestD := -1
		for _, v := range versions {
			dist := versionKey(format, v) - wk
			if dist < 0 {
				dist = -dist
			} else {
				dist++ // prefer the older on equal distance
			}
			if bestD < 0 || dist < bestD {
				best, bestD = v, dist
			}
		}
		return d.sets[setKey{format, best, setID, partner}]
	}
	if wk >= 0 {
		for _, v := range versions {
			if versionKey(format, v) <= wk {
				best = v
			}
		}
		if best == "" && (format != FormatX12 || wk >= 4010) {
			// no lower version: the nearest higher one, except for X12
			// before 004010 (6-digit dates, other layouts)
			best = versions[0]
		}
		if best == "" {
			return nil
		}
	} else {
		best = versions[len(versions)-1] // unknown version: the latest
	}
	return d.sets[setKey{format, best, setID, partner}]
}

// Sets lists the base sets defined, sorted (format, version, id).
func (d *Definitions) Sets() []*SetDef {
	var out []*SetDef
	for k, s := range d.sets {
		if k.partner == "" {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Format != b.Format {
			return a.Format < b.Format
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.ID < b.ID
	})
	return out
}

// Partners lists the partner names that have guides.
func (d *Definitions) Partners() []string {
	seen := map[string]bool{}
	var out []string
	for k := range d.sets {
		if k.partner != "" && !seen[k.partner] {
			seen[k.partner] = true
			out = append(out, k.partner)
		}
	}
	sort.Strings(out)
	return out
}

// Segment returns the dictionary definition of a segment tag for a format
// and version (with the same version fallback as Lookup over the
// dictionaries).
func (d *Definitions) Segment(format Format, version, tag string) (*SegmentDef, bool) {
	dict := d.dictFor(format, version)
	if dict == nil {
		return nil, false
	}
	s, ok := dict.segments[tag]
	return s, ok
}

// SegmentName returns the name of a segment ("BSN" -> "Beginning Segment
// for Ship Notice"), or "" when unknown.
func (d *Definitions) SegmentName(format Format, version, tag string) string {
	if s, ok := d.Segment(format, version, tag); ok {
		return s.Name
	}
	return ""
}

// ElementName returns the name of element pos (1-based) of a segment, or
// of component comp (1-based; 0 for the element itself).
func (d *Definitions) ElementName(format Format, version, tag string, pos, comp int) string {
	s, ok := d.Segment(format, version, tag)
	if !ok || pos < 1 || pos > len(s.Elements) {
		return ""
	}
	e := &s.Elements[pos-1]
	if comp > 0 {
		if comp > len(e.Components) {
			return ""
		}
		return e.Components[comp-1].Name
	}
	return e.Name
}

// CodeName returns the description of a code of a data element ("98",
// "SH" -> "Shipper"), or "" when unknown.
func (d *Definitions) CodeName(format Format, version, elementRef, code string) string {
	dict := d.dictFor(format, version)
	if dict == nil {
		return ""
	}
	if cl := dict.codes[elementRef]; cl != nil {
		return cl.Codes[code]
	}
	return ""
}

// Describe returns a one-line description of a segment or of one of its
// elements: Describe(FormatX12, "004010", "HL", 3) gives
// "HL03 Hierarchical Level Code (735, ID 1/2, M)".
func (d *Definitions) Describe(format Format, version, tag string, pos int) string {
	s, ok := d.Segment(format, version, tag)
	if !ok {
		return tag
	}
	if pos <= 0 {
		return tag + " " + s.Name
	}
	if pos > len(s.Elements) {
		return fmt.Sprintf("%s%02d (not defined)", tag, pos)
	}
	return fmt.Sprintf("%s%02d %s", tag, pos, describeUse(format, &s.Elements[pos-1]))
}

func describeUse(format Format, e *ElementUse) string {
	if e.IsComposite() {
		return fmt.Sprintf("%s (%s, composite, %s)", e.Name, e.Ref, e.Req)
	}
	return fmt.Sprintf("%s (%s, %s, %s)", e.Name, e.Ref, typeSpec(format, e), e.Req)
}

func typeSpec(format Format, e *ElementUse) string {
	if format == FormatEDIFACT {
		t := "an"
		switch e.Type {
		case TypeAlpha:
			t = "a"
		case TypeNumeric:
			t = "n"
		}
		if e.Min == e.Max && e.Min > 0 {
			return t + strconv.Itoa(e.Max)
		}
		return t + ".." + strconv.Itoa(e.Max)
	}
	t := e.Type.String()
	if e.Type == TypeN {
		t += strconv.Itoa(e.Decimals)
	}
	return fmt.Sprintf("%s %d/%d", t, e.Min, e.Max)
}

func (d *Definitions) dictFor(format Format, version string) *dictionary {
	if d == nil {
		return nil
	}
	want := normalizeVersion(format, version)
	if dict, ok := d.dicts[dictKey{format, want}]; ok {
		return dict
	}
	wk := versionKey(format, want)
	var best *dictionary
	bestKey := -1
	var lowest *dictionary
	lowKey := 1 << 30
	for k, dict := range d.dicts {
		if k.format != format {
			continue
		}
		vk := versionKey(format, k.version)
		if (wk < 0 || vk <= wk) && vk > bestKey {
			best, bestKey = dict, vk
		}
		if vk < lowKey {
			lowest, lowKey = dict, vk
		}
	}
	if best == nil {
		best = lowest
	}
	return best
}

// normalizeVersion maps the version forms seen in envelopes to the
// directory names used by the definitions: X12 "004010VICS", "004010X098",
// "00401" -> "004010"; EDIFACT "D:96A:UN", "D.96A", "96A", "d96a" ->
// "D96A".
func normalizeVersion(format Format, v string) string {
	v = strings.TrimSpace(v)
	switch format {
	case FormatX12:
		digits := 0
		for digits < len(v) && digits < 6 && v[digits] >= '0' && v[digits] <= '9' {
			digits++
		}
		switch {
		case digits == 6:
			return v[:6]
		case digits == 5 && len(v) == 5: // ISA12 form
			return v + "0"
		}
		return v
	case FormatEDIFACT:
		u := strings.ToUpper(v)
		u = strings.NewReplacer(":", "", ".", "", " ", "", "UN", "").Replace(u)
		// the release is the last "99A": D96A, S93A, "096A" (version 0)
		for i := len(u) - 3; i >= 0; i-- {
			if u[i] >= '0' && u[i] <= '9' && u[i+1] >= '0' && u[i+1] <= '9' && u[i+2] >= 'A' && u[i+2] <= 'Z' {
				prefix := "D"
				if i > 0 && u[i-1] == 'S' {
					prefix = "S"
				}
				return prefix + u[i:i+3]
			}
		}
		return u
	}
	return v
}

// VersionOf returns the version a transaction is validated with: the
// group's GS08 (or the interchange's ISA12 without a group) for X12, the
// UNH message version and release (S009 0052+0054, e.g. "D96A") for
// EDIFACT. ic and g may be nil.
func VersionOf(ic *Interchange, g *Group, tx *Transaction) string {
	if tx != nil && tx.Header != nil && tx.Header.Tag == "UNH" {
		c := tx.Header.Components(2)
		if len(c) >= 3 {
			return normalizeVersion(FormatEDIFACT, c[1]+":"+c[2])
		}
		return ""
	}
	if g != nil && g.Header != nil {
		return g.Header.Value(8)
	}
	if ic != nil && ic.Header != nil && ic.Header.Tag == "ISA" {
		return ic.Header.Value(12)
	}
	return ""
}

// versionKey orders versions; -1 when the version cannot be ordered.
func versionKey(format Format, v string) int {
	switch format {
	case FormatX12:
		if len(v) != 6 {
			return -1
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return -1
		}
		return n
	case FormatEDIFACT:
		// D96A, S93A: year (two digits, 9x = 199x) and release letter.
		if len(v) != 4 || (v[0] != 'D' && v[0] != 'S') {
			return -1
		}
		y, err := strconv.Atoi(v[1:3])
		if err != nil || v[3] < 'A' || v[3] > 'Z' {
			return -1
		}
		if y >= 80 {
			y += 1900
		} else {
			y += 2000
		}
		return y*32 + int(v[3]-'A')
	}
	return -1
}
