// Package odootest is an in-process Odoo server for connector tests and
// local trials. It speaks the wire formats of Odoo 17, 18 and 19 (JSON-RPC,
// JSON-2 and XML-RPC) over an in-memory database of the models logistics
// flows use, with Odoo's state rules for orders, deliveries and invoices.
//
//	srv := odootest.NewServer(odootest.Options{})   // Odoo 19, database "odoo", admin/admin
//	if err := srv.Start(""); err != nil { ... }     // 127.0.0.1:<free port>; loopback only
//	defer srv.Close()
//	demo, _ := srv.SeedDemo()                       // partners, products, a carrier, a quotation
//	// point the connector at srv.URL()
//
// or httptest.NewServer(srv.Handler()). Seeding helpers (Create,
// MustCreate, Write, Read, Search, Call, SetExternalID, AddUser) run as the
// superuser through the same code as execute_kw. FailNext injects failures
// (an HTTP status such as 503, Serialization, Hang) so clients can test
// retry classification; Calls and CallCount record what clients sent.
//
// # Modeled
//
// Wire formats:
//   - POST /jsonrpc, services common (version, login, authenticate), object
//     (execute_kw, execute) and db (list, server_version). Success
//     {"jsonrpc":"2.0","id":N,"result":...}; a None result has no "result"
//     key. Errors at HTTP 200 as {"error":{"code":200 (0 for 19),
//     "message":"Odoo Server Error","data":{"name","message","arguments",
//     "context","debug"}}}. Malformed JSON: plain-text 400 "Invalid JSON
//     data" ("Invalid JSON-RPC data" when not an object). Unknown paths:
//     werkzeug's HTML 404. Output is formatted like Python's json.dumps
//     (", " and ": " separators, floats as 10.0).
//   - POST /json/2/<model>/<method> (version 19 only): Authorization: bearer
//     <API key> (401 "Invalid apikey" otherwise), optional X-Odoo-Database,
//     a JSON object of named parameters plus ids and context; the bare value
//     on success (create always returns a list); the bare serialized
//     exception with 401, 403 (AccessError), 404 (MissingError, unknown model
//     or method, bad path), 422 (UserError, ValidationError, unexpected or
//     missing argument, ids on an @api.model method), 400 (bad JSON) or 500
//     (anything else, e.g. builtins.ValueError).
//   - GET /web/version: {"version_info":[19,0,0,"final",0,""],"version":"19.0"}
//     (a JSON-RPC POST gets the same in "result").
//   - POST /xmlrpc/2/common and /xmlrpc/2/object: the same calls; faults 1
//     (server error, faultString is the traceback, also for a None result),
//     2 (UserError, ValidationError, MissingError), 3 (AccessDenied),
//     4 (AccessError).
//
// Authentication: users with login, password and API key (either works as
// execute_kw's password; JSON-2 takes API keys only). authenticate and login
// return the uid or false; after Options.LoginAttempts failures from one
// address (Odoo's 5, 10 for 19) logins are refused for 60 s (false, even
// with the right password). Credentials are checked on every execute_kw:
// wrong ones give odoo.exceptions.AccessDenied. An unknown database is a
// psycopg2.OperationalError. Only users with Admin may create or change
// ir.model.data (AccessError otherwise).
//
// Dispatch errors as Odoo raises them: unknown model → UserError "Object x
// doesn't exist"; a method starting with "_" → AccessError (private method);
// unknown method → builtins.AttributeError "The method 'm.x' does not
// exist"; bad arguments → builtins.TypeError with Python's messages (and
// IndexError when a record method gets no ids, as _call_kw_multi does).
//
// ORM: search, search_read, read, search_count, create (a dict gives an id,
// a list of dicts a list of ids), write, unlink, fields_get (type, string,
// relation, relation_field, required, readonly, selection, store, sortable),
// name_search, load (fields with "id", "x/id", "x/.id"; an "id" column holding
// an existing external id updates instead of creating). Reads return "id"
// first then the fields asked; many2one as [id, "display name"] or false
// (plain ids with load=None); x2many as id lists; empty char/date fields as
// false; integers 0 and floats 0.0 when unset. create_date and write_date
// are kept in UTC "YYYY-MM-DD HH:MM:SS". Defaults come from the context's
// default_<field> keys, then the field's default. x2many commands [0,0,vals]
// [1,id,vals] [2,id,0] [3,id,0] [4,id,0] [5,0,0] [6,0,ids] (and a plain id
// list) work in create and write, with Odoo's one2many semantics (command
// 3/5/6 delete a child whose inverse many2one is required, else clear it).
// Required fields (NOT NULL) and many2one targets (foreign keys) give
// Odoo's ValidationError texts; unknown fields in create/write/read give
// ValueError("Invalid field 'x' on model 'y'"); bad selection or date values
// ValueError. unlink applies ON DELETE (cascade for lines and moves,
// RESTRICT for required many2ones, SET NULL otherwise), drops the records'
// external ids, and ignores ids already gone. Records with active = False
// are hidden from searches unless the domain names active or the context has
// active_test: false. Write on a missing id is a MissingError; read of a
// missing id skips it.
//
// Domains: [field, operator, value] leaves with implicit AND and prefix "&",
// "|", "!"; operators = != < <= > >= =? in, "not in", like, ilike, =like,
// =ilike, "not like", "not ilike", child_of, parent_of (following
// res.partner.parent_id); SQL NULL semantics (!= and not in match NULL,
// comparisons do not); many2one values may be ids or names; dotted paths
// through many2one (partner_id.name) and x2many (order_line.product_id, "any
// line", a negative operator meaning "no line"); (1, '=', 1) and (0, '=', 1).
// An unknown field or operator is builtins.ValueError. order accepts
// comma-separated fields with asc/desc and nulls first/last (PostgreSQL's
// NULLS LAST ascending); offset and limit as usual.
//
// Models: res.partner (name, ref, email, phone, street, street2, city, zip,
// country_code, vat, parent_id, child_ids, is_company, type, category_id,
// active; display name "Company, Contact"), res.partner.category,
// product.product (name, default_code, barcode, list_price, standard_price,
// weight, type, sale_ok, active; display name "[CODE] Name"),
// delivery.carrier (name, delivery_type, fixed_price, product_id, active),
// sale.order (name SO0001..., partner_id, partner_invoice_id and
// partner_shipping_id defaulting to it, client_order_ref, origin,
// date_order, commitment_date, state draft/sent/sale/cancel, order_line,
// carrier_id, note, amount_untaxed, amount_total, picking_ids,
// delivery_count), sale.order.line (order_id, sequence, product_id, name and
// price_unit defaulting from the product, product_uom_qty, price_subtotal,
// price_total, qty_delivered from done moves, state), stock.picking (name
// WH/OUT/00001..., WH/IN/ and WH/INT/ by picking_type_code, origin,
// partner_id, state draft/waiting/confirmed/assigned/done/cancel,
// scheduled_date, date_done, move_ids, carrier_id, carrier_tracking_ref,
// sale_id, backorder_id, backorder_ids, note), stock.move (name, picking_id,
// product_id, product_uom_qty, quantity, picked, state, sale_line_id,
// origin), account.move (name "/" until posted, then INV/2026/00001,
// RINV/2026/00001, BILL/2026/01/0001..., move_type, state
// draft/posted/cancel, partner_id, date, invoice_date, invoice_date_due,
// invoice_origin, ref, payment_reference, invoice_line_ids, amount_untaxed,
// amount_total, amount_residual, payment_state), account.move.line
// (move_id, product_id, name, quantity, price_unit, price_subtotal,
// price_total), ir.model.data (module, name, model, res_id, noupdate,
// complete_name; unique module+name with PostgreSQL's duplicate-key text as a
// ValidationError), stock.backorder.confirmation. Every model has id,
// display_name, create_date and write_date.
//
// Workflows: sale.order.action_confirm (draft/sent → sale; creates an
// assigned outgoing picking with one reserved move per goods line, partner
// = delivery address, origin = order name, carrier copied; otherwise
// UserError "The following orders are not in a state requiring
// confirmation: ..."), action_cancel (cancels open pickings), action_draft.
// stock.picking.action_confirm/action_assign (reserve everything: stock is
// not counted), action_cancel, button_validate as in 17+: done pickings are
// skipped (true), drafts are confirmed, empty or zero-quantity transfers are
// UserErrors, when nothing is picked everything is, and a picked quantity
// below the demand returns the stock.backorder.confirmation act_window
// whose context (button_validate_picking_ids, default_pick_ids) must be
// passed when creating the wizard and calling process (backorder created,
// WH/OUT/00002 with backorder_id) or process_cancel_backorder (remainder
// cancelled); called without that context they do nothing and return true,
// as in Odoo. skip_backorder and picking_ids_not_to_backorder in the context
// work as in Odoo. account.move.action_post (draft → posted, name assigned,
// invoice_date defaulted, returns false; a posted entry → UserError "The
// entry INV/2026/00001 (id 1) is already posted."; no lines or no partner →
// UserError), button_draft and button_cancel (return None). Deleting a
// confirmed order, a posted entry or a done picking/move is a UserError.
// ir.model.data.check_object_reference(module, name) → [model, id]
// ([model, false] for an archived or deleted record), ValueError "External
// ID not found in the system: m.n" otherwise.
//
// Transactions and ids: each call is a transaction; a failing call leaves
// nothing behind (an error in an order line rolls back the order). As with
// PostgreSQL sequences, ids and SO/WH numbers consumed by a failed call are
// not reused; invoice numbers are gapless. Ids count from 1 per model in
// creation order, so a fresh server is deterministic.
//
// # Not modeled
//
// Sessions and /web/* routes other than /web/version (no
// /web/session/authenticate, no cookies, no CSRF, code 100 session expiry);
// res.users, res.company, multi-company, currencies, pricelists, units of
// measure, taxes (totals are untaxed sums), fiscal positions, journals and
// accounts, payments (payment_state stays not_paid), reconciliation;
// stock quantities, locations, routes, lots and serial numbers, packages,
// move lines (reservation always succeeds in full), Odoo 16's quantity_done
// and stock.immediate.transfer; sale.advance.payment.inv and
// _create_invoices (create account.move directly), invoice_status, locked
// orders, edit restrictions on posted entries; mail, activities and
// chatter; record rules and ACLs beyond ir.model.data (every user may do
// the rest); translations; read_group, web_search_read, search_fetch,
// copy, default_get, onchange; the "any" and "not any" domain operators and
// dotted order keys; fields_get attributes other than those listed;
// private methods are refused without checking that they exist; a server-
// side retry of serialization failures (injected ones are reported
// directly); real hashing delays; XML-RPC's legacy /xmlrpc/ (version 1)
// endpoints. The real defaults differ in details: Odoo names quotations
// S00001, partners start after the company and admin records, and the
// backorder wizard's view id is the database's.
package odootest
