package odootest

import (
	"fmt"
	"strings"
)

// The seeding helpers run as the superuser, through the same code as
// execute_kw, each as its own transaction. Values are ordinary Go values
// (int, float64, string, bool, nil, []any, []int, map[string]any); results
// come back as a client would decode them, with integers as int
// (objects as map[string]any, floats as float64). Errors are *Error.

// Call runs model.method like execute_kw(db, uid, pw, model, method, args,
// kwargs). kwargs may hold "context".
func (s *Server) Call(model, method string, args []any, kwargs map[string]any) (any, error) {
	nargs, err := normalize(args)
	if err != nil {
		return nil, err
	}
	var nkw map[string]any
	if kwargs != nil {
		v, err := normalize(kwargs)
		if err != nil {
			return nil, err
		}
		nkw, _ = v.(map[string]any)
	}
	list, _ := nargs.([]any)
	m, spec, lerr := s.lookupMethod(model, method)
	if lerr != nil {
		return nil, lerr
	}
	c, ctx, berr := bindPositional(m, spec, list, nkw)
	if berr != nil {
		return nil, berr
	}
	res, ierr := s.invoke(superuserID, ctx, c)
	if ierr != nil {
		return nil, asError(ierr)
	}
	if _, none := res.(pyNone); none {
		return nil, nil
	}
	return plain(res), nil
}

// Create creates one record and returns its id.
func (s *Server) Create(model string, vals map[string]any) (int, error) {
	res, err := s.Call(model, "create", []any{vals}, nil)
	if err != nil {
		return 0, err
	}
	return res.(int), nil
}

// MustCreate is Create for test setup: it panics on error.
func (s *Server) MustCreate(model string, vals map[string]any) int {
	id, err := s.Create(model, vals)
	if err != nil {
		panic(fmt.Sprintf("odootest: create %s: %v", model, err))
	}
	return id
}

// Write writes vals on the records ids.
func (s *Server) Write(model string, ids []int, vals map[string]any) error {
	_, err := s.Call(model, "write", []any{ids, vals}, nil)
	return err
}

// Read reads one record as read() returns it (many2one as [id, name],
// x2many as id lists, empty fields false); fields empty means all. A
// missing record is a MissingError.
func (s *Server) Read(model string, id int, fields ...string) (map[string]any, error) {
	var f any
	if len(fields) > 0 {
		f = fields
	}
	res, err := s.Call(model, "read", []any{[]int{id}, f}, nil)
	if err != nil {
		return nil, err
	}
	list := res.([]any)
	if len(list) == 0 {
		return nil, missingErr(model, []int{id}, superuserID)
	}
	return list[0].(map[string]any), nil
}

// Search returns the ids matching a domain, in the model's order.
func (s *Server) Search(model string, domain []any) ([]int, error) {
	if domain == nil {
		domain = []any{}
	}
	res, err := s.Call(model, "search", []any{domain}, map[string]any{"context": map[string]any{"active_test": false}})
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, x := range res.([]any) {
		ids = append(ids, x.(int))
	}
	return ids, nil
}

// SetExternalID gives a record the external id "module.name" (an
// ir.model.data row), as a module's data file would.
func (s *Server) SetExternalID(xmlid, model string, id int) error {
	module, name, ok := strings.Cut(xmlid, ".")
	if !ok {
		return fmt.Errorf("odootest: external id %q has no module", xmlid)
	}
	_, err := s.Create("ir.model.data", map[string]any{"module": module, "name": name, "model": model, "res_id": id})
	return err
}

// Demo holds the ids of the records SeedDemo creates.
type Demo struct {
	Company   int   // res.partner "Azure Interior", a company
	Contact   int   // its contact "Brandon Freeman"
	Delivery  int   // its delivery address
	Customer  int   // "Deco Addict", another company
	Products  []int // [FURN_0001] Desk, [FURN_0002] Chair, [FURN_0003] Lamp, [SRV_DELIV] Delivery (service)
	Carrier   int   // delivery.carrier "Standard Delivery"
	Quotation int   // a draft sale.order of Azure Interior with three lines
}

// SeedDemo creates a small logistics data set for local trials: partners
// with contacts and a delivery address, products with codes and weights, a
// carrier and a draft quotation. On a fresh server the ids are stable.
func (s *Server) SeedDemo() (Demo, error) {
	var d Demo
	var err error
	create := func(model string, vals map[string]any) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = s.Create(model, vals)
		return id
	}
	d.Company = create("res.partner", map[string]any{"name": "Azure Interior", "is_company": true,
		"ref": "AZ", "email": "azure.interior@example.com", "street": "4557 De Silva St",
		"city": "Fremont", "zip": "94538", "country_code": "US"})
	d.Contact = create("res.partner", map[string]any{"name": "Brandon Freeman", "parent_id": d.Company,
		"email": "brandon.freeman@example.com"})
	d.Delivery = create("res.partner", map[string]any{"name": "Azure Warehouse", "parent_id": d.Company,
		"type": "delivery", "street": "12 Dock Road", "city": "Oakland", "zip": "94607", "country_code": "US"})
	d.Customer = create("res.partner", map[string]any{"name": "Deco Addict", "is_company": true,
		"ref": "DECO", "email": "deco.addict@example.com", "street": "77 Santa Barbara Rd",
		"city": "Pleasant Hill", "zip": "94523", "country_code": "US"})
	for _, p := range []map[string]any{
		{"name": "Desk", "default_code": "FURN_0001", "list_price": 450.0, "weight": 32.5, "type": "consu"},
		{"name": "Chair", "default_code": "FURN_0002", "list_price": 120.0, "weight": 7.2, "type": "consu"},
		{"name": "Lamp", "default_code": "FURN_0003", "list_price": 39.9, "weight": 1.1, "type": "consu"},
		{"name": "Delivery", "default_code": "SRV_DELIV", "list_price": 15.0, "type": "service"},
	} {
		d.Products = append(d.Products, create("product.product", p))
	}
	d.Carrier = create("delivery.carrier", map[string]any{"name": "Standard Delivery", "delivery_type": "fixed",
		"fixed_price": 15.0, "product_id": d.Products[3]})
	if err != nil {
		return d, err
	}
	d.Quotation = create("sale.order", map[string]any{
		"partner_id": d.Company, "partner_shipping_id": d.Delivery, "client_order_ref": "PO-1001",
		"carrier_id": d.Carrier,
		"order_line": []any{
			[]any{0, 0, map[string]any{"product_id": d.Products[0], "product_uom_qty": 2}},
			[]any{0, 0, map[string]any{"product_id": d.Products[1], "product_uom_qty": 4}},
			[]any{0, 0, map[string]any{"product_id": d.Products[3], "product_uom_qty": 1}},
		},
	})
	return d, err
}
