variable "limit" { default = 10 }
locals {
  base = "http://127.0.0.1:${var.limt}" # ERROR: Did you mean "limit"?
  other = local.nope # ERROR: There is no local value "nope" # WARNING: local.other is declared but nothing uses it
}

connection "http" "dispatch" {
  base_url = local.base
}

schema "order" { # WARNING: Unused schema
  name  = string
  total = number
  items = list(schema.item) # ERROR: There is no schema "item"
}

flow "orders" {
  source "file" {
    path   = "orders.ndjson"
    schema = schema.ordr # ERROR: Did you mean "order"?
  }
  route {
    when   = "record.total > var.limit"
    target = target.dispach # ERROR: Flow "orders" has no target "dispach". Did you mean "dispatch"?
  }
  target "http" "dispatch" { # WARNING: Target receives nothing
    connection      = connection.http.dispatchh # ERROR: Reference to undeclared connection
    path            = "/v1/jobs"
    idempotency_key = "record.name"
  }
}

flow "wrong_kind" {
  source "file" { path = "x.ndjson" }
  target "odoo" "erp" {
    connection = connection.http.dispatch # ERROR: connection.http.dispatch is a http connection; this block needs a odoo connection
    model      = "res.partner"
    operation  = "upsert"
    unique_field = "ref"
  }
}
