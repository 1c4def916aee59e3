package odootest

import (
	"reflect"
	"strings"
	"testing"
)

func readOne(t *testing.T, f *fixture, model string, id int, fields ...string) map[string]any {
	t.Helper()
	r, err := f.s.Read(model, id, fields...)
	if err != nil {
		t.Fatalf("read %s %d: %v", model, id, err)
	}
	return r
}

func TestSaleOrderConfirm(t *testing.T) {
	f := newFixture(t, Options{})
	f.clock.Advance(3600e9)
	if got := f.mustKW("sale.order", "action_confirm", l{l{1}}, nil); got != true {
		t.Fatalf("action_confirm = %v", got)
	}
	so := readOne(t, f, "sale.order", 1, "state", "picking_ids", "delivery_count", "date_order", "write_date")
	if so["state"] != "sale" || !reflect.DeepEqual(so["picking_ids"], l{1}) || so["delivery_count"] != 1 ||
		so["date_order"] != "2026-03-14 10:30:00" || so["write_date"] != "2026-03-14 10:30:00" {
		t.Errorf("confirmed order: %v", so)
	}
	pk := readOne(t, f, "stock.picking", 1, "name", "state", "partner_id", "origin", "carrier_id", "sale_id", "move_ids", "picking_type_code")
	want := map[string]any{"id": 1, "name": "WH/OUT/00001", "state": "assigned", "partner_id": l{3, "Azure Interior, Azure Warehouse"},
		"origin": "SO0001", "carrier_id": l{1, "Standard Delivery"}, "sale_id": l{1, "SO0001"}, "move_ids": l{1, 2},
		"picking_type_code": "outgoing"}
	if !reflect.DeepEqual(pk, want) {
		t.Errorf("picking:\n got %v\nwant %v", pk, want)
	}
	// One reserved move per goods line; the service line makes none.
	mv := f.mustKW("stock.move", "search_read", l{l{}}, m{"fields": l{"product_id", "product_uom_qty", "quantity", "picked", "state", "sale_line_id"}})
	if len(mv.([]any)) != 2 || fieldOf(mv, 1, "product_uom_qty") != 4.0 || fieldOf(mv, 1, "quantity") != 4.0 ||
		fieldOf(mv, 1, "picked") != false || fieldOf(mv, 1, "state") != "assigned" {
		t.Errorf("moves: %v", mv)
	}
	// Again: UserError, nothing changes.
	msg := f.kwErr(UserError, "sale.order", "action_confirm", l{l{1}}, nil)
	if msg != "The following orders are not in a state requiring confirmation: SO0001" {
		t.Errorf("message: %q", msg)
	}
	// A batch with one confirmed order fails as a whole.
	f.mustKW("sale.order", "create", l{m{"partner_id": 4}}, nil)
	f.kwErr(UserError, "sale.order", "action_confirm", l{l{2, 1}}, nil)
	if st := readOne(t, f, "sale.order", 2, "state")["state"]; st != "draft" {
		t.Errorf("batch partly applied: %v", st)
	}
	// No goods lines: confirmed without a picking.
	f.mustKW("sale.order", "action_confirm", l{l{2}}, nil)
	if p := readOne(t, f, "sale.order", 2, "picking_ids")["picking_ids"]; len(p.([]any)) != 0 {
		t.Errorf("picking for an empty order: %v", p)
	}
	f.kwErr(MissingError, "sale.order", "action_confirm", l{l{42}}, nil)
	// Cancel cancels the open picking; draft brings the order back.
	f.mustKW("sale.order", "action_cancel", l{l{1}}, nil)
	if st := readOne(t, f, "stock.picking", 1, "state")["state"]; st != "cancel" {
		t.Errorf("picking after order cancel: %v", st)
	}
	f.mustKW("sale.order", "action_draft", l{l{1}}, nil)
	if st := readOne(t, f, "sale.order", 1, "state")["state"]; st != "draft" {
		t.Errorf("after action_draft: %v", st)
	}
	// Commitment date becomes the scheduled date.
	f.mustKW("sale.order", "write", l{l{1}, m{"commitment_date": "2026-04-01 08:00:00"}}, nil)
	f.mustKW("sale.order", "action_confirm", l{l{1}}, nil)
	pks := f.mustKW("stock.picking", "search_read", l{l{l{"sale_id", "=", 1}, l{"state", "=", "assigned"}}}, m{"fields": l{"name", "scheduled_date"}})
	if fieldOf(pks, 0, "name") != "WH/OUT/00002" || fieldOf(pks, 0, "scheduled_date") != "2026-04-01 08:00:00" {
		t.Errorf("second picking: %v", pks)
	}
}

func TestButtonValidateFull(t *testing.T) {
	f := newFixture(t, Options{})
	confirmDemo(f)
	f.clock.Advance(7200e9)
	if got := f.mustKW("stock.picking", "button_validate", l{l{1}}, nil); got != true {
		t.Fatalf("button_validate = %v", got)
	}
	pk := readOne(t, f, "stock.picking", 1, "state", "date_done")
	if pk["state"] != "done" || pk["date_done"] != "2026-03-14 11:30:00" {
		t.Errorf("validated picking: %v", pk)
	}
	mv := f.mustKW("stock.move", "search_read", l{l{}}, m{"fields": l{"state", "quantity", "picked"}})
	for i := range mv.([]any) {
		if fieldOf(mv, i, "state") != "done" || fieldOf(mv, i, "picked") != true {
			t.Errorf("move %d: %v", i, mv)
		}
	}
	line := readOne(t, f, "sale.order.line", 2, "qty_delivered")
	if line["qty_delivered"] != 4.0 {
		t.Errorf("qty_delivered: %v", line)
	}
	// Validating a done picking again is a no-op returning true.
	if got := f.mustKW("stock.picking", "button_validate", l{l{1}}, nil); got != true {
		t.Errorf("second validate = %v", got)
	}
}

func TestButtonValidateRules(t *testing.T) {
	f := newFixture(t, Options{})
	// A draft picking created by hand is confirmed, reserved and validated.
	pid := f.mustKW("stock.picking", "create", l{m{"partner_id": 4, "picking_type_code": "incoming",
		"move_ids": l{l{0, 0, m{"product_id": 1, "product_uom_qty": 3}}}}}, nil).(int)
	if name := readOne(t, f, "stock.picking", pid, "name")["name"]; name != "WH/IN/00001" {
		t.Errorf("receipt name: %v", name)
	}
	f.mustKW("stock.picking", "button_validate", l{l{pid}}, nil)
	if st := readOne(t, f, "stock.picking", pid, "state")["state"]; st != "done" {
		t.Errorf("draft picking after validate: %v", st)
	}
	// A cancelled picking has no quantities to validate.
	pid2 := f.mustKW("stock.picking", "create", l{m{"move_ids": l{l{0, 0, m{"product_id": 1, "product_uom_qty": 1}}}}}, nil).(int)
	f.mustKW("stock.picking", "action_cancel", l{l{pid2}}, nil)
	msg := f.kwErr(UserError, "stock.picking", "button_validate", l{l{pid2}}, nil)
	if !strings.HasPrefix(msg, "You cannot validate a transfer if no quantities are reserved nor done.") {
		t.Errorf("cancelled picking: %q", msg)
	}
	// Picked moves with zero quantity.
	pid3 := f.mustKW("stock.picking", "create", l{m{"move_ids": l{l{0, 0, m{"product_id": 1, "product_uom_qty": 2}}}}}, nil).(int)
	f.mustKW("stock.picking", "action_assign", l{l{pid3}}, nil)
	f.mustKW("stock.move", "write", l{ids(readOne(t, f, "stock.picking", pid3, "move_ids")["move_ids"]), m{"quantity": 0, "picked": true}}, nil)
	f.kwErr(UserError, "stock.picking", "button_validate", l{l{pid3}}, nil)
}

func TestBackorderProcess(t *testing.T) {
	f := newFixture(t, Options{})
	partialPicking(f) // move 1: 1 of 2 desks picked; move 2: 4 chairs reserved, not picked
	action := f.mustKW("stock.picking", "button_validate", l{l{1}}, nil).(map[string]any)
	if action["res_model"] != "stock.backorder.confirmation" || action["type"] != "ir.actions.act_window" || action["target"] != "new" {
		t.Fatalf("wizard action: %v", action)
	}
	ctx := action["context"].(map[string]any)
	if st := readOne(t, f, "stock.picking", 1, "state")["state"]; st != "assigned" {
		t.Errorf("picking changed before the wizard: %v", st)
	}
	// Without the action's context, process validates nothing (as in Odoo).
	wiz := f.mustKW("stock.backorder.confirmation", "create", l{m{}}, m{"context": ctx}).(int)
	wr := readOne(t, f, "stock.backorder.confirmation", wiz, "pick_ids")
	if !reflect.DeepEqual(wr["pick_ids"], l{1}) {
		t.Errorf("wizard pick_ids from default_pick_ids: %v", wr)
	}
	if got := f.mustKW("stock.backorder.confirmation", "process", l{l{wiz}}, nil); got != true {
		t.Errorf("process without context = %v", got)
	}
	if st := readOne(t, f, "stock.picking", 1, "state")["state"]; st != "assigned" {
		t.Errorf("process without context validated: %v", st)
	}
	// With it: the picked desk is done, the rest goes to a backorder.
	if got := f.mustKW("stock.backorder.confirmation", "process", l{l{wiz}}, m{"context": ctx}); got != true {
		t.Fatalf("process = %v", got)
	}
	pk := readOne(t, f, "stock.picking", 1, "state", "backorder_ids", "move_ids")
	if pk["state"] != "done" || !reflect.DeepEqual(pk["backorder_ids"], l{2}) {
		t.Errorf("original after process: %v", pk)
	}
	m1 := readOne(t, f, "stock.move", 1, "state", "product_uom_qty", "quantity")
	if m1["state"] != "done" || m1["product_uom_qty"] != 1.0 || m1["quantity"] != 1.0 {
		t.Errorf("split move: %v", m1)
	}
	bo := readOne(t, f, "stock.picking", 2, "name", "state", "backorder_id", "origin", "sale_id", "move_ids", "partner_id")
	if bo["name"] != "WH/OUT/00002" || bo["state"] != "assigned" || !reflect.DeepEqual(bo["backorder_id"], l{1, "WH/OUT/00001"}) ||
		bo["origin"] != "SO0001" || !reflect.DeepEqual(bo["sale_id"], l{1, "SO0001"}) {
		t.Errorf("backorder: %v", bo)
	}
	rest := f.mustKW("stock.move", "read", l{bo["move_ids"], l{"product_id", "product_uom_qty", "quantity", "state"}}, nil)
	if len(rest.([]any)) != 2 || fieldOf(rest, 0, "product_uom_qty") != 4.0 || fieldOf(rest, 1, "product_uom_qty") != 1.0 {
		t.Errorf("backorder moves: %v", rest)
	}
	so := readOne(t, f, "sale.order", 1, "picking_ids")
	if !reflect.DeepEqual(so["picking_ids"], l{1, 2}) {
		t.Errorf("order pickings: %v", so)
	}
	if q := readOne(t, f, "sale.order.line", 1, "qty_delivered")["qty_delivered"]; q != 1.0 {
		t.Errorf("qty_delivered after partial: %v", q)
	}
	// The backorder validates in full.
	if got := f.mustKW("stock.picking", "button_validate", l{l{2}}, nil); got != true {
		t.Errorf("backorder validate: %v", got)
	}
	if q := readOne(t, f, "sale.order.line", 1, "qty_delivered")["qty_delivered"]; q != 2.0 {
		t.Errorf("qty_delivered at the end: %v", q)
	}
}

func TestBackorderCancel(t *testing.T) {
	f := newFixture(t, Options{})
	partialPicking(f)
	action := f.mustKW("stock.picking", "button_validate", l{l{1}}, nil).(map[string]any)
	ctx := action["context"].(map[string]any)
	wiz := f.mustKW("stock.backorder.confirmation", "create", l{m{}}, m{"context": ctx}).(int)
	if got := f.mustKW("stock.backorder.confirmation", "process_cancel_backorder", l{l{wiz}}, m{"context": ctx}); got != true {
		t.Fatalf("process_cancel_backorder = %v", got)
	}
	pk := readOne(t, f, "stock.picking", 1, "state", "backorder_ids", "move_ids")
	if pk["state"] != "done" || len(pk["backorder_ids"].([]any)) != 0 {
		t.Errorf("picking: %v", pk)
	}
	n := f.mustKW("stock.picking", "search_count", l{l{}}, nil)
	if n != 1 {
		t.Errorf("pickings: %v", n)
	}
	moves := f.mustKW("stock.move", "search_read", l{l{}}, m{"fields": l{"state", "product_uom_qty", "quantity"}, "order": "id"})
	var states []any
	for i := range moves.([]any) {
		states = append(states, fieldOf(moves, i, "state"))
	}
	// Desk: 1 done + 1 cancelled remainder; chairs were not picked: cancelled.
	if !reflect.DeepEqual(states, l{"done", "cancel", "cancel"}) {
		t.Errorf("move states: %v (%v)", states, moves)
	}
}

func TestButtonValidateContextFlags(t *testing.T) {
	f := newFixture(t, Options{})
	partialPicking(f)
	// skip_backorder with picking_ids_not_to_backorder validates without a backorder.
	got := f.mustKW("stock.picking", "button_validate", l{l{1}}, m{"context": m{"skip_backorder": true, "picking_ids_not_to_backorder": l{1}}})
	if got != true {
		t.Fatalf("button_validate = %v", got)
	}
	if n := f.mustKW("stock.picking", "search_count", l{l{}}, nil); n != 1 {
		t.Errorf("backorder created: %v", n)
	}
	f2 := newFixture(t, Options{})
	partialPicking(f2)
	f2.mustKW("stock.picking", "button_validate", l{l{1}}, m{"context": m{"skip_backorder": true}})
	if n := f2.mustKW("stock.picking", "search_count", l{l{l{"backorder_id", "=", 1}}}, nil); n != 1 {
		t.Errorf("skip_backorder alone should create the backorder: %v", n)
	}
}

func TestInvoicePosting(t *testing.T) {
	f := newFixture(t, Options{})
	draftInvoice(f)
	inv := readOne(t, f, "account.move", 1, "name", "state", "amount_total", "display_name", "invoice_line_ids")
	if inv["name"] != "/" || inv["state"] != "draft" || inv["amount_total"] != 900.0 || inv["display_name"] != "Draft Invoice (* 1)" {
		t.Errorf("draft invoice: %v", inv)
	}
	if got := f.mustKW("account.move", "action_post", l{l{1}}, nil); got != false {
		t.Errorf("action_post = %v, want false", got)
	}
	inv = readOne(t, f, "account.move", 1, "name", "state", "invoice_date", "date", "invoice_date_due")
	if inv["name"] != "INV/2026/00001" || inv["state"] != "posted" || inv["invoice_date"] != "2026-03-14" || inv["date"] != "2026-03-14" {
		t.Errorf("posted invoice: %v", inv)
	}
	msg := f.kwErr(UserError, "account.move", "action_post", l{l{1}}, nil)
	if msg != "The entry INV/2026/00001 (id 1) is already posted." {
		t.Errorf("post twice: %q", msg)
	}
	// Rules that make posting fail do not consume a number.
	noLines := f.mustKW("account.move", "create", l{m{"move_type": "out_invoice", "partner_id": 1}}, nil)
	if msg := f.kwErr(UserError, "account.move", "action_post", l{l{noLines}}, nil); msg != "You need to add a line before posting." {
		t.Errorf("no lines: %q", msg)
	}
	noPartner := f.mustKW("account.move", "create", l{m{"move_type": "in_invoice",
		"invoice_line_ids": l{l{0, 0, m{"name": "Freight", "price_unit": 80}}}}}, nil)
	if msg := f.kwErr(UserError, "account.move", "action_post", l{l{noPartner}}, nil); msg !=
		"The field 'Vendor' is required, please complete it to validate the Vendor Bill." {
		t.Errorf("no partner: %q", msg)
	}
	f.mustKW("account.move", "write", l{l{noPartner}, m{"partner_id": 4, "invoice_date": "2026-02-27"}}, nil)
	f.mustKW("account.move", "action_post", l{l{noPartner}}, nil)
	if name := readOne(t, f, "account.move", noPartner.(int), "name")["name"]; name != "BILL/2026/02/0001" {
		t.Errorf("bill name: %v", name)
	}
	second := f.mustKW("account.move", "create", l{m{"move_type": "out_invoice", "partner_id": 4,
		"invoice_line_ids": l{l{0, 0, m{"product_id": 2, "quantity": 1}}}}}, nil)
	f.mustKW("account.move", "action_post", l{l{second}}, nil)
	if name := readOne(t, f, "account.move", second.(int), "name")["name"]; name != "INV/2026/00002" {
		t.Errorf("second invoice: %v (numbers must be gapless)", name)
	}
	refund := f.mustKW("account.move", "create", l{m{"move_type": "out_refund", "partner_id": 4,
		"invoice_line_ids": l{l{0, 0, m{"product_id": 2}}}}}, nil)
	f.mustKW("account.move", "action_post", l{l{refund}}, nil)
	if name := readOne(t, f, "account.move", refund.(int), "name")["name"]; name != "RINV/2026/00001" {
		t.Errorf("refund: %v", name)
	}
	// button_draft returns None (no "result" key), button_cancel too.
	res, hasResult, rerr := jsonrpcCall(t, f.url, "object", "execute_kw", "odoo", 2, "admin", "account.move", "button_draft", l{l{1}}, m{})
	if rerr != nil || hasResult || res != nil {
		t.Errorf("button_draft: %v %v %v", res, hasResult, rerr)
	}
	if st := readOne(t, f, "account.move", 1, "state", "name"); st["state"] != "draft" || st["name"] != "INV/2026/00001" {
		t.Errorf("reset to draft: %v", st)
	}
	f.kwErr(UserError, "account.move", "button_draft", l{l{1}}, nil)
	f.mustKW("account.move", "button_cancel", l{l{1}}, nil)
	f.kwErr(UserError, "account.move", "button_cancel", l{l{1}}, nil)
}

func TestExternalIDs(t *testing.T) {
	f := newFixture(t, Options{})
	externalID(f)
	if got := f.mustKW("ir.model.data", "check_object_reference", l{"__flowctl__", "so_EXT_1001"}, nil); !reflect.DeepEqual(got, l{"sale.order", 1}) {
		t.Errorf("check_object_reference = %v", got)
	}
	// Unique on module + name, ValidationError like the unique index.
	msg := f.kwErr(ValidationError, "ir.model.data", "create", l{m{"module": "__flowctl__", "name": "so_EXT_1001", "model": "sale.order", "res_id": 2}}, nil)
	if !strings.Contains(msg, `ir_model_data_module_name_uniq_index`) {
		t.Errorf("duplicate: %q", msg)
	}
	// Same name in another module is fine; renaming onto a taken name is not.
	other := f.mustKW("ir.model.data", "create", l{m{"module": "other", "name": "so_EXT_1001", "model": "sale.order", "res_id": 1}}, nil)
	f.kwErr(ValidationError, "ir.model.data", "write", l{l{other}, m{"module": "__flowctl__"}}, nil)
	found := f.mustKW("ir.model.data", "search_read", l{l{l{"module", "=", "__flowctl__"}, l{"name", "=", "so_EXT_1001"}}}, m{"fields": l{"model", "res_id", "complete_name"}})
	if fieldOf(found, 0, "res_id") != 1 || fieldOf(found, 0, "complete_name") != "__flowctl__.so_EXT_1001" {
		t.Errorf("search_read ir.model.data: %v", found)
	}
	// Archived record: [model, false]; unknown: ValueError.
	f.s.SetExternalID("__flowctl__.prod_lamp", "product.product", 3)
	f.mustKW("product.product", "write", l{l{3}, m{"active": false}}, nil)
	if got := f.mustKW("ir.model.data", "check_object_reference", l{"__flowctl__", "prod_lamp"}, nil); !reflect.DeepEqual(got, l{"product.product", false}) {
		t.Errorf("archived: %v", got)
	}
	f.kwErr(AccessError, "ir.model.data", "check_object_reference", l{"__flowctl__", "prod_lamp", true}, nil)
	f.kwErr(ValueError, "ir.model.data", "check_object_reference", l{"__flowctl__", "nope"}, nil)
	// Deleting the record deletes its external id.
	f.mustKW("sale.order", "unlink", l{l{1}}, nil)
	f.kwErr(ValueError, "ir.model.data", "check_object_reference", l{"__flowctl__", "so_EXT_1001"}, nil)
	// Recursion check on partners.
	f.kwErr(ValidationError, "res.partner", "write", l{l{1}, m{"parent_id": 2}}, nil)
}
