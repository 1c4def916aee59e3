# The same flow fed from testdata/sale_orders.ndjson (records shaped like
# Odoo's search_read output) and writing files instead of calling the
# dispatch platform, so the scenario runs without Odoo or a TMS.

flow "order_to_dispatch_sample" {
  description = "order_to_dispatch on sample files: testdata/sale_orders.ndjson to out/"
  key         = "record.name"
  milestone   = "released"

  source "file" {
    path   = "${var.data_dir}/sale_orders.ndjson"
    format = "ndjson"
    schema = schema.sale_order
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

  target "file" "dispatch" {
    path            = "${var.out_dir}/transport_jobs.ndjson"
    body            = "job"
    idempotency_key = "'so-' + job.ref"
  }

  target "file" "review" {
    path            = "${var.out_dir}/review_queue.ndjson"
    body            = "{job: job, reason: job.weight_kg == 0 ? 'shipping weight unknown' : string(job.pallets) + ' pallets, more than one truck'}"
    idempotency_key = "'so-' + job.ref"
  }
}
