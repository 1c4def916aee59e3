// Package flowtest runs flow tests: *.flowtest.hcl files next to the flow
// files of a configuration that give a flow input records and state what it
// must write to its targets, reject and skip. Flows run as dry runs, so no
// system is contacted and nothing is written; tests see neither the
// machine's environment nor its secrets.
//
// The file format is described in docs/testing.md.
package flowtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	// Tests compile and run flows: they need the built-in connectors.
	_ "github.com/flowctl/flowctl/connectors/all"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Suffix is the file name suffix of test files.
const Suffix = dsl.TestFileSuffix

// ErrNoTests is returned by Load when the paths hold no test file.
var ErrNoTests = errors.New("no test files")

// Options tune Load.
type Options struct {
	// Run selects the tests to run by name; nil runs every test.
	Run *regexp.Regexp
}

// Suite is the loaded test files of some paths, ready to run.
type Suite struct {
	Files []*File
	// Selected are the tests to run (all, or those Options.Run matches),
	// in file order.
	Selected []*Test
	// Diags holds the problems found in test files and in the
	// configurations they test; a suite with errors cannot run.
	Diags hcl.Diagnostics
	// Sources holds every test and flow file read, for diagnostic snippets.
	Sources map[string][]byte
}

// group is one configuration directory and its test files.
type group struct {
	dir       string
	flowFiles []string
	testFiles []string
}

// planRef is a compiled plan and the flow a test runs.
type planRef struct {
	plan *engine.Plan
	flow *engine.FlowPlan
}

// Load finds the test files under paths (directories are searched
// recursively, skipping those whose name starts with . or _; a
// *.flowtest.hcl file may be named directly), parses them, loads the
// configuration of each directory (its flow files), checks the tests'
// names against it and compiles it for every distinct set of vars and env
// the selected tests use. Problems in files are diagnostics in Suite.Diags;
// the error is for paths that cannot be read or hold no test file
// (ErrNoTests).
func Load(paths []string, opts Options) (*Suite, error) {
	groups, err := discover(paths)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w (*%s) found in %s", ErrNoTests, Suffix, strings.Join(paths, ", "))
	}
	s := &Suite{Sources: map[string][]byte{}}
	for _, g := range groups {
		s.loadGroup(g, opts)
	}
	dsl.SortDiagnostics(s.Diags)
	return s, nil
}

func (s *Suite) loadGroup(g *group, opts Options) {
	first := len(s.Diags)
	var files []*File
	for _, name := range g.testFiles {
		src, err := os.ReadFile(name)
		if err != nil {
			s.Diags = append(s.Diags, dsl.Errorf(dsl.CodeSyntax, hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
				"Cannot read test file", "%s: %v", name, unwrapPathErr(err)))
			continue
		}
		s.Sources[name] = src
		f, diags := ParseFile(name, src)
		s.Diags = append(s.Diags, diags...)
		files = append(files, f)
		s.Files = append(s.Files, f)
	}
	if len(g.flowFiles) == 0 {
		for _, f := range files {
			s.Diags = append(s.Diags, dsl.Errorf(dsl.CodeReference, hcl.Range{Filename: f.Path, Start: hcl.InitialPos, End: hcl.InitialPos},
				"No flow files next to the test file", "Tests run the flows of the *.hcl files in their own directory; %s has none.", g.dir))
		}
		return
	}
	cfg, diags := dsl.LoadFiles(g.flowFiles)
	for n, b := range cfg.Sources {
		s.Sources[n] = b
	}
	if diags.HasErrors() {
		s.Diags = append(s.Diags, diags...)
		return
	}
	var selected []*Test
	for _, f := range files {
		for _, t := range f.Tests {
			s.Diags = append(s.Diags, t.check(cfg)...)
			if opts.Run == nil || opts.Run.MatchString(t.Name) {
				selected = append(selected, t)
			}
		}
	}
	if s.Diags[first:].HasErrors() {
		return
	}
	s.compile(cfg, selected)
	s.Selected = append(s.Selected, selected...)
}

// compile compiles cfg once per distinct vars and env of the tests and
// binds each test to its plan and flow.
func (s *Suite) compile(cfg *dsl.Config, tests []*Test) {
	type compiled struct {
		plan  *engine.Plan
		diags hcl.Diagnostics
	}
	cache := map[string]*compiled{}
	reported := map[string]bool{}
	for _, t := range tests {
		vars, vd := t.varStrings(cfg)
		if vd.HasErrors() {
			continue // reported by check
		}
		key, _ := json.Marshal([]any{vars, t.Env})
		c := cache[string(key)]
		if c == nil {
			env := t.Env
			plan, diags := engine.Compile(cfg, engine.Options{
				Mode:            engine.ModeRun,
				Vars:            vars,
				SecretsOptional: true,
				LookupEnv: func(name string) (string, bool) {
					v, ok := env[name]
					return v, ok
				},
			})
			c = &compiled{plan: plan, diags: diags}
			cache[string(key)] = c
			if diags.HasErrors() {
				for _, d := range diags {
					if d.Severity != hcl.DiagError {
						continue
					}
					k := fmt.Sprintf("%v|%s|%s", d.Subject, d.Summary, d.Detail)
					if !reported[k] {
						reported[k] = true
						s.Diags = append(s.Diags, d)
					}
				}
				if len(t.Vars) > 0 || len(t.Env) > 0 {
					s.Diags = append(s.Diags, dsl.Errorf(dsl.CodeEval, t.DeclRange, "Configuration does not compile for this test",
						"With the vars and env of test %q, the configuration in %s has errors (shown with this one).", t.Name, filepath.Dir(cfg.Order[0])))
				}
			}
		}
		if c.plan == nil {
			continue
		}
		for _, fp := range c.plan.Flows {
			if fp.Name == t.flowName {
				t.plan = planRef{plan: c.plan, flow: fp}
			}
		}
	}
}

// check resolves the test's flow, targets and variables against the
// configuration.
func (t *Test) check(cfg *dsl.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var names []string
	var flow *dsl.Flow
	for _, f := range cfg.Flows {
		names = append(names, f.Name)
		if f.Name == t.Flow {
			flow = f
		}
	}
	switch {
	case t.Flow != "" && flow == nil:
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, *t.FlowRange, "Unknown flow",
			"There is no flow %q in this configuration; its flows are %s.%s", t.Flow, strings.Join(names, ", "), dsl.DidYouMean(t.Flow, names))}
	case t.Flow == "" && len(cfg.Flows) == 1:
		flow = cfg.Flows[0]
	case t.Flow == "" && len(cfg.Flows) == 0:
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeReference, t.DeclRange, "No flow to test",
			"The configuration next to this test declares no flow.")}
	case t.Flow == "":
		return hcl.Diagnostics{dsl.Errorf(dsl.CodeSchema, t.DeclRange, "Which flow?",
			"The configuration has several flows (%s); name the one test %q runs: flow = \"...\".", strings.Join(names, ", "), t.Name)}
	}
	t.flowName = flow.Name
	if t.InputFile != "" {
		if info, err := os.Stat(t.InputFile); err != nil || info.IsDir() {
			why := "it is a directory"
			if err != nil {
				why = unwrapPathErr(err).Error()
			}
			diags = append(diags, dsl.Errorf(dsl.CodeReference, t.inputFileRange, "Cannot read input file",
				"%s: %s. input_file is relative to the test file.", t.InputFile, why))
		}
	}
	var targets []string
	for _, tg := range flow.Targets {
		targets = append(targets, tg.Name)
	}
	known := func(name string, rng hcl.Range, what string) bool {
		for _, n := range targets {
			if n == name {
				return true
			}
		}
		diags = append(diags, dsl.Errorf(dsl.CodeReference, rng, "Unknown target",
			"%s names target %q, but flow %s has no such target; its targets are %s.%s", what, name, flow.Name, strings.Join(targets, ", "), dsl.DidYouMean(name, targets)))
		return false
	}
	expected := map[string]hcl.Range{}
	for _, e := range t.Expects {
		if !known(e.Target, e.TargetRange, "expect") {
			continue
		}
		if prev, dup := expected[e.Target]; dup {
			diags = append(diags, dsl.Errorf(dsl.CodeDuplicate, e.TargetRange, "Duplicate expect block",
				"Target %q already has an expect block at %s; put everything expected of it in one.", e.Target, prev))
			continue
		}
		expected[e.Target] = e.DeclRange
	}
	for _, n := range t.NoOutput {
		if !known(n.Name, n.Range, "expect_no_output") {
			continue
		}
		if prev, dup := expected[n.Name]; dup {
			diags = append(diags, dsl.Errorf(dsl.CodeDuplicate, n.Range, "Target both expected and without output",
				"Target %q has an expect block at %s; there, count = 0 or body = [] says it receives nothing.", n.Name, prev))
		}
	}
	_, vd := t.varStrings(cfg)
	return append(diags, vd...)
}

// varStrings checks the test's vars against the declared variables and
// renders them as --var values.
func (t *Test) varStrings(cfg *dsl.Config) (map[string]string, hcl.Diagnostics) {
	decl := map[string]*dsl.Variable{}
	var names []string
	for _, v := range cfg.Variables {
		decl[v.Name] = v
		names = append(names, v.Name)
	}
	out := map[string]string{}
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(t.Vars) {
		val, rng := t.Vars[name], t.VarRanges[name]
		v := decl[name]
		if v == nil {
			diags = append(diags, dsl.Errorf(dsl.CodeReference, rng, "Unknown variable",
				"The configuration declares no variable %q.%s", name, dsl.DidYouMean(name, names)))
			continue
		}
		ty := v.Type
		if ty == cty.DynamicPseudoType {
			ty = cty.String // untyped variables take --var values as strings
		}
		conv, err := convert.Convert(val, ty)
		if err != nil {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, rng, "Invalid variable value",
				"Variable %q is of type %s: %v.", name, ty.FriendlyName(), err))
			continue
		}
		s, err := varString(conv)
		if err != nil {
			diags = append(diags, dsl.Errorf(dsl.CodeStaticType, rng, "Invalid variable value", "%s: %v.", name, err))
			continue
		}
		out[name] = s
	}
	return out, diags
}

// discover groups the test files under paths by directory, with the flow
// files of each directory.
func discover(paths []string) ([]*group, error) {
	byDir := map[string]*group{}
	seen := map[string]bool{}
	add := func(path string) {
		path = filepath.Clean(path)
		if seen[path] {
			return
		}
		seen[path] = true
		dir := filepath.Dir(path)
		g := byDir[dir]
		if g == nil {
			g = &group{dir: dir}
			byDir[dir] = g
		}
		g.testFiles = append(g.testFiles, path)
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, unwrapPathErr(err))
		}
		if !info.IsDir() {
			if !strings.HasSuffix(p, Suffix) {
				return nil, fmt.Errorf("%s is not a test file (*%s); name test files or directories", p, Suffix)
			}
			add(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != p && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(name, Suffix) {
				add(path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	dirs := sortedKeys(byDir)
	groups := make([]*group, 0, len(dirs))
	for _, dir := range dirs {
		g := byDir[dir]
		sort.Strings(g.testFiles)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && dsl.IsFlowFile(e.Name()) {
				g.flowFiles = append(g.flowFiles, filepath.Join(dir, e.Name()))
			}
		}
		groups = append(groups, g)
	}
	return groups, nil
}
