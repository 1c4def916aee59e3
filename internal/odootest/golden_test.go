package odootest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden responses under testdata/")

// goldenCase is one HTTP exchange whose response is compared byte for byte
// with testdata/NAME.golden. Each case runs on a fresh server seeded with
// SeedDemo and a fixed clock (2026-03-14 09:30:00 UTC).
type goldenCase struct {
	name    string
	version int
	setup   func(f *fixture)
	method  string // POST unless set
	path    string
	header  map[string]string
	body    string
}

// rpc builds a JSON-RPC request body.
func rpc(service, method string, args ...any) string {
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "call", "id": 7,
		"params": map[string]any{"service": service, "method": method, "args": args}})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ekw builds an execute_kw request as the admin.
func ekw(model, method string, args []any, kwargs map[string]any) string {
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	return rpc("object", "execute_kw", "odoo", 2, "admin", model, method, args, kwargs)
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

type m = map[string]any
type l = []any

var bearer = map[string]string{"Authorization": "bearer " + DefaultAPIKey, "X-Odoo-Database": "odoo"}

func confirmDemo(f *fixture) { f.mustKW("sale.order", "action_confirm", l{l{f.demo.Quotation}}, nil) }

func partialPicking(f *fixture) {
	confirmDemo(f)
	f.mustKW("stock.move", "write", l{l{1}, m{"quantity": 1, "picked": true}}, nil)
}

func draftInvoice(f *fixture) {
	f.mustKW("account.move", "create", l{m{"move_type": "out_invoice", "partner_id": f.demo.Company,
		"invoice_origin": "SO0001", "ref": "PO-1001",
		"invoice_line_ids": l{l{0, 0, m{"product_id": f.demo.Products[0], "quantity": 2}}}}}, nil)
}

func externalID(f *fixture) {
	f.mustKW("ir.model.data", "create", l{m{"module": "__flowctl__", "name": "so_EXT_1001",
		"model": "sale.order", "res_id": f.demo.Quotation}}, nil)
}

func plainUser(f *fixture) {
	f.s.AddUser(User{Login: "clerk", Password: "clerk", APIKey: "clerk-key"})
}

var goldenCases = []goldenCase{
	// JSON-RPC: common service.
	{name: "jsonrpc_version", path: "/jsonrpc", body: rpc("common", "version")},
	{name: "jsonrpc_version_17", version: 17, path: "/jsonrpc", body: rpc("common", "version")},
	{name: "jsonrpc_authenticate", path: "/jsonrpc", body: rpc("common", "authenticate", "odoo", "admin", "admin", m{})},
	{name: "jsonrpc_authenticate_apikey", path: "/jsonrpc", body: rpc("common", "authenticate", "odoo", "admin", DefaultAPIKey, m{})},
	{name: "jsonrpc_authenticate_wrong", path: "/jsonrpc", body: rpc("common", "authenticate", "odoo", "admin", "nope", m{})},
	{name: "jsonrpc_login", path: "/jsonrpc", body: rpc("common", "login", "odoo", "admin", "admin")},
	{name: "jsonrpc_authenticate_wrong_db", path: "/jsonrpc", body: rpc("common", "authenticate", "prod", "admin", "admin", m{})},
	{name: "jsonrpc_unknown_common_method", path: "/jsonrpc", body: rpc("common", "nope")},

	// JSON-RPC: ORM.
	{name: "jsonrpc_search_read", path: "/jsonrpc", body: ekw("res.partner", "search_read",
		l{l{l{"is_company", "=", true}}}, m{"fields": l{"name", "ref", "email", "parent_id", "child_ids", "write_date"},
			"order": "write_date asc, id asc", "limit": 10, "offset": 0})},
	{name: "jsonrpc_search", path: "/jsonrpc", body: ekw("product.product", "search",
		l{l{l{"type", "!=", "service"}}}, m{"order": "list_price desc"})},
	{name: "jsonrpc_read", path: "/jsonrpc", body: ekw("sale.order", "read",
		l{l{1}, l{"name", "partner_id", "partner_shipping_id", "client_order_ref", "commitment_date", "state",
			"order_line", "amount_total", "picking_ids", "create_date", "write_date"}}, nil)},
	{name: "jsonrpc_read_lines", path: "/jsonrpc", body: ekw("sale.order.line", "read",
		l{l{1, 2, 3}, l{"order_id", "product_id", "name", "product_uom_qty", "price_unit", "price_subtotal"}}, nil)},
	{name: "jsonrpc_read_missing", path: "/jsonrpc", body: ekw("res.partner", "read", l{l{99}, l{"name"}}, nil)},
	{name: "jsonrpc_search_count", path: "/jsonrpc", body: ekw("res.partner", "search_count",
		l{l{l{"parent_id", "!=", false}}}, nil)},
	{name: "jsonrpc_create_dict", path: "/jsonrpc", body: ekw("res.partner", "create",
		l{m{"name": "Gemini Furniture", "is_company": true, "email": "gemini@example.com"}}, nil)},
	{name: "jsonrpc_create_list", path: "/jsonrpc", body: ekw("res.partner", "create",
		l{l{m{"name": "A"}, m{"name": "B"}}}, nil)},
	{name: "jsonrpc_write", path: "/jsonrpc", body: ekw("res.partner", "write", l{l{1}, m{"phone": "+1 555 0100"}}, nil)},
	{name: "jsonrpc_write_missing", path: "/jsonrpc", body: ekw("res.partner", "write", l{l{99}, m{"phone": "x"}}, nil)},
	{name: "jsonrpc_unlink", path: "/jsonrpc", body: ekw("res.partner", "unlink", l{l{2}}, nil)},
	{name: "jsonrpc_fields_get", path: "/jsonrpc", body: ekw("sale.order", "fields_get",
		l{l{"name", "partner_id", "state", "order_line"}}, m{"attributes": l{"type", "relation", "required", "readonly", "string", "selection"}})},
	{name: "jsonrpc_name_search", path: "/jsonrpc", body: ekw("product.product", "name_search", l{"furn"}, m{"limit": 2})},
	{name: "jsonrpc_load", path: "/jsonrpc", body: ekw("res.partner", "load",
		l{l{"id", "name", "ref", "parent_id/id"}, l{l{"__flowctl__.partner_1", "Customer One", "C1", ""}}}, nil)},
	{name: "jsonrpc_create_required_missing", path: "/jsonrpc", body: ekw("sale.order", "create", l{m{"client_order_ref": "X"}}, nil)},
	{name: "jsonrpc_create_invalid_field", path: "/jsonrpc", body: ekw("res.partner", "create", l{m{"name": "X", "colour": "red"}}, nil)},
	{name: "jsonrpc_read_invalid_field", path: "/jsonrpc", body: ekw("res.partner", "read", l{l{1}, l{"colour"}}, nil)},
	{name: "jsonrpc_domain_invalid_field", path: "/jsonrpc", body: ekw("res.partner", "search", l{l{l{"colour", "=", "red"}}}, nil)},
	{name: "jsonrpc_domain_invalid_operator", path: "/jsonrpc", body: ekw("res.partner", "search", l{l{l{"name", "~", "x"}}}, nil)},
	{name: "jsonrpc_selection_invalid", path: "/jsonrpc", body: ekw("product.product", "create", l{m{"name": "X", "type": "gadget"}}, nil)},
	{name: "jsonrpc_unknown_model", path: "/jsonrpc", body: ekw("x_shipment", "search", l{l{}}, nil)},
	{name: "jsonrpc_unknown_model_17", version: 17, path: "/jsonrpc", body: ekw("x_shipment", "search", l{l{}}, nil)},
	{name: "jsonrpc_unknown_method", path: "/jsonrpc", body: ekw("sale.order", "action_ship", l{l{1}}, nil)},
	{name: "jsonrpc_private_method", path: "/jsonrpc", body: ekw("sale.order", "_create_invoices", l{l{1}}, nil)},
	{name: "jsonrpc_unexpected_kwarg", path: "/jsonrpc", body: ekw("res.partner", "search_read", l{l{}}, m{"colour": 1})},
	{name: "jsonrpc_missing_ids", path: "/jsonrpc", body: ekw("res.partner", "read", l{}, nil)},
	{name: "jsonrpc_missing_argument", path: "/jsonrpc", body: ekw("res.partner", "create", l{}, nil)},
	{name: "jsonrpc_access_denied", path: "/jsonrpc", body: rpc("object", "execute_kw", "odoo", 2, "wrong", "res.partner", "search", l{l{}}, m{})},
	{name: "jsonrpc_wrong_db", path: "/jsonrpc", body: rpc("object", "execute_kw", "prod", 2, "admin", "res.partner", "search", l{l{}}, m{})},
	{name: "jsonrpc_unknown_object_method", path: "/jsonrpc", body: rpc("object", "call_kw", "odoo")},

	// JSON-RPC: workflows.
	{name: "jsonrpc_action_confirm", path: "/jsonrpc", body: ekw("sale.order", "action_confirm", l{l{1}}, nil)},
	{name: "jsonrpc_action_confirm_twice", setup: confirmDemo, path: "/jsonrpc", body: ekw("sale.order", "action_confirm", l{l{1}}, nil)},
	{name: "jsonrpc_picking_after_confirm", setup: confirmDemo, path: "/jsonrpc", body: ekw("stock.picking", "search_read",
		l{l{l{"origin", "=", "SO0001"}}}, m{"fields": l{"name", "state", "partner_id", "origin", "carrier_id", "scheduled_date", "move_ids", "sale_id"}})},
	{name: "jsonrpc_button_validate", setup: confirmDemo, path: "/jsonrpc", body: ekw("stock.picking", "button_validate", l{l{1}}, nil)},
	{name: "jsonrpc_button_validate_partial", setup: partialPicking, path: "/jsonrpc", body: ekw("stock.picking", "button_validate", l{l{1}}, nil)},
	{name: "jsonrpc_button_validate_empty", setup: func(f *fixture) {
		f.mustKW("stock.picking", "create", l{m{"partner_id": 1}}, nil)
	}, path: "/jsonrpc", body: ekw("stock.picking", "button_validate", l{l{1}}, nil)},
	{name: "jsonrpc_action_post", setup: draftInvoice, path: "/jsonrpc", body: ekw("account.move", "action_post", l{l{1}}, nil)},
	{name: "jsonrpc_action_post_twice", setup: func(f *fixture) {
		draftInvoice(f)
		f.mustKW("account.move", "action_post", l{l{1}}, nil)
	}, path: "/jsonrpc", body: ekw("account.move", "action_post", l{l{1}}, nil)},
	{name: "jsonrpc_button_draft_none", setup: func(f *fixture) {
		draftInvoice(f)
		f.mustKW("account.move", "action_post", l{l{1}}, nil)
	}, path: "/jsonrpc", body: ekw("account.move", "button_draft", l{l{1}}, nil)},
	{name: "jsonrpc_check_object_reference", setup: externalID, path: "/jsonrpc", body: ekw("ir.model.data", "check_object_reference", l{"__flowctl__", "so_EXT_1001"}, nil)},
	{name: "jsonrpc_check_object_reference_missing", path: "/jsonrpc", body: ekw("ir.model.data", "check_object_reference", l{"__flowctl__", "so_EXT_404"}, nil)},
	{name: "jsonrpc_external_id_duplicate", setup: externalID, path: "/jsonrpc", body: ekw("ir.model.data", "create",
		l{m{"module": "__flowctl__", "name": "so_EXT_1001", "model": "sale.order", "res_id": 1}}, nil)},
	{name: "jsonrpc_external_id_not_admin", setup: plainUser, path: "/jsonrpc", body: rpc("object", "execute_kw", "odoo", 6, "clerk",
		"ir.model.data", "create", l{m{"module": "__flowctl__", "name": "x", "model": "res.partner", "res_id": 1}}, m{})},

	// JSON-RPC: transport errors.
	{name: "jsonrpc_malformed", path: "/jsonrpc", body: `{"jsonrpc": "2.0", "params": `},
	{name: "jsonrpc_not_object", path: "/jsonrpc", body: `[1, 2]`},
	{name: "unknown_path", path: "/web/dataset/nope", body: `{}`},
	{name: "web_version", method: "GET", path: "/web/version"},
	{name: "web_version_18", version: 18, method: "GET", path: "/web/version"},
	{name: "web_version_jsonrpc", path: "/web/version", body: `{"jsonrpc": "2.0", "method": "call", "params": {}, "id": "v"}`},
	{name: "jsonrpc_string_id_no_params", path: "/jsonrpc", body: `{"jsonrpc": "2.0", "method": "call", "id": "abc"}`},
	{name: "jsonrpc_db_list", path: "/jsonrpc", body: rpc("db", "list")},
	{name: "jsonrpc_execute", path: "/jsonrpc", body: rpc("object", "execute", "odoo", 2, "admin", "res.partner", "search_count", l{l{"is_company", "=", true}})},

	// JSON-2.
	{name: "json2_search_read", path: "/json/2/res.partner/search_read", header: bearer, body: js(m{
		"domain": l{l{"is_company", "=", true}}, "fields": l{"name", "ref", "parent_id"}, "order": "id asc", "limit": 5})},
	{name: "json2_search", path: "/json/2/res.partner/search", header: bearer, body: js(m{"domain": l{l{"name", "ilike", "azure"}}})},
	{name: "json2_read", path: "/json/2/sale.order/read", header: bearer, body: js(m{"ids": l{1}, "fields": l{"name", "partner_id", "order_line", "amount_total"}})},
	{name: "json2_read_missing", path: "/json/2/sale.order/read", header: bearer, body: js(m{"ids": l{42}, "fields": l{"name"}})},
	{name: "json2_search_count", path: "/json/2/product.product/search_count", header: bearer, body: js(m{"domain": l{}})},
	{name: "json2_create", path: "/json/2/res.partner/create", header: bearer, body: js(m{"vals_list": l{m{"name": "Gemini Furniture"}}})},
	{name: "json2_create_dict", path: "/json/2/res.partner/create", header: bearer, body: js(m{"vals_list": m{"name": "Gemini Furniture"}})},
	{name: "json2_write", path: "/json/2/res.partner/write", header: bearer, body: js(m{"ids": l{1}, "vals": m{"city": "San Jose"}})},
	{name: "json2_write_missing", path: "/json/2/res.partner/write", header: bearer, body: js(m{"ids": l{99}, "vals": m{"city": "x"}})},
	{name: "json2_unlink", path: "/json/2/res.partner/unlink", header: bearer, body: js(m{"ids": l{2}})},
	{name: "json2_fields_get", path: "/json/2/stock.move/fields_get", header: bearer, body: js(m{
		"allfields": l{"product_id", "quantity", "picked", "state"}, "attributes": l{"type", "relation", "required", "readonly", "string"}})},
	{name: "json2_name_search", path: "/json/2/res.partner/name_search", header: bearer, body: js(m{"name": "azure", "limit": 5})},
	{name: "json2_action_confirm", path: "/json/2/sale.order/action_confirm", header: bearer, body: js(m{"ids": l{1}})},
	{name: "json2_action_confirm_twice", setup: confirmDemo, path: "/json/2/sale.order/action_confirm", header: bearer, body: js(m{"ids": l{1}})},
	{name: "json2_button_validate_partial", setup: partialPicking, path: "/json/2/stock.picking/button_validate", header: bearer, body: js(m{"ids": l{1}})},
	{name: "json2_action_post", setup: draftInvoice, path: "/json/2/account.move/action_post", header: bearer, body: js(m{"ids": l{1}})},
	{name: "json2_button_draft_none", setup: func(f *fixture) {
		draftInvoice(f)
		f.mustKW("account.move", "action_post", l{l{1}}, nil)
	}, path: "/json/2/account.move/button_draft", header: bearer, body: js(m{"ids": l{1}})},
	{name: "json2_check_object_reference", setup: externalID, path: "/json/2/ir.model.data/check_object_reference", header: bearer,
		body: js(m{"module": "__flowctl__", "xml_id": "so_EXT_1001"})},
	{name: "json2_external_id_duplicate", setup: externalID, path: "/json/2/ir.model.data/create", header: bearer,
		body: js(m{"vals_list": l{m{"module": "__flowctl__", "name": "so_EXT_1001", "model": "sale.order", "res_id": 1}}})},
	{name: "json2_external_id_not_admin", setup: plainUser, path: "/json/2/ir.model.data/create",
		header: map[string]string{"Authorization": "bearer clerk-key"},
		body:   js(m{"vals_list": l{m{"module": "__flowctl__", "name": "x", "model": "res.partner", "res_id": 1}}})},
	{name: "json2_bad_key", path: "/json/2/res.partner/search", header: map[string]string{"Authorization": "bearer nope"}, body: js(m{"domain": l{}})},
	{name: "json2_password_not_key", path: "/json/2/res.partner/search", header: map[string]string{"Authorization": "bearer admin"}, body: js(m{"domain": l{}})},
	{name: "json2_no_auth", path: "/json/2/res.partner/search", body: js(m{"domain": l{}})},
	{name: "json2_wrong_db", path: "/json/2/res.partner/search", header: map[string]string{"Authorization": "bearer " + DefaultAPIKey, "X-Odoo-Database": "prod"}, body: js(m{"domain": l{}})},
	{name: "json2_unknown_model", path: "/json/2/x_shipment/search", header: bearer, body: js(m{"domain": l{}})},
	{name: "json2_unknown_method", path: "/json/2/sale.order/action_ship", header: bearer, body: js(m{"ids": l{1}})},
	{name: "json2_private_method", path: "/json/2/sale.order/_create_invoices", header: bearer, body: js(m{"ids": l{1}})},
	{name: "json2_unexpected_keyword", path: "/json/2/res.partner/search", header: bearer, body: js(m{"domain": l{}, "colour": "red"})},
	{name: "json2_missing_argument", path: "/json/2/res.partner/create", header: bearer, body: js(m{})},
	{name: "json2_ids_on_model_method", path: "/json/2/res.partner/search", header: bearer, body: js(m{"ids": l{1}, "domain": l{}})},
	{name: "json2_invalid_field_domain", path: "/json/2/res.partner/search", header: bearer, body: js(m{"domain": l{l{"colour", "=", "red"}}})},
	{name: "json2_invalid_field_create", path: "/json/2/res.partner/create", header: bearer, body: js(m{"vals_list": l{m{"colour": "red"}}})},
	{name: "json2_malformed", path: "/json/2/res.partner/search", header: bearer, body: `{"domain": [`},
	{name: "json2_not_object", path: "/json/2/res.partner/search", header: bearer, body: `[[]]`},
	{name: "json2_bad_path", path: "/json/2/res.partner", header: bearer, body: js(m{})},
	{name: "json2_get", method: "GET", path: "/json/2/res.partner/search", header: bearer},
	{name: "json2_not_in_17", version: 17, path: "/json/2/res.partner/search", header: bearer, body: js(m{"domain": l{}})},

	// XML-RPC.
	{name: "xmlrpc_version", path: "/xmlrpc/2/common", body: xmlCall("version")},
	{name: "xmlrpc_authenticate", path: "/xmlrpc/2/common", body: xmlCall("authenticate",
		`<string>odoo</string>`, `<string>admin</string>`, `<string>admin</string>`, `<struct></struct>`)},
	{name: "xmlrpc_search_read", path: "/xmlrpc/2/object", body: xmlCall("execute_kw",
		`<string>odoo</string>`, `<int>2</int>`, `<string>admin</string>`, `<string>res.partner</string>`, `<string>search_read</string>`,
		`<array><data><value><array><data><value><array><data><value><string>id</string></value><value><string>&lt;=</string></value><value><int>2</int></value></data></array></value></data></array></value></data></array>`,
		`<struct><member><name>fields</name><value><array><data><value><string>name</string></value><value><string>parent_id</string></value><value><string>is_company</string></value></data></array></value></member></struct>`)},
	{name: "xmlrpc_fault_user_error", setup: confirmDemo, path: "/xmlrpc/2/object", body: xmlCall("execute_kw",
		`<string>odoo</string>`, `<int>2</int>`, `<string>admin</string>`, `<string>sale.order</string>`, `<string>action_confirm</string>`,
		`<array><data><value><array><data><value><int>1</int></value></data></array></value></data></array>`)},
	{name: "xmlrpc_fault_access_denied", path: "/xmlrpc/2/object", body: xmlCall("execute_kw",
		`<string>odoo</string>`, `<int>2</int>`, `<string>wrong</string>`, `<string>res.partner</string>`, `<string>search</string>`,
		`<array><data><value><array><data></data></array></value></data></array>`)},
	{name: "xmlrpc_fault_access_error", path: "/xmlrpc/2/object", body: xmlCall("execute_kw",
		`<string>odoo</string>`, `<int>2</int>`, `<string>admin</string>`, `<string>sale.order</string>`, `<string>_create_invoices</string>`,
		`<array><data><value><array><data><value><int>1</int></value></data></array></value></data></array>`)},
	{name: "xmlrpc_fault_value_error", path: "/xmlrpc/2/object", body: xmlCall("execute_kw",
		`<string>odoo</string>`, `<int>2</int>`, `<string>admin</string>`, `<string>res.partner</string>`, `<string>search</string>`,
		`<array><data><value><array><data><value><array><data><value><string>colour</string></value><value><string>=</string></value><value><string>red</string></value></data></array></value></data></array></value></data></array>`)},
	{name: "xmlrpc_execute_nil", path: "/xmlrpc/2/object", body: xmlCall("execute",
		`<string>odoo</string>`, `<int>2</int>`, `<string>admin</string>`, `<string>res.partner</string>`, `<string>name_search</string>`,
		`<string>deco</string>`, `<nil/>`, `<string>ilike</string>`, `<i4>5</i4>`)},
	{name: "xmlrpc_fault_none", setup: func(f *fixture) {
		draftInvoice(f)
		f.mustKW("account.move", "action_post", l{l{1}}, nil)
	}, path: "/xmlrpc/2/object", body: xmlCall("execute_kw",
		`<string>odoo</string>`, `<int>2</int>`, `<string>admin</string>`, `<string>account.move</string>`, `<string>button_draft</string>`,
		`<array><data><value><array><data><value><int>1</int></value></data></array></value></data></array>`)},
}

func xmlCall(method string, params ...string) string {
	var b strings.Builder
	b.WriteString("<?xml version='1.0'?>\n<methodCall>\n<methodName>" + method + "</methodName>\n<params>\n")
	for _, p := range params {
		b.WriteString("<param>\n<value>" + p + "</value>\n</param>\n")
	}
	b.WriteString("</params>\n</methodCall>\n")
	return b.String()
}

func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range goldenCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case %s", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{Version: tc.version})
			if tc.setup != nil {
				tc.setup(f)
			}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(method, f.url+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			ct := "application/json"
			if strings.HasPrefix(tc.path, "/xmlrpc") {
				ct = "text/xml"
			}
			req.Header.Set("Content-Type", ct)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			fmt.Fprintf(&got, "%s %s\n", method, tc.path)
			for _, k := range []string{"Authorization", "X-Odoo-Database"} {
				if v, ok := tc.header[k]; ok {
					fmt.Fprintf(&got, "%s: %s\n", k, v)
				}
			}
			if tc.body != "" {
				fmt.Fprintf(&got, "\n%s\n", strings.TrimRight(tc.body, "\n"))
			}
			fmt.Fprintf(&got, "\n--- response\nHTTP %d\nContent-Type: %s\n", resp.StatusCode, resp.Header.Get("Content-Type"))
			if wa := resp.Header.Get("WWW-Authenticate"); wa != "" {
				fmt.Fprintf(&got, "WWW-Authenticate: %s\n", wa)
			}
			fmt.Fprintf(&got, "\n%s\n", strings.TrimRight(string(out), "\n"))

			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/odootest -run TestGolden -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("response differs from %s (rerun with -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got.Bytes(), want)
			}
		})
	}
}

// TestGoldenFilesUsed keeps testdata free of golden files no case writes.
func TestGoldenFilesUsed(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range goldenCases {
		names[tc.name+".golden"] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s belongs to no golden case", f)
		}
	}
}
