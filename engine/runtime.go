package engine

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/flowctl/flowctl/dsl"
	"github.com/hashicorp/hcl/v2"
)

// Message is one inbound record on its way through a flow.
type Message struct {
	Seq        int            // position in the input, from 0
	Line       int            // line in the source file, when known
	Source     string         // where it came from (file name, "-" for stdin)
	Record     map[string]any // decoded record; nil when Err is set
	Raw        []byte         // undecodable input, kept for the rejects file
	Err        error          // decode error
	ReceivedAt time.Time
	// ID is a stable identity the source gives the message (file checksum
	// and line, Odoo id and write_date, webhook delivery id, schedule tick),
	// "" when it has none. Under serve it dedupes journal writes: a message
	// read again after a crash, before its source could let go of it, is
	// journaled once.
	ID string
	// Receipt, when the source sets one, is acknowledged once the message's
	// outcome is final and kept.
	Receipt Receipt
}

// Outcome is what happened to a message.
type Outcome string

// Outcomes.
const (
	Delivered Outcome = "delivered" // at least one target operation
	Rejected  Outcome = "rejected"  // failed a rule or could not be processed; kept with its reason
	Skipped   Outcome = "skipped"   // filtered out on purpose (skip rule, no route, empty split)
)

// Operation is one write a target is asked to do.
type Operation struct {
	Seq    int    `json:"seq"`             // input message
	Line   int    `json:"line,omitempty"`  // input line
	Target string `json:"target"`          // target name
	Kind   string `json:"kind"`            // connector kind
	Op     string `json:"operation"`       // what the target will do, e.g. "POST /v1/jobs"
	Key    string `json:"idempotency_key"` // idempotency key ("" when none)
	Body   any    `json:"body"`
	// Fields holds the target's other per-record settings, evaluated (e.g.
	// an http target's path_expr, an sftp target's filename).
	Fields map[string]any `json:"fields,omitempty"`
}

// Rejection says why a message was rejected.
type Rejection struct {
	Rule     string `json:"rule"`               // validate name, "decode", "schema", or the failing step
	Message  string `json:"message"`            // human reason
	Location string `json:"location,omitempty"` // file:line:col of the failing expression or rule
}

// Result is what processing one message produced.
type Result struct {
	Seq       int
	Line      int
	Key       string // business key
	Outcome   Outcome
	Ops       []Operation
	Reject    *Rejection
	SkipWhy   string
	Warnings  []Rejection
	Input     map[string]any // the record as decoded (for rejects)
	Raw       []byte
	Processed time.Duration
	receipt   Receipt
}

// processor runs one flow's compiled programs; each worker owns one, with
// its own VM, so nothing is shared between goroutines.
type processor struct {
	fp      *FlowPlan
	globals map[string]any
	vm      vm.VM
	meta    map[string]any
}

func newProcessor(fp *FlowPlan, globals map[string]any) *processor {
	return &processor{fp: fp, globals: globals}
}

// stepError is a runtime failure inside an expression.
type stepError struct {
	rule string
	msg  string
	loc  hcl.Range
}

func (e *stepError) Error() string { return e.msg }

func (p *processor) run(prog *Program, env map[string]any) (any, error) {
	if prog.Path != nil {
		if v, ok := lookupPath(env, prog.Path); ok {
			return v, nil
		}
	}
	out, err := p.vm.Run(prog.Program, env)
	if err != nil {
		return nil, p.exprError(prog, err)
	}
	return out, nil
}

// lookupPath reads a field path through nested maps. ok is false when a
// step is not a map, so the VM runs the expression and reports the error
// as usual.
func lookupPath(env map[string]any, path []string) (any, bool) {
	var cur any = env
	for _, name := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur = m[name]
	}
	return cur, true
}

// exprError maps a runtime expr error to its place in the flow file.
func (p *processor) exprError(prog *Program, err error) *stepError {
	rng := prog.Range
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		rng = prog.RangeOf(fe.From, fe.To)
		msg = fe.Message
	}
	return &stepError{msg: fmt.Sprintf("%s: %s", prog.Attr, msg), loc: rng}
}

func location(r hcl.Range) string {
	if r.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// branch is one path through the steps (the expression environment); a
// split forks one per element. It must stay a plain map[string]any: the
// expr VM has a fast path for exactly that type and falls back to
// reflection for named map types.
type branch = map[string]any

func fork(b branch, name string, v any) branch {
	n := make(branch, len(b)+1)
	for k, x := range b {
		n[k] = x
	}
	n[name] = v
	return n
}

// process runs a message through the flow. It never panics on data: every
// failure becomes a rejection with its reason and place.
func (p *processor) process(m *Message) (res Result) {
	start := time.Now()
	res = Result{Seq: m.Seq, Line: m.Line, Input: m.Record, Raw: m.Raw, receipt: m.Receipt}
	defer func() {
		if r := recover(); r != nil {
			res.Outcome, res.Ops = Rejected, nil
			res.Reject = &Rejection{Rule: "internal", Message: fmt.Sprintf("unexpected failure: %v", r)}
		}
		res.Processed = time.Since(start)
	}()
	reject := func(rule, msg string, loc hcl.Range) Result {
		res.Outcome, res.Ops = Rejected, nil
		res.Reject = &Rejection{Rule: rule, Message: msg, Location: location(loc)}
		return res
	}
	if m.Err != nil {
		return reject("decode", lineMsg(m.Line, m.Err.Error()), hcl.Range{})
	}
	rec, err := coerce(m.Record, p.fp.Source.RecordType, "record")
	if err != nil {
		return reject("schema", lineMsg(m.Line, err.Error()), p.fp.Source.Range)
	}
	env := branch{"record": rec, "meta": p.metaFor(m), "var": p.globals["var"], "local": p.globals["local"]}
	if p.fp.Key != nil {
		k, err := p.run(p.fp.Key, env)
		if err != nil {
			se := err.(*stepError)
			return reject("key", lineMsg(m.Line, se.msg), se.loc)
		}
		res.Key = keyString(k)
	}
	skipped := ""
	if err := p.steps(0, env, &res, &skipped); err != nil {
		var se *stepError
		if errors.As(err, &se) {
			return reject(se.rule, lineMsg(m.Line, se.msg), se.loc)
		}
		return reject("internal", err.Error(), hcl.Range{})
	}
	if len(res.Ops) > 0 {
		res.Outcome = Delivered
	} else {
		res.Outcome, res.SkipWhy = Skipped, skipped
	}
	return res
}

func lineMsg(line int, msg string) string {
	if line > 0 {
		return fmt.Sprintf("line %d: %s", line, msg)
	}
	return msg
}

func (p *processor) metaFor(m *Message) map[string]any {
	return map[string]any{
		"flow": p.fp.Name, "source": p.fp.Source.Kind, "id": strconv.Itoa(m.Seq),
		"file": m.Source, "line": m.Line, "received_at": m.ReceivedAt,
	}
}

// steps runs steps[i:] for one branch, appending target operations.
func (p *processor) steps(i int, env branch, res *Result, skipped *string) error {
	for ; i < len(p.fp.Steps); i++ {
		st := &p.fp.Steps[i]
		switch st.Kind {
		case "validate":
			if st.When != nil {
				ok, err := p.run(st.When, env)
				if err != nil {
					return withRule(err, st.Name)
				}
				if ok != true {
					continue
				}
			}
			ok, err := p.run(st.Check, env)
			if err != nil {
				return withRule(err, st.Name)
			}
			if ok == true {
				continue
			}
			msg := "check failed: " + st.Check.Source
			if st.Message != nil {
				if v, err := p.run(st.Message, env); err == nil && v != nil {
					msg = fmt.Sprint(v)
				}
			}
			switch st.OnFail {
			case dsl.OnFailWarn:
				res.Warnings = append(res.Warnings, Rejection{Rule: st.Name, Message: msg, Location: location(st.Check.Range)})
			case dsl.OnFailSkip:
				*skipped = "validate " + st.Name + ": " + msg
				return nil
			default:
				return &stepError{rule: st.Name, msg: msg, loc: st.Check.Range}
			}
		case "map":
			if st.When != nil {
				ok, err := p.run(st.When, env)
				if err != nil {
					return withRule(err, st.Name)
				}
				if ok != true {
					env[st.Name] = nil
					continue
				}
			}
			out, err := p.mapFields(st.Fields, env)
			if err != nil {
				return withRule(err, st.Name)
			}
			var v any = out
			if st.Type != nil && st.Type.Schema != "" {
				if v, err = coerce(out, st.Type, st.Name); err != nil {
					return &stepError{rule: st.Name, msg: err.Error(), loc: st.Range}
				}
			}
			// Each branch owns its env (a split forks one per element), so
			// binding in place is safe and saves a copy per step.
			env[st.Name] = v
		case "split":
			items, err := p.run(st.Each, env)
			if err != nil {
				return withRule(err, st.Name)
			}
			list, ok := items.([]any)
			if !ok && items != nil {
				return &stepError{rule: st.Name, msg: fmt.Sprintf("each: expected a list, got %s", describeValue(items)), loc: st.Each.Range}
			}
			if len(list) == 0 {
				*skipped = "split " + st.Name + ": nothing to split"
				return nil
			}
			for _, item := range list {
				if err := p.steps(i+1, fork(env, st.Name, item), res, skipped); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return p.route(env, res, skipped)
}

func withRule(err error, rule string) error {
	var se *stepError
	if errors.As(err, &se) && se.rule == "" {
		se.rule = rule
	}
	return err
}

func (p *processor) mapFields(fields []*FieldPlan, env branch) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if f.Fields != nil {
			sub, err := p.mapFields(f.Fields, env)
			if err != nil {
				return nil, err
			}
			out[f.Name] = sub
			continue
		}
		v, err := p.run(f.Program, env)
		if err != nil {
			return nil, err
		}
		out[f.Name] = v
	}
	return out, nil
}

// route picks the targets of a finished branch and builds their operations.
func (p *processor) route(env branch, res *Result, skipped *string) error {
	targets := p.fp.Targets
	if len(p.fp.Routes) > 0 {
		targets = nil
		for _, r := range p.fp.Routes {
			if r.When != nil {
				ok, err := p.run(r.When, env)
				if err != nil {
					return withRule(err, "route")
				}
				if ok != true {
					continue
				}
			}
			targets = r.Targets
			break
		}
		if targets == nil {
			*skipped = "no route matched"
			return nil
		}
	}
	for _, t := range targets {
		body, err := p.run(t.Body, env)
		if err != nil {
			return withRule(err, "target."+t.Name)
		}
		op := Operation{Seq: res.Seq, Line: res.Line, Target: t.Name, Kind: t.Kind, Op: t.Operation, Body: body}
		if t.IdempotencyKey != nil {
			k, err := p.run(t.IdempotencyKey, env)
			if err != nil {
				return withRule(err, "target."+t.Name)
			}
			op.Key = keyString(k)
		}
		for _, f := range t.ExprFields {
			v, err := p.run(f.Program, env)
			if err != nil {
				return withRule(err, "target."+t.Name)
			}
			if op.Fields == nil {
				op.Fields = make(map[string]any, len(t.ExprFields))
			}
			op.Fields[f.Name] = v
		}
		res.Ops = append(res.Ops, op)
	}
	return nil
}

// keyString renders a key value as text: integral numbers without ".0".
func keyString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
