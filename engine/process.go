package engine

import (
	"fmt"
	"sort"
)

// Processor runs one flow's compiled plan over single messages, for
// callers that bring their own messages and writers (serve, replay). It
// holds an expression VM: use one per goroutine.
type Processor struct{ p *processor }

// NewProcessor returns a processor of fp.
func NewProcessor(plan *Plan, fp *FlowPlan) *Processor {
	return &Processor{p: newProcessor(fp, plan.Globals)}
}

// Process runs m through the flow. It never panics on data: a failure is a
// rejection with its reason and place. m.Record is coerced in place.
func (p *Processor) Process(m *Message) Result { return p.p.process(m) }

// Key computes the message's business key alone (schema coercion and the
// flow's key expression); "" when the flow has no key or the message cannot
// give one (Process then says why). The record is not changed.
func (p *Processor) Key(m *Message) (key string) {
	if p.p.fp.Key == nil || m.Err != nil || m.Record == nil {
		return ""
	}
	defer func() {
		if recover() != nil {
			key = ""
		}
	}()
	rec, err := coerce(copyRecord(m.Record), p.p.fp.Source.RecordType, "record")
	if err != nil {
		return ""
	}
	env := branch{"record": rec, "meta": p.p.metaFor(m), "var": p.p.globals["var"], "local": p.p.globals["local"]}
	k, err := p.p.run(p.p.fp.Key, env)
	if err != nil {
		return ""
	}
	return keyString(k)
}

// copyRecord copies the top level, which is all coercion replaces.
func copyRecord(r map[string]any) map[string]any {
	c := make(map[string]any, len(r))
	for k, v := range r {
		c[k] = v
	}
	return c
}

// OpenTargets opens a writer for each of the flow's targets; on error the
// ones already open are closed.
func OpenTargets(fp *FlowPlan, rc *RunContext) (map[string]TargetWriter, error) {
	out := map[string]TargetWriter{}
	closeAll := func() {
		names := make([]string, 0, len(out))
		for n := range out {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out[n].Close()
		}
	}
	for _, t := range fp.Targets {
		k, ok := DefaultRegistry.Get(t.Kind)
		if !ok || k.Target == nil || k.Target.Open == nil {
			closeAll()
			return nil, fmt.Errorf("target %s: the %s target cannot write yet; use --dry-run to see its operations", t.Name, t.Kind)
		}
		w, err := k.Target.Open(t, rc)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		out[t.Name] = w
	}
	return out, nil
}

// RetryPolicyOf is the retry policy of a target (its retry block, its
// connection's, or DefaultRetry).
func RetryPolicyOf(t *TargetPlan) RetryPolicy { return retryPolicyOf(t) }

// TargetDedupes reports whether a target's writes are idempotent by
// themselves (upsert by a unique field, overwrite of a named file).
func TargetDedupes(t *TargetPlan) bool {
	k, ok := DefaultRegistry.Get(t.Kind)
	return ok && k.Target != nil && k.Target.Dedupes != nil && k.Target.Dedupes(t.Values)
}
