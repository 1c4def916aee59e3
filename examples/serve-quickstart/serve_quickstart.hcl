# flowctl serve on the embedded defaults: confirmed sale orders dropped into
# inbox/ as NDJSON files become transport jobs appended to outbox/jobs.ndjson.
# Every record is journaled (embedded NATS JetStream, data in .flowctl/)
# before its file moves to archive/; an order that fails a validation is kept
# in the dead-letter store with its reason (flowctl dlq list). No service is
# needed: `make demo` runs it (scripts/serve-demo.sh).

schema "sale_order" {
  id                  = int
  name                = string
  state               = string
  partner_id          = list(any)           # [id, "name"]
  partner_shipping_id = optional(list(any)) # delivery address, [id, "name"]
  client_order_ref    = optional(string)
  commitment_date     = optional(time)
  shipping_weight     = optional(number)
  amount_total        = number
  note                = optional(string)
}

flow "orders_to_jobs" {
  description = "Confirmed sale orders from inbox/ become transport jobs in outbox/jobs.ndjson"
  key         = "record.name"

  source "file" {
    path        = "inbox/*.ndjson"
    schema      = schema.sale_order
    archive_dir = "archive"
    error_dir   = "error"
    every       = "1s"
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

  target "file" "jobs" {
    path            = "outbox/jobs.ndjson"
    append          = true
    idempotency_key = "'job-' + record.name"
    body            = <<-EOT
      {
        ref: 'JOB-' + record.name,
        customer: record.partner_id[1],
        deliver_to: record.partner_shipping_id[1],
        window_start: record.commitment_date,
        weight_kg: record.shipping_weight ?? 0
      }
    EOT
  }
}
