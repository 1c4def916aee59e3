package serve_test

import (
	"context"
	"testing"

	"github.com/flowctl/flowctl/internal/benchflow/serveflow"
)

// BenchmarkServeDurable runs the benchmark flow of make bench
// (internal/benchflow/serveflow: 3 validations, 14 mapped fields, an
// idempotency key, an NDJSON file target) over 20,000 messages under
// engine.Run (no journal) and under serve on embedded JetStream in a fresh
// data directory, and reports both rates, their ratio, CPU per durable
// message and the durable p50/p99 end-to-end latency at full load.
func BenchmarkServeDurable(b *testing.B) {
	const n = 20_000
	ctx := context.Background()
	var runT, durT, cpu float64
	var p50, p99 float64
	for i := 0; i < b.N; i++ {
		run, err := serveflow.Run(ctx, "file", nil, n)
		if err != nil {
			b.Fatal(err)
		}
		dur, err := serveflow.Durable(ctx, serveflow.DurableOptions{Target: "file", N: n})
		if err != nil {
			b.Fatal(err)
		}
		runT += run.Elapsed.Seconds()
		durT += dur.Elapsed.Seconds()
		cpu += dur.CPU.Seconds()
		p50 += dur.Percentile(.5).Seconds()
		p99 += dur.Percentile(.99).Seconds()
	}
	total := float64(n * b.N)
	b.ReportMetric(total/durT, "msgs/s")
	b.ReportMetric(total/runT, "run-msgs/s")
	b.ReportMetric(runT/durT, "ratio")
	b.ReportMetric(cpu/total*1e6, "cpu-µs/msg")
	b.ReportMetric(p50/float64(b.N)*1e3, "p50-ms")
	b.ReportMetric(p99/float64(b.N)*1e3, "p99-ms")
}
