package odoo

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/odootest"
)

// reportRates reports records per second of wall time and CPU time per
// record (client and server together: both run in this process), which
// stays meaningful on a loaded machine.
func reportRates(b *testing.B, records int, cpu time.Duration) {
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(records), "cpu-µs/record")
	}
}

// benchPartners creates n partners, perSecond per write_date second (0:
// all in one second), outside the timer.
func benchPartners(b *testing.B, srv *odootest.Server, clk *clock, n, perSecond int) {
	b.Helper()
	chunk := n
	if perSecond > 0 {
		chunk = perSecond
	}
	for start := 0; start < n; start += chunk {
		vals := make([]any, 0, chunk)
		for i := start; i < min(start+chunk, n); i++ {
			vals = append(vals, map[string]any{"name": fmt.Sprintf("Partner %05d", i), "ref": fmt.Sprintf("R%05d", i),
				"email": fmt.Sprintf("p%d@example.com", i), "city": "Fremont", "is_company": i%10 == 0})
		}
		if _, err := srv.Call("res.partner", "create", []any{vals}, nil); err != nil {
			b.Fatal(err)
		}
		clk.advance(time.Second)
	}
}

// BenchmarkOdooRead reads 10,000 partners through the source (search_read
// pages over loopback HTTP, records normalised into messages) and reports
// records per second. "spread" has 10 changes per write_date second (the
// write_date-ordered path), "bulk" all in one second (read in id order),
// "id" uses cursor = "id".
func BenchmarkOdooRead(b *testing.B) {
	const total = 10000
	for _, proto := range protocols {
		for _, page := range []int{200, 1000} {
			for _, shape := range []struct {
				name      string
				perSecond int
				cursor    string
			}{{"spread", 10, "write_date"}, {"bulk", 0, "write_date"}, {"id", 10, "id"}} {
				b.Run(fmt.Sprintf("%s/page=%d/%s", proto, page, shape.name), func(b *testing.B) {
					srv, clk := newServer(b)
					benchPartners(b, srv, clk, total, shape.perSecond)
					plan := compile(b, sourceFlow(srv, proto, fmt.Sprintf(`
    model     = "res.partner"
    fields    = ["name", "ref", "email", "city", "is_company", "parent_id"]
    cursor    = %q
    page_size = %d`, shape.cursor, page), "unused"), goodKey)
					before := calls(srv, "res.partner", "search_read")
					b.ResetTimer()
					cpu := processCPU()
					for b.Loop() {
						r, err := OpenReader(plan.Flows[0].Source, &engine.RunContext{}, nil)
						if err != nil {
							b.Fatal(err)
						}
						n := 0
						for {
							m, ok, err := r.Next()
							if err != nil {
								b.Fatal(err)
							}
							if !ok {
								break
							}
							m.Receipt.Ack(context.Background())
							n++
						}
						r.Close()
						if n != total {
							b.Fatalf("read %d records", n)
						}
					}
					reportRates(b, total*b.N, processCPU()-cpu)
					b.ReportMetric(float64(calls(srv, "res.partner", "search_read")-before)/float64(b.N), "calls/read")
				})
			}
		}
	}
}

// BenchmarkOdooCreate creates partners through the target: one engine
// operation per record (one create call each, what a flow does today),
// 100 operations through WriteBatch (batch_size 50), and one operation
// whose body is a list of 100 records sent in create calls of batch_size.
func BenchmarkOdooCreate(b *testing.B) {
	const per = 100
	vals := make([]any, per)
	for i := range vals {
		vals[i] = map[string]any{"name": fmt.Sprintf("Batch %d", i), "ref": fmt.Sprintf("B%d", i), "city": "Oakland"}
	}
	for _, proto := range protocols {
		b.Run(proto+"/per-record", func(b *testing.B) {
			srv, _ := newServer(b)
			tg := openTestTarget(b, srv, proto, `model = "res.partner"
    idempotency_key = "'x'"`)
			b.ResetTimer()
			cpu := processCPU()
			for b.Loop() {
				for _, v := range vals {
					if err := tg.Write(context.Background(), &engine.Operation{Body: v}); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRates(b, per*b.N, processCPU()-cpu)
		})
		b.Run(proto+"/write-batch=50", func(b *testing.B) {
			srv, _ := newServer(b)
			tg := openTestTarget(b, srv, proto, `model = "res.partner"
    batch_size = 50
    idempotency_key = "'x'"`)
			ops := make([]*engine.Operation, per)
			for i, v := range vals {
				ops[i] = &engine.Operation{Body: v}
			}
			b.ResetTimer()
			cpu := processCPU()
			for b.Loop() {
				for _, err := range tg.WriteBatch(context.Background(), ops) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRates(b, per*b.N, processCPU()-cpu)
		})
		for _, batch := range []int{10, 50, 100} {
			b.Run(fmt.Sprintf("%s/batch=%d", proto, batch), func(b *testing.B) {
				srv, _ := newServer(b)
				tg := openTestTarget(b, srv, proto, fmt.Sprintf(`model = "res.partner"
    batch_size = %d
    idempotency_key = "'x'"`, batch))
				b.ResetTimer()
				cpu := processCPU()
				for b.Loop() {
					if err := tg.Write(context.Background(), &engine.Operation{Body: vals}); err != nil {
						b.Fatal(err)
					}
				}
				reportRates(b, per*b.N, processCPU()-cpu)
			})
		}
	}
}

// BenchmarkOdooUpsert measures the extra calls of idempotent writes: an
// upsert by unique field (search, then create or write) and by external id
// (search_read of ir.model.data, then write; create + ir.model.data create
// the first time), after the first round (every record exists).
func BenchmarkOdooUpsert(b *testing.B) {
	const per = 100
	for _, mode := range []string{`unique_field = "ref"`, `external_id = "'flowctl.p_' + record.ref"`} {
		b.Run(strings.Fields(mode)[0], func(b *testing.B) {
			srv, _ := newServer(b)
			tg := openTestTarget(b, srv, protoJSONRPC, `model = "res.partner"
    operation = "upsert"
    `+mode)
			ops := make([]*engine.Operation, per)
			for i := range ops {
				ref := fmt.Sprintf("U%d", i)
				ops[i] = &engine.Operation{Body: map[string]any{"name": "Upsert " + ref, "ref": ref},
					Fields: map[string]any{"external_id": "flowctl.p_" + ref}}
			}
			for _, op := range ops { // first round: creates
				if err := tg.Write(context.Background(), op); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			cpu := processCPU()
			for b.Loop() {
				for _, op := range ops {
					if err := tg.Write(context.Background(), op); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRates(b, per*b.N, processCPU()-cpu)
		})
	}
}
