variable "token" {
  sensitive = true
  default   = "not-a-real-token"
}

connection "http" "dispatch" {
  base_url = "http://127.0.0.1:9102/${secret("TENANT")}" # ERROR: Secret in a non-secret field
  bearer   = var.token
  headers = {
    "X-Token" = secret("DISPATCH_TOKEN") # ERROR@-1: Secret in a non-secret field
  }
}

connection "odoo" "main" {
  url      = "http://127.0.0.1:8069"
  database = "prod"
  username = "bot"
  api_key  = "hunter2" # WARNING: Credential in plain text
}

flow "jobs" {
  source "odoo" {
    connection = connection.odoo.main
    model      = "sale.order"
  }
  map "job" {
    ref   = "record.name"
    token = "var.token" # ERROR: var.token is sensitive
  }
  target "http" "dispatch" {
    connection      = connection.http.dispatch
    path            = "/v1/jobs"
    idempotency_key = "job.ref"
  }
}
