package edi

// Loading and compiling the JSON definition files. See
// docs/edi-definitions.md for the format.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// ---- raw (file) form -------------------------------------------------

// rawFile is any definition file: a dictionary part or a set.
type rawFile struct {
	Format  string `json:"format"`
	Version string `json:"version"`
	Extends string `json:"extends"`
	Comment any    `json:"comment"`

	// dictionary parts
	Elements   map[string]rawElementDef `json:"elements"`
	Composites map[string]rawSegmentDef `json:"composites"`
	Segments   map[string]rawSegmentDef `json:"segments"`
	Codes      map[string]rawCodes      `json:"codes"`

	// sets
	Set       string              `json:"set"`
	Name      string              `json:"name"`
	Group     string              `json:"group"`
	Partner   string              `json:"partner"`
	Structure []rawNode           `json:"structure"`
	Patch     map[string]rawPatch `json:"patch"`
	Insert    []rawInsert         `json:"insert"`
	Remove    []string            `json:"remove"`
	Rules     []rawRule           `json:"rules"`
}

// rawElementDef is ["ID 2/3", "Name"] (X12) or ["an..35", "Name"]
// (EDIFACT), or the object form.
type rawElementDef struct {
	Spec string `json:"type"`
	Name string `json:"name"`
}

func (r *rawElementDef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var a []string
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		if len(a) != 2 {
			return fmt.Errorf("element definition %s: want [type, name]", b)
		}
		r.Spec, r.Name = a[0], a[1]
		return nil
	}
	type plain rawElementDef
	return json.Unmarshal(b, (*plain)(r))
}

// rawSegmentDef is a segment or composite of a dictionary.
type rawSegmentDef struct {
	Name     string       `json:"name"`
	Elements []rawElemRef `json:"elements"`
	Syntax   []string     `json:"syntax"`
	Open     bool         `json:"open"`
}

// rawElemRef is "M 353", "O C040", "O 1153*10", "C 1001" or the object
// form {"req": "M", "ref": "128", "codes": [...], ...}.
type rawElemRef struct {
	Req    string  `json:"req"`
	Ref    string  `json:"ref"`
	Repeat *rawMax `json:"repeat"`
	rawElemPatchFields
}

type rawElemPatchFields struct {
	Name  string             `json:"name"`
	Type  string             `json:"type"` // type spec override ("AN 1/10")
	Min   *int               `json:"min"`
	Max   *int               `json:"max"`
	Codes rawCodeRestriction `json:"codes"`
}

func (r *rawElemRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		f := strings.Fields(s)
		if len(f) != 2 {
			return fmt.Errorf("element reference %q: want \"REQ REF[*REPEAT]\"", s)
		}
		r.Req = f[0]
		ref, rep, ok := strings.Cut(f[1], "*")
		r.Ref = ref
		if ok {
			var m rawMax
			if err := m.parse(rep); err != nil {
				return fmt.Errorf("element reference %q: %v", s, err)
			}
			r.Repeat = &m
		}
		return nil
	}
	type plain rawElemRef
	return json.Unmarshal(b, (*plain)(r))
}

// rawCodeRestriction is a list of codes ["ST","SF"] or a map of codes to
// descriptions.
type rawCodeRestriction struct {
	set   bool
	codes map[string]string
	order []string
}

func (c *rawCodeRestriction) UnmarshalJSON(b []byte) error {
	c.set = true
	c.codes = map[string]string{}
	if len(b) > 0 && b[0] == '[' {
		var a []string
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		for _, s := range a {
			c.codes[s] = ""
			c.order = append(c.order, s)
		}
		return nil
	}
	return json.Unmarshal(b, &c.codes)
}

// rawCodes is a code list of codes.json.
type rawCodes struct {
	Partial bool              `json:"partial"`
	Codes   map[string]string `json:"codes"`
}

// rawMax is a repeat count: a number, or ">1" for unbounded.
type rawMax struct{ n int }

func (m *rawMax) parse(s string) error {
	s = strings.TrimSpace(s)
	if s == ">1" || s == "unbounded" || s == ">" {
		m.n = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("bad repeat %q (want a positive number or \">1\")", s)
	}
	m.n = n
	return nil
}

func (m *rawMax) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return m.parse(s)
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("bad repeat %d", n)
	}
	m.n = n
	return nil
}

// rawNode is a structure entry: "M BSN 1" / "O REF >1", or an object
// {"seg": "N1", ...} or {"loop": "N1", "structure": [...], ...}.
type rawNode struct {
	Seg       string                  `json:"seg"`
	Loop      string                  `json:"loop"`
	ID        string                  `json:"id"`
	Req       string                  `json:"req"`
	Min       int                     `json:"min"`
	Max       *rawMax                 `json:"max"`
	Name      string                  `json:"name"`
	Code      string                  `json:"code"`
	Elements  map[string]rawElemPatch `json:"elements"`
	Structure []rawNode               `json:"structure"`
}

type rawElemPatch struct {
	Req    string  `json:"req"`
	Repeat *rawMax `json:"repeat"`
	rawElemPatchFields
}

func (n *rawNode) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		f := strings.Fields(s)
		if len(f) != 3 {
			return fmt.Errorf("structure entry %q: want \"REQ TAG MAX\"", s)
		}
		n.Req, n.Seg = f[0], f[1]
		var m rawMax
		if err := m.parse(f[2]); err != nil {
			return fmt.Errorf("structure entry %q: %v", s, err)
		}
		n.Max = &m
		return nil
	}
	type plain rawNode
	return json.Unmarshal(b, (*plain)(n))
}

func (n *rawNode) id() string {
	if n.ID != "" {
		return n.ID
	}
	if n.Loop != "" {
		return n.Loop
	}
	return n.Seg
}

func (n *rawNode) clone() rawNode {
	c := *n
	if n.Elements != nil {
		c.Elements = make(map[string]rawElemPatch, len(n.Elements))
		for k, v := range n.Elements {
			c.Elements[k] = v
		}
	}
	if n.Structure != nil {
		c.Structure = make([]rawNode, len(n.Structure))
		for i := range n.Structure {
			c.Structure[i] = n.Structure[i].clone()
		}
	}
	return c
}

// rawPatch changes one node of an inherited structure.
type rawPatch struct {
	Req      string                  `json:"req"`
	Min      *int                    `json:"min"`
	Max      *rawMax                 `json:"max"`
	Name     string                  `json:"name"`
	Elements map[string]rawElemPatch `json:"elements"`
}

// rawInsert adds entries to an inherited structure.
type rawInsert struct {
	After  string    `json:"after"`
	Before string    `json:"before"`
	Into   *string   `json:"into"`
	Items  []rawNode `json:"items"`
}

type rawRule struct {
	Rule     string `json:"rule"`
	Segment  string `json:"segment"`
	Element  int    `json:"element"`
	Of       string `json:"of"`
	Severity string `json:"severity"`
}

// ---- collection --------------------------------------------------------

type rawDictPart struct {
	name string
	file *rawFile
}

type rawSet struct {
	name    string
	format  Format
	version string
	file    *rawFile
}

// rawCollection is every file read, in order; compile resolves them.
type rawCollection struct {
	dictParts map[dictKey][]rawDictPart
	sets      []rawSet
}

func (rc *rawCollection) clone() *rawCollection {
	c := &rawCollection{dictParts: map[dictKey][]rawDictPart{}}
	if rc == nil {
		return c
	}
	for k, v := range rc.dictParts {
		c.dictParts[k] = append([]rawDictPart(nil), v...)
	}
	c.sets = append(c.sets, rc.sets...)
	return c
}

func (rc *rawCollection) addFS(fsys fs.FS) error {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names) // deterministic: later files win
	for _, p := range names {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if err := rc.addFile(p, b); err != nil {
			return err
		}
	}
	return nil
}

var dictPartNames = map[string]bool{"elements.json": true, "composites.json": true, "segments.json": true, "codes.json": true}

func (rc *rawCollection) addFile(name string, data []byte) error {
	if rc.dictParts == nil {
		rc.dictParts = map[dictKey][]rawDictPart{}
	}
	var f rawFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("edi definitions %s: %v", name, err)
	}
	// format and version: from the file, else from the path.
	dir := strings.Split(path.Dir(path.Clean(name)), "/")
	fmtName, version := f.Format, f.Version
	if fmtName == "" && len(dir) >= 2 {
		fmtName = dir[len(dir)-2]
	}
	if version == "" && len(dir) >= 1 {
		version = dir[len(dir)-1]
	}
	format := parseFormat(fmtName)
	if format == FormatUnknown {
		return fmt.Errorf("edi definitions %s: unknown format %q (want x12 or edifact)", name, fmtName)
	}
	version = normalizeVersion(format, version)
	if versionKey(format, version) < 0 {
		return fmt.Errorf("edi definitions %s: bad version %q", name, version)
	}
	if dictPartNames[path.Base(name)] {
		k := dictKey{format, version}
		rc.dictParts[k] = append(rc.dictParts[k], rawDictPart{name, &f})
		return nil
	}
	if f.Set == "" {
		return fmt.Errorf("edi definitions %s: a set file needs \"set\" (dictionary parts are named elements.json, composites.json, segments.json, codes.json)", name)
	}
	rc.sets = append(rc.sets, rawSet{name: name, format: format, version: version, file: &f})
	return nil
}

func parseFormat(s string) Format {
	switch strings.ToLower(s) {
	case "x12":
		return FormatX12
	case "edifact", "unedifact", "un/edifact":
		return FormatEDIFACT
	}
	return FormatUnknown
}

// ---- compile -----------------------------------------------------------

type elementDef struct {
	ref      string
	name     string
	typ      DataType
	decimals int
	min, max int
}

type dictionary struct {
	format     Format
	version    string
	elements   map[string]*elementDef
	composites map[string]*SegmentDef
	segments   map[string]*SegmentDef
	codes      map[string]*CodeList
}

func (rc *rawCollection) compile() (*Definitions, error) {
	d := &Definitions{raw: rc, dicts: map[dictKey]*dictionary{}, sets: map[setKey]*SetDef{}}
	// dictionaries (with "extends" between versions of one format)
	merged := map[dictKey]*rawFile{}
	var mergeDict func(k dictKey, depth int) (*rawFile, error)
	mergeDict = func(k dictKey, depth int) (*rawFile, error) {
		if m, ok := merged[k]; ok {
			return m, nil
		}
		if depth > 8 {
			return nil, fmt.Errorf("edi definitions: dictionary %s %s: extends too deep (a cycle?)", k.format, k.version)
		}
		parts, ok := rc.dictParts[k]
		if !ok {
			return nil, fmt.Errorf("edi definitions: no dictionary for %s %s", k.format, k.version)
		}
		m := &rawFile{Elements: map[string]rawElementDef{}, Composites: map[string]rawSegmentDef{}, Segments: map[string]rawSegmentDef{}, Codes: map[string]rawCodes{}}
		for _, p := range parts {
			if p.file.Extends != "" {
				base, err := mergeDict(dictKey{k.format, normalizeVersion(k.format, p.file.Extends)}, depth+1)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", p.name, err)
				}
				mergeRawDict(m, base, false)
			}
		}
		for _, p := range parts {
			mergeRawDict(m, p.file, true)
		}
		merged[k] = m
		return m, nil
	}
	keys := make([]dictKey, 0, len(rc.dictParts))
	for k := range rc.dictParts {
		keys = append(keys, k)
	}
	for _, k := range keys {
		m, err := mergeDict(k, 0)
		if err != nil {
			return nil, err
		}
		dict, err := compileDict(k, m)
		if err != nil {
			return nil, err
		}
		d.dicts[k] = dict
	}
	// sets, resolving "extends" on the raw structure
	byKey := map[setKey]*rawSet{}
	for i := range rc.sets {
		s := &rc.sets[i]
		byKey[setKey{s.format, s.version, strings.ToUpper(s.file.Set), s.file.Partner}] = s // later files win
	}
	resolved := map[setKey]*rawFile{}
	var resolve func(k setKey, depth int) (*rawFile, error)
	resolve = func(k setKey, depth int) (*rawFile, error) {
		if r, ok := resolved[k]; ok {
			return r, nil
		}
		if depth > 8 {
			return nil, fmt.Errorf("extends too deep (a cycle?)")
		}
		s, ok := byKey[k]
		if !ok {
			return nil, fmt.Errorf("no set %s %s %s", k.format, k.version, k.id)
		}
		f := s.file
		var out rawFile
		if f.Extends != "" {
			bk, err := parseExtends(s.format, s.version, f.Set, f.Extends)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", s.name, err)
			}
			if bk == k {
				bk.partner = "" // a partner guide extends the base of the same key
				if k.partner == "" {
					return nil, fmt.Errorf("%s: a set cannot extend itself", s.name)
				}
			}
			base, err := resolve(bk, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", s.name, err)
			}
			out = *base
			out.Structure = cloneNodes(base.Structure)
			out.Rules = append([]rawRule(nil), base.Rules...)
		}
		if f.Name != "" {
			out.Name = f.Name
		}
		if f.Group != "" {
			out.Group = f.Group
		}
		if f.Structure != nil {
			out.Structure = cloneNodes(f.Structure)
		}
		if f.Rules != nil {
			out.Rules = append([]rawRule(nil), f.Rules...)
		}
		out.Set, out.Partner = f.Set, f.Partner
		if err := applyEdits(&out, f); err != nil {
			return nil, fmt.Errorf("%s: %v", s.name, err)
		}
		resolved[k] = &out
		return &out, nil
	}
	for k, s := range byKey {
		r, err := resolve(k, 0)
		if err != nil {
			return nil, fmt.Errorf("edi definitions %v", err)
		}
		dict := d.dicts[dictKey{k.format, k.version}]
		if dict == nil {
			return nil, fmt.Errorf("edi definitions %s: no dictionary for %s %s", s.name, k.format, k.version)
		}
		set, err := compileSet(k, r, dict)
		if err != nil {
			return nil, fmt.Errorf("edi definitions %s: %v", s.name, err)
		}
		d.sets[k] = set
	}
	return d, nil
}

func parseExtends(format Format, version, set, ext string) (setKey, error) {
	parts := strings.Split(ext, "/")
	k := setKey{format: format, version: version, id: strings.ToUpper(set)}
	switch len(parts) {
	case 1:
		// a version ("004010", "D96A") or a set of the same version ("850")
		if v := normalizeVersion(format, parts[0]); versionKey(format, v) >= 0 {
			k.version = v
		} else {
			k.id = strings.ToUpper(parts[0])
		}
	case 2:
		k.version, k.id = normalizeVersion(format, parts[0]), strings.ToUpper(parts[1])
	case 3:
		k.format = parseFormat(parts[0])
		k.version, k.id = normalizeVersion(k.format, parts[1]), strings.ToUpper(parts[2])
	default:
		return k, fmt.Errorf("bad extends %q (want VERSION, VERSION/SET or FORMAT/VERSION/SET)", ext)
	}
	if k.format == FormatUnknown {
		return k, fmt.Errorf("bad extends %q: unknown format", ext)
	}
	return k, nil
}

func cloneNodes(ns []rawNode) []rawNode {
	out := make([]rawNode, len(ns))
	for i := range ns {
		out[i] = ns[i].clone()
	}
	return out
}

func mergeRawDict(dst, src *rawFile, replace bool) {
	for k, v := range src.Elements {
		if _, ok := dst.Elements[k]; replace || !ok {
			dst.Elements[k] = v
		}
	}
	for k, v := range src.Composites {
		if _, ok := dst.Composites[k]; replace || !ok {
			dst.Composites[k] = v
		}
	}
	for k, v := range src.Segments {
		if _, ok := dst.Segments[k]; replace || !ok {
			dst.Segments[k] = v
		}
	}
	for k, v := range src.Codes {
		if _, ok := dst.Codes[k]; replace || !ok {
			dst.Codes[k] = v
		}
	}
}

// parseTypeSpec reads "ID 2/3", "N2 1/9", "R 1/10", "DT 8/8", "TM 4/8"
// (X12) or "an..35", "n3", "a..3", "n..15" (EDIFACT).
func parseTypeSpec(format Format, spec string) (typ DataType, dec, min, max int, err error) {
	spec = strings.TrimSpace(spec)
	bad := fmt.Errorf("bad type %q", spec)
	if format == FormatEDIFACT {
		var t, rest string
		switch {
		case strings.HasPrefix(spec, "an"):
			t, rest, typ = "an", spec[2:], TypeAN
		case strings.HasPrefix(spec, "a"):
			t, rest, typ = "a", spec[1:], TypeAlpha
		case strings.HasPrefix(spec, "n"):
			t, rest, typ = "n", spec[1:], TypeNumeric
		default:
			return 0, 0, 0, 0, bad
		}
		_ = t
		variable := strings.HasPrefix(rest, "..")
		rest = strings.TrimPrefix(rest, "..")
		n, e := strconv.Atoi(rest)
		if e != nil || n < 1 {
			return 0, 0, 0, 0, bad
		}
		if variable {
			return typ, 0, 0, n, nil
		}
		return typ, 0, n, n, nil
	}
	f := strings.Fields(spec)
	if len(f) != 2 {
		return 0, 0, 0, 0, bad
	}
	t := strings.ToUpper(f[0])
	switch {
	case t == "AN":
		typ = TypeAN
	case t == "ID":
		typ = TypeID
	case t == "R":
		typ = TypeR
	case t == "DT":
		typ = TypeDT
	case t == "TM":
		typ = TypeTM
	case t == "B":
		typ = TypeB
	case len(t) == 2 && t[0] == 'N' && t[1] >= '0' && t[1] <= '9':
		typ, dec = TypeN, int(t[1]-'0')
	default:
		return 0, 0, 0, 0, bad
	}
	lo, hi, ok := strings.Cut(f[1], "/")
	if !ok {
		return 0, 0, 0, 0, bad
	}
	min, e1 := strconv.Atoi(lo)
	max, e2 := strconv.Atoi(hi)
	if e1 != nil || e2 != nil || min < 0 || max < min || max == 0 {
		return 0, 0, 0, 0, bad
	}
	return typ, dec, min, max, nil
}

func compileDict(k dictKey, m *rawFile) (*dictionary, error) {
	dict := &dictionary{
		format: k.format, version: k.version,
		elements:   map[string]*elementDef{},
		composites: map[string]*SegmentDef{},
		segments:   map[string]*SegmentDef{},
		codes:      map[string]*CodeList{},
	}
	where := fmt.Sprintf("%s %s", k.format, k.version)
	for ref, e := range m.Elements {
		typ, dec, min, max, err := parseTypeSpec(k.format, e.Spec)
		if err != nil {
			return nil, fmt.Errorf("edi definitions %s: element %s: %v", where, ref, err)
		}
		dict.elements[ref] = &elementDef{ref: ref, name: e.Name, typ: typ, decimals: dec, min: min, max: max}
	}
	for ref, c := range m.Codes {
		if _, ok := dict.elements[ref]; !ok {
			return nil, fmt.Errorf("edi definitions %s: codes for unknown element %s", where, ref)
		}
		cl := &CodeList{Codes: make(map[string]string, len(c.Codes)), Partial: c.Partial}
		for code, desc := range c.Codes {
			cl.Codes[code] = desc
		}
		dict.codes[ref] = cl
	}
	for ref, c := range m.Composites {
		sd, err := dict.compileSegment(ref, c, false)
		if err != nil {
			return nil, fmt.Errorf("edi definitions %s: composite %s: %v", where, ref, err)
		}
		dict.composites[ref] = sd
	}
	for tag, s := range m.Segments {
		sd, err := dict.compileSegment(tag, s, true)
		if err != nil {
			return nil, fmt.Errorf("edi definitions %s: segment %s: %v", where, tag, err)
		}
		dict.segments[tag] = sd
	}
	return dict, nil
}

func (dict *dictionary) compileSegment(tag string, s rawSegmentDef, allowComposite bool) (*SegmentDef, error) {
	sd := &SegmentDef{Tag: tag, Name: s.Name, Open: s.Open}
	for i, r := range s.Elements {
		u, err := dict.elementUse(i+1, r, allowComposite)
		if err != nil {
			return nil, err
		}
		sd.Elements = append(sd.Elements, u)
	}
	for _, rule := range s.Syntax {
		sr, err := parseSyntaxRule(rule, len(sd.Elements))
		if err != nil {
			return nil, err
		}
		sd.Syntax = append(sd.Syntax, sr)
	}
	return sd, nil
}

func parseSyntaxRule(s string, n int) (SyntaxRule, error) {
	s = strings.TrimSpace(s)
	if len(s) < 5 || (len(s)-1)%2 != 0 || !strings.ContainsRune("PRECL", rune(s[0])) {
		return SyntaxRule{}, fmt.Errorf("bad syntax rule %q (want e.g. P0304, R0203, C0605, E0102, L010203)", s)
	}
	r := SyntaxRule{Kind: s[0]}
	for i := 1; i < len(s); i += 2 {
		e, err := strconv.Atoi(s[i : i+2])
		if err != nil || e < 1 || e > n || e > 64 {
			return SyntaxRule{}, fmt.Errorf("bad syntax rule %q: element %s", s, s[i:i+2])
		}
		r.Elems = append(r.Elems, e)
	}
	return r, nil
}

func (dict *dictionary) elementUse(pos int, r rawElemRef, allowComposite bool) (ElementUse, error) {
	req, err := parseReq(r.Req)
	if err != nil {
		return ElementUse{}, fmt.Errorf("position %d: %v", pos, err)
	}
	u := ElementUse{Pos: pos, Ref: r.Ref, Req: req, Repeat: 1}
	if r.Repeat != nil {
		u.Repeat = r.Repeat.n
	}
	if c, ok := dict.composites[r.Ref]; ok && allowComposite {
		u.Name = c.Name
		u.Components = append([]ElementUse(nil), c.Elements...)
		u.Components = u.Components[:len(u.Components):len(u.Components)]
	} else if e, ok := dict.elements[r.Ref]; ok {
		u.Name, u.Type, u.Decimals, u.Min, u.Max = e.name, e.typ, e.decimals, e.min, e.max
		u.Codes = dict.codes[r.Ref]
	} else if isCompositeRef(r.Ref) && allowComposite {
		return ElementUse{}, fmt.Errorf("position %d: unknown composite %s (define composites before use: composites.json)", pos, r.Ref)
	} else {
		return ElementUse{}, fmt.Errorf("position %d: unknown element %s", pos, r.Ref)
	}
	if err := dict.applyElemFields(&u, r.rawElemPatchFields); err != nil {
		return ElementUse{}, fmt.Errorf("position %d: %v", pos, err)
	}
	return u, nil
}

func isCompositeRef(ref string) bool {
	return len(ref) > 1 && (ref[0] == 'C' || ref[0] == 'S') && ref[1] >= '0' && ref[1] <= '9'
}

func (dict *dictionary) applyElemFields(u *ElementUse, f rawElemPatchFields) error {
	if f.Name != "" {
		u.Name = f.Name
	}
	if f.Type != "" {
		typ, dec, min, max, err := parseTypeSpec(dict.format, f.Type)
		if err != nil {
			return err
		}
		u.Type, u.Decimals, u.Min, u.Max = typ, dec, min, max
	}
	if f.Min != nil {
		u.Min = *f.Min
	}
	if f.Max != nil {
		u.Max = *f.Max
	}
	if f.Codes.set {
		base := u.Codes
		if u.BaseCodes != nil {
			base = u.BaseCodes
		}
		cl := &CodeList{Codes: make(map[string]string, len(f.Codes.codes))}
		for c, desc := range f.Codes.codes {
			if desc == "" && base != nil {
				desc = base.Codes[c]
			}
			cl.Codes[c] = desc
		}
		u.Codes, u.BaseCodes = cl, base
	}
	return nil
}

// compileSet turns a resolved raw set into a SetDef.
func compileSet(k setKey, r *rawFile, dict *dictionary) (*SetDef, error) {
	set := &SetDef{Format: k.format, Version: k.version, ID: k.id, Name: r.Name, Group: r.Group, Partner: k.partner, dict: dict, tags: map[string]struct{}{}}
	root := &NodeDef{Loop: true, ID: k.id, Name: r.Name, Req: ReqMandatory, Max: 1}
	kids, err := compileNodes(r.Structure, dict, set, "")
	if err != nil {
		return nil, err
	}
	if len(kids) == 0 {
		return nil, errors.New("empty structure")
	}
	root.Children = kids
	root.Tag = kids[0].Tag
	set.Root = root
	for _, rr := range r.Rules {
		sev := SeverityWarning
		if strings.EqualFold(rr.Severity, "error") {
			sev = SeverityError
		}
		switch rr.Rule {
		case "hl":
		case "count":
			if rr.Segment == "" || rr.Of == "" || rr.Element < 1 {
				return nil, fmt.Errorf("rule count needs segment, element and of")
			}
		default:
			return nil, fmt.Errorf("unknown rule %q (want hl or count)", rr.Rule)
		}
		set.Rules = append(set.Rules, Rule{Kind: rr.Rule, Segment: rr.Segment, Element: rr.Element, Of: rr.Of, Severity: sev})
	}
	return set, nil
}

func compileNodes(ns []rawNode, dict *dictionary, set *SetDef, where string) ([]*NodeDef, error) {
	var out []*NodeDef
	for i := range ns {
		n := &ns[i]
		req, err := parseReq(n.Req)
		if err != nil {
			return nil, fmt.Errorf("%s%s: %v", where, n.id(), err)
		}
		nd := &NodeDef{ID: n.id(), Name: n.Name, Code: n.Code, Req: req, Min: n.Min, Max: 1}
		if n.Max != nil {
			nd.Max = n.Max.n
		}
		switch {
		case n.Loop != "" && n.Seg != "":
			return nil, fmt.Errorf("%s%s: an entry is a segment or a loop, not both", where, n.id())
		case n.Loop != "":
			nd.Loop = true
			kids, err := compileNodes(n.Structure, dict, set, where+nd.ID+"/")
			if err != nil {
				return nil, err
			}
			if len(kids) == 0 || kids[0].Loop {
				return nil, fmt.Errorf("%s%s: a loop starts with its trigger segment", where, nd.ID)
			}
			kids[0].Req, kids[0].Max = ReqMandatory, 1
			nd.Tag, nd.Children = kids[0].Tag, kids
		case n.Seg != "":
			nd.Tag = n.Seg
			base, ok := dict.segments[n.Seg]
			if !ok {
				return nil, fmt.Errorf("%s%s: segment %s is not in the %s %s dictionary", where, nd.ID, n.Seg, dict.format, dict.version)
			}
			if nd.Name == "" {
				nd.Name = base.Name
			}
			nd.Segment = base
			if len(n.Elements) > 0 {
				sd, err := customizeSegment(base, n.Elements, dict)
				if err != nil {
					return nil, fmt.Errorf("%s%s: %v", where, nd.ID, err)
				}
				nd.Segment = sd
			}
			set.tags[n.Seg] = struct{}{}
		default:
			return nil, fmt.Errorf("%sentry %d: needs \"seg\" or \"loop\"", where, i+1)
		}
		out = append(out, nd)
	}
	return out, nil
}

// customizeSegment copies base and applies per-position element changes:
// keys "3" (element 3) or "4.2" (component 2 of element 4).
func customizeSegment(base *SegmentDef, patches map[string]rawElemPatch, dict *dictionary) (*SegmentDef, error) {
	sd := *base
	sd.Elements = make([]ElementUse, len(base.Elements))
	copy(sd.Elements, base.Elements)
	keys := make([]string, 0, len(patches))
	for k := range patches {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := patches[k]
		es, cs, hasComp := strings.Cut(k, ".")
		e, err := strconv.Atoi(es)
		if err != nil || e < 1 || e > len(sd.Elements) {
			return nil, fmt.Errorf("element %q: no such position in %s", k, base.Tag)
		}
		u := &sd.Elements[e-1]
		if hasComp {
			c, err := strconv.Atoi(cs)
			if err != nil || c < 1 || c > len(u.Components) {
				return nil, fmt.Errorf("element %q: no such component in %s", k, base.Tag)
			}
			comps := make([]ElementUse, len(u.Components))
			copy(comps, u.Components)
			u.Components = comps
			u = &u.Components[c-1]
		}
		if p.Req != "" {
			r, err := parseReq(p.Req)
			if err != nil {
				return nil, fmt.Errorf("element %q: %v", k, err)
			}
			u.Req = r
		}
		if p.Repeat != nil {
			u.Repeat = p.Repeat.n
		}
		if err := dict.applyElemFields(u, p.rawElemPatchFields); err != nil {
			return nil, fmt.Errorf("element %q: %v", k, err)
		}
	}
	return &sd, nil
}

// ---- patches (extends and partner guides) -----------------------------

func applyEdits(out *rawFile, f *rawFile) error {
	for _, p := range f.Remove {
		parent, idx, err := findNode(&out.Structure, p)
		if err != nil {
			return fmt.Errorf("remove %q: %v", p, err)
		}
		*parent = append((*parent)[:idx], (*parent)[idx+1:]...)
	}
	for _, ins := range f.Insert {
		var (
			list *[]rawNode
			at   int
			err  error
		)
		switch {
		case ins.After != "":
			list, at, err = findNode(&out.Structure, ins.After)
			at++
		case ins.Before != "":
			list, at, err = findNode(&out.Structure, ins.Before)
		case ins.Into != nil:
			if *ins.Into == "" {
				list = &out.Structure
			} else {
				var l *[]rawNode
				var i int
				l, i, err = findNode(&out.Structure, *ins.Into)
				if err == nil {
					if (*l)[i].Loop == "" {
						err = fmt.Errorf("%q is not a loop", *ins.Into)
					} else {
						list = &(*l)[i].Structure
					}
				}
			}
			if list != nil {
				at = len(*list)
				// keep a trailer (SE/UNT) last
				if *ins.Into == "" && at > 0 {
					if t := (*list)[at-1].Seg; t == "SE" || t == "UNT" {
						at--
					}
				}
			}
		default:
			err = errors.New("insert needs after, before or into")
		}
		if err != nil {
			return fmt.Errorf("insert: %v", err)
		}
		items := cloneNodes(ins.Items)
		nl := make([]rawNode, 0, len(*list)+len(items))
		nl = append(nl, (*list)[:at]...)
		nl = append(nl, items...)
		nl = append(nl, (*list)[at:]...)
		*list = nl
	}
	keys := make([]string, 0, len(f.Patch))
	for k := range f.Patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := f.Patch[k]
		list, idx, err := findNode(&out.Structure, k)
		if err != nil {
			return fmt.Errorf("patch %q: %v", k, err)
		}
		n := &(*list)[idx]
		if p.Req != "" {
			n.Req = p.Req
		}
		if p.Min != nil {
			n.Min = *p.Min
		}
		if p.Max != nil {
			m := *p.Max
			n.Max = &m
		}
		if p.Name != "" {
			n.Name = p.Name
		}
		if len(p.Elements) > 0 {
			target := n
			if n.Loop != "" {
				if len(n.Structure) == 0 {
					return fmt.Errorf("patch %q: empty loop", k)
				}
				target = &n.Structure[0] // elements of a loop = its trigger's
			}
			if target.Elements == nil {
				target.Elements = map[string]rawElemPatch{}
			}
			for ek, ev := range p.Elements {
				old, ok := target.Elements[ek]
				if ok {
					ev = mergeElemPatch(old, ev)
				}
				target.Elements[ek] = ev
			}
		}
	}
	return nil
}

func mergeElemPatch(old, nw rawElemPatch) rawElemPatch {
	if nw.Req == "" {
		nw.Req = old.Req
	}
	if nw.Repeat == nil {
		nw.Repeat = old.Repeat
	}
	if nw.Name == "" {
		nw.Name = old.Name
	}
	if nw.Type == "" {
		nw.Type = old.Type
	}
	if nw.Min == nil {
		nw.Min = old.Min
	}
	if nw.Max == nil {
		nw.Max = old.Max
	}
	if !nw.Codes.set {
		nw.Codes = old.Codes
	}
	return nw
}

// findNode resolves a path "HL/N1/N3" (ids; "REF#2" is the second entry
// with id REF in its container) to its container and index.
func findNode(root *[]rawNode, p string) (*[]rawNode, int, error) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	list := root
	for i, part := range parts {
		id, nth := part, 1
		if a, b, ok := strings.Cut(part, "#"); ok {
			n, err := strconv.Atoi(b)
			if err != nil || n < 1 {
				return nil, 0, fmt.Errorf("bad path element %q", part)
			}
			id, nth = a, n
		}
		found := -1
		for j := range *list {
			if (*list)[j].id() == id {
				nth--
				if nth == 0 {
					found = j
					break
				}
			}
		}
		if found < 0 {
			return nil, 0, fmt.Errorf("no entry %q", strings.Join(parts[:i+1], "/"))
		}
		if i == len(parts)-1 {
			return list, found, nil
		}
		n := &(*list)[found]
		if n.Loop == "" {
			return nil, 0, fmt.Errorf("%q is a segment, not a loop", strings.Join(parts[:i+1], "/"))
		}
		list = &n.Structure
	}
	return nil, 0, errors.New("empty path")
}
