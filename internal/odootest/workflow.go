package odootest

import (
	"fmt"
	"sort"
	"strings"
)

// nextSeq draws the next number of a named sequence. Like a PostgreSQL
// sequence (ir.sequence "standard"), it is not given back on rollback.
func (s *Server) nextSeq(name string) int {
	s.seq[name]++
	return s.seq[name]
}

// nextGaplessSeq draws the next number of a gapless sequence (invoice
// numbers): rolled back with the transaction.
func (e *env) nextGaplessSeq(name string) int {
	e.s.seq[name]++
	e.undo = append(e.undo, func() { e.s.seq[name]-- })
	return e.s.seq[name]
}

func (e *env) isAdmin() bool {
	if e.uid == superuserID {
		return true
	}
	u := e.s.users[e.uid]
	return u != nil && u.Admin
}

func (s *Server) defineHooks() {
	order := s.models["sale.order"]
	order.beforeCreate = func(e *env, r *rec) error {
		if name, _ := r.v["name"].(string); name == "" || name == "New" {
			r.v["name"] = fmt.Sprintf("SO%04d", s.nextSeq("sale.order"))
		}
		if p, ok := r.v["partner_id"]; ok {
			for _, f := range []string{"partner_invoice_id", "partner_shipping_id"} {
				if _, set := r.v[f]; !set {
					r.v[f] = p
				}
			}
		}
		return nil
	}
	order.beforeUnlink = func(e *env, r *rec) error {
		if st := e.str(order, r, "state"); st == "sale" {
			return userErr("You can not delete a sent quotation or a confirmed sales order. You must first cancel it.")
		}
		return nil
	}

	product := s.models["product.product"]
	productDefaults := func(m *model, priceField string) func(e *env, r *rec) error {
		return func(e *env, r *rec) error {
			pid, ok := r.v["product_id"].(int)
			if !ok {
				return nil
			}
			pr := product.get(pid)
			if pr == nil {
				return nil // reported as a foreign key violation
			}
			if _, set := r.v["name"]; !set {
				r.v["name"] = e.displayName(product, pr)
			}
			if priceField != "" {
				if _, set := r.v[priceField]; !set {
					r.v[priceField] = e.num(product, pr, "list_price")
				}
			}
			return nil
		}
	}
	s.models["sale.order.line"].beforeCreate = productDefaults(s.models["sale.order.line"], "price_unit")
	s.models["account.move.line"].beforeCreate = productDefaults(s.models["account.move.line"], "price_unit")
	s.models["stock.move"].beforeCreate = productDefaults(s.models["stock.move"], "")

	picking := s.models["stock.picking"]
	picking.beforeCreate = func(e *env, r *rec) error {
		if name, _ := r.v["name"].(string); name == "" || name == "/" {
			code, _ := r.v["picking_type_code"].(string)
			prefix := map[string]string{"incoming": "WH/IN/", "internal": "WH/INT/"}[code]
			if prefix == "" {
				prefix = "WH/OUT/"
			}
			r.v["name"] = fmt.Sprintf("%s%05d", prefix, s.nextSeq("stock.picking."+prefix))
		}
		return nil
	}
	picking.beforeUnlink = func(e *env, r *rec) error {
		if e.str(picking, r, "state") == "done" {
			return userErr("You can only delete draft or cancelled moves.")
		}
		return nil
	}
	move := s.models["stock.move"]
	move.beforeUnlink = func(e *env, r *rec) error {
		if e.str(move, r, "state") == "done" {
			return userErr("You can only delete draft or cancelled moves.")
		}
		return nil
	}

	inv := s.models["account.move"]
	inv.beforeUnlink = func(e *env, r *rec) error {
		if e.str(inv, r, "state") == "posted" {
			return userErr("You cannot delete an entry which has been posted once.")
		}
		return nil
	}

	imd := s.models["ir.model.data"]
	imd.check = func(e *env, r *rec) error {
		if !e.isAdmin() {
			return accessErr("You are not allowed to create 'Model Data' (ir.model.data) records.\n\n" +
				"This operation is allowed for the following groups:\n\t- Administration/Access Rights\n\n" +
				"Contact your administrator to request access if necessary.")
		}
		key := e.str(imd, r, "module") + "." + e.str(imd, r, "name")
		if len(imd.keys[0].idx[key]) > 1 {
			return validationErr("The operation cannot be completed: duplicate key value violates unique constraint "+
				"\"ir_model_data_module_name_uniq_index\"\nDETAIL:  Key (module, name)=(%s, %s) already exists.\n",
				e.str(imd, r, "module"), e.str(imd, r, "name"))
		}
		return nil
	}
}

func (s *Server) defineWorkflows() {
	s.addMethod([]string{"sale.order"}, methodSpec{name: "action_confirm", existing: true, fn: actionConfirm})
	s.addMethod([]string{"sale.order"}, methodSpec{name: "action_cancel", existing: true, fn: orderCancel})
	s.addMethod([]string{"sale.order"}, methodSpec{name: "action_draft", existing: true,
		fn: func(e *env, c *call) (any, error) {
			for _, id := range c.ids {
				r := c.m.get(id)
				if st := e.str(c.m, r, "state"); st == "cancel" || st == "sent" {
					e.set(c.m, r, "state", "draft")
					e.set(c.m, r, "write_date", e.nowString())
				}
			}
			return true, nil
		}})

	s.addMethod([]string{"stock.picking"}, methodSpec{name: "action_confirm", existing: true,
		fn: func(e *env, c *call) (any, error) {
			for _, id := range c.ids {
				e.confirmPicking(c.m.get(id))
			}
			return true, nil
		}})
	s.addMethod([]string{"stock.picking"}, methodSpec{name: "action_assign", existing: true,
		fn: func(e *env, c *call) (any, error) {
			for _, id := range c.ids {
				e.assignPicking(c.m.get(id))
			}
			return true, nil
		}})
	s.addMethod([]string{"stock.picking"}, methodSpec{name: "action_cancel", existing: true,
		fn: func(e *env, c *call) (any, error) {
			for _, id := range c.ids {
				e.cancelPicking(c.m.get(id))
			}
			return true, nil
		}})
	s.addMethod([]string{"stock.picking"}, methodSpec{name: "button_validate", existing: true,
		fn: func(e *env, c *call) (any, error) { return e.buttonValidate(c.ids) }})

	wizard := "stock.backorder.confirmation"
	s.addMethod([]string{wizard}, methodSpec{name: "process", existing: true,
		fn: func(e *env, c *call) (any, error) {
			ids, ok := toIDs(e.ctx["button_validate_picking_ids"])
			if !ok || len(ids) == 0 {
				return true, nil // as in Odoo: without the context, nothing is validated
			}
			return e.withContext(map[string]any{"skip_backorder": true}, func() (any, error) {
				return e.buttonValidate(ids)
			})
		}})
	s.addMethod([]string{wizard}, methodSpec{name: "process_cancel_backorder", existing: true,
		fn: func(e *env, c *call) (any, error) {
			ids, ok := toIDs(e.ctx["button_validate_picking_ids"])
			if !ok || len(ids) == 0 {
				return true, nil
			}
			var pickIDs []int
			for _, id := range c.ids {
				pickIDs = append(pickIDs, e.ids(c.m, c.m.get(id), "pick_ids")...)
			}
			return e.withContext(map[string]any{"skip_backorder": true, "picking_ids_not_to_backorder": idList(pickIDs)},
				func() (any, error) { return e.buttonValidate(ids) })
		}})

	s.addMethod([]string{"account.move"}, methodSpec{name: "action_post", existing: true, fn: actionPost})
	s.addMethod([]string{"account.move"}, methodSpec{name: "button_draft", existing: true,
		fn: func(e *env, c *call) (any, error) {
			for _, id := range c.ids {
				if st := e.str(c.m, c.m.get(id), "state"); st != "posted" && st != "cancel" {
					return nil, userErr("Only posted/cancelled journal entries can be reset to draft.")
				}
			}
			for _, id := range c.ids {
				r := c.m.get(id)
				e.set(c.m, r, "state", "draft")
				e.set(c.m, r, "write_date", e.nowString())
			}
			return pyNone{}, nil
		}})
	s.addMethod([]string{"account.move"}, methodSpec{name: "button_cancel", existing: true,
		fn: func(e *env, c *call) (any, error) {
			for _, id := range c.ids {
				if st := e.str(c.m, c.m.get(id), "state"); st != "draft" {
					return nil, userErr("Only draft journal entries can be cancelled.")
				}
			}
			for _, id := range c.ids {
				r := c.m.get(id)
				e.set(c.m, r, "state", "cancel")
				e.set(c.m, r, "write_date", e.nowString())
			}
			return pyNone{}, nil
		}})

	s.addMethod([]string{"ir.model.data"}, methodSpec{name: "check_object_reference", model: true,
		params: []param{p("module"), p("xml_id"), op("raise_on_access_error")},
		fn: func(e *env, c *call) (any, error) {
			module, xmlid := stringArg(c, "module", ""), stringArg(c, "xml_id", "")
			xr := e.findXMLID(module, xmlid)
			if xr == nil {
				return nil, valueErr("External ID not found in the system: %s.%s", module, xmlid)
			}
			imd := c.m
			modelName := e.str(imd, xr, "model")
			resID := e.ref(imd, xr, "res_id")
			// Odoo searches the record to check access: an archived or
			// deleted record gives (model, False).
			if m := e.model(modelName); m != nil {
				if r := m.get(resID); r != nil && (m.byName["active"] == nil || r.v["active"] == true) {
					return []any{modelName, resID}, nil
				}
			}
			if truthy(c.arg("raise_on_access_error")) {
				return nil, accessErr("Not enough access rights on the external ID %s", pyRepr(module+"."+xmlid))
			}
			return []any{modelName, false}, nil
		}})
}

// withContext runs fn with extra context keys.
func (e *env) withContext(extra map[string]any, fn func() (any, error)) (any, error) {
	saved := e.ctx
	ctx := make(map[string]any, len(saved)+len(extra))
	for k, v := range saved {
		ctx[k] = v
	}
	for k, v := range extra {
		ctx[k] = v
	}
	e.ctx = ctx
	defer func() { e.ctx = saved }()
	return fn()
}

func actionConfirm(e *env, c *call) (any, error) {
	var names []string
	ok := true
	for _, id := range c.ids {
		r := c.m.get(id)
		names = append(names, e.displayName(c.m, r))
		if st := e.str(c.m, r, "state"); st != "draft" && st != "sent" {
			ok = false
		}
	}
	if !ok {
		return nil, userErr("The following orders are not in a state requiring confirmation: %s", strings.Join(names, ", "))
	}
	for _, id := range c.ids {
		r := c.m.get(id)
		e.set(c.m, r, "state", "sale")
		e.set(c.m, r, "date_order", e.nowString())
		e.set(c.m, r, "write_date", e.nowString())
		if err := e.createDelivery(c.m, r); err != nil {
			return nil, err
		}
	}
	return true, nil
}

// createDelivery creates the outgoing picking of a confirmed order, one
// reserved move per goods line (services make no moves).
func (e *env) createDelivery(order *model, r *rec) error {
	lines := e.model("sale.order.line")
	products := e.model("product.product")
	type todo struct {
		line *rec
		qty  float64
	}
	var moves []todo
	for _, lid := range e.ids(order, r, "order_line") {
		l := lines.get(lid)
		pr := products.get(e.ref(lines, l, "product_id"))
		qty := e.num(lines, l, "product_uom_qty")
		if pr == nil || e.str(products, pr, "type") == "service" || e.str(products, pr, "type") == "combo" || qty <= 0 {
			continue
		}
		moves = append(moves, todo{l, qty})
	}
	if len(moves) == 0 {
		return nil
	}
	vals := map[string]any{
		"partner_id":        e.ref(order, r, "partner_shipping_id"),
		"origin":            e.str(order, r, "name"),
		"sale_id":           r.id,
		"picking_type_code": "outgoing",
		"state":             "assigned",
		"scheduled_date":    e.nowString(),
	}
	if d := e.str(order, r, "commitment_date"); d != "" {
		vals["scheduled_date"] = d
	}
	if cid := e.ref(order, r, "carrier_id"); cid != 0 {
		vals["carrier_id"] = cid
	}
	pid, err := e.createOne(e.model("stock.picking"), vals)
	if err != nil {
		return err
	}
	for _, mv := range moves {
		_, err := e.createOne(e.model("stock.move"), map[string]any{
			"name":            e.str(lines, mv.line, "name"),
			"picking_id":      pid,
			"product_id":      e.ref(lines, mv.line, "product_id"),
			"product_uom_qty": mv.qty,
			"quantity":        mv.qty,
			"state":           "assigned",
			"sale_line_id":    mv.line.id,
			"origin":          e.str(order, r, "name"),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func orderCancel(e *env, c *call) (any, error) {
	pickings := e.model("stock.picking")
	for _, id := range c.ids {
		r := c.m.get(id)
		for _, pid := range e.ids(c.m, r, "picking_ids") {
			e.cancelPicking(pickings.get(pid))
		}
		e.set(c.m, r, "state", "cancel")
		e.set(c.m, r, "write_date", e.nowString())
	}
	return true, nil
}

func (e *env) pickingMoves(p *rec) (*model, []*rec) {
	moves := e.model("stock.move")
	var out []*rec
	for _, id := range e.ids(e.model("stock.picking"), p, "move_ids") {
		out = append(out, moves.get(id))
	}
	return moves, out
}

func (e *env) setPickingState(p *rec, state string) {
	pm := e.model("stock.picking")
	e.set(pm, p, "state", state)
	e.set(pm, p, "write_date", e.nowString())
}

// confirmPicking confirms a draft picking; stock is not modeled, so the
// moves are reserved in full at once (state assigned).
func (e *env) confirmPicking(p *rec) {
	if e.str(e.model("stock.picking"), p, "state") != "draft" {
		return
	}
	moves, list := e.pickingMoves(p)
	for _, mv := range list {
		if st := e.str(moves, mv, "state"); st == "done" || st == "cancel" {
			continue
		}
		if e.num(moves, mv, "quantity") == 0 {
			e.set(moves, mv, "quantity", e.num(moves, mv, "product_uom_qty"))
		}
		e.set(moves, mv, "state", "assigned")
	}
	e.setPickingState(p, "assigned")
}

func (e *env) assignPicking(p *rec) {
	pm := e.model("stock.picking")
	switch e.str(pm, p, "state") {
	case "draft":
		e.confirmPicking(p)
		return
	case "done", "cancel":
		return
	}
	moves, list := e.pickingMoves(p)
	for _, mv := range list {
		if st := e.str(moves, mv, "state"); st == "done" || st == "cancel" {
			continue
		}
		if q, d := e.num(moves, mv, "quantity"), e.num(moves, mv, "product_uom_qty"); q < d {
			e.set(moves, mv, "quantity", d)
		}
		e.set(moves, mv, "state", "assigned")
	}
	e.setPickingState(p, "assigned")
}

func (e *env) cancelPicking(p *rec) {
	pm := e.model("stock.picking")
	if st := e.str(pm, p, "state"); st == "done" || st == "cancel" {
		return
	}
	moves, list := e.pickingMoves(p)
	for _, mv := range list {
		if e.str(moves, mv, "state") != "done" {
			e.set(moves, mv, "state", "cancel")
		}
	}
	e.setPickingState(p, "cancel")
}

const backorderViewID = 787 // id of stock.view_backorder_confirmation in the action

// buttonValidate is stock.picking.button_validate (Odoo 17+): done
// pickings are skipped; draft ones are confirmed; if nothing is picked
// everything is; a picked quantity below the demand returns the backorder
// wizard unless the context says skip_backorder.
func (e *env) buttonValidate(ids []int) (any, error) {
	pm := e.model("stock.picking")
	var picks []*rec
	for _, id := range ids {
		p := pm.get(id)
		if p == nil {
			return nil, missingErr(pm.name, []int{id}, e.uid)
		}
		if e.str(pm, p, "state") != "done" {
			picks = append(picks, p)
		}
	}
	for _, p := range picks {
		e.confirmPicking(p)
	}
	// Sanity checks.
	for _, p := range picks {
		moves, list := e.pickingMoves(p)
		if len(list) == 0 {
			return nil, userErr("You can’t validate an empty transfer. Please add some products to move before proceeding.")
		}
		hasPick := false
		for _, mv := range list {
			if st := e.str(moves, mv, "state"); st != "done" && st != "cancel" && e.boolean(moves, mv, "picked") {
				hasPick = true
			}
		}
		allZero := true
		for _, mv := range list {
			st := e.str(moves, mv, "state")
			if st == "done" || st == "cancel" || (hasPick && !e.boolean(moves, mv, "picked")) {
				continue
			}
			if e.num(moves, mv, "quantity") != 0 {
				allZero = false
			}
		}
		if allZero {
			return nil, userErr("You cannot validate a transfer if no quantities are reserved nor done. " +
				"To force the transfer, encode quantities.")
		}
	}
	// Pre-validation: if quantities are set but nothing is picked, pick all.
	for _, p := range picks {
		moves, list := e.pickingMoves(p)
		hasQty, hasPick := false, false
		for _, mv := range list {
			if e.num(moves, mv, "quantity") != 0 {
				hasQty = true
			}
			if e.boolean(moves, mv, "picked") {
				hasPick = true
			}
		}
		if hasQty && !hasPick {
			for _, mv := range list {
				e.set(moves, mv, "picked", true)
			}
		}
	}
	if !truthy(e.ctx["skip_backorder"]) {
		var need []int
		for _, p := range picks {
			if e.needsBackorder(p) {
				need = append(need, p.id)
			}
		}
		if len(need) > 0 {
			return e.backorderWizardAction(ids, need), nil
		}
	}
	noBackorder := map[int]bool{}
	if nb, ok := toIDs(e.ctx["picking_ids_not_to_backorder"]); ok {
		for _, id := range nb {
			noBackorder[id] = true
		}
	}
	for _, p := range picks {
		if err := e.pickingDone(p, noBackorder[p.id]); err != nil {
			return nil, err
		}
	}
	return true, nil
}

func (e *env) pickedQty(moves *model, mv *rec) float64 {
	if !e.boolean(moves, mv, "picked") {
		return 0
	}
	return e.num(moves, mv, "quantity")
}

func (e *env) needsBackorder(p *rec) bool {
	moves, list := e.pickingMoves(p)
	for _, mv := range list {
		if e.str(moves, mv, "state") == "cancel" {
			continue
		}
		if e.pickedQty(moves, mv) < e.num(moves, mv, "product_uom_qty") {
			return true
		}
	}
	return false
}

// backorderWizardAction is the act_window of stock.backorder.confirmation.
func (e *env) backorderWizardAction(validateIDs, pickIDs []int) object {
	ctx := object{}
	keys := make([]string, 0, len(e.ctx))
	for k := range e.ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "button_validate_picking_ids", "default_show_transfers", "default_pick_ids":
			continue
		}
		ctx = append(ctx, member{k, e.ctx[k]})
	}
	validate := idList(validateIDs)
	if v, ok := toIDs(e.ctx["button_validate_picking_ids"]); ok && len(v) > 0 {
		validate = idList(v)
	}
	links := make([]any, len(pickIDs))
	for i, id := range pickIDs {
		links[i] = []any{4, id}
	}
	ctx = append(ctx,
		member{"button_validate_picking_ids", validate},
		member{"default_show_transfers", false},
		member{"default_pick_ids", links})
	return object{
		{"name", "Create Backorder?"},
		{"type", "ir.actions.act_window"},
		{"view_mode", "form"},
		{"res_model", "stock.backorder.confirmation"},
		{"views", []any{[]any{backorderViewID, "form"}}},
		{"view_id", backorderViewID},
		{"target", "new"},
		{"context", ctx},
	}
}

// pickingDone marks a picking done with its picked quantities. Remaining
// demand goes to a new backorder picking, or is cancelled when
// cancelBackorder is set.
func (e *env) pickingDone(p *rec, cancelBackorder bool) error {
	pm := e.model("stock.picking")
	moves, list := e.pickingMoves(p)
	type rest struct {
		move *rec
		qty  float64
		all  bool // the whole move goes to the backorder
	}
	var rests []rest
	for _, mv := range list {
		if st := e.str(moves, mv, "state"); st == "done" || st == "cancel" {
			continue
		}
		done := e.pickedQty(moves, mv)
		demand := e.num(moves, mv, "product_uom_qty")
		if done <= 0 {
			if cancelBackorder {
				e.set(moves, mv, "quantity", 0.0)
				e.set(moves, mv, "picked", false)
				e.set(moves, mv, "state", "cancel")
			} else {
				rests = append(rests, rest{mv, demand, true})
			}
			continue
		}
		if done < demand {
			remaining := round2(demand - done)
			e.set(moves, mv, "product_uom_qty", done)
			if cancelBackorder {
				if _, err := e.createOne(moves, e.splitMoveVals(mv, p.id, remaining, "cancel", 0)); err != nil {
					return err
				}
			} else {
				rests = append(rests, rest{mv, remaining, false})
			}
		}
		e.set(moves, mv, "quantity", done)
		e.set(moves, mv, "state", "done")
		e.set(moves, mv, "write_date", e.nowString())
	}
	e.setPickingState(p, "done")
	e.set(pm, p, "date_done", e.nowString())
	if len(rests) == 0 {
		return nil
	}
	vals := map[string]any{
		"backorder_id":      p.id,
		"state":             "assigned",
		"picking_type_code": e.str(pm, p, "picking_type_code"),
		"scheduled_date":    e.str(pm, p, "scheduled_date"),
	}
	for _, f := range []string{"partner_id", "sale_id", "carrier_id"} {
		if id := e.ref(pm, p, f); id != 0 {
			vals[f] = id
		}
	}
	if o := e.str(pm, p, "origin"); o != "" {
		vals["origin"] = o
	}
	bo, err := e.createOne(pm, vals)
	if err != nil {
		return err
	}
	for _, r := range rests {
		if r.all {
			e.set(moves, r.move, "picking_id", bo)
			e.set(moves, r.move, "quantity", r.qty)
			e.set(moves, r.move, "picked", false)
			e.set(moves, r.move, "state", "assigned")
			continue
		}
		if _, err := e.createOne(moves, e.splitMoveVals(r.move, bo, r.qty, "assigned", r.qty)); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) splitMoveVals(mv *rec, picking int, qty float64, state string, quantity float64) map[string]any {
	moves := e.model("stock.move")
	vals := map[string]any{
		"picking_id":      picking,
		"product_id":      e.ref(moves, mv, "product_id"),
		"product_uom_qty": qty,
		"quantity":        quantity,
		"state":           state,
	}
	if n := e.str(moves, mv, "name"); n != "" {
		vals["name"] = n
	}
	if o := e.str(moves, mv, "origin"); o != "" {
		vals["origin"] = o
	}
	if l := e.ref(moves, mv, "sale_line_id"); l != 0 {
		vals["sale_line_id"] = l
	}
	return vals
}

var invoiceLabels = map[string][2]string{
	"out_invoice": {"Customer", "Customer Invoice"},
	"out_refund":  {"Customer", "Customer Credit Note"},
	"in_invoice":  {"Vendor", "Vendor Bill"},
	"in_refund":   {"Vendor", "Vendor Credit Note"},
}

// actionPost is account.move.action_post: it returns False.
func actionPost(e *env, c *call) (any, error) {
	m := c.m
	for _, id := range c.ids {
		r := m.get(id)
		if e.str(m, r, "state") == "posted" {
			return nil, userErr("The entry %s (id %d) is already posted.", e.str(m, r, "name"), r.id)
		}
		if len(e.ids(m, r, "invoice_line_ids")) == 0 {
			return nil, userErr("You need to add a line before posting.")
		}
		typ := e.str(m, r, "move_type")
		if l, isInvoice := invoiceLabels[typ]; isInvoice && e.ref(m, r, "partner_id") == 0 {
			return nil, userErr("The field '%s' is required, please complete it to validate the %s.", l[0], l[1])
		}
	}
	for _, id := range c.ids {
		r := m.get(id)
		typ := e.str(m, r, "move_type")
		if _, isInvoice := invoiceLabels[typ]; isInvoice {
			if e.str(m, r, "invoice_date") == "" {
				e.set(m, r, "invoice_date", e.today())
			}
			e.set(m, r, "date", e.str(m, r, "invoice_date"))
			if e.str(m, r, "invoice_date_due") == "" {
				e.set(m, r, "invoice_date_due", e.str(m, r, "invoice_date"))
			}
		}
		if name := e.str(m, r, "name"); name == "" || name == "/" {
			date := e.str(m, r, "date")
			year, month := date[:4], date[5:7]
			var name string
			switch typ {
			case "out_invoice":
				name = fmt.Sprintf("INV/%s/%05d", year, e.nextGaplessSeq("INV/"+year))
			case "out_refund":
				name = fmt.Sprintf("RINV/%s/%05d", year, e.nextGaplessSeq("RINV/"+year))
			case "in_invoice":
				name = fmt.Sprintf("BILL/%s/%s/%04d", year, month, e.nextGaplessSeq("BILL/"+year+"/"+month))
			case "in_refund":
				name = fmt.Sprintf("RBILL/%s/%s/%04d", year, month, e.nextGaplessSeq("RBILL/"+year+"/"+month))
			default:
				name = fmt.Sprintf("MISC/%s/%s/%04d", year, month, e.nextGaplessSeq("MISC/"+year+"/"+month))
			}
			e.set(m, r, "name", name)
		}
		e.set(m, r, "state", "posted")
		e.set(m, r, "write_date", e.nowString())
	}
	return false, nil
}
