package odoo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/odootest"
)

// flowOver is a flow whose records come from the test (through a file
// source declaring schema in) into one odoo target.
func flowOver(srv *odootest.Server, proto, schema, target string) string {
	return connBlock(srv, proto) + fmt.Sprintf(`
schema "in" {
%s
}
flow "f" {
  source "file" {
    path   = "unused.ndjson"
    schema = schema.in
  }
  target "odoo" "t" {
    connection = connection.odoo.erp
%s
  }
}
`, schema, target)
}

func runOver(t *testing.T, srv *odootest.Server, proto, schema, target string, recs ...map[string]any) (*engine.Summary, string) {
	t.Helper()
	plan := compile(t, flowOver(srv, proto, schema, target), goodKey)
	sum, rejects, err := run(t, plan, recs)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return sum, rejects
}

func num(s string) json.Number { return json.Number(s) }

// TestAuthFailure: wrong credentials fail the run when the target or the
// source opens, permanently, naming the user and database but never the
// key; the connection stops calling after the first refusal.
func TestAuthFailure(t *testing.T) {
	const badKey = "bad-key-7f3a9c51e2"
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			secrets := map[string]string{"ODOO_KEY": badKey}
			plan := compile(t, flowOver(srv, proto, "name = string", `model = "res.partner"
    idempotency_key = "record.name"`), secrets)
			_, _, err := run(t, plan, []map[string]any{{"name": "x"}})
			if err == nil {
				t.Fatal("run with a wrong key succeeded")
			}
			if retry, _ := engine.IsRetryable(err); retry {
				t.Errorf("auth failure is retryable: %v", err)
			}
			if strings.Contains(err.Error(), badKey) {
				t.Fatalf("the key is in the error: %v", err)
			}
			want := "target t: "
			if proto == protoJSON2 {
				want += "res.partner.fields_get: werkzeug.exceptions.Unauthorized: Invalid apikey (check api_key"
			} else {
				want += `odoo rejected the login of "admin" on database "odoo"`
			}
			mustContain(t, "error", err.Error(), want)
			if n := srv.CallCount(); n != 1 {
				t.Errorf("%d calls, want 1 (no retries of a refused login)", n)
			}

			// The source fails the same way.
			splan := compile(t, sourceFlow(srv, proto, `model = "res.partner"`, "unused"), secrets)
			_, _, err = run(t, splan, nil)
			if err == nil || strings.Contains(err.Error(), badKey) || !strings.Contains(err.Error(), "source odoo (res.partner): ") {
				t.Errorf("source: %v", err)
			}

			// A client that was refused once does not ask again.
			c, err := newClient(plan.Flows[0].Targets[0].Connection)
			if err != nil {
				t.Fatal(err)
			}
			before := srv.CallCount()
			for range 3 {
				if _, err := c.execute(context.Background(), &rpc{model: "res.partner", method: "search", args: []any{[]any{}}, names: []string{"domain"}}); err == nil {
					t.Fatal("call with a wrong key succeeded")
				}
			}
			if n := srv.CallCount() - before; n != 1 {
				t.Errorf("%d calls for 3 attempts with a refused key", n)
			}
		})
	}
	t.Run("wrong username", func(t *testing.T) {
		srv, _ := newServer(t)
		src := strings.Replace(flowOver(srv, protoJSONRPC, "name = string", `model = "res.partner"
    idempotency_key = "record.name"`), `username = "admin"`, `username = "nobody"`, 1)
		_, _, err := run(t, compile(t, src, goodKey), []map[string]any{{"name": "x"}})
		if err == nil || !strings.Contains(err.Error(), `login of "nobody"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unknown database", func(t *testing.T) {
		srv, _ := newServer(t)
		for _, proto := range protocols {
			src := strings.Replace(flowOver(srv, proto, "name = string", `model = "res.partner"
    idempotency_key = "record.name"`), `database = "odoo"`, `database = "prod"`, 1)
			_, _, err := run(t, compile(t, src, goodKey), []map[string]any{{"name": "x"}})
			if err == nil || !strings.Contains(err.Error(), "prod") {
				t.Errorf("%s: err = %v", proto, err)
			} else if retry, _ := engine.IsRetryable(err); retry {
				t.Errorf("%s: unknown database is retryable: %v", proto, err)
			}
		}
	})
}

// TestCreate creates records with many2one ids, x2many commands, times
// (datetime and date fields) and nulls, through a real run.
func TestCreate(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			demo, err := srv.SeedDemo()
			if err != nil {
				t.Fatal(err)
			}
			sum, rejects := runOver(t, srv, proto, `
  ref      = string
  customer = int
  at       = time
  due      = time
  lines    = list(object({ product = int, qty = number, price = optional(number) }))
  note     = optional(string)`, `model           = "account.move"
    body            = "{move_type: 'out_invoice', partner_id: record.customer, ref: record.ref, invoice_date: record.at, invoice_date_due: record.due, payment_reference: record.note, invoice_line_ids: map(record.lines, [0, 0, {product_id: .product, quantity: .qty, price_unit: .price ?? 0}])}"
    idempotency_key = "record.ref"`,
				map[string]any{"ref": "POD-1", "customer": num(fmt.Sprint(demo.Customer)), "at": "2026-03-04T23:30:00-05:00", "due": "2026-04-03",
					"lines": []any{map[string]any{"product": num(fmt.Sprint(demo.Products[0])), "qty": num("2")}, map[string]any{"product": num(fmt.Sprint(demo.Products[2])), "qty": num("1.5"), "price": num("10.25")}}},
				map[string]any{"ref": "POD-2", "customer": num(fmt.Sprint(demo.Company)), "at": "2026-03-05", "due": "2026-04-04", "lines": []any{}})
			if sum.Delivered != 2 || sum.Rejected != 0 {
				t.Fatalf("summary %+v, rejects %s", sum, rejects)
			}
			ids := search(t, srv, "account.move", []any{"ref", "=", "POD-1"})
			if len(ids) != 1 {
				t.Fatalf("invoices with ref POD-1: %v", ids)
			}
			inv := read(t, srv, "account.move", ids[0], "partner_id", "invoice_date", "invoice_date_due", "payment_reference", "invoice_line_ids", "amount_untaxed")
			// The date field gets the time's own date (not shifted to UTC).
			if inv["invoice_date"] != "2026-03-04" || inv["invoice_date_due"] != "2026-04-03" || inv["payment_reference"] != false {
				t.Errorf("invoice = %v", inv)
			}
			if lines := inv["invoice_line_ids"].([]any); len(lines) != 2 || inv["amount_untaxed"] != 15.38 { // 2 × 0 + 1.5 × 10.25
				t.Errorf("invoice lines = %v, untaxed %v", lines, inv["amount_untaxed"])
			}
			if n := calls(srv, "account.move", "create"); n != 2 {
				t.Errorf("%d create calls", n)
			}
		})
	}
}

// TestCreateDatetime: a time goes to a datetime field as Odoo's UTC
// "YYYY-MM-DD HH:MM:SS".
func TestCreateDatetime(t *testing.T) {
	srv, _ := newServer(t)
	demo, _ := srv.SeedDemo()
	sum, rejects := runOver(t, srv, protoJSON2, "at = time\n  partner = int", `model = "sale.order"
    body = "{partner_id: record.partner, date_order: record.at, commitment_date: record.at + duration('48h')}"
    idempotency_key = "string(record.at)"`,
		map[string]any{"partner": num(fmt.Sprint(demo.Customer)), "at": "2026-03-04T23:30:05+01:00"})
	if sum.Delivered != 1 {
		t.Fatalf("%+v %s", sum, rejects)
	}
	ids := search(t, srv, "sale.order", []any{"partner_id", "=", demo.Customer})
	so := read(t, srv, "sale.order", ids[0], "date_order", "commitment_date")
	if so["date_order"] != "2026-03-04 22:30:05" || so["commitment_date"] != "2026-03-06 22:30:05" {
		t.Errorf("order = %v", so)
	}
}

// TestWrite writes the record record_id names; a missing record is a
// permanent MissingError.
func TestWrite(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			demo, _ := srv.SeedDemo()
			sum, rejects := runOver(t, srv, proto, "partner = int\n  email = string\n  tags = list(int)", `model           = "res.partner"
    operation       = "write"
    record_id       = "record.partner"
    body            = "{email: record.email, phone: nil, category_id: [[6, 0, record.tags]]}"
    idempotency_key = "record.email"`,
				map[string]any{"partner": num(fmt.Sprint(demo.Customer)), "email": "ops@deco.example", "tags": []any{}},
				map[string]any{"partner": num("999"), "email": "nobody@example.com", "tags": []any{}})
			if sum.Delivered != 1 || sum.Rejected != 1 {
				t.Fatalf("summary %+v %s", sum, rejects)
			}
			// XML-RPC's fault 2 says UserError for its subclasses.
			mustContain(t, "rejects", rejects, "res.partner.write on [999]: ", "Error: Record does not exist or has been deleted")
			if proto != protoXMLRPC {
				mustContain(t, "rejects", rejects, "odoo.exceptions.MissingError")
			}
			if p := read(t, srv, "res.partner", demo.Customer, "email"); p["email"] != "ops@deco.example" {
				t.Errorf("partner = %v", p)
			}
			if n := calls(srv, "res.partner", "write"); n != 2 {
				t.Errorf("%d write calls (a MissingError is not retried)", n)
			}
		})
	}
}

// TestUpsertUniqueField upserts the same refs twice: one record per ref,
// updated the second time.
func TestUpsertUniqueField(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			target := `model        = "res.partner"
    operation    = "upsert"
    unique_field = "ref"
    body         = "{ref: record.ref, name: record.name}"`
			recs := func(suffix string) []map[string]any {
				return []map[string]any{{"ref": "C1", "name": "One" + suffix}, {"ref": "C2", "name": "Two" + suffix}}
			}
			runOver(t, srv, proto, "ref = string\n  name = string", target, recs("")...)
			sum, rejects := runOver(t, srv, proto, "ref = string\n  name = string", target, recs(" (renamed)")...)
			if sum.Delivered != 2 {
				t.Fatalf("%+v %s", sum, rejects)
			}
			for _, ref := range []string{"C1", "C2"} {
				ids := search(t, srv, "res.partner", []any{"ref", "=", ref})
				if len(ids) != 1 {
					t.Fatalf("ref %s: %v", ref, ids)
				}
				if p := read(t, srv, "res.partner", ids[0], "name"); !strings.HasSuffix(p["name"].(string), "(renamed)") {
					t.Errorf("ref %s: %v", ref, p)
				}
			}
			// Two records with the ref already: ambiguous, permanent.
			srv.MustCreate("res.partner", map[string]any{"name": "dup", "ref": "C1"})
			sum, rejects = runOver(t, srv, proto, "ref = string\n  name = string", target, recs("")[0])
			if sum.Rejected != 1 {
				t.Fatalf("%+v", sum)
			}
			mustContain(t, "rejects", rejects, "several res.partner records have ref = C1")
		})
	}
}

// TestUpsertExternalID upserts by external id twice, by an explicit
// module.name and by the idempotency key: the same record both times, and
// a redelivered message does not create a second one.
func TestUpsertExternalID(t *testing.T) {
	for _, proto := range protocols {
		for _, tc := range []struct{ name, settings, module, xmlName string }{
			{"external_id", `external_id     = "'flowctl.partner_' + record.ref"
    idempotency_key = "'p-' + record.ref"`, "flowctl", "partner_C 1"},
			{"idempotency_key", `idempotency_key = "'partner ' + record.ref"`, "__flowctl__", "partner%20C%201"},
		} {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				srv, _ := newServer(t)
				target := `model     = "res.partner"
    operation = "upsert"
    body      = "{ref: record.ref, name: record.name}"
    ` + tc.settings
				schema := "ref = string\n  name = string"
				runOver(t, srv, proto, schema, target, map[string]any{"ref": "C 1", "name": "One"})
				ids := search(t, srv, "res.partner")
				if len(ids) != 1 {
					t.Fatalf("partners %v", ids)
				}
				// Redelivered (same message twice in a run), then changed.
				sum, rejects := runOver(t, srv, proto, schema, target,
					map[string]any{"ref": "C 1", "name": "One"}, map[string]any{"ref": "C 1", "name": "One (v2)"})
				if sum.Delivered != 2 {
					t.Fatalf("%+v %s", sum, rejects)
				}
				if got := search(t, srv, "res.partner"); !reflect.DeepEqual(got, ids) {
					t.Fatalf("partners %v, want %v", got, ids)
				}
				if p := read(t, srv, "res.partner", ids[0], "name"); p["name"] != "One (v2)" {
					t.Errorf("partner %v", p)
				}
				ref, err := srv.Call("ir.model.data", "check_object_reference", []any{tc.module, tc.xmlName}, nil)
				if err != nil || !reflect.DeepEqual(ref, []any{"res.partner", ids[0]}) {
					t.Errorf("external id %s.%s: %v %v", tc.module, tc.xmlName, ref, err)
				}
				if n := calls(srv, "res.partner", "create"); n != 1 {
					t.Errorf("%d creates", n)
				}
			})
		}
	}
}

// TestUpsertExternalIDFailures: an external id of another model is
// permanent; a user who may not create external ids gets the record
// deleted again and a hint.
func TestUpsertExternalIDFailures(t *testing.T) {
	srv, _ := newServer(t)
	demo, _ := srv.SeedDemo()
	if err := srv.SetExternalID("flowctl.taken", "product.product", demo.Products[0]); err != nil {
		t.Fatal(err)
	}
	target := `model       = "res.partner"
    operation   = "upsert"
    external_id = "record.xmlid"
    body        = "{name: record.name}"
    idempotency_key = "record.xmlid"`
	sum, rejects := runOver(t, srv, protoJSONRPC, "xmlid = string\n  name = string", target,
		map[string]any{"xmlid": "flowctl.taken", "name": "x"})
	if sum.Rejected != 1 {
		t.Fatalf("%+v", sum)
	}
	mustContain(t, "rejects", rejects, "external id flowctl.taken names a product.product record, not res.partner")

	srv.AddUser(odootest.User{Login: "clerk", Password: "pw", APIKey: "clerk-key"})
	src := strings.Replace(flowOver(srv, protoJSONRPC, "xmlid = string\n  name = string", target), `username = "admin"`, `username = "clerk"`, 1)
	partners := len(search(t, srv, "res.partner"))
	sum2, rejects2, err := run(t, compile(t, src, map[string]string{"ODOO_KEY": "clerk-key"}),
		[]map[string]any{{"xmlid": "flowctl.new_one", "name": "New"}})
	if err != nil || sum2.Rejected != 1 {
		t.Fatalf("%v %+v", err, sum2)
	}
	mustContain(t, "rejects", rejects2, "recording external id flowctl.new_one", "AccessError", "Access Rights group", "was deleted again")
	if n := len(search(t, srv, "res.partner")); n != partners {
		t.Errorf("%d partners after the failed upsert, want %d", n, partners)
	}
}

// TestCallTwice confirms an order, then again: the second is Odoo's
// UserError, a permanent failure that rejects the message with Odoo's
// message, through a real run.
func TestCallTwice(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			demo, _ := srv.SeedDemo()
			rec := map[string]any{"order": num(fmt.Sprint(demo.Quotation)), "ref": "PO-1001"}
			sum, rejects := runOver(t, srv, proto, "order = int\n  ref = string", `model           = "sale.order"
    operation       = "call"
    method          = "action_confirm"
    record_id       = "record.order"
    idempotency_key = "'confirm-' + record.ref"`, rec, rec)
			if sum.Delivered != 1 || sum.Rejected != 1 {
				t.Fatalf("summary %+v %s", sum, rejects)
			}
			mustContain(t, "rejects", rejects, `"rule":"target.t"`,
				"writing to target t: sale.order.action_confirm on ["+fmt.Sprint(demo.Quotation)+"]: odoo.exceptions.UserError: The following orders are not in a state requiring confirmation: SO0001")
			if st := read(t, srv, "sale.order", demo.Quotation, "state")["state"]; st != "sale" {
				t.Errorf("state %v", st)
			}
			if n := calls(srv, "sale.order", "action_confirm"); n != 2 {
				t.Errorf("%d action_confirm calls (a UserError is not retried)", n)
			}
		})
	}
}

// TestCallWizard: a method answering with a wizard did not finish; with
// the context the wizard would set, it does. A method returning None
// (account.move.button_draft) succeeds on every protocol, XML-RPC too.
func TestCallWizard(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			demo, _ := srv.SeedDemo()
			if _, err := srv.Call("sale.order", "action_confirm", []any{[]int{demo.Quotation}}, nil); err != nil {
				t.Fatal(err)
			}
			moves := search(t, srv, "stock.move")
			srv.Write("stock.move", moves[:1], map[string]any{"quantity": 1, "picked": true})
			pick := search(t, srv, "stock.picking")[0]
			validate := `model           = "stock.picking"
    operation       = "call"
    method          = "button_validate"
    record_id       = "record.picking"
    idempotency_key = "string(record.picking)"`
			rec := map[string]any{"picking": num(fmt.Sprint(pick))}
			sum, rejects := runOver(t, srv, proto, "picking = int", validate, rec)
			if sum.Rejected != 1 {
				t.Fatalf("%+v", sum)
			}
			mustContain(t, "rejects", rejects, "did not finish: it opened the wizard stock.backorder.confirmation", "skip_backorder")
			sum, rejects = runOver(t, srv, proto, "picking = int", validate+"\n    body = \"{context: {skip_backorder: true}}\"", rec)
			if sum.Delivered != 1 {
				t.Fatalf("%+v %s", sum, rejects)
			}
			if st := read(t, srv, "stock.picking", pick, "state")["state"]; st != "done" {
				t.Errorf("picking %v", st)
			}

			inv := srv.MustCreate("account.move", map[string]any{"move_type": "out_invoice", "partner_id": demo.Company,
				"invoice_line_ids": []any{[]any{0, 0, map[string]any{"product_id": demo.Products[0], "quantity": 1}}}})
			if _, err := srv.Call("account.move", "action_post", []any{[]int{inv}}, nil); err != nil {
				t.Fatal(err)
			}
			sum, rejects = runOver(t, srv, proto, "inv = int", `model = "account.move"
    operation = "call"
    method = "button_draft"
    record_id = "record.inv"
    idempotency_key = "string(record.inv)"`, map[string]any{"inv": num(fmt.Sprint(inv))})
			if sum.Delivered != 1 {
				t.Fatalf("%+v %s", sum, rejects)
			}
			if st := read(t, srv, "account.move", inv, "state")["state"]; st != "draft" {
				t.Errorf("invoice %v", st)
			}
		})
	}
}

// TestFaults injects failures before a create: 503s, 429s and
// serialization failures are retried by the engine and the record is
// created once; a validation error is permanent and not retried.
func TestFaults(t *testing.T) {
	for _, proto := range protocols {
		for _, f := range []odootest.Failure{503, 429, odootest.Serialization} {
			t.Run(proto+"/"+f.String(), func(t *testing.T) {
				t.Parallel() // each waits for the engine's backoff
				srv, _ := newServer(t)
				plan := compile(t, flowOver(srv, proto, "name = string", `model = "res.partner"
    idempotency_key = "record.name"`), goodKey)
				start := time.Now()
				sum, rejects, err := runWith(t, plan, []map[string]any{{"name": "ACME"}}, func() { srv.FailNext(1, f) })
				if err != nil || sum.Delivered != 1 {
					t.Fatalf("run: %v %+v %s", err, sum, rejects)
				}
				if ids := search(t, srv, "res.partner"); len(ids) != 1 {
					t.Errorf("partners %v", ids)
				}
				var failed []string
				for _, c := range srv.Calls() {
					if c.Error != "" {
						failed = append(failed, c.Error)
					}
				}
				if !reflect.DeepEqual(failed, []string{f.String()}) {
					t.Errorf("failed calls %v", failed)
				}
				// The engine's default policy waits 250-500ms before the retry.
				if d := time.Since(start); d < 250*time.Millisecond {
					t.Errorf("done after %v: the failure was not retried by the engine", d)
				}
				if calls(srv, "res.partner", "create") != 1 {
					t.Errorf("calls %v", srv.Calls())
				}
			})
		}
		t.Run(proto+"/permanent", func(t *testing.T) {
			srv, _ := newServer(t)
			sum, rejects := runOver(t, srv, proto, "name = string", `model = "res.partner"
    body = "{name: record.name, email: 'x'}"
    idempotency_key = "record.name"`, map[string]any{"name": ""})
			if sum.Rejected != 1 {
				t.Fatalf("%+v", sum)
			}
			mustContain(t, "rejects", rejects, "res.partner.create: odoo.exceptions.", "mandatory field is not set")
			if n := calls(srv, "res.partner", "create"); n != 1 {
				t.Errorf("%d create calls", n)
			}
		})
	}
}

// TestFaultHang: a call that gets no answer times out and is retried.
func TestFaultHang(t *testing.T) {
	srv, _ := newServer(t)
	src := strings.Replace(flowOver(srv, protoJSON2, "name = string", `model = "res.partner"
    idempotency_key = "record.name"`), `timeout  = "5s"`, `timeout  = "300ms"`, 1)
	plan := compile(t, src, goodKey)
	sum, rejects, err := runWith(t, plan, []map[string]any{{"name": "ACME"}}, func() { srv.FailNext(1, odootest.Hang) })
	if err != nil || sum.Delivered != 1 {
		t.Fatalf("run: %v %+v %s", err, sum, rejects)
	}
}

// TestCreateListBody: a body that is a list of records is created
// batch_size records per call; a failure after a created batch is
// permanent and names what was created.
func TestCreateListBody(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			tg := openTestTarget(t, srv, proto, `model = "res.partner"
    batch_size = 50
    idempotency_key = "'x'"`)
			var list []any
			for i := range 120 {
				list = append(list, map[string]any{"name": fmt.Sprintf("N%d", i)})
			}
			if err := tg.Write(context.Background(), &engine.Operation{Body: list}); err != nil {
				t.Fatal(err)
			}
			if n := calls(srv, "res.partner", "create"); n != 3 {
				t.Errorf("%d create calls for 120 records in batches of 50", n)
			}
			if n := len(search(t, srv, "res.partner")); n != 120 {
				t.Errorf("%d partners", n)
			}
			list[60] = map[string]any{"name": false}
			err := tg.Write(context.Background(), &engine.Operation{Body: list})
			if err == nil {
				t.Fatal("no error")
			}
			if retry, _ := engine.IsRetryable(err); retry {
				t.Errorf("partial failure retryable: %v", err)
			}
			mustContain(t, "error", err.Error(), "mandatory field", "records 1-50 of 120 were created before")
		})
	}
}

// TestTargetErrors: problems with a body or the settings.
func TestTargetErrors(t *testing.T) {
	srv, _ := newServer(t)
	tg := openTestTarget(t, srv, protoJSONRPC, `model = "res.partner"
    operation = "write"
    record_id = "record.id"
    idempotency_key = "'x'"`)
	for _, tc := range []struct {
		op   engine.Operation
		want string
	}{
		{engine.Operation{Body: "x", Fields: map[string]any{"record_id": 1}}, "the body must be an object of res.partner field values"},
		{engine.Operation{Body: map[string]any{}, Fields: map[string]any{"record_id": nil}}, "record_id gave null"},
		{engine.Operation{Body: map[string]any{"d": time.Second}, Fields: map[string]any{"record_id": 1}}, "a duration"},
	} {
		err := tg.Write(context.Background(), &tc.op)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
		if retry, _ := engine.IsRetryable(err); retry {
			t.Errorf("retryable: %v", err)
		}
	}
	plan := compile(t, targetFlow(srv, protoJSONRPC, `model = "res.partner"
    operation = "upsert"
    unique_field = "nope"`), goodKey)
	if _, err := openTarget(plan.Flows[0].Targets[0], nil); err == nil || !strings.Contains(err.Error(), `no field "nope"`) {
		t.Errorf("open: %v", err)
	}
	plan = compile(t, targetFlow(srv, protoJSON2, `model = "no.such"
    idempotency_key = "'x'"`), goodKey)
	if _, err := openTarget(plan.Flows[0].Targets[0], nil); err == nil || !strings.Contains(err.Error(), "the model 'no.such' does not exist") {
		t.Errorf("open: %v", err)
	}
}

// TestRejectedNotRetried is the error mapping table: Odoo's exception
// names and HTTP answers, retryable or permanent.
func TestErrorMapping(t *testing.T) {
	c := &client{proto: protoJSONRPC, key: engine.NewSecret("k3y-s3cret")}
	for _, tc := range []struct {
		e     serverError
		retry bool
	}{
		{serverError{Name: "odoo.exceptions.AccessDenied", Message: "Access Denied"}, false},
		{serverError{Name: "odoo.exceptions.AccessError", Message: "no"}, false},
		{serverError{Name: "odoo.exceptions.ValidationError", Message: "no"}, false},
		{serverError{Name: "odoo.exceptions.UserError", Message: "no"}, false},
		{serverError{Name: "odoo.exceptions.MissingError", Message: "gone"}, false},
		{serverError{Name: "builtins.ValueError", Message: "Invalid field 'x'", Status: 500}, false},
		{serverError{Name: "builtins.AttributeError", Message: "no method"}, false},
		{serverError{Name: "psycopg2.errors.SerializationFailure", Message: "could not serialize access due to concurrent update"}, true},
		{serverError{Name: "psycopg2.errors.SerializationFailure", Status: 500}, true},
		{serverError{Name: "psycopg2.extensions.TransactionRollbackError", Message: "x"}, true},
		{serverError{Name: "psycopg2.OperationalError", Message: "server closed the connection unexpectedly"}, true},
		{serverError{Name: "psycopg2.OperationalError", Message: `FATAL: database "x" does not exist`}, false},
		{serverError{Name: "", Message: "could not serialize access due to concurrent update", Code: 1}, true},
		{serverError{Name: "odoo.http.SessionExpiredException", Message: "Session expired", Code: 100}, true},
		{serverError{Message: "Session expired", Code: 100}, true},
	} {
		err := c.classify("m.f", &tc.e)
		if retry, _ := engine.IsRetryable(err); retry != tc.retry {
			t.Errorf("%+v: retryable = %v", tc.e, retry)
		}
	}
	// Odoo's message is kept, the key never.
	err := c.classify("m.f", &serverError{Name: "odoo.exceptions.UserError", Message: "bad k3y-s3cret\nsecond line"})
	if err.Error() != "m.f: odoo.exceptions.UserError: bad (secret) second line" {
		t.Errorf("message %q", err.Error())
	}
	var ce *engine.ConnectorError
	if !errors.As(err, &ce) {
		t.Error("not a ConnectorError")
	}
}

// TestWriteBatch: creates of several operations go batch_size per call;
// a batch with a bad record falls back to one call per record, so each
// operation gets its own outcome and the good records are written; a
// retryable failure is every operation's.
func TestWriteBatch(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv, _ := newServer(t)
			tg := openTestTarget(t, srv, proto, `model = "res.partner"
    batch_size = 4
    idempotency_key = "'x'"`)
			var ops []*engine.Operation
			for i := range 10 {
				ops = append(ops, &engine.Operation{Body: map[string]any{"name": fmt.Sprintf("W%d", i)}})
			}
			for _, err := range tg.WriteBatch(context.Background(), ops) {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n := calls(srv, "res.partner", "create"); n != 3 {
				t.Errorf("%d create calls for 10 records in batches of 4", n)
			}
			ops[5].Body = map[string]any{"name": false} // NOT NULL
			ops[6].Body = "not an object"
			before := calls(srv, "res.partner", "create")
			errs := tg.WriteBatch(context.Background(), ops)
			for i, err := range errs {
				if (err != nil) != (i == 5 || i == 6) {
					t.Errorf("op %d: %v", i, err)
				}
			}
			mustContain(t, "error", fmt.Sprint(errs[5]), "mandatory field is not set")
			// 3 batches (4, 4 of which one bad, 1) + the bad batch's 4 records one by one.
			if n := calls(srv, "res.partner", "create") - before; n != 3+4 {
				t.Errorf("%d create calls", n)
			}
			if n := len(search(t, srv, "res.partner")); n != 10+8 {
				t.Errorf("%d partners", n)
			}
			srv.FailNext(1, 503)
			errs = tg.WriteBatch(context.Background(), ops[:3])
			for i, err := range errs {
				if retry, _ := engine.IsRetryable(err); !retry {
					t.Errorf("op %d after a 503: %v", i, err)
				}
			}
		})
	}
}
