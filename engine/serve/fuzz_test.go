package serve_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

// FuzzJournalRecord: whatever bytes a journal record holds, rebuilding the
// message never panics or loses the bytes: a JSON object becomes the record,
// anything else is an undecodable message that keeps its raw input, and
// running the flow over it gives an outcome with a reason.
func FuzzJournalRecord(f *testing.F) {
	for _, s := range []string{`{"ref":"R1","qty":2}`, `{"ref":"R1","qty":"x"}`, `[1,2]`, `{"ref":`, ``, `null`, `{"ref":"\u0000","qty":1e400}`, `{"a":{"b":[{}]}}`} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte("line 3: not json"), "line 3: invalid character")
	cfg := `
flow "orders" {
  key = "record.ref"
  source "testfeed" {
    name   = "fuzz"
    schema = schema.order
  }
  validate "positive" {
    check = "record.qty > 0"
  }
  target "stdout" "out" {
    idempotency_key = "record.ref"
    body            = "{ref: record.ref, qty: record.qty}"
  }
}
schema "order" {
  ref = string
  qty = number
}
`
	plan := compileF(f, cfg)
	proc := engine.NewProcessor(plan, plan.Flows[0])
	f.Fuzz(func(t *testing.T, data []byte, decodeErr string) {
		e := &durable.Entry{Seq: 7, Flow: "orders", Record: append([]byte(nil), data...), DecodeError: decodeErr}
		m := serve.MessageOf(e)
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // numbers stay exact, as in the journal's own parser
		isObject := decodeErr == "" && dec.Decode(&obj) == nil && obj != nil
		if isObject {
			_, err := dec.Token()
			isObject = err == io.EOF // nothing after the object
		}
		if isObject != (m.Err == nil) {
			t.Fatalf("object %v but message error %v for %q", isObject, m.Err, data)
		}
		if m.Err != nil && !bytes.Equal(m.Raw, data) {
			t.Fatalf("raw input lost: %q became %q", data, m.Raw)
		}
		res := proc.Process(m)
		switch res.Outcome {
		case engine.Delivered:
			if len(res.Ops) != 1 {
				t.Fatalf("delivered with %d operations", len(res.Ops))
			}
		case engine.Rejected:
			if res.Reject == nil || res.Reject.Message == "" {
				t.Fatalf("rejected without a reason: %+v", res)
			}
		case engine.Skipped:
		default:
			t.Fatalf("no outcome for %q", data)
		}
	})
}
