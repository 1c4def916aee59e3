package odootest

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReadShapes(t *testing.T) {
	f := newFixture(t, Options{})
	rec := f.mustKW("res.partner", "read", l{l{2}}, nil).([]any)[0].(map[string]any)
	for k, want := range map[string]any{
		"id":           2,
		"name":         "Brandon Freeman",
		"display_name": "Azure Interior, Brandon Freeman",
		"parent_id":    l{1, "Azure Interior"},
		"child_ids":    l{},
		"ref":          false, // empty char
		"phone":        false,
		"is_company":   false,
		"category_id":  l{},
		"type":         "contact",
		"active":       true,
		"create_date":  "2026-03-14 09:30:00",
	} {
		if got := rec[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	// Every field comes back, with id first.
	if len(rec) != len(f.s.models["res.partner"].fields) {
		t.Errorf("read without fields: %d fields, model has %d", len(rec), len(f.s.models["res.partner"].fields))
	}
	// load=None gives plain many2one ids.
	res := f.mustKW("res.partner", "read", l{l{2}, l{"parent_id"}}, m{"load": nil})
	if got := fieldOf(res, 0, "parent_id"); got != 1 {
		t.Errorf("load=None parent_id = %v", got)
	}
	// A single id works as well as a list; missing ids are skipped.
	res = f.mustKW("res.partner", "read", l{4, l{"name"}}, nil)
	if len(res.([]any)) != 1 {
		t.Errorf("read(4): %v", res)
	}
	res = f.mustKW("res.partner", "read", l{l{99, 4, 98}, l{"name"}}, nil)
	if got := fieldOf(res, 0, "id"); len(res.([]any)) != 1 || got != 4 {
		t.Errorf("read with missing ids: %v", res)
	}
	// Numbers: unset integer 0 and float 0.0; floats stay floats on the wire.
	p := f.s.MustCreate("product.product", m{"name": "Bare"})
	prod, err := f.s.Read("product.product", p, "weight", "list_price", "standard_price")
	if err != nil {
		t.Fatal(err)
	}
	if prod["weight"] != 0.0 || prod["list_price"] != 1.0 {
		t.Errorf("product numbers: %v", prod)
	}
	_, _, body := post(t, f.url+"/jsonrpc", "application/json", nil,
		[]byte(ekw("product.product", "read", l{l{p}, l{"weight"}}, nil)))
	if !strings.Contains(string(body), `"weight": 0.0`) {
		t.Errorf("float not written as Python does: %s", body)
	}
}

func TestWriteDates(t *testing.T) {
	f := newFixture(t, Options{})
	f.clock.Advance(90 * time.Minute)
	f.mustKW("res.partner", "write", l{l{1, 4}, m{"city": "Fremont"}}, nil)
	res := f.mustKW("res.partner", "read", l{l{1, 2}, l{"create_date", "write_date", "city"}}, nil)
	if got := fieldOf(res, 0, "write_date"); got != "2026-03-14 11:00:00" {
		t.Errorf("write_date after write = %v", got)
	}
	if got := fieldOf(res, 0, "create_date"); got != "2026-03-14 09:30:00" {
		t.Errorf("create_date changed: %v", got)
	}
	if got := fieldOf(res, 1, "write_date"); got != "2026-03-14 09:30:00" {
		t.Errorf("untouched record write_date = %v", got)
	}
	// write_date can be polled with a cursor.
	found := ids(f.mustKW("res.partner", "search", l{l{l{"write_date", ">", "2026-03-14 10:00:00"}}}, m{"order": "write_date asc, id asc"}))
	if !reflect.DeepEqual(found, []int{1, 4}) {
		t.Errorf("changed since 10:00: %v", found)
	}
	// Writing a computed field is ignored; create_date cannot be forced.
	f.mustKW("sale.order", "write", l{l{1}, m{"amount_total": 1, "create_date": "2020-01-01 00:00:00"}}, nil)
	so, _ := f.s.Read("sale.order", 1, "amount_total", "create_date")
	if so["amount_total"] != 1395.0 || so["create_date"] != "2026-03-14 09:30:00" {
		t.Errorf("computed/magic fields written: %v", so)
	}
}

func TestCreateWriteUnlink(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.mustKW("res.partner", "create", l{m{"name": "One"}}, nil)
	if id != 5 {
		t.Errorf("create(dict) = %v, want 5", id)
	}
	got := f.mustKW("res.partner", "create", l{l{m{"name": "Two"}, m{"name": "Three"}}}, nil)
	if !reflect.DeepEqual(got, l{6, 7}) {
		t.Errorf("create(list) = %v", got)
	}
	if got := f.mustKW("res.partner", "create", l{l{}}, nil); !reflect.DeepEqual(got, l{}) {
		t.Errorf("create([]) = %v", got)
	}
	if got := f.mustKW("res.partner", "write", l{l{5, 6}, m{"email": "x@example.com", "ref": ""}}, nil); got != true {
		t.Errorf("write = %v", got)
	}
	f.kwErr(MissingError, "res.partner", "write", l{l{5, 99}, m{"email": "y"}}, nil)
	if r, _ := f.s.Read("res.partner", 5, "email"); r["email"] != "x@example.com" {
		t.Errorf("failed write changed record 5: %v", r)
	}
	f.kwErr(ValueError, "res.partner", "write", l{l{5}, m{"colour": "red"}}, nil)
	f.kwErr(ValidationError, "res.partner", "write", l{l{5}, m{"name": false}}, nil)
	f.kwErr(ValidationError, "res.partner", "write", l{l{5}, m{"parent_id": 404}}, nil)
	f.kwErr(ValueError, "res.partner", "write", l{l{5}, m{"type": "robot"}}, nil)
	f.kwErr(ValueError, "sale.order", "write", l{l{1}, m{"commitment_date": "2026-03-14T10:00:00"}}, nil)
	f.mustKW("sale.order", "write", l{l{1}, m{"commitment_date": "2026-03-20"}}, nil)
	if r, _ := f.s.Read("sale.order", 1, "commitment_date"); r["commitment_date"] != "2026-03-20 00:00:00" {
		t.Errorf("date-only datetime: %v", r)
	}
	if got := f.mustKW("res.partner", "unlink", l{l{6, 7, 99}}, nil); got != true {
		t.Errorf("unlink = %v", got)
	}
	if got := f.mustKW("res.partner", "search", l{l{l{"id", ">=", 6}}}, nil); len(got.([]any)) != 0 {
		t.Errorf("unlinked records found: %v", got)
	}
	// Deleting again is not an error.
	f.mustKW("res.partner", "unlink", l{l{6}}, nil)
	// Ids are not reused.
	if id := f.mustKW("res.partner", "create", l{m{"name": "Four"}}, nil); id != 8 {
		t.Errorf("id after unlink = %v", id)
	}
}

func TestTransactionRollback(t *testing.T) {
	f := newFixture(t, Options{})
	before := f.mustKW("sale.order.line", "search_count", l{l{}}, nil)
	// The second line has no product and no description: NOT NULL.
	f.kwErr(ValidationError, "sale.order", "create", l{m{"partner_id": 4, "order_line": l{
		l{0, 0, m{"product_id": 1}},
		l{0, 0, m{"product_uom_qty": 3}},
	}}}, nil)
	if n := f.mustKW("sale.order", "search_count", l{l{}}, nil); n != 1 {
		t.Errorf("orders after failed create: %v", n)
	}
	if n := f.mustKW("sale.order.line", "search_count", l{l{}}, nil); n != before {
		t.Errorf("lines after failed create: %v, want %v", n, before)
	}
	// Like PostgreSQL sequences, ids and order numbers are not given back.
	id := f.mustKW("sale.order", "create", l{m{"partner_id": 4}}, nil)
	if id != 3 {
		t.Errorf("id after rollback = %v, want 3", id)
	}
	if r, _ := f.s.Read("sale.order", 3, "name"); r["name"] != "SO0003" {
		t.Errorf("name after rollback = %v", r["name"])
	}
	// A failed batch create leaves nothing.
	f.kwErr(ValueError, "res.partner", "create", l{l{m{"name": "ok"}, m{"name": "bad", "colour": 1}}}, nil)
	if n := f.mustKW("res.partner", "search_count", l{l{l{"name", "=", "ok"}}}, nil); n != 0 {
		t.Errorf("partial batch kept: %v", n)
	}
}

func TestX2ManyOne2many(t *testing.T) {
	f := newFixture(t, Options{})
	lines := func(order int) []int {
		r, err := f.s.Read("sale.order", order, "order_line")
		if err != nil {
			t.Fatal(err)
		}
		return ids(r["order_line"])
	}
	order := f.mustKW("sale.order", "create", l{m{"partner_id": 4, "order_line": l{
		l{0, 0, m{"product_id": 1, "product_uom_qty": 1}},
		l{0, "virtual_1", m{"product_id": 2, "product_uom_qty": 2, "price_unit": 100}},
	}}}, nil).(int)
	if got := lines(order); !reflect.DeepEqual(got, []int{4, 5}) {
		t.Fatalf("[0] create: %v", got)
	}
	l5, _ := f.s.Read("sale.order.line", 5, "order_id", "name", "price_unit", "price_subtotal")
	if !reflect.DeepEqual(l5["order_id"], l{order, "SO0002"}) || l5["name"] != "[FURN_0002] Chair" || l5["price_subtotal"] != 200.0 {
		t.Errorf("created line: %v", l5)
	}
	step := func(name string, cmds l, want []int) {
		t.Helper()
		f.mustKW("sale.order", "write", l{l{order}, m{"order_line": cmds}}, nil)
		if got := lines(order); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: lines %v, want %v", name, got, want)
		}
	}
	step("[1] update", l{l{1, 4, m{"product_uom_qty": 5}}}, []int{4, 5})
	if r, _ := f.s.Read("sale.order.line", 4, "product_uom_qty"); r["product_uom_qty"] != 5.0 {
		t.Errorf("[1] did not update: %v", r)
	}
	step("[2] delete", l{l{2, 5, 0}}, []int{4})
	if r, _ := f.s.Call("sale.order.line", "search", l{l{l{"id", "=", 5}}}, nil); len(r.([]any)) != 0 {
		t.Error("[2] left the line")
	}
	// [3] on a required inverse (order_id) deletes the line, as Odoo does.
	step("[3] unlink required inverse", l{l{3, 4, 0}}, nil)
	if n, _ := f.s.Call("sale.order.line", "search_count", l{l{l{"id", "=", 4}}}, nil); n != 0 {
		t.Error("[3] kept a line whose order_id is required")
	}
	// [4] moves a line of another order here.
	step("[4] link", l{l{4, 1, 0}}, []int{1})
	if got := lines(1); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Errorf("[4] source order lines %v", got)
	}
	step("[0]+[0]", l{l{0, 0, m{"name": "Note line", "price_unit": 0}}, l{0, 0, m{"product_id": 3}}}, []int{1, 6, 7})
	step("[6] set", l{l{6, 0, l{1, 7}}}, []int{1, 7})
	step("[5] clear", l{l{5, 0, 0}}, nil)
	step("plain ids", l{2, 3}, []int{2, 3})
	if got := lines(1); len(got) != 0 {
		t.Errorf("source order after id list: %v", got)
	}

	// One2many with an optional inverse: [3]/[5] clear parent_id.
	p := f.mustKW("res.partner", "create", l{m{"name": "Hub", "is_company": true, "child_ids": l{
		l{0, 0, m{"name": "Dock A"}}, l{0, 0, m{"name": "Dock B"}}, l{4, 4, 0},
	}}}, nil).(int)
	kids := func() []int {
		r, _ := f.s.Read("res.partner", p, "child_ids")
		return ids(r["child_ids"])
	}
	if got := kids(); !reflect.DeepEqual(got, []int{4, 6, 7}) {
		t.Fatalf("partner children %v", got)
	}
	f.mustKW("res.partner", "write", l{l{p}, m{"child_ids": l{l{3, 6, 0}}}}, nil)
	if r, _ := f.s.Read("res.partner", 6, "parent_id"); r["parent_id"] != false {
		t.Errorf("[3] optional inverse: %v", r)
	}
	f.mustKW("res.partner", "write", l{l{p}, m{"child_ids": l{l{5, 0, 0}}}}, nil)
	if got := kids(); len(got) != 0 {
		t.Errorf("[5] optional inverse: %v", got)
	}
	if n, _ := f.s.Call("res.partner", "search_count", l{l{l{"id", "in", l{6, 7}}}}, nil); n != 2 {
		t.Errorf("[5] deleted optional children: %v", n)
	}
	f.kwErr(ValueError, "res.partner", "write", l{l{p}, m{"child_ids": l{l{9, 0, 0}}}}, nil)
	f.kwErr(ValueError, "res.partner", "write", l{l{p}, m{"child_ids": "oops"}}, nil)
	f.kwErr(MissingError, "res.partner", "write", l{l{p}, m{"child_ids": l{l{4, 999, 0}}}}, nil)
}

func TestX2ManyMany2many(t *testing.T) {
	f := newFixture(t, Options{})
	a := f.s.MustCreate("res.partner.category", m{"name": "A"})
	b := f.s.MustCreate("res.partner.category", m{"name": "B"})
	tags := func() []int {
		r, _ := f.s.Read("res.partner", 1, "category_id")
		return ids(r["category_id"])
	}
	step := func(name string, cmds any, want []int) {
		t.Helper()
		f.mustKW("res.partner", "write", l{l{1}, m{"category_id": cmds}}, nil)
		if got := tags(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	step("[4] link", l{l{4, a, 0}, l{4, b, 0}, l{4, a, 0}}, []int{a, b})
	step("[3] unlink", l{l{3, a, 0}}, []int{b})
	if n, _ := f.s.Call("res.partner.category", "search_count", l{l{}}, nil); n != 2 {
		t.Error("[3] deleted the tag")
	}
	step("[0] create", l{l{0, 0, m{"name": "C"}}}, []int{b, 3})
	step("[1] update", l{l{1, 3, m{"name": "C2"}}}, []int{b, 3})
	if r, _ := f.s.Read("res.partner.category", 3, "name"); r["name"] != "C2" {
		t.Errorf("[1]: %v", r)
	}
	step("[6] set", l{l{6, 0, l{a, 3}}}, []int{a, 3})
	step("[2] delete", l{l{2, 3, 0}}, []int{a})
	if n, _ := f.s.Call("res.partner.category", "search_count", l{l{}}, nil); n != 2 {
		t.Error("[2] kept the tag")
	}
	step("[5] clear", l{l{5, 0, 0}}, nil)
	step("id list", l{b, a}, []int{b, a})
	f.kwErr(ValidationError, "res.partner", "write", l{l{1}, m{"category_id": l{l{4, 99, 0}}}}, nil)
	// Deleting a tag removes it from partners.
	f.mustKW("res.partner.category", "unlink", l{l{b}}, nil)
	if got := tags(); !reflect.DeepEqual(got, []int{a}) {
		t.Errorf("after deleting tag: %v", got)
	}
}

func TestUnlinkRules(t *testing.T) {
	f := newFixture(t, Options{})
	externalID(f)
	// Cascade: lines go with the order; its external ids too.
	f.mustKW("sale.order", "unlink", l{l{1}}, nil)
	if n := f.mustKW("sale.order.line", "search_count", l{l{}}, nil); n != 0 {
		t.Errorf("lines left: %v", n)
	}
	if n := f.mustKW("ir.model.data", "search_count", l{l{}}, nil); n != 0 {
		t.Errorf("external ids left: %v", n)
	}
	// RESTRICT: a partner with an order (required partner_id).
	f.mustKW("sale.order", "create", l{m{"partner_id": 4}}, nil)
	msg := f.kwErr(ValidationError, "res.partner", "unlink", l{l{4}}, nil)
	if !strings.Contains(msg, "sale_order_partner_id_fkey") {
		t.Errorf("restrict message: %s", msg)
	}
	// SET NULL: the contacts of a deleted company lose their parent.
	f.mustKW("res.partner", "unlink", l{l{1}}, nil)
	if r, _ := f.s.Read("res.partner", 2, "parent_id"); r["parent_id"] != false {
		t.Errorf("parent_id after parent unlink: %v", r)
	}
	// State rules.
	f2 := newFixture(t, Options{})
	confirmDemo(f2)
	f2.kwErr(UserError, "sale.order", "unlink", l{l{1}}, nil)
	f2.mustKW("stock.picking", "button_validate", l{l{1}}, nil)
	f2.kwErr(UserError, "stock.picking", "unlink", l{l{1}}, nil)
	draftInvoice(f2)
	f2.mustKW("account.move", "action_post", l{l{1}}, nil)
	f2.kwErr(UserError, "account.move", "unlink", l{l{1}}, nil)
	f2.mustKW("sale.order", "action_cancel", l{l{1}}, nil)
	f2.mustKW("sale.order", "unlink", l{l{1}}, nil)
}

func TestActiveAndContextDefaults(t *testing.T) {
	f := newFixture(t, Options{})
	f.mustKW("product.product", "write", l{l{3}, m{"active": false}}, nil)
	if got := ids(f.mustKW("product.product", "search", l{l{}}, m{"order": "id"})); !reflect.DeepEqual(got, []int{1, 2, 4}) {
		t.Errorf("archived product found: %v", got)
	}
	got := ids(f.mustKW("product.product", "search", l{l{}}, m{"order": "id", "context": m{"active_test": false}}))
	if !reflect.DeepEqual(got, []int{1, 2, 3, 4}) {
		t.Errorf("active_test false: %v", got)
	}
	// read ignores active.
	if res := f.mustKW("product.product", "read", l{l{3}, l{"active"}}, nil); fieldOf(res, 0, "active") != false {
		t.Errorf("read archived: %v", res)
	}
	// default_<field> in the context.
	id := f.mustKW("account.move", "create", l{m{"partner_id": 1}}, m{"context": m{"default_move_type": "out_refund"}}).(int)
	if r, _ := f.s.Read("account.move", id, "move_type", "display_name", "state", "name"); r["move_type"] != "out_refund" ||
		r["display_name"] != "Draft Credit Note (* 1)" || r["name"] != "/" {
		t.Errorf("context default: %v", r)
	}
}

func TestFieldsGetAndNameSearch(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.mustKW("sale.order", "fields_get", nil, nil).(map[string]any)
	for _, name := range []string{"id", "name", "partner_id", "partner_shipping_id", "client_order_ref", "commitment_date",
		"state", "amount_total", "picking_ids", "order_line", "display_name", "create_date", "write_date"} {
		if res[name] == nil {
			t.Errorf("fields_get lacks %s", name)
		}
	}
	ol := res["order_line"].(map[string]any)
	want := map[string]any{"type": "one2many", "relation": "sale.order.line", "relation_field": "order_id",
		"required": false, "readonly": false, "string": "Order Lines", "store": false, "sortable": false}
	if !reflect.DeepEqual(ol, want) {
		t.Errorf("order_line description: %v", ol)
	}
	at := res["amount_total"].(map[string]any)
	if at["type"] != "monetary" || at["readonly"] != true || at["store"] != false {
		t.Errorf("amount_total: %v", at)
	}
	// name_search.
	got := f.mustKW("res.partner", "name_search", l{"Deco"}, nil)
	if !reflect.DeepEqual(got, l{l{4, "Deco Addict"}}) {
		t.Errorf("name_search: %v", got)
	}
	got = f.mustKW("res.partner", "name_search", nil, m{"name": "azure", "domain": l{l{"is_company", "=", false}}, "limit": 1})
	if !reflect.DeepEqual(got, l{l{3, "Azure Interior, Azure Warehouse"}}) {
		t.Errorf("name_search with domain: %v", got)
	}
	got = f.mustKW("product.product", "name_search", l{"FURN_0003", l{}, "="}, nil)
	if !reflect.DeepEqual(got, l{l{3, "[FURN_0003] Lamp"}}) {
		t.Errorf("name_search by code: %v", got)
	}
	if got := f.mustKW("delivery.carrier", "name_search", l{""}, nil); len(got.([]any)) != 1 {
		t.Errorf("name_search empty name: %v", got)
	}
	// Odoo 17 names the domain parameter "args".
	f17 := newFixture(t, Options{Version: 17})
	f17.mustKW("res.partner", "name_search", nil, m{"name": "azure", "args": l{}})
	f17.kwErr(TypeError, "res.partner", "name_search", nil, m{"name": "azure", "domain": l{}})
}

func TestLoad(t *testing.T) {
	f := newFixture(t, Options{})
	fields := l{"id", "name", "parent_id", "is_company", "category_id"}
	first := f.mustKW("res.partner", "load", l{fields, l{
		l{"__flowctl__.p1", "Pallet Co", "Deco Addict", "0", ""},
		l{"p2", "Crate Co", "", "1", ""},
	}}, nil).(map[string]any)
	if !reflect.DeepEqual(first, map[string]any{"ids": l{5, 6}, "messages": l{}, "nextrow": 0}) {
		t.Fatalf("first load: %v", first)
	}
	// Same external id: the record is updated, not created again.
	second := f.mustKW("res.partner", "load", l{fields, l{l{"__flowctl__.p1", "Pallet Company", "", "0", ""}}}, nil).(map[string]any)
	if !reflect.DeepEqual(second["ids"], l{5}) {
		t.Errorf("second load: %v", second)
	}
	r, _ := f.s.Read("res.partner", 5, "name", "parent_id")
	if r["name"] != "Pallet Company" || r["parent_id"] != false {
		t.Errorf("upserted record: %v", r)
	}
	if got := f.mustKW("ir.model.data", "check_object_reference", l{"__import__", "p2"}, nil); !reflect.DeepEqual(got, l{"res.partner", 6}) {
		t.Errorf("default module: %v", got)
	}
	// x/id references an external id.
	third := f.mustKW("res.partner", "load", l{l{"name", "parent_id/id"}, l{l{"Dock", "__flowctl__.p1"}}}, nil).(map[string]any)
	if r, _ := f.s.Read("res.partner", ids(third["ids"])[0], "parent_id"); !reflect.DeepEqual(r["parent_id"], l{5, "Pallet Company"}) {
		t.Errorf("parent via external id: %v", r)
	}
	// Errors: ids false, messages, nothing written.
	bad := f.mustKW("res.partner", "load", l{l{"name", "parent_id"}, l{l{"Good", ""}, l{"Bad", "No Such Partner"}}}, nil).(map[string]any)
	if bad["ids"] != false || len(bad["messages"].([]any)) != 1 {
		t.Errorf("failed load: %v", bad)
	}
	if n := f.mustKW("res.partner", "search_count", l{l{l{"name", "=", "Good"}}}, nil); n != 0 {
		t.Errorf("failed load kept rows: %v", n)
	}
}
