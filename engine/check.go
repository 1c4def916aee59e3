package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flowctl/flowctl/dsl"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// CheckRunnable reports the settings a run of fp needs but that are not set
// (plans compiled with SecretsOptional leave them unknown): the source's and
// its connection's when the source is read, the targets' and their
// connections' when targets are written.
func CheckRunnable(fp *FlowPlan, readSource, writeTargets bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var check func(what string, v *Values)
	check = func(what string, v *Values) {
		if v == nil {
			return
		}
		names := make([]string, 0, len(v.Attrs))
		for n := range v.Attrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := v.Attrs[n]
			if a.Val == cty.NilVal || a.Val.IsWhollyKnown() {
				continue
			}
			why := "its value is not known"
			switch len(a.Missing) {
			case 0:
			case 1:
				why = a.Missing[0] + " is not set"
			default:
				why = strings.Join(a.Missing, " and ") + " are not set"
			}
			diags = append(diags, dsl.Errorf(dsl.CodeEval, a.Range, fmt.Sprintf("%s: %s has no value", what, n),
				"Flow %s needs %s.%s, but %s.", fp.Name, what, n, why))
		}
		for name, blocks := range v.Blocks {
			for _, b := range blocks {
				check(what+"."+name, b)
			}
		}
	}
	if readSource && fp.Source != nil {
		check("source", fp.Source.Values)
		if c := fp.Source.Connection; c != nil {
			check("connection."+c.Kind+"."+c.Name, c.Values)
		}
	}
	if writeTargets {
		seen := map[*ConnectionPlan]bool{}
		for _, t := range fp.Targets {
			check("target."+t.Name, t.Values)
			if c := t.Connection; c != nil && !seen[c] {
				seen[c] = true
				check("connection."+c.Kind+"."+c.Name, c.Values)
			}
		}
	}
	return diags
}
