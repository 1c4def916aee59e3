# Returns (from the WMS) and delivery exceptions (from the dispatch
# platform) become credit notes in Odoo, damaged returned goods are
# scrapped, and the customer is told what happens.

flow "returns_credit_and_notify" {
  description = "Returns and delivery exceptions: credit note in Odoo and a message to the customer"
  key         = "record.order_ref"
  milestone   = "credited"

  source "webhook" {
    path        = "/hooks/returns"
    hmac_secret = secret("RETURNS_HOOK_KEY")
    schema      = schema.return_event
  }

  validate "known_kind" {
    check   = "record.kind in ['return_received', 'delivery_exception']"
    message = "'event ' + record.event_id + ' has unknown kind ' + record.kind"
  }

  validate "has_lines" {
    check   = "len(record.lines) > 0 && all(record.lines, .qty > 0)"
    message = "'event ' + record.event_id + ' names no lines, or a line with quantity 0 or less'"
  }

  validate "known_reasons" {
    check   = "all(record.lines, .reason in ['wrong_item', 'damaged_in_transit', 'refused', 'short', 'not_needed', 'customer_damage'])"
    message = "'event ' + record.event_id + ' has an unknown return reason: ' + join(map(record.lines, .reason), ', ')"
  }

  validate "contactable" {
    check   = "record.contact.email != nil || record.contact.phone != nil"
    message = "'customer of ' + record.order_ref + ' has no email or phone; customer service is notified instead'"
    on_fail = "warn"
  }

  # Customer damage earns no credit; unneeded goods are credited minus the
  # restocking fee; everything else in full.
  map "credit" {
    amount = "round(sum(record.lines, .reason == 'customer_damage' ? 0 : .qty * (.reason == 'not_needed' ? round(.unit_price * (100 - var.restocking_fee_pct)) / 100 : .unit_price)) * 100) / 100"
    lines  = "filter(record.lines, .reason != 'customer_damage')"
  }

  map "credit_note" {
    schema           = schema.credit_note
    move_type        = "'out_refund'"
    partner_id       = "record.customer_id"
    ref              = "'Credit for ' + record.invoice_ref + (record.rma != nil ? ', RMA ' + record.rma : '')"
    invoice_origin   = "record.order_ref"
    invoice_date     = "record.occurred_at.Format('2006-01-02')"
    narration        = "record.kind == 'delivery_exception' ? 'Delivery exception: ' + (record.exception ?? 'unspecified') : 'Return received ' + record.occurred_at.Format('2006-01-02')"
    invoice_line_ids = <<-EOT
      map(credit.lines, [0, 0, {
        product_id: .product_id,
        name: .sku + ' (' + replace(.reason, '_', ' ') + ')',
        quantity: .qty,
        price_unit: .reason == 'not_needed' ? round(.unit_price * (100 - var.restocking_fee_pct)) / 100 : .unit_price
      }])
    EOT
  }

  map "message" {
    schema    = schema.customer_message
    channel   = "record.contact.email == nil && record.contact.phone != nil ? 'sms' : 'email'"
    to        = "record.contact.email ?? record.contact.phone ?? var.customer_service_email"
    language  = "record.contact.language"
    template  = "(record.kind == 'delivery_exception' ? 'delivery_exception' : 'return') + (credit.amount == 0 ? '_no_credit' : credit.amount > var.auto_credit_limit ? '_credit_under_review' : '_credited')"
    variables = <<-EOT
      {
        name: record.contact.name,
        order: record.order_ref,
        reference: record.rma ?? record.job_ref ?? record.order_ref,
        amount: string(credit.amount) + ' ' + record.currency
      }
    EOT
  }

  route {
    when   = "credit.amount == 0"
    target = target.notify_customer
  }

  route {
    when    = "credit.amount > var.auto_credit_limit"
    targets = [target.credit_approval, target.notify_customer]
  }

  route {
    targets = [target.credit_note, target.notify_customer]
  }

  target "odoo" "credit_note" {
    connection      = connection.odoo.main
    model           = "account.move"
    operation       = "upsert"
    external_id     = "'flowctl.credit_' + record.event_id"
    body            = "credit_note"
    idempotency_key = "'credit-' + record.event_id"
  }

  target "http" "credit_approval" {
    connection      = connection.http.finance
    path            = "/v1/credit-approvals"
    body            = "{event_id: record.event_id, order_ref: record.order_ref, amount: credit.amount, currency: record.currency, limit: var.auto_credit_limit, credit_note: credit_note}"
    idempotency_key = "'approval-' + record.event_id"
  }

  target "http" "notify_customer" {
    connection      = connection.http.notify
    path            = "/v1/messages"
    body            = "message"
    idempotency_key = "'notify-' + record.event_id"
  }
}

flow "returns_stock_adjustment" {
  description = "Damaged returned goods become scrap orders in Odoo, one per line"
  key         = "record.order_ref"

  source "webhook" {
    path        = "/hooks/returns/stock"
    hmac_secret = secret("RETURNS_HOOK_KEY")
    schema      = schema.return_event
  }

  # Goods refused at the door never left the truck; they come back with the
  # truck's normal return receipt.
  validate "received_return" {
    check   = "record.kind == 'return_received'"
    message = "'event ' + record.event_id + ' is a ' + record.kind + '; no stock to adjust'"
    on_fail = "skip"
  }

  split "line" {
    each = "record.lines"
  }

  validate "positive_quantity" {
    check   = "line.qty > 0"
    message = "'line ' + string(line.line_no) + ' of ' + record.event_id + ' has quantity ' + string(line.qty)"
  }

  # Resaleable goods go back on the shelf with the return receipt; missing
  # goods are a claim, not stock.
  validate "damaged" {
    check   = "line.condition == 'damaged'"
    message = "'line ' + string(line.line_no) + ' of ' + record.event_id + ' is ' + line.condition + '; nothing to scrap'"
    on_fail = "skip"
  }

  map "scrap" {
    schema      = schema.scrap_order
    product_id  = "line.product_id"
    scrap_qty   = "line.qty"
    location_id = "var.returns_location_id"
    origin      = "(record.rma ?? record.order_ref) + ' line ' + string(line.line_no) + ': ' + line.reason"
  }

  target "odoo" "scrap" {
    connection      = connection.odoo.main
    model           = "stock.scrap"
    operation       = "create"
    body            = "scrap"
    idempotency_key = "'scrap-' + record.event_id + '-' + string(line.line_no)"
  }
}
