# The language sketch from the architecture notes, made concrete.
variable "dispatch_url" { default = "http://127.0.0.1:9102" }

connection "odoo" "main" {
  url      = env("ODOO_URL", "http://127.0.0.1:8069")
  database = env("ODOO_DB", "demo")
  username = env("ODOO_USER", "integration")
  api_key  = secret("ODOO_API_KEY")
}

connection "http" "dispatch" {
  base_url = var.dispatch_url
  bearer   = secret("DISPATCH_TOKEN")
  retry {
    attempts = 8
    initial  = "500ms"
    max      = "2m"
  }
}

schema "order" {
  name            = string
  partner_id      = list(any)
  commitment_date = optional(string)
  order_line      = list(object({ product = string, qty = number }))
}

schema "transport_job" {
  ref          = string
  customer     = optional(string)
  window_start = time
  lines        = list(object({ sku = string, qty = number }))
}

flow "order_to_dispatch" {
  description = "Confirmed sale orders become transport jobs in the dispatch platform"
  key         = "record.name"
  milestone   = "released"
  ordered     = true

  source "odoo" {
    connection = connection.odoo.main
    model      = "sale.order"
    schema     = schema.order
    domain     = [["state", "=", "sale"]]
    fields     = ["name", "partner_id", "commitment_date", "order_line"]
    every      = "30s"
  }

  validate "has_window" {
    check   = "record.commitment_date != nil"
    message = "'order ' + record.name + ' has no delivery window'"
    on_fail = "reject"
  }

  map "job" {
    schema       = schema.transport_job
    ref          = "record.name"
    customer     = "string(record.partner_id[1])"
    window_start = "date(record.commitment_date) - duration('2h')"
    lines        = "map(record.order_line, ({sku: #.product, qty: #.qty}))"
  }

  route {
    when   = "job.customer == nil || job.customer == ''"
    target = target.review_queue
  }

  target "http" "dispatch" {
    connection      = connection.http.dispatch
    method          = "POST"
    path            = "/v1/jobs"
    body            = "job"
    idempotency_key = "job.ref"
  }

  target "file" "review_queue" {
    path            = "review.ndjson"
    idempotency_key = "job.ref"
  }

  route {
    target = target.dispatch
  }
}
