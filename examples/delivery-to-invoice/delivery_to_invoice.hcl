# Proof-of-delivery events from the dispatch platform become customer
# invoices in Odoo, but only once the POD is validated and only for what was
# delivered. Deliveries with exceptions are held in the finance platform.

flow "delivery_to_invoice" {
  description = "Validated proof of delivery becomes a draft customer invoice in Odoo"
  key         = "record.order_ref"
  milestone   = "invoiced"
  ordered     = true

  source "http" {
    connection   = connection.http.dispatch
    schema       = schema.pod_event
    path         = "/v1/events"
    query        = { type = "proof_of_delivery" }
    items        = "data"
    pagination   = "cursor"
    cursor_field = "meta.next_cursor"
    page_size    = 200
    every        = "1m"
  }

  # Not validated yet: nothing to do now; the event comes again once it is.
  validate "pod_validated" {
    check   = "record.pod_status == 'validated'"
    message = "'POD of ' + record.job_ref + ' is ' + record.pod_status + '; it is invoiced once validated'"
    on_fail = "skip"
  }

  validate "signed_or_photographed" {
    check   = "(record.signed_by ?? '') != '' || record.photo_count > 0"
    message = "'POD of ' + record.job_ref + ' is validated but has neither a signature nor a photo'"
  }

  validate "delivered_something" {
    check   = "sum(record.lines, .qty_delivered) > 0"
    message = "'POD of ' + record.job_ref + ' reports nothing delivered'"
  }

  validate "not_over_delivered" {
    check   = "all(record.lines, .qty_delivered <= .qty_ordered)"
    message = "'POD of ' + record.job_ref + ' reports more than ordered for ' + join(map(filter(record.lines, .qty_delivered > .qty_ordered), .sku), ', ')"
  }

  validate "known_currency" {
    check   = "lookup('currencies', record.currency) != nil"
    message = "'currency ' + record.currency + ' has no Odoo id in the currencies table'"
  }

  validate "delivered_in_the_past" {
    check   = "record.delivered_at <= now() + duration('15m')"
    message = "'POD of ' + record.job_ref + ' is dated in the future: ' + record.delivered_at.Format('2006-01-02 15:04')"
  }

  # Invoice what was delivered, not what was ordered.
  map "invoice" {
    schema           = schema.customer_invoice
    move_type        = "'out_invoice'"
    journal_id       = "var.sales_journal_id"
    partner_id       = "record.customer_id"
    currency_id      = "int(lookup('currencies', record.currency))"
    invoice_origin   = "record.order_ref"
    ref              = "record.job_ref"
    invoice_date     = "record.delivered_at.Format('2006-01-02')"
    narration        = "'Delivered ' + record.delivered_at.Format('2006-01-02 15:04') + ' UTC, signed by ' + or_default(record.signed_by, 'nobody (photo POD)')"
    invoice_line_ids = <<-EOT
      map(filter(record.lines, .qty_delivered > 0), [0, 0, {
        product_id: .product_id,
        name: .sku + ' ' + .description,
        quantity: .qty_delivered,
        price_unit: .unit_price
      }])
    EOT
  }

  # Damage, refusals and other exceptions are held for a person to decide.
  route {
    when   = "len(record.exceptions) > 0"
    target = target.billing_hold
  }

  route {
    target = target.invoice
  }

  # One invoice per delivery job: the external id makes a repeated POD an
  # update of the same draft invoice.
  target "odoo" "invoice" {
    connection      = connection.odoo.main
    model           = "account.move"
    operation       = "upsert"
    external_id     = "'flowctl.pod_invoice_' + record.job_ref"
    body            = "invoice"
    idempotency_key = "'inv-' + record.job_ref"
  }

  target "http" "billing_hold" {
    connection      = connection.http.finance
    method          = "POST"
    path            = "/v1/billing/holds"
    body            = "{job_ref: record.job_ref, order_ref: record.order_ref, exceptions: record.exceptions, draft_invoice: invoice}"
    idempotency_key = "'hold-' + record.job_ref"
  }
}
