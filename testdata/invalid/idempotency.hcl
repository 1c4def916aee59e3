connection "http" "tms" {
  base_url = "http://127.0.0.1:9102"
}
connection "odoo" "erp" {
  url      = "http://127.0.0.1:8069"
  database = "prod"
  username = "bot"
  api_key  = secret("ODOO_KEY")
}

flow "f" {
  source "file" { path = "in.ndjson" }
  target "http" "jobs" { # WARNING: Target has no idempotency key
    connection = connection.http.tms
    path       = "/v1/jobs"
  }
  target "odoo" "create" { # WARNING: Target has no idempotency key
    connection = connection.odoo.erp
    model      = "res.partner"
  }
  target "odoo" "upsert" {
    connection   = connection.odoo.erp
    model        = "res.partner"
    operation    = "upsert"
    unique_field = "ref"
  }
  target "file" "out" {
    path            = "out.ndjson"
    idempotency_key = "record.id"
  }
}
