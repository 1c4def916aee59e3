package odootest

import (
	"math"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

// Field constructors; the modifiers below return the same field.
func fchar(name, label string) *field  { return &field{name: name, typ: "char", label: label} }
func ftext(name, label string) *field  { return &field{name: name, typ: "text", label: label} }
func fint(name, label string) *field   { return &field{name: name, typ: "integer", label: label} }
func ffloat(name, label string) *field { return &field{name: name, typ: "float", label: label} }
func fmoney(name, label string) *field { return &field{name: name, typ: "monetary", label: label} }
func fbool(name, label string) *field  { return &field{name: name, typ: "boolean", label: label} }
func fdate(name, label string) *field  { return &field{name: name, typ: "date", label: label} }
func fdatetime(name, label string) *field {
	return &field{name: name, typ: "datetime", label: label}
}
func fsel(name, label string, sel ...string) *field {
	f := &field{name: name, typ: "selection", label: label}
	for i := 0; i+1 < len(sel); i += 2 {
		f.selection = append(f.selection, [2]string{sel[i], sel[i+1]})
	}
	return f
}
func fm2o(name, label, rel string) *field {
	return &field{name: name, typ: "many2one", label: label, relation: rel}
}
func fo2m(name, label, rel, inverse string) *field {
	return &field{name: name, typ: "one2many", label: label, relation: rel, inverse: inverse}
}
func fm2m(name, label, rel string) *field {
	return &field{name: name, typ: "many2many", label: label, relation: rel}
}

func (f *field) req() *field { f.required = true; return f }
func (f *field) ro() *field  { f.readonly = true; return f }
func (f *field) cascadeDelete() *field {
	f.cascade = true
	return f
}
func (f *field) withDefault(fn func(e *env) any) *field { f.def = fn; return f }
func (f *field) defaultTo(v any) *field {
	f.def = func(*env) any { return v }
	return f
}
func (f *field) computed(fn func(e *env, r *rec) any) *field {
	f.compute = fn
	f.readonly = true
	return f
}

// newModel assembles a model with the magic fields every Odoo model has.
func newModel(name, label, class, order string, fields ...*field) *model {
	m := &model{name: name, label: label, class: class, order: order,
		byName: map[string]*field{}, recs: map[int]*rec{}, nextID: 1,
		rev: map[string]map[int][]int{}, methods: map[string]*methodSpec{}}
	all := []*field{{name: "id", typ: "integer", label: "ID", readonly: true}}
	all = append(all, fields...)
	dn := &field{name: "display_name", typ: "char", label: "Display Name"}
	dn.computed(func(e *env, r *rec) any { return e.displayName(m, r) })
	all = append(all, dn,
		fdatetime("create_date", "Created on").ro(),
		fdatetime("write_date", "Last Updated on").ro())
	for _, f := range all {
		m.fields = append(m.fields, f)
		m.byName[f.name] = f
	}
	return m
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// sumLines sums fname over the records of the one2many o2m of r.
func (e *env) sumLines(m *model, r *rec, o2m, fname string) float64 {
	f := m.byName[o2m]
	cm := e.model(f.relation)
	total := 0.0
	for _, id := range e.value(m, r, f).([]int) {
		if lr := cm.get(id); lr != nil {
			total += e.num(cm, lr, fname)
		}
	}
	return round2(total)
}

func (s *Server) defineModels() {
	add := func(m *model) { s.models[m.name] = m }

	// res.partner.category (tags, a many2many of partners)
	add(newModel("res.partner.category", "Partner Tags", "ResPartnerCategory", "name",
		fchar("name", "Tag Name").req(),
		fbool("active", "Active").defaultTo(true),
	))

	// res.partner
	partner := newModel("res.partner", "Contact", "ResPartner", "display_name, id desc",
		fchar("name", "Name").req(),
		fchar("ref", "Reference"),
		fchar("email", "Email"),
		fchar("phone", "Phone"),
		fchar("street", "Street"),
		fchar("street2", "Street2"),
		fchar("city", "City"),
		fchar("zip", "Zip"),
		fchar("country_code", "Country Code"),
		fchar("vat", "Tax ID"),
		fm2o("parent_id", "Related Company", "res.partner"),
		fo2m("child_ids", "Contact", "res.partner", "parent_id"),
		fbool("is_company", "Is a Company").defaultTo(false),
		fsel("type", "Address Type", "contact", "Contact", "invoice", "Invoice Address",
			"delivery", "Delivery Address", "other", "Other Address").defaultTo("contact"),
		fm2m("category_id", "Tags", "res.partner.category"),
		fbool("active", "Active").defaultTo(true),
	)
	partner.parent = "parent_id"
	partner.displayName = func(e *env, r *rec) string {
		name := e.str(partner, r, "name")
		if p := partner.get(e.ref(partner, r, "parent_id")); p != nil && !e.boolean(partner, r, "is_company") {
			pn := e.displayName(partner, p)
			if name == "" {
				return pn
			}
			return pn + ", " + name
		}
		return name
	}
	partner.check = func(e *env, r *rec) error {
		seen := map[int]bool{r.id: true}
		for p := e.ref(partner, r, "parent_id"); p != 0; {
			if seen[p] {
				return validationErr("You cannot create recursive Partner hierarchies.")
			}
			seen[p] = true
			pr := partner.get(p)
			if pr == nil {
				break
			}
			p = e.ref(partner, pr, "parent_id")
		}
		return nil
	}
	add(partner)

	// product.product
	product := newModel("product.product", "Product Variant", "ProductProduct", "default_code, name, id",
		fchar("name", "Name").req(),
		fchar("default_code", "Internal Reference"),
		fchar("barcode", "Barcode"),
		ffloat("list_price", "Sales Price").defaultTo(1.0),
		ffloat("standard_price", "Cost"),
		ffloat("weight", "Weight"),
		fsel("type", "Product Type", "consu", "Goods", "service", "Service",
			"product", "Storable Product", "combo", "Combo").req().defaultTo("consu"),
		fbool("sale_ok", "Can be Sold").defaultTo(true),
		fbool("active", "Active").defaultTo(true),
	)
	product.displayName = func(e *env, r *rec) string {
		name := e.str(product, r, "name")
		if code := e.str(product, r, "default_code"); code != "" {
			return "[" + code + "] " + name
		}
		return name
	}
	add(product)

	// delivery.carrier
	add(newModel("delivery.carrier", "Shipping Methods", "DeliveryCarrier", "id",
		fchar("name", "Delivery Method").req(),
		fsel("delivery_type", "Provider", "fixed", "Fixed Price", "base_on_rule", "Based on Rules").
			req().defaultTo("fixed"),
		ffloat("fixed_price", "Fixed Price"),
		fm2o("product_id", "Delivery Product", "product.product"),
		fbool("active", "Active").defaultTo(true),
	))

	// sale.order and sale.order.line
	order := newModel("sale.order", "Sales Order", "SaleOrder", "date_order desc, id desc",
		fchar("name", "Order Reference").req().defaultTo("New"),
		fm2o("partner_id", "Customer", "res.partner").req(),
		fm2o("partner_invoice_id", "Invoice Address", "res.partner").req(),
		fm2o("partner_shipping_id", "Delivery Address", "res.partner").req(),
		fchar("client_order_ref", "Customer Reference"),
		fchar("origin", "Source Document"),
		fdatetime("date_order", "Order Date").req().withDefault(func(e *env) any { return e.nowString() }),
		fdatetime("commitment_date", "Delivery Date"),
		fsel("state", "Status", "draft", "Quotation", "sent", "Quotation Sent",
			"sale", "Sales Order", "cancel", "Cancelled").ro().defaultTo("draft"),
		fo2m("order_line", "Order Lines", "sale.order.line", "order_id"),
		fm2o("carrier_id", "Delivery Method", "delivery.carrier"),
		// From the delivery module (stock_delivery in 17+): logistics flows read it.
		ffloat("shipping_weight", "Shipping Weight"),
		ftext("note", "Terms and conditions"),
		fo2m("picking_ids", "Transfers", "stock.picking", "sale_id"),
	)
	order.fields = append(order.fields,
		fmoney("amount_untaxed", "Untaxed Amount").computed(func(e *env, r *rec) any {
			return e.sumLines(order, r, "order_line", "price_subtotal")
		}),
		fmoney("amount_total", "Total").computed(func(e *env, r *rec) any {
			return e.sumLines(order, r, "order_line", "price_total")
		}),
		fint("delivery_count", "Delivery Orders").computed(func(e *env, r *rec) any {
			return len(e.ids(order, r, "picking_ids"))
		}),
	)
	add(order)

	line := newModel("sale.order.line", "Sales Order Line", "SaleOrderLine", "order_id, sequence, id",
		fm2o("order_id", "Order Reference", "sale.order").req().cascadeDelete(),
		fint("sequence", "Sequence").defaultTo(10),
		fm2o("product_id", "Product", "product.product"),
		ftext("name", "Description").req(),
		ffloat("product_uom_qty", "Quantity").req().defaultTo(1.0),
		ffloat("price_unit", "Unit Price").req(),
	)
	line.fields = append(line.fields,
		fmoney("price_subtotal", "Subtotal").computed(func(e *env, r *rec) any {
			return round2(e.num(line, r, "product_uom_qty") * e.num(line, r, "price_unit"))
		}),
		fmoney("price_total", "Total").computed(func(e *env, r *rec) any {
			return round2(e.num(line, r, "product_uom_qty") * e.num(line, r, "price_unit"))
		}),
		ffloat("qty_delivered", "Delivery Quantity").computed(func(e *env, r *rec) any {
			moves := e.model("stock.move")
			total := 0.0
			for _, id := range moves.referrers("sale_line_id", r.id) {
				mv := moves.get(id)
				if e.str(moves, mv, "state") == "done" {
					total += e.num(moves, mv, "quantity")
				}
			}
			return total
		}),
		fsel("state", "Order Status", "draft", "Quotation", "sent", "Quotation Sent",
			"sale", "Sales Order", "cancel", "Cancelled").computed(func(e *env, r *rec) any {
			if o := order.get(e.ref(line, r, "order_id")); o != nil {
				return e.val(order, o, "state")
			}
			return nil
		}),
	)
	add(line)

	// stock.picking and stock.move
	picking := newModel("stock.picking", "Transfer", "StockPicking", "scheduled_date asc, id desc",
		fchar("name", "Reference").defaultTo("/"),
		fchar("origin", "Source Document"),
		fm2o("partner_id", "Contact", "res.partner"),
		fsel("picking_type_code", "Type of Operation", "incoming", "Receipt", "outgoing", "Delivery",
			"internal", "Internal Transfer").defaultTo("outgoing"),
		fsel("state", "Status", "draft", "Draft", "waiting", "Waiting Another Operation",
			"confirmed", "Waiting", "assigned", "Ready", "done", "Done", "cancel", "Cancelled").
			ro().defaultTo("draft"),
		fdatetime("scheduled_date", "Scheduled Date").req().withDefault(func(e *env) any { return e.nowString() }),
		fdatetime("date_done", "Date of Transfer").ro(),
		fo2m("move_ids", "Stock Moves", "stock.move", "picking_id"),
		fm2o("carrier_id", "Carrier", "delivery.carrier"),
		fchar("carrier_tracking_ref", "Tracking Reference"),
		fm2o("sale_id", "Sales Order", "sale.order"),
		fm2o("backorder_id", "Back Order of", "stock.picking"),
		fo2m("backorder_ids", "Back Orders", "stock.picking", "backorder_id"),
		ftext("note", "Notes"),
	)
	add(picking)

	move := newModel("stock.move", "Stock Move", "StockMove", "sequence, id",
		fchar("name", "Description"),
		fint("sequence", "Sequence").defaultTo(10),
		fm2o("picking_id", "Transfer", "stock.picking").cascadeDelete(),
		fm2o("product_id", "Product", "product.product").req(),
		ffloat("product_uom_qty", "Demand").req().defaultTo(0.0),
		ffloat("quantity", "Quantity").defaultTo(0.0),
		fbool("picked", "Picked").defaultTo(false),
		fsel("state", "Status", "draft", "New", "waiting", "Waiting Another Move",
			"confirmed", "Waiting Availability", "partially_available", "Partially Available",
			"assigned", "Available", "done", "Done", "cancel", "Cancelled").ro().defaultTo("draft"),
		fm2o("sale_line_id", "Sale Line", "sale.order.line"),
		fchar("origin", "Source Document"),
	)
	add(move)

	// account.move and account.move.line
	inv := newModel("account.move", "Journal Entry", "AccountMove", "date desc, name desc, id desc",
		fchar("name", "Number").defaultTo("/"),
		fsel("move_type", "Type", "entry", "Journal Entry", "out_invoice", "Customer Invoice",
			"out_refund", "Customer Credit Note", "in_invoice", "Vendor Bill",
			"in_refund", "Vendor Credit Note").req().defaultTo("entry"),
		fsel("state", "Status", "draft", "Draft", "posted", "Posted", "cancel", "Cancelled").
			req().ro().defaultTo("draft"),
		fm2o("partner_id", "Partner", "res.partner"),
		fdate("date", "Date").req().withDefault(func(e *env) any { return e.today() }),
		fdate("invoice_date", "Invoice/Bill Date"),
		fdate("invoice_date_due", "Due Date"),
		fchar("invoice_origin", "Origin"),
		fchar("ref", "Reference"),
		fchar("payment_reference", "Payment Reference"),
		fo2m("invoice_line_ids", "Invoice lines", "account.move.line", "move_id"),
	)
	inv.fields = append(inv.fields,
		fmoney("amount_untaxed", "Untaxed Amount").computed(func(e *env, r *rec) any {
			return e.sumLines(inv, r, "invoice_line_ids", "price_subtotal")
		}),
		fmoney("amount_total", "Total").computed(func(e *env, r *rec) any {
			return e.sumLines(inv, r, "invoice_line_ids", "price_total")
		}),
		fmoney("amount_residual", "Amount Due").computed(func(e *env, r *rec) any {
			return e.sumLines(inv, r, "invoice_line_ids", "price_total")
		}),
		fsel("payment_state", "Payment Status", "not_paid", "Not Paid", "paid", "Paid").
			computed(func(e *env, r *rec) any { return "not_paid" }),
	)
	inv.displayName = func(e *env, r *rec) string {
		if name := e.str(inv, r, "name"); name != "" && name != "/" {
			return name
		}
		kind := map[string]string{"out_invoice": "Invoice", "out_refund": "Credit Note",
			"in_invoice": "Bill", "in_refund": "Refund", "entry": "Entry"}[e.str(inv, r, "move_type")]
		return "Draft " + kind + " (* " + itoa(r.id) + ")"
	}
	add(inv)

	invLine := newModel("account.move.line", "Journal Item", "AccountMoveLine", "sequence, id",
		fm2o("move_id", "Journal Entry", "account.move").req().cascadeDelete(),
		fint("sequence", "Sequence").defaultTo(10),
		fm2o("product_id", "Product", "product.product"),
		fchar("name", "Label"),
		ffloat("quantity", "Quantity").defaultTo(1.0),
		ffloat("price_unit", "Unit Price"),
	)
	invLine.fields = append(invLine.fields,
		fmoney("price_subtotal", "Subtotal").computed(func(e *env, r *rec) any {
			return round2(e.num(invLine, r, "quantity") * e.num(invLine, r, "price_unit"))
		}),
		fmoney("price_total", "Total").computed(func(e *env, r *rec) any {
			return round2(e.num(invLine, r, "quantity") * e.num(invLine, r, "price_unit"))
		}),
	)
	add(invLine)

	// ir.model.data
	imd := newModel("ir.model.data", "Model Data", "IrModelData", "module, model, name",
		fchar("name", "External Identifier").req(),
		fchar("module", "Module").req(),
		fchar("model", "Model Name").req(),
		&field{name: "res_id", typ: "many2one_reference", label: "Record ID"},
		fbool("noupdate", "Non Updatable").defaultTo(false),
	)
	imd.fields = append(imd.fields, fchar("complete_name", "Complete ID").computed(func(e *env, r *rec) any {
		return e.str(imd, r, "module") + "." + e.str(imd, r, "name")
	}))
	rawStr := func(v any) string { s, _ := v.(string); return s }
	imd.keys = []*keyIndex{
		{fields: []string{"module", "name"}, idx: map[string][]int{}, key: func(r *rec) string {
			return rawStr(r.v["module"]) + "." + rawStr(r.v["name"])
		}},
		{fields: []string{"model", "res_id"}, idx: map[string][]int{}, key: func(r *rec) string {
			id, _ := r.v["res_id"].(int)
			return rawStr(r.v["model"]) + "," + itoa(id)
		}},
	}
	imd.displayName = func(e *env, r *rec) string {
		return e.str(imd, r, "module") + "." + e.str(imd, r, "name")
	}
	add(imd)

	// stock.backorder.confirmation (the wizard button_validate returns)
	add(newModel("stock.backorder.confirmation", "Backorder Confirmation", "StockBackorderConfirmation", "id",
		fm2m("pick_ids", "Pick", "stock.picking"),
		fbool("show_transfers", "Show Transfers").defaultTo(false),
	))

	for _, m := range s.models {
		for _, f := range m.fields {
			m.byName[f.name] = f
		}
	}
	s.defineHooks()
	s.defineMethods()
}
