package odootest

import (
	"reflect"
	"testing"
)

// domainFixture adds partners with varied values to the demo data:
//
//	1 Azure Interior (company, ref AZ, zip 94538)
//	2 Brandon Freeman (contact of 1)
//	3 Azure Warehouse (delivery address of 1)
//	4 Deco Addict (company, ref DECO)
//	5 Joel Willis (contact of 4, ref JW_1, email none)
//	6 Lumber Inc (company, archived)
//	7 Ready Mat (company, ref "100%_sure", tag Vip)
//	8 Sub Contact (contact of 2: a grandchild of 1)
func domainFixture(t *testing.T) *fixture {
	f := newFixture(t, Options{})
	vip := f.s.MustCreate("res.partner.category", m{"name": "Vip"})
	f.s.MustCreate("res.partner", m{"name": "Joel Willis", "parent_id": 4, "ref": "JW_1", "city": "Fremont"})
	f.s.MustCreate("res.partner", m{"name": "Lumber Inc", "is_company": true, "active": false})
	f.s.MustCreate("res.partner", m{"name": "Ready Mat", "is_company": true, "ref": "100%_sure", "category_id": l{vip}})
	f.s.MustCreate("res.partner", m{"name": "Sub Contact", "parent_id": 2})
	return f
}

func TestDomainOperators(t *testing.T) {
	f := domainFixture(t)
	for _, tc := range []struct {
		name   string
		domain l
		want   []int
	}{
		{"empty", l{}, []int{1, 2, 3, 4, 5, 7, 8}},
		{"eq char", l{l{"name", "=", "Deco Addict"}}, []int{4}},
		{"eq false char", l{l{"ref", "=", false}}, []int{2, 3, 8}},
		{"ne false char", l{l{"ref", "!=", false}}, []int{1, 4, 5, 7}},
		{"ne value keeps NULL", l{l{"ref", "!=", "AZ"}}, []int{2, 3, 4, 5, 7, 8}},
		{"eq bool", l{l{"is_company", "=", true}}, []int{1, 4, 7}},
		{"eq bool false", l{l{"is_company", "=", false}}, []int{2, 3, 5, 8}},
		{"ne bool", l{l{"is_company", "!=", true}}, []int{2, 3, 5, 8}},
		{"lt id", l{l{"id", "<", 3}}, []int{1, 2}},
		{"le id", l{l{"id", "<=", 3}}, []int{1, 2, 3}},
		{"gt id", l{l{"id", ">", 5}}, []int{7, 8}},
		{"ge id", l{l{"id", ">=", 5}}, []int{5, 7, 8}},
		{"lt char skips NULL", l{l{"ref", "<", "D"}}, []int{1, 7}},
		{"gt datetime", l{l{"create_date", ">", "2026-03-14 09:29:59"}}, []int{1, 2, 3, 4, 5, 7, 8}},
		{"ge date only", l{l{"create_date", ">=", "2026-03-15"}}, nil},
		{"in", l{l{"ref", "in", l{"AZ", "DECO", "nope"}}}, []int{1, 4}},
		{"in with false", l{l{"ref", "in", l{"AZ", false}}}, []int{1, 2, 3, 8}},
		{"in empty", l{l{"id", "in", l{}}}, nil},
		{"in scalar", l{l{"id", "in", 4}}, []int{4}},
		{"not in keeps NULL", l{l{"ref", "not in", l{"AZ", "DECO"}}}, []int{2, 3, 5, 7, 8}},
		{"not in with false", l{l{"ref", "not in", l{"AZ", false}}}, []int{4, 5, 7}},
		{"like", l{l{"name", "like", "Inter"}}, []int{1}},
		{"like case", l{l{"name", "like", "inter"}}, nil},
		{"ilike", l{l{"name", "ilike", "INTER"}}, []int{1}},
		{"like underscore wildcard", l{l{"ref", "like", "JW_"}}, []int{5}},
		{"like escaped percent", l{l{"ref", "like", `100\%`}}, []int{7}},
		{"=like", l{l{"ref", "=like", "D%"}}, []int{4}},
		{"=like anchored", l{l{"ref", "=like", "ECO"}}, nil},
		{"=ilike", l{l{"name", "=ilike", "deco%"}}, []int{4}},
		{"not like keeps NULL", l{l{"ref", "not like", "A"}}, []int{2, 3, 4, 5, 7, 8}},
		{"not ilike", l{l{"name", "not ilike", "azure"}}, []int{2, 4, 5, 7, 8}},
		{"=? false ignores", l{l{"ref", "=?", false}}, []int{1, 2, 3, 4, 5, 7, 8}},
		{"=? value", l{l{"ref", "=?", "AZ"}}, []int{1}},
		{"m2o id", l{l{"parent_id", "=", 1}}, []int{2, 3}},
		{"m2o false", l{l{"parent_id", "=", false}}, []int{1, 4, 7}},
		{"m2o name", l{l{"parent_id", "=", "Deco Addict"}}, []int{5}},
		{"m2o ilike display name", l{l{"parent_id", "ilike", "azure"}}, []int{2, 3, 8}},
		{"m2o not ilike keeps NULL", l{l{"parent_id", "not ilike", "azure"}}, []int{1, 4, 5, 7}},
		{"m2o in", l{l{"parent_id", "in", l{1, 4}}}, []int{2, 3, 5}},
		{"m2o not in", l{l{"parent_id", "not in", l{1}}}, []int{1, 4, 5, 7, 8}},
		{"m2o ne", l{l{"parent_id", "!=", 1}}, []int{1, 4, 5, 7, 8}},
		{"o2m any", l{l{"child_ids", "in", l{5}}}, []int{4}},
		{"o2m not empty", l{l{"child_ids", "!=", false}}, []int{1, 2, 4}},
		{"o2m empty", l{l{"child_ids", "=", false}}, []int{3, 5, 7, 8}},
		{"m2m name", l{l{"category_id", "=", "Vip"}}, []int{7}},
		{"m2m ilike", l{l{"category_id", "ilike", "vi"}}, []int{7}},
		{"child_of id", l{l{"id", "child_of", 1}}, []int{1, 2, 3, 8}},
		{"child_of m2o", l{l{"parent_id", "child_of", 1}}, []int{2, 3, 8}},
		{"child_of list", l{l{"id", "child_of", l{2, 4}}}, []int{2, 4, 5, 8}},
		{"parent_of", l{l{"id", "parent_of", 8}}, []int{1, 2, 8}},
		{"dotted m2o", l{l{"parent_id.name", "=", "Azure Interior"}}, []int{2, 3}},
		{"dotted m2o ilike", l{l{"parent_id.ref", "ilike", "de"}}, []int{5}},
		{"dotted two levels", l{l{"parent_id.parent_id.name", "=", "Azure Interior"}}, []int{8}},
		{"dotted x2many", l{l{"child_ids.ref", "=", "JW_1"}}, []int{4}},
		{"dotted x2many negative", l{l{"child_ids.name", "not ilike", "brandon"}}, []int{2, 3, 4, 5, 7, 8}},
		{"implicit and", l{l{"is_company", "=", true}, l{"ref", "!=", false}, l{"id", "<", 5}}, []int{1, 4}},
		{"or", l{"|", l{"ref", "=", "AZ"}, l{"ref", "=", "DECO"}}, []int{1, 4}},
		{"not", l{"!", l{"is_company", "=", true}}, []int{2, 3, 5, 8}},
		{"and explicit", l{"&", l{"is_company", "=", true}, l{"name", "ilike", "a"}}, []int{1, 4, 7}},
		{"nested", l{"|", "&", l{"is_company", "=", true}, l{"ref", "=", "AZ"}, "!", l{"parent_id", "=", false}}, []int{1, 2, 3, 5, 8}},
		{"or then implicit and", l{"|", l{"id", "=", 1}, l{"id", "=", 2}, l{"is_company", "=", true}}, []int{1}},
		{"not or", l{"!", "|", l{"id", "=", 1}, l{"id", "=", 2}}, []int{3, 4, 5, 7, 8}},
		{"true leaf", l{l{1, "=", 1}}, []int{1, 2, 3, 4, 5, 7, 8}},
		{"false leaf", l{l{0, "=", 1}}, nil},
		{"operator case", l{l{"name", "ILIKE", "deco"}}, []int{4}},
		{"active explicit", l{l{"active", "=", false}}, []int{6}},
		{"active any", l{"|", l{"active", "=", true}, l{"active", "=", false}}, []int{1, 2, 3, 4, 5, 6, 7, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.mustKW("res.partner", "search", l{tc.domain}, m{"order": "id"})
			if got := ids(res); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v: got %v, want %v", tc.domain, got, tc.want)
			}
		})
	}
}

func TestDomainOtherModels(t *testing.T) {
	f := newFixture(t, Options{})
	confirmDemo(f)
	for _, tc := range []struct {
		model  string
		domain l
		want   []int
	}{
		{"sale.order", l{l{"order_line.product_id.default_code", "=", "FURN_0002"}}, []int{1}},
		{"sale.order", l{l{"order_line.product_id", "=", 3}}, nil},
		{"sale.order", l{l{"order_line.product_id", "!=", 3}}, []int{1}},
		{"sale.order", l{l{"picking_ids.state", "=", "assigned"}}, []int{1}},
		{"sale.order", l{l{"partner_id", "child_of", 1}}, []int{1}},
		{"sale.order", l{l{"partner_shipping_id.type", "=", "delivery"}}, []int{1}},
		{"sale.order.line", l{l{"price_unit", ">", 100}}, []int{1, 2}},
		{"sale.order.line", l{l{"product_uom_qty", "=", 4}}, []int{2}},
		{"sale.order.line", l{l{"price_unit", "in", l{15, 450.0}}}, []int{1, 3}},
		{"stock.move", l{l{"picking_id.origin", "=", "SO0001"}, l{"picked", "=", false}}, []int{1, 2}},
		{"product.product", l{l{"weight", "=", false}}, []int{4}},
		{"product.product", l{l{"weight", "<", 2}}, []int{3}},
		{"product.product", l{l{"list_price", "like", "45"}}, []int{1}},
	} {
		res := f.mustKW(tc.model, "search", l{tc.domain}, m{"order": "id"})
		if got := ids(res); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %v: got %v, want %v", tc.model, tc.domain, got, tc.want)
		}
	}
}

func TestDomainErrors(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		domain l
		want   string
	}{
		{l{l{"colour", "=", 1}}, "Invalid field res.partner.colour in leaf ('colour', '=', 1)"},
		{l{l{"parent_id.colour", "=", 1}}, "Invalid field res.partner.colour in leaf ('parent_id.colour', '=', 1)"},
		{l{l{"name.x", "=", 1}}, "Invalid field res.partner.name in leaf ('name.x', '=', 1)"},
		{l{l{"name", "between", 1}}, "Invalid leaf ('name', 'between', 1)"},
		{l{l{"name", "="}}, "Invalid leaf ['name', '=']"},
		{l{"&", l{"name", "=", "x"}}, "This domain is syntactically not correct: ['&', ['name', '=', 'x']]"},
		{l{"name"}, "Invalid leaf 'name'"},
	} {
		got := f.kwErr(ValueError, "res.partner", "search", l{tc.domain}, nil)
		if got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.domain, got, tc.want)
		}
	}
	// The same through JSON-2: a ValueError is a 500 with the exception.
	status, body := f.json2("res.partner", "search_count", m{"domain": l{l{"colour", "=", 1}}})
	if status != 500 || body.(map[string]any)["name"] != ValueError {
		t.Errorf("json2: %d %v", status, body)
	}
}

func TestOrderAndPaging(t *testing.T) {
	f := domainFixture(t)
	f.clock.Advance(60e9)
	f.mustKW("res.partner", "write", l{l{1}, m{"phone": "1"}}, nil) // newest write_date
	page := func(order string, offset, limit int) []int {
		t.Helper()
		return ids(f.mustKW("res.partner", "search", l{l{}}, m{"order": order, "offset": offset, "limit": limit}))
	}
	if got := page("write_date asc, id asc", 0, 3); !reflect.DeepEqual(got, []int{2, 3, 4}) {
		t.Errorf("write_date asc page 1: %v", got)
	}
	if got := page("write_date asc, id asc", 6, 3); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("write_date asc last page: %v", got)
	}
	if got := page("write_date asc, id asc", 9, 3); len(got) != 0 {
		t.Errorf("past the end: %v", got)
	}
	if got := page("id desc", 0, 2); !reflect.DeepEqual(got, []int{8, 7}) {
		t.Errorf("id desc: %v", got)
	}
	if got := page("id", 0, 0); len(got) != 7 {
		t.Errorf("limit 0 means no limit: %v", got)
	}
	if got := page("ref asc, id", 0, -1); !reflect.DeepEqual(got, []int{7, 1, 4, 5, 2, 3, 8}) {
		t.Errorf("ref asc nulls last: %v", got)
	}
	if got := page("ref desc, id", 0, -1); !reflect.DeepEqual(got, []int{2, 3, 8, 5, 4, 1, 7}) {
		t.Errorf("ref desc nulls first: %v", got)
	}
	if got := page("ref asc nulls first, id", 0, 3); !reflect.DeepEqual(got, []int{2, 3, 8}) {
		t.Errorf("nulls first: %v", got)
	}
	if got := page("parent_id, id", 0, -1); !reflect.DeepEqual(got, []int{2, 3, 8, 5, 1, 4, 7}) {
		t.Errorf("many2one by display name: %v", got)
	}
	// Default order: display name, then id desc.
	if got := page("", 0, 4); !reflect.DeepEqual(got, []int{1, 3, 2, 8}) {
		t.Errorf("default order: %v", got)
	}
	msg := f.kwErr(ValueError, "res.partner", "search", l{l{}}, m{"order": "colour"})
	if msg == "" {
		t.Error("no message for an invalid order")
	}
	f.kwErr(ValueError, "res.partner", "search", l{l{}}, m{"order": "name sideways"})
	if n := f.mustKW("res.partner", "search_count", l{l{}}, m{"limit": 3}); n != 3 {
		t.Errorf("search_count limit: %v", n)
	}
}
