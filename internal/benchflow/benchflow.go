// Package benchflow holds the realistic order → transport-job flow and the
// record generator that flowctl's throughput and memory figures are
// measured with (make bench; docs/performance.md).
package benchflow

import (
	"fmt"
	"io"
	"math/rand"
	"strconv"
)

// Flow is the benchmark configuration: 3 validations, a map of 18 fields
// with a nested list, 2 routes, typed schema with decimals and times.
const Flow = `
schema "order" {
  name            = string
  state           = string
  partner         = object({ id = int, name = string, country = string, zip = string, city = string })
  commitment_date = time
  amount_total    = decimal
  currency        = string
  carrier         = string
  weight_kg       = number
  priority        = optional(string)
  note            = optional(string)
  lines           = list(object({ sku = string, name = string, qty = int, weight_kg = number, price = decimal }))
}

flow "order_to_job" {
  key = "record.name"

  source "file" {
    path   = "-"
    schema = schema.order
  }

  validate "confirmed" {
    check   = "record.state == 'sale'"
    message = "'order ' + record.name + ' is not confirmed'"
  }

  validate "has_lines" {
    check = "len(record.lines) > 0"
  }

  validate "positive_total" {
    check = "record.amount_total > dec(0)"
  }

  map "job" {
    ref          = "record.name"
    customer     = "upper(record.partner.name)"
    customer_id  = "record.partner.id"
    country      = "record.partner.country"
    zip          = "record.partner.zip"
    city         = "record.partner.city"
    window_start = "record.commitment_date - duration('2h')"
    window_end   = "record.commitment_date + duration('2h')"
    total        = "record.amount_total"
    currency     = "record.currency"
    carrier      = "upper(record.carrier)"
    weight_kg    = "round_to(record.weight_kg, 1)"
    pallets      = "int(ceil(record.weight_kg / 500))"
    line_count   = "len(record.lines)"
    lines        = "map(record.lines, ({sku: #.sku, qty: #.qty, kg: #.weight_kg}))"
    priority     = "record.priority ?? 'normal'"
    note         = "record.note ?? ''"
    service      = "record.weight_kg > 1000 ? 'ftl' : 'ltl'"
  }

  route {
    when   = "job.priority == 'high'"
    target = target.express
  }

  route {
    target = target.standard
  }

  target "stdout" "express" {
    idempotency_key = "job.ref"
  }

  target "stdout" "standard" {
    idempotency_key = "job.ref"
  }
}
`

var (
	cities    = []string{"Amsterdam", "Rotterdam", "Utrecht", "Antwerpen", "Hamburg", "Lyon"}
	countries = []string{"NL", "NL", "NL", "BE", "DE", "FR"}
	carriers  = []string{"dhl", "ups", "dsv", "postnl"}
)

// Generate writes n order records as NDJSON (~600 bytes each) to w. The
// same seed gives the same bytes.
func Generate(w io.Writer, n int, seed int64) error {
	r := rand.New(rand.NewSource(seed))
	buf := make([]byte, 0, 1024)
	for i := 0; i < n; i++ {
		buf = AppendRecord(buf[:0], r, i)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// AppendRecord appends one NDJSON order line.
func AppendRecord(b []byte, r *rand.Rand, i int) []byte {
	c := r.Intn(len(cities))
	prio := `null`
	if r.Intn(10) == 0 {
		prio = `"high"`
	}
	state := "sale"
	if r.Intn(50) == 0 {
		state = "draft"
	}
	b = append(b, `{"name":"SO`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = fmt.Appendf(b, `","state":"%s","partner":{"id":%d,"name":"Customer %d B.V.","country":"%s","zip":"%04d AB","city":"%s"},`,
		state, 1000+r.Intn(5000), r.Intn(5000), countries[c], 1000+r.Intn(8999), cities[c])
	b = fmt.Appendf(b, `"commitment_date":"2026-12-%02dT%02d:00:00Z","amount_total":"%d.%02d","currency":"EUR","carrier":"%s","weight_kg":%d.%d,"priority":%s,"note":null,"lines":[`,
		1+r.Intn(28), 6+r.Intn(12), 10+r.Intn(5000), r.Intn(100), carriers[r.Intn(len(carriers))], r.Intn(2000), r.Intn(10), prio)
	lines := 1 + r.Intn(3)
	for l := 0; l < lines; l++ {
		if l > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"sku":"SKU-%05d","name":"Pallet item %d","qty":%d,"weight_kg":%d.%d,"price":"%d.%02d"}`,
			r.Intn(100000), r.Intn(1000), 1+r.Intn(20), r.Intn(500), r.Intn(10), 1+r.Intn(900), r.Intn(100))
	}
	return append(b, "]}\n"...)
}
