package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// sliceReader feeds records from memory.
type sliceReader struct {
	recs []map[string]any
	errs map[int]error // index → decode error
	i    int
}

func (s *sliceReader) Next() (*engine.Message, bool, error) {
	if s.i >= len(s.recs) {
		return nil, false, nil
	}
	m := &engine.Message{Line: s.i + 1, Record: s.recs[s.i], Source: "mem"}
	if err := s.errs[s.i]; err != nil {
		m.Record, m.Err, m.Raw = nil, err, []byte("{bad")
	}
	s.i++
	return m, true, nil
}
func (s *sliceReader) Close() error { return nil }

func records(t *testing.T, ndjson string) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(strings.NewReader(ndjson))
	dec.UseNumber()
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

const runFlow = `
schema "order" {
  name   = string
  total  = decimal
  placed = time
  qty    = int
  lines  = list(object({ sku = string, kg = number }))
  note   = optional(string)
}

flow "orders" {
  key = "record.name"
  source "file" {
    path   = "orders.ndjson"
    schema = schema.order
  }
  validate "has_lines" {
    check   = "len(record.lines) > 0"
    message = "'order ' + record.name + ' has no lines'"
  }
  validate "not_test" {
    check   = "record.name != 'TEST'"
    on_fail = "skip"
  }
  validate "light" {
    check   = "sum(record.lines, .kg) < 100"
    message = "'heavy order'"
    on_fail = "warn"
  }
  map "job" {
    ref      = "record.name"
    total    = "record.total * 2"
    per_unit = "record.qty % (record.qty - 3)"
    day      = "record.placed.Format('2006-01-02')"
    note     = "record.note ?? ''"
  }
  split "line" {
    each = "record.lines"
  }
  route {
    when   = "line.kg > 10"
    target = target.heavy
  }
  route {
    target = target.normal
  }
  target "stdout" "heavy" {
    body            = "{ref: job.ref, sku: line.sku, total: job.total}"
    idempotency_key = "job.ref + '/' + line.sku"
  }
  target "stdout" "normal" {
    body            = "{ref: job.ref, sku: line.sku}"
    idempotency_key = "job.ref + '/' + line.sku"
  }
}
`

func TestRunOutcomes(t *testing.T) {
	plan, diags := compileSrc(t, runFlow, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in := &sliceReader{recs: records(t, `
{"name":"SO1","total":"0.10","placed":"2026-11-30T10:00:00Z","qty":1,"lines":[{"sku":"A","kg":5},{"sku":"B","kg":20}]}
{"name":"SO2","total":0.2,"placed":"2026-11-30 08:00:00","qty":2,"lines":[]}
{"name":"TEST","total":1,"placed":"2026-11-30","qty":1,"lines":[{"sku":"A","kg":1}]}
{"name":"SO4","total":1,"placed":"2026-11-30","qty":3,"lines":[{"sku":"A","kg":1}]}
{"name":"SO5","total":1,"placed":"yesterday","qty":1,"lines":[{"sku":"A","kg":1}]}
{}
{"name":"SO7","total":"19.99","placed":"2026-11-30","qty":4,"lines":[{"sku":"C","kg":60},{"sku":"D","kg":60}],"extra":{"x":1}}
`), errs: map[int]error{5: errors.New("invalid character 'b'")}}
	var results []engine.Result
	var rejects bytes.Buffer
	sum, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{
		DryRun: true, Input: in, Workers: 3, Rejects: &rejects,
		OnResult: func(r *engine.Result) error { results = append(results, *r); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 7 || sum.Delivered != 2 || sum.Rejected != 4 || sum.Skipped != 1 || sum.Warnings != 1 {
		t.Errorf("summary = %+v", sum)
	}
	if sum.Targets["heavy"] != 3 || sum.Targets["normal"] != 1 {
		t.Errorf("targets = %v", sum.Targets)
	}
	want := []struct {
		outcome engine.Outcome
		rule    string
		text    string
	}{
		{engine.Delivered, "", ""},
		{engine.Rejected, "has_lines", "line 2: order SO2 has no lines"},
		{engine.Skipped, "", "validate not_test"},
		{engine.Rejected, "job", "per_unit: runtime error: integer divide by zero"},
		{engine.Rejected, "schema", `line 5: record.placed: expected time, got string "yesterday"`},
		{engine.Rejected, "decode", "line 6: invalid character"},
		{engine.Delivered, "", ""},
	}
	for i, w := range want {
		r := results[i]
		if r.Seq != i || r.Outcome != w.outcome {
			t.Errorf("result %d: seq %d outcome %s, want %s (%+v)", i, r.Seq, r.Outcome, w.outcome, r.Reject)
			continue
		}
		switch w.outcome {
		case engine.Rejected:
			if r.Reject.Rule != w.rule && !strings.Contains(r.Reject.Rule, w.rule) || !strings.Contains(r.Reject.Message, w.text) {
				t.Errorf("result %d: reject %+v, want rule %s text %q", i, r.Reject, w.rule, w.text)
			}
		case engine.Skipped:
			if !strings.Contains(r.SkipWhy, w.text) {
				t.Errorf("result %d: skip %q", i, r.SkipWhy)
			}
		}
	}
	// The runtime error points at the division inside the map field.
	if loc := results[3].Reject.Location; loc != "t.hcl:33:28" {
		t.Errorf("division error location = %q, want t.hcl:33:28, the modulo operator", loc)
	}
	// Exact decimal arithmetic, typed times, split fan-out with routes.
	ops := results[0].Ops
	if len(ops) != 2 || ops[0].Target != "normal" || ops[1].Target != "heavy" || ops[1].Key != "SO1/B" {
		t.Fatalf("SO1 ops = %+v", ops)
	}
	body, _ := json.Marshal(ops[1].Body)
	if string(body) != `{"ref":"SO1","sku":"B","total":0.20}` {
		t.Errorf("heavy body = %s", body)
	}
	if len(results[6].Warnings) != 1 || results[6].Warnings[0].Message != "heavy order" {
		t.Errorf("warnings = %+v", results[6].Warnings)
	}
	// Every rejected message is in the rejects output with its reason.
	lines := strings.Split(strings.TrimSpace(rejects.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("rejects:\n%s", rejects.String())
	}
	var rr engine.RejectRecord
	json.Unmarshal([]byte(lines[3]), &rr)
	if rr.Rule != "decode" || rr.Raw != "{bad" || rr.Line != 6 {
		t.Errorf("decode reject = %+v", rr)
	}
	json.Unmarshal([]byte(lines[0]), &rr)
	if rr.Rule != "has_lines" || rr.Record["name"] != "SO2" || rr.Key != "SO2" {
		t.Errorf("rule reject = %+v", rr)
	}
}

// TestRunOrderAndWorkers checks that results come in input order whatever
// the number of workers, and that many records flow through.
func TestRunOrderAndWorkers(t *testing.T) {
	plan, diags := compileSrc(t, `
flow "f" {
  key = "record.id"
  source "file" { path = "x" }
  map "o" {
    id  = "record.id"
    sq  = "record.id * record.id"
  }
  target "stdout" "out" { idempotency_key = "string(o.id)" }
}`, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, workers := range []int{1, 2, 7} {
		var recs []map[string]any
		for i := 0; i < 5000; i++ {
			recs = append(recs, map[string]any{"id": json.Number(fmt.Sprint(i))})
		}
		next := 0
		sum, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{
			DryRun: true, Workers: workers, Input: &sliceReader{recs: recs},
			OnResult: func(r *engine.Result) error {
				if r.Seq != next || r.Ops[0].Key != fmt.Sprint(next) {
					return fmt.Errorf("got seq %d key %s, want %d", r.Seq, r.Ops[0].Key, next)
				}
				next++
				return nil
			},
		})
		if err != nil {
			t.Fatalf("workers=%d: %v", workers, err)
		}
		if sum.Delivered != 5000 {
			t.Errorf("workers=%d: %+v", workers, sum)
		}
	}
}

// TestPinnedClock checks that RunOptions.Now pins now() and
// meta.received_at, so runs are reproducible.
func TestPinnedClock(t *testing.T) {
	plan, diags := compileSrc(t, `
flow "f" {
  source "file" { path = "x" }
  map "o" {
    at   = "now().Format('2006-01-02T15:04')"
    seen = "meta.received_at.Year()"
  }
  target "stdout" "out" {}
}`, engine.Options{Mode: engine.ModeRun})
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	fixed := time.Date(2030, 5, 6, 7, 8, 0, 0, time.UTC)
	var body map[string]any
	_, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{
		DryRun: true, Input: &sliceReader{recs: []map[string]any{{}}}, Now: func() time.Time { return fixed },
		OnResult: func(r *engine.Result) error { body = r.Ops[0].Body.(map[string]any); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if body["at"] != "2030-05-06T07:08" || body["seen"] != 2030 {
		t.Errorf("body = %v", body)
	}
	if plan.Clock.Now().Year() == 2030 {
		t.Error("clock still pinned after the run")
	}
}

type countingReceipt struct {
	acks *[]int
	seq  int
}

func (c countingReceipt) Ack(context.Context) error         { *c.acks = append(*c.acks, c.seq); return nil }
func (c countingReceipt) Nack(context.Context, error) error { return errors.New("unexpected nack") }

type receiptReader struct {
	sliceReader
	acks *[]int
}

func (r *receiptReader) Next() (*engine.Message, bool, error) {
	m, ok, err := r.sliceReader.Next()
	if m != nil {
		m.Receipt = countingReceipt{acks: r.acks, seq: r.i - 1}
	}
	return m, ok, err
}

// TestReceiptsAcked checks that every message whose outcome is final —
// delivered, skipped or rejected and kept — is acknowledged to its source,
// in input order, after it was handled.
func TestReceiptsAcked(t *testing.T) {
	plan, diags := compileSrc(t, `
flow "f" {
  source "file" { path = "x" }
  validate "v" { check = "record.ok == true" }
  target "stdout" "out" {}
}`, engine.Options{Mode: engine.ModeRun})
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	var acks []int
	recs := []map[string]any{{"ok": true}, {"ok": false}, {"ok": true}}
	in := &receiptReader{sliceReader: sliceReader{recs: recs}, acks: &acks}
	_, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{DryRun: true, Input: in, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(acks) != "[0 1 2]" {
		t.Errorf("acks = %v, want [0 1 2]", acks)
	}
}

// TestOperationFields checks that a target's per-record expression
// settings reach the operation evaluated.
func TestOperationFields(t *testing.T) {
	plan, diags := compileSrc(t, `
connection "sftp" "p" {
  host     = "127.0.0.1"
  username = "u"
  password = "x"
  host_key = "SHA256:abc"
}
flow "f" {
  source "file" { path = "x" }
  target "sftp" "asn" {
    connection = connection.sftp.p
    dir        = "/in"
    filename   = "'ASN_' + record.id + '.edi'"
  }
}`, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var op engine.Operation
	_, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{
		DryRun: true, Input: &sliceReader{recs: []map[string]any{{"id": "7"}}},
		OnResult: func(r *engine.Result) error { op = r.Ops[0]; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if op.Fields["filename"] != "ASN_7.edi" {
		t.Errorf("fields = %v", op.Fields)
	}
}
