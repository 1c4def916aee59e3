# Confirmed sale orders in Odoo become transport jobs in the dispatch
# platform. Orders the planners must look at first (unknown weight, more
# pallets than one truck) are created as draft jobs in the review inbox.

flow "order_to_dispatch" {
  description = "Confirmed Odoo sale orders become transport jobs in the dispatch platform"
  key         = "record.name"
  milestone   = "released"

  source "odoo" {
    connection = connection.odoo.main
    schema     = schema.sale_order
    model      = "sale.order"
    domain     = [["state", "=", "sale"]]
    fields     = ["name", "state", "partner_id", "partner_shipping_id", "client_order_ref", "commitment_date", "shipping_weight", "amount_total", "note"]
    cursor     = "write_date"
    every      = "30s"
  }

  validate "confirmed" {
    check   = "record.state == 'sale'"
    message = "'order ' + record.name + ' is in state ' + record.state + ', not sale'"
    on_fail = "skip"
  }

  validate "has_delivery_address" {
    check   = "record.partner_shipping_id != nil && len(record.partner_shipping_id) == 2"
    message = "'order ' + record.name + ' has no delivery address'"
  }

  validate "has_window" {
    check   = "record.commitment_date != nil"
    message = "'order ' + record.name + ' has no delivery date (commitment_date)'"
  }

  validate "has_weight" {
    check   = "(record.shipping_weight ?? 0) > 0"
    message = "'order ' + record.name + ' has no shipping weight; it goes to review'"
    on_fail = "warn"
  }

  map "job" {
    schema       = schema.transport_job
    ref          = "record.name"
    customer     = "string(record.partner_id[1])"
    customer_ref = "record.client_order_ref ?? record.name"
    window_start = "record.commitment_date - duration('2h')"
    window_end   = "record.commitment_date + duration('2h')"
    weight_kg    = "record.shipping_weight ?? 0"
    pallets      = "int(ceil((record.shipping_weight ?? 0) / var.kg_per_pallet))"
    service      = "(record.shipping_weight ?? 0) >= 10000 ? 'FTL' : 'LTL'"
    notes        = "record.note"

    pickup {
      code    = "local.depot.code"
      name    = "local.depot.name"
      country = "local.depot.country"
    }

    consignee {
      odoo_partner_id = "int(record.partner_shipping_id[0])"
      name            = "string(record.partner_shipping_id[1])"
    }
  }

  route {
    when   = "job.weight_kg == 0 || job.pallets > var.max_auto_pallets"
    target = target.review
  }

  route {
    target = target.dispatch
  }

  target "http" "dispatch" {
    connection      = connection.http.dispatch
    method          = "POST"
    path            = "/v1/jobs"
    body            = "job"
    idempotency_key = "'so-' + job.ref"
  }

  target "http" "review" {
    connection      = connection.http.dispatch
    method          = "POST"
    path            = "/v1/jobs/drafts"
    body            = "{job: job, reason: job.weight_kg == 0 ? 'shipping weight unknown' : string(job.pallets) + ' pallets, more than one truck'}"
    idempotency_key = "'so-' + job.ref"
  }
}
