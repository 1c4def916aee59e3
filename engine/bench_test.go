package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
)

// genFlowFile writes a realistic flow file: a schema, an Odoo connection,
// validations, a map of a dozen fields, routes and two targets.
func genFlowFile(i int) string {
	return fmt.Sprintf(`
schema "order_%[1]d" {
  name     = string
  customer = string
  total    = number
  placed   = time
  lines    = list(object({ sku = string, qty = int, weight = number }))
  notes    = optional(string)
}

connection "http" "tms_%[1]d" {
  base_url = env("TMS_URL", "http://127.0.0.1:9102")
  bearer   = secret("TMS_TOKEN")
}

flow "orders_%[1]d" {
  key = "record.name"
  source "file" {
    path   = "orders_%[1]d.ndjson"
    schema = schema.order_%[1]d
  }
  validate "has_lines" {
    check   = "len(record.lines) > 0"
    message = "'order ' + record.name + ' has no lines'"
  }
  validate "positive" { check = "record.total > 0" }
  validate "qty" { check = "all(record.lines, .qty > 0)" }
  map "job" {
    ref      = "record.name"
    customer = "upper(trim(record.customer))"
    total    = "record.total * 1.21"
    placed   = "record.placed"
    due      = "record.placed + duration('48h')"
    weight   = "sum(record.lines, .weight)"
    count    = "len(record.lines)"
    skus     = "map(record.lines, .sku)"
    heavy    = "any(record.lines, .weight > 30)"
    note     = "record.notes ?? ''"
    priority = "record.total > 1000 ? 'high' : 'normal'"
    source   = "meta.source"
  }
  route {
    when   = "job.priority == 'high'"
    target = target.express
  }
  route { target = target.standard }
  target "http" "express" {
    connection      = connection.http.tms_%[1]d
    path            = "/v1/express"
    idempotency_key = "job.ref"
  }
  target "http" "standard" {
    connection      = connection.http.tms_%[1]d
    path            = "/v1/jobs"
    idempotency_key = "job.ref"
  }
}
`, i)
}

// BenchmarkLint500Files lints 500 generated flow files (50 configurations
// of 10 files) end to end: discovery, parsing, static evaluation and expr
// compilation. It reports files/s.
func BenchmarkLint500Files(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 500; i++ {
		d := filepath.Join(dir, fmt.Sprintf("cfg%02d", i/10))
		os.MkdirAll(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%03d.hcl", i)), []byte(genFlowFile(i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		units, err := dsl.Discover([]string{dir})
		if err != nil {
			b.Fatal(err)
		}
		files := 0
		for _, u := range units {
			_, _, diags := engine.LoadAndCompile(u.Files, engine.Options{Mode: engine.ModeLint})
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			files += len(u.Files)
		}
		if files != 500 {
			b.Fatalf("linted %d files", files)
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "files/s")
}
