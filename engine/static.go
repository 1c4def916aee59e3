package engine

import (
	"fmt"
	"os"
	"sort"

	"github.com/flowctl/flowctl/dsl"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Mode selects how missing environment values are treated.
type Mode int

const (
	// ModeLint checks a configuration without its environment: unset env()
	// values, secrets and variables become unknown values, not errors.
	ModeLint Mode = iota
	// ModeRun needs every value: unset ones are errors.
	ModeRun
)

// Options configure compilation.
type Options struct {
	Mode     Mode
	Registry *Registry         // nil → DefaultRegistry
	Vars     map[string]string // --var NAME=VALUE overrides
	// LookupEnv reads env() values and FLOWCTL_VAR_* overrides; nil → os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// LookupSecret resolves secret("NAME"); nil → LookupEnv.
	LookupSecret func(string) (string, bool)
	// SecretsOptional lets run mode compile when secrets or env() values
	// are unset (a dry run contacts nothing; a run of one flow needs only
	// that flow's settings): they become unknown values, and CheckRunnable
	// reports the ones a run actually needs.
	SecretsOptional bool
}

// staticEval evaluates HCL expressions: var.*, local.*, env(), secret() and
// a small set of string/collection functions.
type staticEval struct {
	opts       *Options
	vars       map[string]*dsl.Variable
	locals     map[string]*dsl.Local
	ctx        *hcl.EvalContext
	usedVars   map[string]bool
	usedLocals map[string]bool
}

func newStaticEval(cfg *dsl.Config, opts *Options) *staticEval {
	s := &staticEval{opts: opts, vars: map[string]*dsl.Variable{}, locals: map[string]*dsl.Local{},
		usedVars: map[string]bool{}, usedLocals: map[string]bool{}}
	for _, v := range cfg.Variables {
		if _, dup := s.vars[v.Name]; !dup {
			s.vars[v.Name] = v
		}
	}
	for _, l := range cfg.Locals {
		if _, dup := s.locals[l.Name]; !dup {
			s.locals[l.Name] = l
		}
	}
	s.ctx = &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: s.functions()}
	return s
}

func (s *staticEval) lookupEnv(name string) (string, bool) {
	if s.opts.LookupEnv != nil {
		return s.opts.LookupEnv(name)
	}
	return os.LookupEnv(name)
}

func (s *staticEval) lookupSecret(name string) (string, bool) {
	if s.opts.LookupSecret != nil {
		return s.opts.LookupSecret(name)
	}
	return s.lookupEnv(name)
}

func (s *staticEval) functions() map[string]function.Function {
	env := function.New(&function.Spec{
		Description: "Reads an environment variable, with an optional default.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			if v, ok := s.lookupEnv(name); ok {
				return cty.StringVal(v), nil
			}
			if len(args) > 1 {
				return args[1], nil
			}
			if s.opts.Mode == ModeLint || s.opts.SecretsOptional {
				return cty.UnknownVal(cty.String), nil
			}
			return cty.NilVal, fmt.Errorf("environment variable %s is not set; set it or give a default: env(%q, \"...\")", name, name)
		},
	})
	secret := function.New(&function.Spec{
		Description: "Reads a secret by name; the value renders as (secret) everywhere.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			if s.opts.Mode == ModeLint {
				return cty.UnknownVal(cty.String).Mark(SecretMark), nil
			}
			if v, ok := s.lookupSecret(name); ok {
				return cty.StringVal(v).Mark(SecretMark), nil
			}
			if s.opts.SecretsOptional {
				return cty.UnknownVal(cty.String).Mark(SecretMark), nil
			}
			return cty.NilVal, fmt.Errorf("secret %s is not set (looked up in the environment)", name)
		},
	})
	return map[string]function.Function{
		"env":        env,
		"secret":     secret,
		"upper":      stdlib.UpperFunc,
		"lower":      stdlib.LowerFunc,
		"trimspace":  stdlib.TrimSpaceFunc,
		"replace":    stdlib.ReplaceFunc,
		"format":     stdlib.FormatFunc,
		"join":       stdlib.JoinFunc,
		"split":      stdlib.SplitFunc,
		"concat":     stdlib.ConcatFunc,
		"coalesce":   stdlib.CoalesceFunc,
		"merge":      stdlib.MergeFunc,
		"tostring":   stdlib.MakeToFunc(cty.String),
		"tonumber":   stdlib.MakeToFunc(cty.Number),
		"tobool":     stdlib.MakeToFunc(cty.Bool),
		"jsonencode": stdlib.JSONEncodeFunc,
	}
}

// missingNames lists the env() and secret() names an expression reads that
// are not set, to say why a value is unknown.
func (s *staticEval) missingNames(x hcl.Expression) []string {
	var out []string
	hclsyntax.VisitAll(x.(hclsyntax.Node), func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok || len(call.Args) == 0 || (call.Name != "env" && call.Name != "secret") {
			return nil
		}
		v, d := call.Args[0].Value(nil)
		if d.HasErrors() || !v.IsKnown() || v.Type() != cty.String {
			return nil
		}
		name := v.AsString()
		if call.Name == "env" {
			if _, ok := s.lookupEnv(name); !ok && len(call.Args) == 1 {
				out = append(out, "environment variable "+name)
			}
		} else if _, ok := s.lookupSecret(name); !ok {
			out = append(out, "secret "+name)
		}
		return nil
	})
	return out
}

// staticFunctionNames lists the functions available in static expressions.
func (s *staticEval) staticFunctionNames() []string {
	var names []string
	for n := range s.ctx.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkRefs validates the traversals of a static expression and records
// which variables and locals are used. ok is false when a reference is bad.
func (s *staticEval) checkRefs(x hcl.Expression) (hcl.Diagnostics, bool) {
	var diags hcl.Diagnostics
	for _, t := range x.Variables() {
		root := t.RootName()
		switch root {
		case "var", "local":
			if len(t) < 2 {
				diags = append(diags, dsl.Errorf(dsl.CodeReference, t.SourceRange(), "Invalid reference",
					"%s must be followed by a name, e.g. %s.NAME.", root, root))
				continue
			}
			attr, ok := t[1].(hcl.TraverseAttr)
			if !ok {
				diags = append(diags, dsl.Errorf(dsl.CodeReference, t.SourceRange(), "Invalid reference", "Use %s.NAME.", root))
				continue
			}
			if root == "var" {
				if _, ok := s.vars[attr.Name]; !ok {
					diags = append(diags, dsl.Errorf(dsl.CodeReference, t.SourceRange(), "Reference to undeclared variable",
						"There is no variable %q.%s", attr.Name, dsl.DidYouMean(attr.Name, mapKeys(s.vars))))
					continue
				}
				s.usedVars[attr.Name] = true
			} else {
				if _, ok := s.locals[attr.Name]; !ok {
					diags = append(diags, dsl.Errorf(dsl.CodeReference, t.SourceRange(), "Reference to undeclared local value",
						"There is no local value %q.%s", attr.Name, dsl.DidYouMean(attr.Name, mapKeys(s.locals))))
					continue
				}
				s.usedLocals[attr.Name] = true
			}
		default:
			diags = append(diags, dsl.Errorf(dsl.CodeReference, t.SourceRange(), fmt.Sprintf("Unknown reference %q", root),
				"Static settings can refer to var.NAME and local.NAME and call functions (%s). Per-record values belong in an expr expression string.%s",
				joinNames(s.staticFunctionNames()), dsl.DidYouMean(root, []string{"var", "local"})))
		}
	}
	return diags, !diags.HasErrors()
}

// eval evaluates a static expression; on a bad reference it returns an
// unknown value so checking can go on.
func (s *staticEval) eval(x hcl.Expression) (cty.Value, hcl.Diagnostics) {
	diags, ok := s.checkRefs(x)
	if !ok {
		return cty.DynamicVal, diags
	}
	v, d := x.Value(s.ctx)
	return v, append(diags, dsl.WithCode(d, dsl.CodeEval)...)
}

// evalVariables sets var.* from overrides, FLOWCTL_VAR_* and defaults.
func (s *staticEval) evalVariables(cfg *dsl.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	for _, v := range cfg.Variables {
		if _, done := vals[v.Name]; done {
			continue
		}
		val, d := s.variableValue(v)
		diags = append(diags, d...)
		if v.Sensitive {
			val = val.Mark(SecretMark)
		}
		vals[v.Name] = val
	}
	for name := range s.opts.Vars {
		if _, ok := s.vars[name]; !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Extra: dsl.CodeReference,
				Summary: "Value for undeclared variable",
				Detail:  fmt.Sprintf("--var %s was given but no variable %q is declared.%s", name, name, dsl.DidYouMean(name, mapKeys(s.vars)))})
		}
	}
	s.ctx.Variables["var"] = cty.ObjectVal(vals)
	return diags
}

func (s *staticEval) variableValue(v *dsl.Variable) (cty.Value, hcl.Diagnostics) {
	raw, ok := s.opts.Vars[v.Name]
	origin := "--var " + v.Name
	if !ok {
		raw, ok = s.lookupEnv("FLOWCTL_VAR_" + v.Name)
		origin = "FLOWCTL_VAR_" + v.Name
	}
	if ok {
		val, err := parseVarValue(raw, v.Type)
		if err != nil {
			return cty.UnknownVal(v.Type), hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, v.DeclRange,
				fmt.Sprintf("Invalid value for variable %q", v.Name), "%s: %v", origin, err)}
		}
		return val, nil
	}
	if v.Default != nil {
		val, diags := v.Default.Value(nil)
		if diags.HasErrors() {
			return cty.UnknownVal(v.Type), dsl.WithCode(diags, dsl.CodeStaticType)
		}
		conv, err := convert.Convert(val, v.Type)
		if err != nil {
			return cty.UnknownVal(v.Type), hcl.Diagnostics{dsl.Errorf(dsl.CodeStaticType, v.Default.Range(),
				"Invalid default value", "The default for variable %q does not fit its type %s: %v.", v.Name, v.Type.FriendlyName(), err)}
		}
		return conv, nil
	}
	if s.opts.Mode == ModeLint {
		return cty.UnknownVal(v.Type), nil
	}
	return cty.UnknownVal(v.Type), hcl.Diagnostics{dsl.Errorf(dsl.CodeEval, v.DeclRange,
		fmt.Sprintf("No value for variable %q", v.Name),
		"Set it with --var %s=VALUE or the environment variable FLOWCTL_VAR_%s, or give it a default.", v.Name, v.Name)}
}

// parseVarValue reads a command-line value: strings are taken as they are,
// other types are parsed as HCL expressions ("42", "[\"a\"]", "true").
func parseVarValue(raw string, ty cty.Type) (cty.Value, error) {
	if ty == cty.String || ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	x, diags := hclsyntax.ParseExpression([]byte(raw), "value", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("cannot parse %q as %s", raw, ty.FriendlyName())
	}
	val, diags := x.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("%s", diags[0].Detail)
	}
	return convert.Convert(val, ty)
}

// evalLocals evaluates locals in dependency order and reports cycles.
func (s *staticEval) evalLocals(cfg *dsl.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	pending := map[string]*dsl.Local{}
	for n, l := range s.locals {
		pending[n] = l
	}
	s.ctx.Variables["local"] = cty.ObjectVal(vals)
	for len(pending) > 0 {
		progress := false
		for _, name := range mapKeys(pending) {
			l := pending[name]
			ready := true
			for _, t := range l.Expr.Variables() {
				if t.RootName() != "local" || len(t) < 2 {
					continue
				}
				if a, ok := t[1].(hcl.TraverseAttr); ok {
					if _, waiting := pending[a.Name]; waiting && a.Name != name {
						ready = false
					}
					if a.Name == name {
						ready = false
					}
				}
			}
			if !ready {
				continue
			}
			v, d := s.eval(l.Expr)
			diags = append(diags, d...)
			vals[name] = v
			s.ctx.Variables["local"] = cty.ObjectVal(vals)
			delete(pending, name)
			progress = true
		}
		if !progress {
			for _, name := range mapKeys(pending) {
				s.usedLocals[name] = true // part of a cycle: reported as such, not as unused
				diags = append(diags, dsl.Errorf(dsl.CodeEval, pending[name].DeclRange, "Cycle in local values",
					"local.%s depends on itself through %s.", name, joinNames(mapKeys(pending))))
				vals[name] = cty.DynamicVal
			}
			s.ctx.Variables["local"] = cty.ObjectVal(vals)
			break
		}
	}
	return diags
}

// StaticFunctionNames lists the functions of static (HCL) expressions.
func StaticFunctionNames() []string {
	s := newStaticEval(&dsl.Config{}, &Options{})
	return s.staticFunctionNames()
}
