variable "pages" {
  type    = number
  default = "many" # ERROR: Invalid default value
}

connection "odoo" "main" {
  url      = "http://127.0.0.1:8069"
  database = "prod"
  username = "bot"
  api_key  = secret("ODOO_KEY")
  protocol = "jsonrcp" # ERROR: Did you mean "jsonrpc"?
  timeout  = "soon" # ERROR: "soon" is not a duration
}

flow "orders" {
  ordered = "sometimes" # ERROR: ordered must be true or false
  source "odoo" {
    connection = connection.odoo.main
    model      = "sale.order"
    fields     = "name" # ERROR: Invalid value for fields
    page_size  = var.pages
  }
  validate "v" {
    check   = "true"
    on_fail = "explode" # ERROR: on_fail is "reject"
  }
  target "stdout" "out" {
    format = ["ndjson"] # ERROR: Invalid value for format
  }
}

schema "s" { # WARNING: Unused schema
  when = timestamp # ERROR: "timestamp" is not a type
  ok   = list(string, number) # ERROR: list() takes exactly 1 argument
}
