// Package dsl reads flow files: HCL in, typed static configuration and
// diagnostics out. It evaluates nothing at run time and knows no connector;
// the engine compiles a Config into a plan.
package dsl

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Config is one flow configuration: every *.hcl file of a directory.
type Config struct {
	Files       map[string]*hcl.File // parsed files by name
	Sources     map[string][]byte    // raw bytes by name, for snippets
	Order       []string             // file names in load order
	Variables   []*Variable
	Locals      []*Local
	Connections []*Connection
	Schemas     []*Schema
	Lookups     []*Lookup
	Flows       []*Flow
}

// Variable is a `variable "name" {}` block.
type Variable struct {
	Name        string
	Type        cty.Type // cty.DynamicPseudoType when not declared
	Default     hcl.Expression
	Description string
	Sensitive   bool // values render as (secret)
	DeclRange   hcl.Range
	NameRange   hcl.Range
}

// Local is one attribute of a `locals {}` block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

// Connection is a `connection "kind" "name" {}` block. Its body is decoded by
// the engine against the connector's spec.
type Connection struct {
	Kind      string
	Name      string
	Body      hcl.Body
	DeclRange hcl.Range
	KindRange hcl.Range
	NameRange hcl.Range
}

// Schema is a `schema "name" {}` block: each attribute declares a field.
type Schema struct {
	Name        string
	Description string
	Fields      []*SchemaField
	DeclRange   hcl.Range
	NameRange   hcl.Range
}

// SchemaField is `name = type` inside a schema.
type SchemaField struct {
	Name      string
	TypeExpr  hcl.Expression
	DeclRange hcl.Range
	NameRange hcl.Range
}

// Lookup is a `lookup "name" {}` table: rows from a CSV file or inline.
type Lookup struct {
	Name      string
	File      string         // CSV path relative to the flow file
	FileRange hcl.Range      // range of the file attribute
	Key       string         // key column for CSV tables
	Values    hcl.Expression // inline map of key => object or value
	DeclRange hcl.Range
	NameRange hcl.Range
	Dir       string // directory of the declaring file
}

// Flow is a `flow "name" {}` block.
type Flow struct {
	Name        string
	Description string
	Key         *Expr  // business/correlation key
	Milestone   string // tracking milestone reached when a record is delivered
	Ordered     bool   // keep order per business key
	Source      *Source
	Steps       []Step // validate, map, split in declaration order
	Routes      []*Route
	Targets     []*Target
	DeclRange   hcl.Range
	NameRange   hcl.Range
}

// Source is a flow's `source "kind" {}` block.
type Source struct {
	Kind      string
	Body      hcl.Body
	DeclRange hcl.Range
	KindRange hcl.Range
}

// Step is a per-record step: *Validate, *Map or *Split.
type Step interface{ StepName() string }

// OnFail is what a failed validation does.
type OnFail string

// Validation outcomes.
const (
	OnFailReject OnFail = "reject"
	OnFailSkip   OnFail = "skip"
	OnFailWarn   OnFail = "warn"
)

// Validate is `validate "name" { check = "..." }`.
type Validate struct {
	Name      string
	When      *Expr
	Check     *Expr
	Message   *Expr
	OnFail    OnFail
	DeclRange hcl.Range
	NameRange hcl.Range
}

// Map is `map "name" { field = "expr" ... }`: builds a new record bound to
// Name for later steps.
type Map struct {
	Name      string
	Schema    *Ref
	When      *Expr
	Fields    []*MapField
	DeclRange hcl.Range
	NameRange hcl.Range
}

// MapField is one mapped field; either Expr or Fields (a nested object
// written as a block) is set.
type MapField struct {
	Name      string
	Expr      *Expr
	Fields    []*MapField
	DeclRange hcl.Range
	NameRange hcl.Range
}

// Split is `split "item" { each = "record.lines" }`: one record becomes one
// message per element, bound to Name.
type Split struct {
	Name      string
	Each      *Expr
	DeclRange hcl.Range
	NameRange hcl.Range
}

// StepName implements Step.
func (v *Validate) StepName() string { return "validate." + v.Name }

// StepName implements Step.
func (m *Map) StepName() string { return "map." + m.Name }

// StepName implements Step.
func (s *Split) StepName() string { return "split." + s.Name }

// Route is `route { when = "...", target = target.x }`; the first route whose
// condition holds decides the targets.
type Route struct {
	When      *Expr
	Targets   []*Ref
	DeclRange hcl.Range
}

// Target is a flow's `target "kind" "name" {}` block.
type Target struct {
	Kind      string
	Name      string
	Body      hcl.Body
	DeclRange hcl.Range
	KindRange hcl.Range
	NameRange hcl.Range
}

// Ref is a static reference such as connection.odoo.main or schema.job.
type Ref struct {
	Root  string // connection, schema, target
	Parts []string
	Range hcl.Range
}

// String renders the reference as written.
func (r *Ref) String() string {
	s := r.Root
	for _, p := range r.Parts {
		s += "." + p
	}
	return s
}
