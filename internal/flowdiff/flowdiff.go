// Package flowdiff compares what two versions of a flow do with the same
// input records: which target operations each record produces (target,
// operation, idempotency key, body) and how it ends (delivered, rejected,
// skipped). It backs `flowctl diff` (docs/diff.md); the command only parses
// flags and prints.
//
// Both versions run as dry runs, so nothing is written and no secret is
// needed. Bodies are record data, which cannot hold secrets (FC008), and
// connection values are never part of a result, so a report cannot leak a
// credential.
package flowdiff

import (
	"fmt"
	"slices"
	"sort"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/jsondiff"
)

// Outcome is how one version ended one record.
type Outcome struct {
	Outcome engine.Outcome `json:"outcome"` // delivered, rejected or skipped
	// Rule and Message say why a record was rejected; Location is the
	// file:line:col of the rule (shown, not compared: it moves with any
	// edit of the file).
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message,omitempty"`
	Location string `json:"location,omitempty"`
	Reason   string `json:"reason,omitempty"` // why a record was skipped
}

func (o Outcome) same(p Outcome) bool {
	return o.Outcome == p.Outcome && o.Rule == p.Rule && o.Message == p.Message && o.Reason == p.Reason
}

// Result is what one version did with one record: the parts compared.
type Result struct {
	Seq      int
	Line     int
	Key      string // business key
	Outcome  Outcome
	Ops      []engine.Operation
	Warnings []engine.Rejection
}

// ResultOf keeps the compared parts of an engine result. relabel (may be
// nil) rewrites file names in locations.
func ResultOf(r *engine.Result, relabel func(string) string) Result {
	if relabel == nil {
		relabel = func(s string) string { return s }
	}
	res := Result{Seq: r.Seq, Line: r.Line, Key: r.Key, Outcome: Outcome{Outcome: r.Outcome}}
	switch r.Outcome {
	case engine.Rejected:
		if r.Reject != nil {
			res.Outcome.Rule, res.Outcome.Message = r.Reject.Rule, r.Reject.Message
			res.Outcome.Location = relabel(r.Reject.Location)
		}
	case engine.Skipped:
		res.Outcome.Reason = r.SkipWhy
	}
	res.Ops = slices.Clone(r.Ops)
	for _, w := range r.Warnings {
		w.Location = relabel(w.Location)
		res.Warnings = append(res.Warnings, w)
	}
	return res
}

// Report is the outcome of a diff; its JSON form is documented in
// docs/diff.md.
type Report struct {
	Base       string `json:"base"`                  // the base version as given
	Head       string `json:"head"`                  // the head version as given
	BaseCommit string `json:"base_commit,omitempty"` // commit of a git:REF:path base
	HeadCommit string `json:"head_commit,omitempty"`
	Flow       string `json:"flow"`                // the flow compared (its head name)
	BaseFlow   string `json:"base_flow,omitempty"` // the base flow's name, when it differs
	// Records holds the records that differ, in input order; never null.
	Records []RecordDiff `json:"records"`
	Counts  Counts       `json:"counts"`
}

// Counts sums up a diff.
type Counts struct {
	Records   int `json:"records"`   // records compared
	Unchanged int `json:"unchanged"` // records that came out the same
	Changed   int `json:"changed"`   // records that differ (len(records))
	// Outcomes counts records whose outcome changed, by transition, in a
	// fixed order (delivered, rejected, skipped); never null.
	Outcomes   []Transition `json:"outcomes"`
	Operations OpCounts     `json:"operations"`
}

// Transition counts records that went from one outcome to another.
type Transition struct {
	Base    engine.Outcome `json:"base"`
	Head    engine.Outcome `json:"head"`
	Records int            `json:"records"`
}

// OpCounts counts target operations that differ.
type OpCounts struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
}

// RecordDiff is one input record whose result differs.
type RecordDiff struct {
	Seq  int    `json:"seq"`            // 0-based input position (shown as #seq+1)
	Line int    `json:"line,omitempty"` // line in the input file, when known
	Key  string `json:"key,omitempty"`  // business key (head's; base's when head has none)
	// KeyChange is set when the business key itself changed.
	KeyChange *Change `json:"key_change,omitempty"`
	// Outcome is set when the outcome, or its rule, message or skip
	// reason, changed.
	Outcome *OutcomeChange `json:"outcome,omitempty"`
	// Operations lists the target operations that differ: changed pairs
	// and added operations in head order, then removed ones in base order.
	Operations []OpDiff `json:"operations,omitempty"`
	// Order is set when the same operations come in another order.
	Order *OrderChange `json:"order,omitempty"`
	// Warnings lists on_fail = "warn" results that appeared or went.
	Warnings *WarningsDiff `json:"warnings,omitempty"`
}

// Change is a scalar that changed.
type Change struct {
	Old string `json:"old"`
	New string `json:"new"`
}

func change(old, new string) *Change {
	if old == new {
		return nil
	}
	return &Change{Old: old, New: new}
}

// OutcomeChange is a record's outcome in both versions.
type OutcomeChange struct {
	Base Outcome `json:"base"`
	Head Outcome `json:"head"`
}

// OpKind says how an operation differs.
type OpKind string

// Operation differences.
const (
	OpAdded   OpKind = "added"   // only head performs it: the target now receives the record
	OpRemoved OpKind = "removed" // only base performs it: the target no longer does
	OpChanged OpKind = "changed" // both do, differently
)

// OpDiff is one target operation that differs. Target, Kind, Operation and
// Key are head's values (base's for a removed operation); the *Change
// fields give base → head where they differ.
type OpDiff struct {
	Change    OpKind `json:"change"`
	Target    string `json:"target"`
	Kind      string `json:"kind"`
	Operation string `json:"operation"`
	Key       string `json:"idempotency_key"`

	KindChange      *Change `json:"kind_change,omitempty"`
	OperationChange *Change `json:"operation_change,omitempty"`
	KeyChange       *Change `json:"idempotency_key_change,omitempty"`
	// Body is the whole body of an added or removed operation.
	Body any `json:"body,omitempty"`
	// BodyChanges is the field-level diff of a changed operation's body.
	BodyChanges []jsondiff.Change `json:"body_changes,omitempty"`
}

// OrderChange shows the operations of a record in both orders, each as
// "target" or "target[key]".
type OrderChange struct {
	Old []string `json:"old"`
	New []string `json:"new"`
}

// WarningsDiff lists warnings only one version gave.
type WarningsDiff struct {
	Added   []engine.Rejection `json:"added,omitempty"`
	Removed []engine.Rejection `json:"removed,omitempty"`
}

// NewReport starts an empty report.
func NewReport() *Report {
	return &Report{Records: []RecordDiff{}, Counts: Counts{Outcomes: []Transition{}}}
}

// Differs reports whether any record differs.
func (r *Report) Differs() bool { return r.Counts.Changed > 0 }

// Add compares one record's results, counts it and appends the
// difference, if any, to Records; it returns that difference (nil when
// the record came out the same). Results must come in input order.
func (r *Report) Add(base, head Result) *RecordDiff {
	r.Counts.Records++
	d := Compare(base, head)
	if d == nil {
		r.Counts.Unchanged++
		return nil
	}
	r.Counts.Changed++
	r.Records = append(r.Records, *d)
	d = &r.Records[len(r.Records)-1]
	if d.Outcome != nil && d.Outcome.Base.Outcome != d.Outcome.Head.Outcome {
		r.countTransition(d.Outcome.Base.Outcome, d.Outcome.Head.Outcome)
	}
	for _, op := range d.Operations {
		switch op.Change {
		case OpAdded:
			r.Counts.Operations.Added++
		case OpRemoved:
			r.Counts.Operations.Removed++
		case OpChanged:
			r.Counts.Operations.Changed++
		}
	}
	return d
}

func (r *Report) countTransition(from, to engine.Outcome) {
	for i := range r.Counts.Outcomes {
		if t := &r.Counts.Outcomes[i]; t.Base == from && t.Head == to {
			t.Records++
			return
		}
	}
	r.Counts.Outcomes = append(r.Counts.Outcomes, Transition{Base: from, Head: to, Records: 1})
	sort.SliceStable(r.Counts.Outcomes, func(i, j int) bool {
		a, b := r.Counts.Outcomes[i], r.Counts.Outcomes[j]
		if a.Base != b.Base {
			return outcomeRank(a.Base) < outcomeRank(b.Base)
		}
		return outcomeRank(a.Head) < outcomeRank(b.Head)
	})
}

func outcomeRank(o engine.Outcome) int {
	switch o {
	case engine.Delivered:
		return 0
	case engine.Rejected:
		return 1
	case engine.Skipped:
		return 2
	}
	return 3
}

// Compare compares what two versions did with one record and returns nil
// when they did the same.
func Compare(base, head Result) *RecordDiff {
	d := &RecordDiff{Seq: head.Seq, Line: head.Line, Key: head.Key}
	if d.Line == 0 {
		d.Line = base.Line
	}
	if d.Key == "" {
		d.Key = base.Key
	}
	differs := false
	if base.Key != head.Key {
		d.KeyChange = change(base.Key, head.Key)
		differs = true
	}
	if !base.Outcome.same(head.Outcome) {
		d.Outcome = &OutcomeChange{Base: base.Outcome, Head: head.Outcome}
		differs = true
	}
	ops, order := compareOps(base.Ops, head.Ops)
	if len(ops) > 0 || order != nil {
		d.Operations, d.Order = ops, order
		differs = true
	}
	if w := compareWarnings(base.Warnings, head.Warnings); w != nil {
		d.Warnings = w
		differs = true
	}
	if !differs {
		return nil
	}
	return d
}

// Pair is a base operation matched with a head operation, by index; -1
// when there is none (an added or removed operation).
type Pair struct{ Base, Head int }

// PairOps matches base operations with head operations. Within each
// target, operations with the same non-empty idempotency key are paired
// first (the n-th occurrence of a key with the n-th); what is left is
// paired by position (the n-th remaining base operation with the n-th
// remaining head one), which covers targets without keys and keys that
// changed. The rest are removed (Head = -1) or added (Base = -1). Pairs and added
// operations come in head order, then removed ones in base order.
func PairOps(base, head []engine.Operation) []Pair {
	type side struct{ base, head []int }
	byTarget := map[string]*side{}
	var targets []string
	get := func(t string) *side {
		s, ok := byTarget[t]
		if !ok {
			s = &side{}
			byTarget[t] = s
			targets = append(targets, t)
		}
		return s
	}
	for i, op := range base {
		s := get(op.Target)
		s.base = append(s.base, i)
	}
	for j, op := range head {
		s := get(op.Target)
		s.head = append(s.head, j)
	}
	matchOf := make([]int, len(head)) // head index → base index, or -1
	for j := range matchOf {
		matchOf[j] = -1
	}
	usedBase := make([]bool, len(base))
	for _, t := range targets {
		s := byTarget[t]
		byKey := map[string][]int{}
		for _, i := range s.base {
			if k := base[i].Key; k != "" {
				byKey[k] = append(byKey[k], i)
			}
		}
		for _, j := range s.head {
			k := head[j].Key
			if k == "" || len(byKey[k]) == 0 {
				continue
			}
			i := byKey[k][0]
			byKey[k] = byKey[k][1:]
			matchOf[j], usedBase[i] = i, true
		}
		var restB, restH []int
		for _, i := range s.base {
			if !usedBase[i] {
				restB = append(restB, i)
			}
		}
		for _, j := range s.head {
			if matchOf[j] < 0 {
				restH = append(restH, j)
			}
		}
		for n := 0; n < len(restB) && n < len(restH); n++ {
			matchOf[restH[n]], usedBase[restB[n]] = restB[n], true
		}
	}
	out := make([]Pair, 0, max(len(base), len(head)))
	for j := range head {
		out = append(out, Pair{Base: matchOf[j], Head: j})
	}
	for i := range base {
		if !usedBase[i] {
			out = append(out, Pair{Base: i, Head: -1})
		}
	}
	return out
}

// compareOps returns the operations that differ and, when the paired
// operations come in another order, both orders.
func compareOps(base, head []engine.Operation) ([]OpDiff, *OrderChange) {
	var diffs []OpDiff
	lastBase, reordered := -1, false
	for _, p := range PairOps(base, head) {
		switch {
		case p.Base < 0:
			op := head[p.Head]
			diffs = append(diffs, OpDiff{Change: OpAdded, Target: op.Target, Kind: op.Kind, Operation: op.Op, Key: op.Key, Body: op.Body})
		case p.Head < 0:
			op := base[p.Base]
			diffs = append(diffs, OpDiff{Change: OpRemoved, Target: op.Target, Kind: op.Kind, Operation: op.Op, Key: op.Key, Body: op.Body})
		default:
			if p.Base < lastBase {
				reordered = true
			}
			lastBase = p.Base
			if d, ok := compareOp(base[p.Base], head[p.Head]); ok {
				diffs = append(diffs, d)
			}
		}
	}
	var order *OrderChange
	if reordered {
		order = &OrderChange{Old: opLabels(base), New: opLabels(head)}
	}
	return diffs, order
}

func compareOp(b, h engine.Operation) (OpDiff, bool) {
	d := OpDiff{Change: OpChanged, Target: h.Target, Kind: h.Kind, Operation: h.Op, Key: h.Key,
		KindChange: change(b.Kind, h.Kind), OperationChange: change(b.Op, h.Op), KeyChange: change(b.Key, h.Key),
		BodyChanges: jsondiff.Diff(b.Body, h.Body)}
	return d, d.KindChange != nil || d.OperationChange != nil || d.KeyChange != nil || len(d.BodyChanges) > 0
}

func opLabels(ops []engine.Operation) []string {
	out := make([]string, 0, len(ops))
	for _, op := range ops {
		if op.Key != "" {
			out = append(out, fmt.Sprintf("%s[%s]", op.Target, op.Key))
		} else {
			out = append(out, op.Target)
		}
	}
	return out
}

// compareWarnings compares warnings as multisets of (rule, message).
func compareWarnings(base, head []engine.Rejection) *WarningsDiff {
	if len(base) == 0 && len(head) == 0 {
		return nil
	}
	type wk struct{ rule, msg string }
	left := map[wk]int{}
	for _, w := range base {
		left[wk{w.Rule, w.Message}]++
	}
	var d WarningsDiff
	for _, w := range head {
		k := wk{w.Rule, w.Message}
		if left[k] > 0 {
			left[k]--
			continue
		}
		d.Added = append(d.Added, w)
	}
	for i := len(base) - 1; i >= 0; i-- { // the last occurrences are the unmatched ones
		k := wk{base[i].Rule, base[i].Message}
		if left[k] > 0 {
			left[k]--
			d.Removed = append(d.Removed, base[i])
		}
	}
	slices.Reverse(d.Removed)
	if len(d.Added) == 0 && len(d.Removed) == 0 {
		return nil
	}
	return &d
}
