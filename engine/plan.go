package engine

import (
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/flowctl/flowctl/dsl"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Plan is a compiled configuration: what the runtime executes. It holds no
// HCL expressions; static values are evaluated and every runtime expression
// is compiled.
type Plan struct {
	Connections map[string]*ConnectionPlan // by "kind.name"
	Flows       []*FlowPlan
	Lookups     map[string]*dsl.Lookup
	Globals     map[string]any // var and local values visible to expressions (no secrets)
	Clock       *Clock         // now() in expressions
}

// ConnectionPlan is a decoded connection block.
type ConnectionPlan struct {
	Kind, Name string
	Values     *Values
	Range      hcl.Range
}

// FlowPlan is one compiled flow.
type FlowPlan struct {
	Name        string
	Description string
	Key         *Program
	Milestone   string
	Ordered     bool
	Source      *SourcePlan
	Steps       []StepPlan
	Routes      []*RoutePlan
	Targets     []*TargetPlan
	Range       hcl.Range
}

// SourcePlan is a decoded source.
type SourcePlan struct {
	Kind       string
	Connection *ConnectionPlan // nil for connection-less kinds
	Values     *Values
	RecordType *dsl.Type
	Range      hcl.Range
}

// StepPlan is a compiled validate, map or split step.
type StepPlan struct {
	Kind string // validate, map, split
	Name string

	// validate
	When, Check, Message *Program
	OnFail               dsl.OnFail

	// map
	Fields []*FieldPlan
	Type   *dsl.Type // output type of a map; element type of a split

	// split
	Each *Program

	Range hcl.Range
}

// FieldPlan is a compiled map field; Fields is set for a nested object.
type FieldPlan struct {
	Name    string
	Program *Program
	Fields  []*FieldPlan
}

// RoutePlan is a compiled route.
type RoutePlan struct {
	When    *Program // nil: unconditional
	Targets []*TargetPlan
	Range   hcl.Range
}

// TargetPlan is a decoded target.
type TargetPlan struct {
	Kind, Name     string
	Connection     *ConnectionPlan
	Values         *Values
	Body           *Program
	IdempotencyKey *Program
	Operation      string // what a write does, for dry runs: "POST /v1/jobs", "append out.ndjson"
	// ExprFields are the target's other per-record expression settings
	// (path_expr, filename, record_id, ...), evaluated into Operation.Fields.
	ExprFields []*FieldPlan
	Range      hcl.Range
}

// Program is a compiled runtime expression with its place in the flow file.
type Program struct {
	*dsl.Expr
	Program *vm.Program
	Type    *dsl.Type // result type as far as the checker knows
	// Path is set when the expression is a plain field path such as
	// record.partner.name: the runtime then reads the maps directly instead
	// of starting the VM (most mapping fields are such copies).
	Path []string
}

// Value is one decoded attribute of a body.
type Value struct {
	Name  string
	Val   cty.Value // static value; secrets carry the secret mark
	Expr  *Program  // runtime expression fields
	Ref   *dsl.Ref  // reference fields
	Range hcl.Range
	// Missing names the unset env() values and secrets that leave Val
	// unknown (compiled with SecretsOptional).
	Missing []string
}

// Values is a decoded body: attributes plus nested blocks.
type Values struct {
	Attrs  map[string]*Value
	Blocks map[string][]*Values
	Range  hcl.Range
}

// Has reports whether an attribute was set (defaults count as set).
func (v *Values) Has(name string) bool {
	if v == nil {
		return false
	}
	a, ok := v.Attrs[name]
	return ok && (a.Expr != nil || a.Ref != nil || (a.Val != cty.NilVal && !a.Val.IsNull()))
}

// Cty returns a static attribute value with secret marks removed, or NilVal.
func (v *Values) Cty(name string) cty.Value {
	if v == nil || v.Attrs[name] == nil || v.Attrs[name].Val == cty.NilVal {
		return cty.NilVal
	}
	val, _ := v.Attrs[name].Val.UnmarkDeep()
	return val
}

// String returns a known string attribute, or "".
func (v *Values) String(name string) string {
	val := v.Cty(name)
	if val == cty.NilVal || val.IsNull() || !val.IsKnown() || val.Type() != cty.String {
		return ""
	}
	return val.AsString()
}

// Bool returns a known bool attribute, or false.
func (v *Values) Bool(name string) bool {
	val := v.Cty(name)
	if val == cty.NilVal || val.IsNull() || !val.IsKnown() || val.Type() != cty.Bool {
		return false
	}
	return val.True()
}

// Int returns a known number attribute as int, or 0.
func (v *Values) Int(name string) int {
	val := v.Cty(name)
	if val == cty.NilVal || val.IsNull() || !val.IsKnown() || val.Type() != cty.Number {
		return 0
	}
	i, _ := val.AsBigFloat().Int64()
	return int(i)
}

// Duration returns a duration attribute ("30s", "2m"), or 0.
func (v *Values) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(v.String(name))
	return d
}

// Secret returns a string attribute as a Secret (for credential fields).
func (v *Values) Secret(name string) Secret { return NewSecret(v.String(name)) }

// Block returns the first nested block of a name, or nil.
func (v *Values) Block(name string) *Values {
	if v == nil || len(v.Blocks[name]) == 0 {
		return nil
	}
	return v.Blocks[name][0]
}
