package benchflow_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/flowctl/flowctl/connectors/file"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/codec"
	"github.com/flowctl/flowctl/internal/benchflow"

	_ "github.com/flowctl/flowctl/connectors/all"
)

const records = 200_000

var input []byte

func generated(b *testing.B) []byte {
	if input == nil {
		var buf bytes.Buffer
		if err := benchflow.Generate(&buf, records, 1); err != nil {
			b.Fatal(err)
		}
		input = buf.Bytes()
	}
	return input
}

func compile(tb testing.TB) *engine.Plan {
	cfg, diags := dsl.Load([]string{"bench.hcl"}, map[string][]byte{"bench.hcl": []byte(benchflow.Flow)})
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	return plan
}

// floor decodes and re-encodes every record with the same codec (and JSON
// library) and no flow logic: the most a flow run could do.
func floor(b *testing.B, data []byte) time.Duration {
	start := time.Now()
	r, err := codec.NewReader(bytes.NewReader(data), "ndjson", codec.ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	w, _ := codec.NewWriter(io.Discard, "ndjson", codec.WriterOptions{})
	n := 0
	for {
		rec, ok, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			break
		}
		if err := w.Write(rec.Data); err != nil {
			b.Fatal(err)
		}
		n++
	}
	w.Close()
	if n != records {
		b.Fatalf("floor read %d records", n)
	}
	return time.Since(start)
}

func runFlow(b *testing.B, plan *engine.Plan, data []byte) time.Duration {
	start := time.Now()
	rc := &engine.RunContext{Stdin: bytes.NewReader(data), Stdout: io.Discard}
	in, err := file.OpenInput("-", "ndjson", "", rc)
	if err != nil {
		b.Fatal(err)
	}
	sum, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{Input: in, Context: rc})
	if err != nil {
		b.Fatal(err)
	}
	if sum.Records != records || sum.Delivered+sum.Rejected != records || sum.Delivered < records*9/10 {
		b.Fatalf("summary %+v", sum)
	}
	return time.Since(start)
}

// BenchmarkOrderToJob runs the realistic order → transport-job flow over
// 200k generated NDJSON records, decoding, validating, mapping, routing and
// encoding to two targets, and reports records/s and the ratio to the
// floor measured in the same run. Run with -cpu 1 for the one-core figure.
func BenchmarkOrderToJob(b *testing.B) {
	data := generated(b)
	plan := compile(b)
	var flowT, floorT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		floorT += floor(b, data)
		flowT += runFlow(b, plan, data)
	}
	flowRate := float64(records*b.N) / flowT.Seconds()
	floorRate := float64(records*b.N) / floorT.Seconds()
	b.ReportMetric(flowRate, "records/s")
	b.ReportMetric(floorRate, "floor-records/s")
	b.ReportMetric(flowRate/floorRate, "ratio")
}

// TestFlowOverGeneratedRecords keeps the benchmark honest: the flow
// compiles without diagnostics and the generated records go where expected.
func TestFlowOverGeneratedRecords(t *testing.T) {
	cfg, diags := dsl.Load([]string{"bench.hcl"}, map[string][]byte{"bench.hcl": []byte(benchflow.Flow)})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	var buf bytes.Buffer
	benchflow.Generate(&buf, 2000, 7)
	rc := &engine.RunContext{Stdin: &buf, Stdout: io.Discard}
	in, err := file.OpenInput("-", "ndjson", "", rc)
	if err != nil {
		t.Fatal(err)
	}
	var job map[string]any
	sum, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{DryRun: true, Input: in,
		OnResult: func(r *engine.Result) error {
			if r.Seq == 0 && r.Outcome == engine.Delivered {
				job = r.Ops[0].Body.(map[string]any)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 2000 || sum.Skipped != 0 || sum.Rejected == 0 || sum.Rejected > 100 {
		t.Errorf("summary %+v: want ~2%% rejected drafts, none skipped", sum)
	}
	if sum.Targets["express"] == 0 || sum.Targets["standard"] < sum.Targets["express"] {
		t.Errorf("routes: %v", sum.Targets)
	}
	if len(job) != 18 {
		t.Errorf("job has %d fields, want 18: %v", len(job), job)
	}
}
