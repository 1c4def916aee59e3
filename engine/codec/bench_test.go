package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// orderRecord is a realistic order: 15 fields, a nested customer and a
// list of 3 order lines.
func orderRecord(i int) map[string]any {
	lines := make([]any, 3)
	for j := range lines {
		lines[j] = map[string]any{
			"line_no":    json.Number(fmt.Sprint(j + 1)),
			"sku":        fmt.Sprintf("SKU-%05d-%c", (i*7+j)%100000, 'A'+j),
			"qty":        json.Number(fmt.Sprint(1 + (i+j)%12)),
			"unit_price": json.Number(fmt.Sprintf("%d.%02d", 3+(i*j)%250, (i+j)%100)),
			"uom":        "EA",
		}
	}
	return map[string]any{
		"order_id":    fmt.Sprintf("SO-%08d", i),
		"order_date":  "2024-05-06T07:08:09Z",
		"status":      "released",
		"customer":    map[string]any{"id": fmt.Sprintf("C-%05d", i%5000), "name": "Müller Logistik GmbH", "vat": "DE123456789"},
		"ship_to":     "Hafenstraße 12, 20457 Hamburg",
		"carrier":     "DHL",
		"service":     "EXPRESS",
		"weight_kg":   json.Number("12.375"),
		"volume_m3":   json.Number("0.084"),
		"pallets":     json.Number("2"),
		"total":       json.Number(fmt.Sprintf("%d.%02d", 100+i%9000, i%100)),
		"currency":    "EUR",
		"hazmat":      i%17 == 0,
		"note":        nil,
		"lines":       lines,
		"reference":   fmt.Sprintf("PO-%d/%d", 4500000+i, i%3),
		"warehouseId": "WH-HAM-01",
	}
}

func ndjsonOrders(n int) []byte {
	var b bytes.Buffer
	w, _ := NewWriter(&b, "ndjson", WriterOptions{})
	for i := range n {
		w.Write(orderRecord(i))
	}
	w.Close()
	return b.Bytes()
}

// cycle is an endless reader repeating data.
type cycle struct {
	data []byte
	off  int
}

func (c *cycle) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], c.data[c.off:])
		n += k
		c.off = (c.off + k) % len(c.data)
	}
	return n, nil
}

// benchRecords runs a benchmark whose every iteration handles one record
// and reports records per second of wall-clock time and per second of the
// process's CPU time (which a busy machine distorts less).
func benchRecords(b *testing.B, bytesPerRecord int, one func()) {
	b.ReportAllocs()
	if bytesPerRecord > 0 {
		b.SetBytes(int64(bytesPerRecord))
	}
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		one()
		n++
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		b.ReportMetric(float64(n)/(float64(cpu)/1e9), "records/cpu-s")
	}
}

func benchDecode(b *testing.B, format string, data []byte, records int) {
	r, err := NewReader(&cycle{data: data}, format, ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if format == "csv" {
		// The cycle repeats the header: skip those rows.
		benchRecords(b, len(data)/records, func() {
			for {
				rec, ok, err := r.Next()
				if err != nil || !ok {
					b.Fatal(err, ok)
				}
				if rec.Err == nil && rec.Data["order_id"] != "order_id" {
					return
				}
			}
		})
		return
	}
	if format == "json" {
		// An endless array.
		data = bytes.ReplaceAll(data, []byte("}\n"), []byte("},\n"))
		r, _ = NewReader(io.MultiReader(strings.NewReader("["), &cycle{data: data}), format, ReaderOptions{})
	}
	benchRecords(b, len(data)/records, func() {
		rec, ok, err := r.Next()
		if err != nil || !ok || rec.Err != nil {
			b.Fatal(err, ok, rec.Err)
		}
	})
}

func BenchmarkNDJSONDecode(b *testing.B) {
	benchDecode(b, "ndjson", ndjsonOrders(1000), 1000)
}

func BenchmarkJSONArrayDecode(b *testing.B) {
	benchDecode(b, "json", ndjsonOrders(1000), 1000)
}

func BenchmarkCSVDecode(b *testing.B) {
	// The order records flattened to CSV: nested values as JSON cells.
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, "csv", WriterOptions{})
	for i := range 1000 {
		w.Write(orderRecord(i))
	}
	w.Close()
	benchDecode(b, "csv", buf.Bytes(), 1000)
}

func benchEncode(b *testing.B, format string) {
	recs := make([]map[string]any, 1000)
	for i := range recs {
		recs[i] = orderRecord(i)
	}
	var out countWriter
	w, err := NewWriter(&out, format, WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	benchRecords(b, 0, func() {
		if err := w.Write(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		i++
	})
	w.Close()
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

func BenchmarkNDJSONEncode(b *testing.B) { benchEncode(b, "ndjson") }
func BenchmarkCSVEncode(b *testing.B)    { benchEncode(b, "csv") }

// BenchmarkPipeline is decode → a little flow logic → encode, the path the
// ≥200k records/s goal is about.
func BenchmarkPipeline(b *testing.B) {
	data := ndjsonOrders(1000)
	r, _ := NewReader(&cycle{data: data}, "ndjson", ReaderOptions{})
	w, _ := NewWriter(io.Discard, "ndjson", WriterOptions{})
	benchRecords(b, len(data)/1000, func() {
		rec, ok, err := r.Next()
		if err != nil || !ok || rec.Err != nil {
			b.Fatal(err, ok, rec.Err)
		}
		out := map[string]any{
			"id":       rec.Data["order_id"],
			"customer": rec.Data["customer"].(map[string]any)["id"],
			"lines":    rec.Data["lines"],
			"total":    rec.Data["total"],
			"carrier":  strings.ToLower(rec.Data["carrier"].(string)),
		}
		if err := w.Write(out); err != nil {
			b.Fatal(err)
		}
	})
	w.Close()
}

// BenchmarkStdlibNDJSONDecode is the baseline the parser is measured
// against: a json.Decoder with UseNumber per line.
func BenchmarkStdlibNDJSONDecode(b *testing.B) {
	data := ndjsonOrders(1000)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	i := 0
	benchRecords(b, len(data)/1000, func() {
		d := json.NewDecoder(bytes.NewReader(lines[i%len(lines)]))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			b.Fatal(err)
		}
		i++
	})
}

// BenchmarkStdlibNDJSONEncode is the encoding baseline: json.Marshal.
func BenchmarkStdlibNDJSONEncode(b *testing.B) {
	recs := make([]map[string]any, 1000)
	for i := range recs {
		recs[i] = orderRecord(i)
	}
	i := 0
	benchRecords(b, 0, func() {
		if _, err := json.Marshal(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		i++
	})
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestStreamingMemory decodes and re-encodes ~200 MB of NDJSON made on the
// fly and checks that the heap stays small.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB")
	}
	const size = 200 << 20
	const limit = 64 << 20
	// 1000 different order lines, repeated up to 200 MB: the stream is
	// made as it is read, never held.
	lines := ndjsonOrders(1000)
	src := &countReader{r: io.LimitReader(&cycle{data: lines}, int64((size/len(lines)+1)*len(lines)))}
	r, err := NewReader(src, "ndjson", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(io.Discard, "ndjson", WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	var peak uint64
	start := time.Now()
	n := 0
	for {
		rec, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if rec.Err != nil {
			t.Fatal(rec.Err)
		}
		if err := w.Write(rec.Data); err != nil {
			t.Fatal(err)
		}
		n++
		if n%20000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	t.Logf("%d records, %d MB in %v; peak HeapInuse %.1f MB; Sys %.1f MB", n, src.n>>20, time.Since(start).Round(time.Millisecond), float64(peak)/(1<<20), float64(ms.Sys)/(1<<20))
	if src.n < size {
		t.Fatalf("streamed only %d bytes", src.n)
	}
	if peak > limit {
		t.Fatalf("HeapInuse reached %d MB, limit %d MB", peak>>20, limit>>20)
	}
}
