package odoo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/odootest"
)

// seedPartners creates n partners named P001..., advancing the clock one
// second every perSecond creates (0: never), and returns their ids.
func seedPartners(srv *odootest.Server, clk *clock, n, perSecond int) []int {
	ids := make([]int, n)
	for i := range n {
		if perSecond > 0 && i > 0 && i%perSecond == 0 {
			clk.advance(time.Second)
		}
		ids[i] = srv.MustCreate("res.partner", map[string]any{"name": fmt.Sprintf("P%03d", i+1), "ref": fmt.Sprintf("R%d", i+1)})
	}
	return ids
}

func idsOf(t testing.TB, msgs []*engine.Message) []int {
	t.Helper()
	out := make([]int, len(msgs))
	for i, m := range msgs {
		id, ok := toID(m.Record["id"])
		if !ok {
			t.Fatalf("message %d has no id: %v", i, m.Record)
		}
		out[i] = id
	}
	return out
}

// TestSourcePaging reads more records than a page over each protocol and
// cursor, with several records per write_date second (a second is never
// cut between pages), and checks order, completeness and the calls.
func TestSourcePaging(t *testing.T) {
	for _, proto := range protocols {
		for _, tc := range []struct {
			cursor    string
			perSecond int // records per write_date second
			calls     int // search_read calls for 47 records, pages of 10
		}{
			// Pages of 10 hand on 9 records: the last second starts the
			// next page; the last page is short.
			{"write_date", 3, 6},
			// Seconds larger than a page are read in id order: per second
			// one write_date page, then 10+10+5 and 10+10+2; then the
			// empty page that ends the read.
			{"write_date", 25, 9},
			{"write_date", 0, 7}, // everything in one second
			{"id", 3, 5},
		} {
			t.Run(fmt.Sprintf("%s/%s/%d", proto, tc.cursor, tc.perSecond), func(t *testing.T) {
				srv, clk := newServer(t)
				want := seedPartners(srv, clk, 47, tc.perSecond)
				r := openTestReader(t, srv, proto, fmt.Sprintf(`
    model     = "res.partner"
    fields    = ["name", "ref"]
    cursor    = %q
    page_size = 10`, tc.cursor), nil)
				msgs := readAll(t, r, true)
				if got := idsOf(t, msgs); !reflect.DeepEqual(got, want) {
					t.Fatalf("ids = %v\nwant  %v", got, want)
				}
				for _, m := range msgs {
					if len(m.Record) != 3 || m.Record["name"] == nil || m.Record["ref"] == nil {
						t.Fatalf("record = %v, want id, name and ref only", m.Record)
					}
				}
				pos, ok := r.Position()
				if !ok {
					t.Fatal("no position after every ack")
				}
				last := read(t, srv, "res.partner", want[len(want)-1], "write_date")
				wantPos := Cursor{WriteDate: last["write_date"].(string), ID: want[len(want)-1]}
				if tc.cursor == "id" {
					wantPos = Cursor{ID: want[len(want)-1]}
				}
				if pos != wantPos {
					t.Errorf("position = %v, want %v", pos, wantPos)
				}
				if n := calls(srv, "res.partner", "search_read"); n != tc.calls {
					t.Errorf("%d search_read calls, want %d", n, tc.calls)
				}
			})
		}
	}
}

// TestSourceResume resumes from the position after every acknowledged
// record: nothing after it is lost, and only records of the position's
// second can come again. A nack holds the position.
func TestSourceResume(t *testing.T) {
	for _, tc := range []struct {
		cursor          string
		perSecond, page int
	}{
		{"write_date", 4, 7},
		{"write_date", 9, 4}, // seconds larger than a page
		{"id", 4, 7},
	} {
		t.Run(fmt.Sprintf("%s/%d/%d", tc.cursor, tc.perSecond, tc.page), func(t *testing.T) {
			srv, clk := newServer(t)
			want := seedPartners(srv, clk, 30, tc.perSecond)
			settings := fmt.Sprintf(`
    model     = "res.partner"
    fields    = ["name"]
    cursor    = %q
    page_size = %d`, tc.cursor, tc.page)
			r := openTestReader(t, srv, protoJSONRPC, settings, nil)
			msgs := readAll(t, r, false)
			if got := idsOf(t, msgs); !reflect.DeepEqual(got, want) {
				t.Fatalf("ids = %v, want %v", got, want)
			}
			var positions []Cursor
			for _, m := range msgs {
				m.Receipt.Ack(context.Background())
				pos, ok := r.Position()
				if !ok {
					t.Fatal("no position after an ack")
				}
				positions = append(positions, pos)
			}
			for k, pos := range positions {
				r2 := openTestReader(t, srv, protoJSONRPC, settings, &pos)
				got := idsOf(t, readAll(t, r2, false))
				seen := map[int]bool{}
				for _, id := range got {
					seen[id] = true
				}
				for _, id := range want[k+1:] {
					if !seen[id] {
						t.Fatalf("resuming from %v (after record %d): record %d lost; got %v", pos, k+1, id, got)
					}
				}
				again := len(got) - len(want[k+1:])
				if again < 0 || again > tc.perSecond || (tc.cursor == "id" && again != 0) {
					t.Fatalf("resuming from %v (after record %d): %d records again: %v", pos, k+1, again, got)
				}
			}

			// A nacked message holds the position; later acks do not move it.
			r3 := openTestReader(t, srv, protoJSONRPC, settings, nil)
			msgs = readAll(t, r3, false)
			for _, m := range msgs[:5] {
				m.Receipt.Ack(context.Background())
			}
			msgs[5].Receipt.Nack(context.Background(), fmt.Errorf("target down"))
			msgs[6].Receipt.Ack(context.Background())
			if pos, _ := r3.Position(); pos != positions[4] {
				t.Errorf("position after a nack = %v, want %v", pos, positions[4])
			}
			msgs[5].Receipt.Ack(context.Background())
			if pos, _ := r3.Position(); pos != positions[6] {
				t.Errorf("position once the nacked message is acked = %v, want %v", pos, positions[6])
			}
		})
	}
}

// TestSourceResumeSeesChanges: a record changed after a poll read it
// comes again in the next poll, with its new values.
func TestSourceResumeSeesChanges(t *testing.T) {
	srv, clk := newServer(t)
	want := seedPartners(srv, clk, 10, 2)
	settings := "model = \"res.partner\"\n    fields = [\"name\"]"
	r := openTestReader(t, srv, protoJSON2, settings, nil)
	readAll(t, r, true)
	pos, _ := r.Position()
	clk.advance(time.Second)
	srv.Write("res.partner", []int{want[3]}, map[string]any{"name": "changed"})
	created := srv.MustCreate("res.partner", map[string]any{"name": "new"})
	got := readAll(t, openTestReader(t, srv, protoJSON2, settings, &pos), true)
	if ids := idsOf(t, got); !reflect.DeepEqual(ids, []int{want[3], created}) || got[0].Record["name"] != "changed" {
		t.Errorf("second poll from %v: %v", pos, got)
	}
	// A dry run does not move the position.
	plan := compile(t, sourceFlow(srv, protoJSON2, settings, "unused"), goodKey)
	dry, err := OpenReader(plan.Flows[0].Source, &engine.RunContext{DryRun: true}, &pos)
	if err != nil {
		t.Fatal(err)
	}
	defer dry.Close()
	readAll(t, dry, true)
	if p, _ := dry.Position(); p != pos {
		t.Errorf("dry run moved the position to %v", p)
	}
}

// TestSourceConcurrentWrites changes records while a run reads: cursor
// paging neither skips nor repeats records because of it (offset paging
// would), and a changed record comes again with its new values.
func TestSourceConcurrentWrites(t *testing.T) {
	srv, clk := newServer(t)
	want := seedPartners(srv, clk, 30, 2)
	clk.advance(time.Minute)
	r := openTestReader(t, srv, protoJSON2, `
    model     = "res.partner"
    fields    = ["name"]
    page_size = 5`, nil)
	var got []int
	names := map[int]string{}
	for i := 0; ; i++ {
		m, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		id, _ := toID(m.Record["id"])
		got = append(got, id)
		names[id] = m.Record["name"].(string)
		if i == 7 {
			// Change one record already read and one not read yet, and
			// create one.
			srv.Write("res.partner", []int{want[2], want[20]}, map[string]any{"name": "moved"})
			want = append(want, srv.MustCreate("res.partner", map[string]any{"name": "new"}))
		}
	}
	count := map[int]int{}
	for _, id := range got {
		count[id]++
	}
	for _, id := range want {
		wantN := 1
		if id == want[2] {
			wantN = 2 // before and after its change
		}
		if count[id] != wantN {
			t.Errorf("record %d delivered %d times, want %d (order %v)", id, count[id], wantN, got)
		}
	}
	if names[want[20]] != "moved" || names[want[2]] != "moved" {
		t.Errorf("changed records delivered as %q and %q", names[want[2]], names[want[20]])
	}
}

// TestSourceNormalisation checks the shapes records arrive in: many2one as
// [id, name], false for an empty field as null (a boolean's false stays),
// dates as Odoo's strings, x2many as id lists.
func TestSourceNormalisation(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			demo, err := srv.SeedDemo()
			if err != nil {
				t.Fatal(err)
			}
			r := openTestReader(t, srv, proto, `
    model  = "sale.order"
    fields = ["name", "partner_id", "carrier_id", "client_order_ref", "origin", "note", "date_order", "commitment_date", "order_line", "amount_total", "state"]`, nil)
			msgs := readAll(t, r, true)
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			rec := msgs[0].Record
			if pid := rec["partner_id"].([]any); len(pid) != 2 || pid[1] != "Azure Interior" || fmt.Sprint(pid[0]) != fmt.Sprint(demo.Company) {
				t.Errorf("partner_id = %#v", rec["partner_id"])
			}
			for _, f := range []string{"origin", "note", "commitment_date"} {
				if v, ok := rec[f]; !ok || v != nil {
					t.Errorf("%s = %#v, want null", f, v)
				}
			}
			if rec["client_order_ref"] != "PO-1001" || rec["state"] != "draft" {
				t.Errorf("record = %v", rec)
			}
			if s, _ := rec["date_order"].(string); len(s) != 19 || s[10] != ' ' {
				t.Errorf("date_order = %#v, want Odoo's YYYY-MM-DD HH:MM:SS", rec["date_order"])
			}
			if lines, _ := rec["order_line"].([]any); len(lines) != 3 {
				t.Errorf("order_line = %#v", rec["order_line"])
			}
			if _, ok := rec["write_date"]; ok {
				t.Error("write_date delivered though not asked for")
			}
			// Booleans keep their false.
			r2 := openTestReader(t, srv, proto, `
    model  = "res.partner"
    domain = [["id", "=", `+fmt.Sprint(demo.Contact)+`]]
    fields = ["is_company", "parent_id", "phone"]`, nil)
			p := readAll(t, r2, true)[0].Record
			if p["is_company"] != false || p["phone"] != nil || p["parent_id"].([]any)[1] != "Azure Interior" {
				t.Errorf("partner = %#v", p)
			}
		})
	}
}

// TestSourceDomain passes HCL domains with prefix operators and values of
// every kind through to Odoo.
func TestSourceDomain(t *testing.T) {
	srv, _ := newServer(t)
	demo, err := srv.SeedDemo()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		domain string
		want   []int
	}{
		{`[["is_company", "=", true]]`, []int{demo.Company, demo.Customer}},
		{`["|", ["ref", "=", "AZ"], ["ref", "=", "DECO"]]`, []int{demo.Company, demo.Customer}},
		{`["!", ["is_company", "=", true], ["parent_id", "=", ` + fmt.Sprint(demo.Company) + `]]`, []int{demo.Contact, demo.Delivery}},
		{`[["parent_id", "=", null], ["city", "ilike", "fre"]]`, []int{demo.Company}},
		{`[["id", "in", [` + fmt.Sprintf("%d, %d", demo.Delivery, demo.Customer) + `]]]`, []int{demo.Delivery, demo.Customer}},
		{`[]`, []int{demo.Company, demo.Contact, demo.Delivery, demo.Customer}},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			r := openTestReader(t, srv, protoJSONRPC, `
    model  = "res.partner"
    cursor = "id"
    fields = ["name"]
    domain = `+tc.domain, nil)
			if got := idsOf(t, readAll(t, r, true)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSourceOpenErrors: problems found when the source opens, before any
// record.
func TestSourceOpenErrors(t *testing.T) {
	srv, _ := newServer(t)
	tests := []struct{ settings, want string }{
		{`model = "no.such"`, "no.such"},
		{"model = \"res.partner\"\n    fields = [\"name\", \"nope\"]", `model res.partner has no field "nope"`},
		{"model = \"res.partner\"\n    domain = [[\"nope\", \"=\", 1]]", "Invalid field"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			plan := compile(t, sourceFlow(srv, protoJSONRPC, tc.settings, "unused"), goodKey)
			r, err := OpenReader(plan.Flows[0].Source, &engine.RunContext{}, nil)
			if err == nil {
				_, _, err = r.Next()
				r.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSourceDomainLint: a malformed domain is an error when the flow is
// compiled (lint), before anything runs.
func TestSourceDomainLint(t *testing.T) {
	for _, tc := range []struct{ domain, want string }{
		{`[["name", "="]]`, "domain element 1: a term is [field, operator, value], not 2 values"},
		{`["|", ["name", "=", "x"]]`, "an operator (\"&\", \"|\", \"!\") is missing an operand"},
		{`["and", ["name", "=", "x"]]`, `"and" is not an operator`},
		{`[[["a"], "=", 1]]`, "the field must be a string"},
		{`[["a", 1, 1]]`, "the operator must be a string"},
		{`"state = sale"`, "domain must be a list"},
	} {
		src := sourceFlow(odootest.NewServer(odootest.Options{}), protoJSONRPC, "model = \"res.partner\"\n    domain = "+tc.domain, "unused")
		cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		_, diags = engine.Compile(cfg, engine.Options{Mode: engine.ModeLint, LookupEnv: func(string) (string, bool) { return "", false }})
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
			t.Errorf("domain %s: %v, want %q", tc.domain, diags, tc.want)
		}
	}
}

// TestSourceRetries injects failures into the reads of a page: 503s and
// serialization failures are retried, a permanent error ends the read.
func TestSourceRetries(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, clk := newServer(t)
			want := seedPartners(srv, clk, 12, 0)
			r := openTestReader(t, srv, proto, "model = \"res.partner\"\n    page_size = 5\n    fields = [\"name\"]", nil)
			srv.FailNext(1, 503)
			srv.FailNext(1, odootest.Serialization)
			var got []*engine.Message
			for i := 0; ; i++ {
				if i == 6 {
					srv.FailNext(1, 502)
				}
				m, ok, err := r.Next()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, m)
			}
			if ids := idsOf(t, got); !reflect.DeepEqual(ids, want) {
				t.Fatalf("ids = %v, want %v", ids, want)
			}
			failed := 0
			for _, c := range srv.Calls() {
				if c.Error != "" {
					failed++
				}
			}
			if failed != 3 {
				t.Errorf("%d failed calls, want 3", failed)
			}
		})
	}
}

// TestFlowOdooToFile runs a flow from an odoo source (domain, fields, a
// declared schema) through a map into a file target, for real.
func TestFlowOdooToFile(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, clk := newServer(t)
			demo, err := srv.SeedDemo()
			if err != nil {
				t.Fatal(err)
			}
			clk.advance(time.Second)
			other := srv.MustCreate("sale.order", map[string]any{"partner_id": demo.Customer,
				"order_line": []any{[]any{0, 0, map[string]any{"product_id": demo.Products[2], "product_uom_qty": 10}}}})
			if _, err := srv.Call("sale.order", "action_confirm", []any{[]int{other}}, nil); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "orders.ndjson")
			src := connBlock(srv, proto) + fmt.Sprintf(`
schema "order" {
  id               = int
  name             = string
  partner_id       = list(any)
  client_order_ref = optional(string)
  date_order       = time
  amount_total     = number
  state            = string
}

flow "orders" {
  source "odoo" {
    connection = connection.odoo.erp
    schema     = schema.order
    model      = "sale.order"
    domain     = [["state", "in", ["draft", "sale"]]]
    fields     = ["name", "partner_id", "client_order_ref", "date_order", "amount_total", "state"]
    page_size  = 1
  }
  map "row" {
    order    = "record.name"
    customer = "record.partner_id[1]"
    ref      = "record.client_order_ref ?? ''"
    day      = "record.date_order.Format('2006-01-02')"
    total    = "record.amount_total"
    state    = "record.state"
  }
  target "file" "out" {
    path            = %q
    idempotency_key = "row.order"
  }
}
`, out)
			plan := compile(t, src, goodKey)
			sum, rejects, err := run(t, plan, nil)
			if err != nil || sum.Records != 2 || sum.Delivered != 2 {
				t.Fatalf("run: %v %+v %s", err, sum, rejects)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var rows []map[string]any
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var row map[string]any
				if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
					t.Fatal(err)
				}
				rows = append(rows, row)
			}
			day := clk.now().Format("2006-01-02")
			want := []map[string]any{
				{"order": "SO0001", "customer": "Azure Interior", "ref": "PO-1001", "day": day, "total": 1395.0, "state": "draft"},
				{"order": "SO0002", "customer": "Deco Addict", "ref": "", "day": day, "total": 399.0, "state": "sale"},
			}
			if !reflect.DeepEqual(rows, want) {
				t.Errorf("rows = %v\nwant   %v", rows, want)
			}
		})
	}
}
