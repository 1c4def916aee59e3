package odootest

import (
	"fmt"
	"testing"
	"time"
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

// seedPartners creates n partners in one batch (outside the timer).
func seedPartners(b *testing.B, s *Server, n int) {
	b.Helper()
	vals := make([]any, n)
	for i := range vals {
		vals[i] = m{"name": fmt.Sprintf("Partner %05d", i), "ref": fmt.Sprintf("R%05d", i),
			"email": fmt.Sprintf("p%d@example.com", i), "city": "Fremont", "is_company": i%10 == 0}
	}
	if _, err := s.Call("res.partner", "create", l{vals}, nil); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSearchRead pages through 10,000 partners over HTTP on loopback,
// as a polling source does (order "write_date asc, id asc", offset paging),
// and reports records per second.
func BenchmarkSearchRead(b *testing.B) {
	const total = 10000
	for _, page := range []int{200, 1000} {
		for _, proto := range []string{"jsonrpc", "json2"} {
			b.Run(fmt.Sprintf("%s/page=%d", proto, page), func(b *testing.B) {
				f := newFixture(b, Options{})
				seedPartners(b, f.s, total)
				fields := l{"name", "ref", "email", "city", "parent_id", "write_date"}
				b.ResetTimer()
				cpu := processCPU()
				for i := 0; i < b.N; i++ {
					read := 0
					for offset := 0; ; offset += page {
						var n int
						if proto == "jsonrpc" {
							res, rpcErr, err := rawKW(f.url, "res.partner", "search_read", l{l{}},
								m{"fields": fields, "order": "write_date asc, id asc", "offset": offset, "limit": page})
							if err != nil || rpcErr != "" {
								b.Fatal(err, rpcErr)
							}
							n = len(res.([]any))
						} else {
							body := js(m{"domain": l{}, "fields": fields, "order": "write_date asc, id asc", "offset": offset, "limit": page})
							status, _, out, err := rawPost(f.url+"/json/2/res.partner/search_read", "application/json", bearer, []byte(body))
							if err != nil || status != 200 {
								b.Fatal(err, status)
							}
							v, _ := decodeJSON(out)
							n = len(v.([]any))
						}
						read += n
						if n < page {
							break
						}
					}
					if read != total+4 { // + the demo partners
						b.Fatalf("read %d records", read)
					}
				}
				reportRates(b, total*b.N, processCPU()-cpu)
			})
		}
	}
}

// BenchmarkCreateBatch creates 100 partners per iteration over JSON-RPC:
// in one create call with a list, or one call per record.
func BenchmarkCreateBatch(b *testing.B) {
	const per = 100
	vals := make([]any, per)
	for i := range vals {
		vals[i] = m{"name": fmt.Sprintf("Batch %d", i), "ref": fmt.Sprintf("B%d", i), "city": "Oakland"}
	}
	b.Run("batch=100", func(b *testing.B) {
		f := newFixture(b, Options{})
		b.ResetTimer()
		cpu := processCPU()
		for i := 0; i < b.N; i++ {
			res, rpcErr, err := rawKW(f.url, "res.partner", "create", l{vals}, nil)
			if err != nil || rpcErr != "" || len(res.([]any)) != per {
				b.Fatal(err, rpcErr)
			}
		}
		reportRates(b, per*b.N, processCPU()-cpu)
	})
	b.Run("one-per-call", func(b *testing.B) {
		f := newFixture(b, Options{})
		b.ResetTimer()
		cpu := processCPU()
		for i := 0; i < b.N; i++ {
			for _, v := range vals {
				if _, rpcErr, err := rawKW(f.url, "res.partner", "create", l{v}, nil); err != nil || rpcErr != "" {
					b.Fatal(err, rpcErr)
				}
			}
		}
		reportRates(b, per*b.N, processCPU()-cpu)
	})
}
