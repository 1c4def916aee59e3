package flowdiff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/jsondiff"

	_ "github.com/flowctl/flowctl/connectors/all"
)

func op(target, key string, body any) engine.Operation {
	return engine.Operation{Target: target, Kind: "stdout", Op: "print", Key: key, Body: body}
}

func TestPairOpsByKey(t *testing.T) {
	// Same keys, other order: paired by key, not by position.
	base := []engine.Operation{op("jobs", "A", 1), op("jobs", "B", 2), op("audit", "", 0)}
	head := []engine.Operation{op("jobs", "B", 2), op("jobs", "A", 1), op("audit", "", 0)}
	got := PairOps(base, head)
	want := []Pair{{Base: 1, Head: 0}, {Base: 0, Head: 1}, {Base: 2, Head: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PairOps = %v, want %v", got, want)
	}
}

func TestPairOpsByPosition(t *testing.T) {
	// No keys: the n-th operation of a target with the n-th; the extra
	// head operation is added, the target only base has is removed.
	base := []engine.Operation{op("jobs", "", 1), op("old", "", 2), op("jobs", "", 3)}
	head := []engine.Operation{op("jobs", "", 1), op("jobs", "", 3), op("jobs", "", 4)}
	got := PairOps(base, head)
	want := []Pair{{Base: 0, Head: 0}, {Base: 2, Head: 1}, {Base: -1, Head: 2}, {Base: 1, Head: -1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PairOps = %v, want %v", got, want)
	}
}

func TestPairOpsChangedKeyFallsBackToPosition(t *testing.T) {
	// A split: B dropped, A kept, C's key changed to c. Key pairing takes
	// A; what is left (B, C against c) is paired by position: B with c,
	// and C removed.
	base := []engine.Operation{op("jobs", "A", 1), op("jobs", "B", 2), op("jobs", "C", 3)}
	head := []engine.Operation{op("jobs", "A", 1), op("jobs", "c", 3)}
	got := PairOps(base, head)
	want := []Pair{{Base: 0, Head: 0}, {Base: 1, Head: 1}, {Base: 2, Head: -1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PairOps = %v, want %v", got, want)
	}
	// One operation per target and a new key scheme: reported as a key
	// change, not as removed + added.
	d := Compare(delivered(0, op("jobs", "SO1", 1)), delivered(0, op("jobs", "so-SO1", 1)))
	if d == nil || len(d.Operations) != 1 {
		t.Fatalf("Compare = %+v, want one changed operation", d)
	}
	o := d.Operations[0]
	if o.Change != OpChanged || o.KeyChange == nil || o.KeyChange.Old != "SO1" || o.KeyChange.New != "so-SO1" || len(o.BodyChanges) != 0 {
		t.Errorf("operation diff = %+v", o)
	}
}

func TestPairOpsDuplicateKeys(t *testing.T) {
	base := []engine.Operation{op("jobs", "K", 1), op("jobs", "K", 2)}
	head := []engine.Operation{op("jobs", "K", 1), op("jobs", "K", 2), op("jobs", "K", 3)}
	got := PairOps(base, head)
	want := []Pair{{Base: 0, Head: 0}, {Base: 1, Head: 1}, {Base: -1, Head: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PairOps = %v, want %v", got, want)
	}
}

func delivered(seq int, ops ...engine.Operation) Result {
	return Result{Seq: seq, Line: seq + 1, Key: "SO1", Outcome: Outcome{Outcome: engine.Delivered}, Ops: ops}
}

func rejected(seq int, rule, msg string) Result {
	return Result{Seq: seq, Line: seq + 1, Key: "SO1", Outcome: Outcome{Outcome: engine.Rejected, Rule: rule, Message: msg, Location: "a.hcl:1:1"}}
}

func skipped(seq int, why string) Result {
	return Result{Seq: seq, Line: seq + 1, Key: "SO1", Outcome: Outcome{Outcome: engine.Skipped, Reason: why}}
}

func TestCompareEqual(t *testing.T) {
	body := map[string]any{"ref": "SO1", "qty": 2.0, "lines": []any{map[string]any{"sku": "A"}}}
	same := map[string]any{"ref": "SO1", "qty": 2, "lines": []any{map[string]any{"sku": "A"}}}
	if d := Compare(delivered(0, op("jobs", "SO1", body)), delivered(0, op("jobs", "SO1", same))); d != nil {
		t.Errorf("equal results differ: %+v", d)
	}
	// The location of a rejection moves with any edit: not compared.
	b, h := rejected(1, "r", "m"), rejected(1, "r", "m")
	h.Outcome.Location = "b.hcl:9:9"
	if d := Compare(b, h); d != nil {
		t.Errorf("rejections differing only in location differ: %+v", d)
	}
	if d := Compare(skipped(2, "x"), skipped(2, "x")); d != nil {
		t.Errorf("equal skips differ: %+v", d)
	}
}

func TestCompareBody(t *testing.T) {
	b := map[string]any{"ref": "SO1", "qty": 2, "note": "x", "lines": []any{map[string]any{"sku": "A", "qty": 1}}}
	h := map[string]any{"ref": "SO1", "qty": 3, "prio": "high", "lines": []any{map[string]any{"sku": "A", "qty": 5}}}
	d := Compare(delivered(0, op("jobs", "SO1", b)), delivered(0, op("jobs", "SO1", h)))
	if d == nil || len(d.Operations) != 1 || d.Outcome != nil {
		t.Fatalf("Compare = %+v", d)
	}
	var got []string
	for _, c := range d.Operations[0].BodyChanges {
		got = append(got, string(c.Kind)+" "+c.Path)
	}
	want := []string{"changed $.lines[0].qty", "removed $.note", "added $.prio", "changed $.qty"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body changes = %v, want %v", got, want)
	}
	if d.Operations[0].Change != OpChanged || d.Operations[0].KeyChange != nil || d.Operations[0].OperationChange != nil {
		t.Errorf("operation diff = %+v", d.Operations[0])
	}
}

func TestCompareOperationAndKind(t *testing.T) {
	b := op("jobs", "K", 1)
	h := op("jobs", "K", 1)
	h.Kind, h.Op = "http", "POST /v1/jobs"
	d := Compare(delivered(0, b), delivered(0, h))
	if d == nil || len(d.Operations) != 1 {
		t.Fatalf("Compare = %+v", d)
	}
	o := d.Operations[0]
	if *o.KindChange != (Change{"stdout", "http"}) || *o.OperationChange != (Change{"print", "POST /v1/jobs"}) {
		t.Errorf("operation diff = %+v", o)
	}
}

func TestCompareAddedRemovedTargets(t *testing.T) {
	d := Compare(delivered(0, op("jobs", "K", 1), op("old", "K", 2)), delivered(0, op("jobs", "K", 1), op("tms", "K", 3)))
	if d == nil {
		t.Fatal("no difference")
	}
	var got []string
	for _, o := range d.Operations {
		got = append(got, string(o.Change)+" "+o.Target)
	}
	if want := []string{"added tms", "removed old"}; !reflect.DeepEqual(got, want) {
		t.Errorf("operations = %v, want %v", got, want)
	}
	if d.Operations[0].Body != 3 || d.Operations[1].Body != 2 {
		t.Errorf("added/removed bodies = %v, %v", d.Operations[0].Body, d.Operations[1].Body)
	}
}

func TestCompareOrder(t *testing.T) {
	d := Compare(delivered(0, op("a", "", 1), op("b", "", 2)), delivered(0, op("b", "", 2), op("a", "", 1)))
	if d == nil || d.Order == nil || len(d.Operations) != 0 {
		t.Fatalf("Compare = %+v, want an order change only", d)
	}
	if !reflect.DeepEqual(d.Order.Old, []string{"a", "b"}) || !reflect.DeepEqual(d.Order.New, []string{"b", "a"}) {
		t.Errorf("order = %+v", d.Order)
	}
}

func TestOutcomeTransitions(t *testing.T) {
	r := NewReport()
	r.Add(delivered(0, op("jobs", "K", 1)), rejected(0, "has_window", "no window"))
	r.Add(skipped(1, "x"), delivered(1, op("jobs", "K", 1)))
	r.Add(delivered(2, op("jobs", "K", 1)), rejected(2, "has_window", "no window"))
	r.Add(rejected(3, "a", "m"), rejected(3, "b", "m")) // changed rule, same outcome
	r.Add(delivered(4, op("jobs", "K", 1)), delivered(4, op("jobs", "K", 1)))
	r.Add(skipped(5, "x"), skipped(5, "y"))
	want := []Transition{
		{Base: engine.Delivered, Head: engine.Rejected, Records: 2},
		{Base: engine.Skipped, Head: engine.Delivered, Records: 1},
	}
	if !reflect.DeepEqual(r.Counts.Outcomes, want) {
		t.Errorf("transitions = %+v, want %+v", r.Counts.Outcomes, want)
	}
	if r.Counts.Records != 6 || r.Counts.Changed != 5 || r.Counts.Unchanged != 1 {
		t.Errorf("counts = %+v", r.Counts)
	}
	if r.Counts.Operations != (OpCounts{Added: 1, Removed: 2}) {
		t.Errorf("operation counts = %+v", r.Counts.Operations)
	}
	d := r.Records[0]
	if d.Outcome == nil || d.Outcome.Base.Outcome != engine.Delivered || d.Outcome.Head.Rule != "has_window" {
		t.Errorf("record 0 = %+v", d)
	}
	if d := r.Records[3]; d.Outcome == nil || d.Outcome.Base.Rule != "a" || d.Outcome.Head.Rule != "b" {
		t.Errorf("record 3 = %+v", d)
	}
	if !r.Differs() {
		t.Error("Differs() = false")
	}
}

func TestCompareKeyAndWarnings(t *testing.T) {
	b := delivered(0, op("jobs", "K", 1))
	h := delivered(0, op("jobs", "K", 1))
	h.Key = "SO1-new"
	b.Warnings = []engine.Rejection{{Rule: "light", Message: "m"}, {Rule: "x", Message: "y"}}
	h.Warnings = []engine.Rejection{{Rule: "x", Message: "y"}, {Rule: "heavy", Message: "n"}}
	d := Compare(b, h)
	if d == nil || d.KeyChange == nil || *d.KeyChange != (Change{"SO1", "SO1-new"}) {
		t.Fatalf("Compare = %+v", d)
	}
	if d.Warnings == nil || len(d.Warnings.Added) != 1 || d.Warnings.Added[0].Rule != "heavy" ||
		len(d.Warnings.Removed) != 1 || d.Warnings.Removed[0].Rule != "light" {
		t.Errorf("warnings = %+v", d.Warnings)
	}
}

func TestWriteText(t *testing.T) {
	r := NewReport()
	r.Flow = "orders"
	r.Add(delivered(0, op("jobs", "SO1", map[string]any{"qty": 1})), delivered(0, op("jobs", "SO1", map[string]any{"qty": 2})))
	r.Add(delivered(1, op("jobs", "SO1", 1)), rejected(1, "has_window", "line 2: no window"))
	r.Add(delivered(2, op("jobs", "SO1", 1)), delivered(2, op("jobs", "SO1", 1), op("tms", "", map[string]any{"ref": "a\x1b"})))
	r.Add(delivered(3), delivered(3))
	var buf bytes.Buffer
	if err := WriteText(&buf, r, false); err != nil {
		t.Fatal(err)
	}
	want := `record #1 (line 1, key SO1)
  ~ jobs (stdout) print  key=SO1
      ~ $.qty: 1 → 2
record #2 (line 2, key SO1)
  outcome: delivered → rejected by has_window: line 2: no window
  - jobs (stdout) print  key=SO1
record #3 (line 3, key SO1)
  + tms (stdout) print  key=-
      {"ref":"a\u001b"}
orders: 4 records compared: 3 changed, 1 unchanged; delivered→rejected: 1
`
	if got := buf.String(); got != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", got, want)
	}
}

func TestReportJSON(t *testing.T) {
	r := NewReport()
	r.Base, r.Head, r.Flow = "old", "new", "orders"
	r.Add(delivered(0, op("jobs", "K", 1)), delivered(0, op("jobs", "K", 1)))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"base":"old","head":"new","flow":"orders","records":[],"counts":{"records":1,"unchanged":1,"changed":0,"outcomes":[],"operations":{"added":0,"removed":0,"changed":0}}}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant %s", b, want)
	}
}

// compile compiles one in-memory flow file.
func compile(t *testing.T, src string) *engine.Plan {
	t.Helper()
	cfg, diags := dsl.Load([]string{"main.hcl"}, map[string][]byte{"main.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun, SecretsOptional: true,
		LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return plan
}

// sliceReader yields copies of records from memory (the engine may change
// a record as it decodes it: each side gets its own, as from a file).
type sliceReader struct {
	recs []map[string]any
	i    int
}

func (r *sliceReader) Next() (*engine.Message, bool, error) {
	if r.i >= len(r.recs) {
		return nil, false, nil
	}
	r.i++
	rec := make(map[string]any, len(r.recs[r.i-1]))
	for k, v := range r.recs[r.i-1] {
		rec[k] = v
	}
	return &engine.Message{Line: r.i, Source: "mem", Record: rec}, true, nil
}

func (r *sliceReader) Close() error { return nil }

const baseFlow = `
flow "orders" {
  key = "record.name"
  source "file" {
    path = "orders.ndjson"
  }
  map "job" {
    ref      = "record.name"
    quantity = "record.qty"
    seen     = "meta.received_at"
  }
  target "stdout" "jobs" {
    idempotency_key = "job.ref"
  }
}
`

const headFlow = `
flow "orders" {
  key = "record.name"
  source "file" {
    path = "orders.ndjson"
  }
  validate "positive" {
    check   = "record.qty > 0"
    message = "'no quantity for ' + record.name"
  }
  map "job" {
    ref      = "record.name"
    quantity = "record.qty * 10"
    seen     = "meta.received_at"
  }
  target "stdout" "jobs" {
    idempotency_key = "job.ref"
  }
}
`

func TestRun(t *testing.T) {
	bp, hp := compile(t, baseFlow), compile(t, headFlow)
	bf, hf, err := ChooseFlow(bp, hp, "")
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for i := 0; i < 300; i++ { // several batches
		recs = append(recs, map[string]any{"name": "SO" + string(rune('A'+i%26)), "qty": float64(i % 3)})
	}
	open := func() (engine.RecordReader, error) { return &sliceReader{recs: recs}, nil }
	rep, err := Run(context.Background(), Side{Label: "old", Plan: bp, Flow: bf}, Side{Label: "new", Plan: hp, Flow: hf}, Options{Open: open, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	// qty 0: delivered → rejected; qty 1, 2: quantity changed; received_at
	// is the same on both sides.
	if rep.Counts.Records != 300 || rep.Counts.Changed != 300 || rep.Counts.Unchanged != 0 {
		t.Fatalf("counts = %+v", rep.Counts)
	}
	if want := []Transition{{engine.Delivered, engine.Rejected, 100}}; !reflect.DeepEqual(rep.Counts.Outcomes, want) {
		t.Errorf("transitions = %+v", rep.Counts.Outcomes)
	}
	for i, d := range rep.Records {
		if d.Seq != i {
			t.Fatalf("record %d has seq %d: not in input order", i, d.Seq)
		}
		if i%3 == 0 {
			if d.Outcome == nil || d.Outcome.Head.Rule != "positive" || !strings.Contains(d.Outcome.Head.Message, "no quantity for") {
				t.Errorf("record %d: %+v", i, d.Outcome)
			}
			continue
		}
		if len(d.Operations) != 1 || len(d.Operations[0].BodyChanges) != 1 {
			t.Fatalf("record %d: %+v", i, d.Operations)
		}
		c := d.Operations[0].BodyChanges[0]
		if c.Path != "$.quantity" || c.Kind != jsondiff.Changed {
			t.Errorf("record %d: body change %+v", i, c)
		}
	}

	// OnRecord: the same records, streamed, none kept.
	var seqs []int
	streamed, err := Run(context.Background(), Side{Plan: bp, Flow: bf}, Side{Plan: hp, Flow: hf},
		Options{Open: open, OnRecord: func(d *RecordDiff) error { seqs = append(seqs, d.Seq); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(streamed.Records) != 0 || len(seqs) != 300 || seqs[299] != 299 || !reflect.DeepEqual(streamed.Counts, rep.Counts) {
		t.Errorf("streamed: %d records kept, %d seen, counts %+v", len(streamed.Records), len(seqs), streamed.Counts)
	}
	// An error from OnRecord stops the diff.
	stop := errors.New("stop")
	if _, err := Run(context.Background(), Side{Plan: bp, Flow: bf}, Side{Plan: hp, Flow: hf},
		Options{Open: open, OnRecord: func(*RecordDiff) error { return stop }}); err != stop {
		t.Errorf("OnRecord error: Run = %v", err)
	}

	// A version against itself: nothing differs.
	rep, err = Run(context.Background(), Side{Plan: hp, Flow: hf}, Side{Plan: hp, Flow: hf}, Options{Open: open})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Differs() || rep.Counts.Unchanged != 300 || len(rep.Records) != 0 {
		t.Errorf("self diff = %+v", rep.Counts)
	}
}

func TestChooseFlow(t *testing.T) {
	two := compile(t, `
flow "a" {
  source "file" {
    path = "x"
  }
  target "stdout" "out" {}
}
flow "b" {
  source "file" {
    path = "x"
  }
  target "stdout" "out" {}
}
`)
	oneA := compile(t, `
flow "a" {
  source "file" {
    path = "x"
  }
  target "stdout" "out" {}
}
`)
	oneC := compile(t, `
flow "c" {
  source "file" {
    path = "x"
  }
  target "stdout" "out" {}
}
`)
	tests := []struct {
		name       string
		base, head *engine.Plan
		flow       string
		want, err  string
	}{
		{"only flows", oneA, oneC, "", "a>c", ""},
		{"one shared", oneA, two, "", "a>a", ""},
		{"named", two, two, "b", "b>b", ""},
		{"several shared", two, two, "", "", "several flows to compare; name one with --flow: a, b"},
		{"none shared", two, oneC, "", "", "share no flow name"},
		{"missing in head", two, oneA, "b", "", `no flow "b" in head (it has: a)`},
		{"missing everywhere", two, oneA, "z", "", `no flow "z" in base or head; flows: a, b`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, h, err := ChooseFlow(tc.base, tc.head, tc.flow)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Name + ">" + h.Name; got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
