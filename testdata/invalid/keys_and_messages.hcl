variable "max_pallets" { default = 33 } # WARNING: Unused variable

locals {
  batch = tonumber("ten") # ERROR: Invalid function argument # WARNING: Unused local value
}

connection "http" "tms" {
  base_url = "http://127.0.0.1:9102"
}

schema "invoice" {
  number = string
  amount = decimal
  lines  = list(object({ price = decimal, qty = int }))
}

flow "f" {
  key = "record.lines" # ERROR: key must be a string or number, not list
  source "file" {
    path   = "in.ndjson"
    schema = schema.invoice
  }
  validate "pallets" {
    check   = "len(record.lines) <= var.max_palets" # ERROR: Did you mean "max_pallets"?
    message = "len(record.lines)" # ERROR: message: expected string, got int
  }
  validate "exact_money" {
    check = "record.amount == dec_sum(map(record.lines, #.price * #.qty))"
  }
  validate "money_vs_text" {
    check = "record.amount > record.number" # ERROR: Type mismatch
  }
  target "http" "both" { # ERROR: set exactly one of path (static) and path_expr (per record)
    connection      = connection.http.tms
    path            = "/v1/invoices"
    path_expr       = "'/v1/invoices/' + record.number"
    idempotency_key = "record.number"
  }
  target "http" "list_key" {
    connection      = connection.http.tms
    path            = "/v1/invoices"
    idempotency_key = "[record.number, 1]" # ERROR: idempotency_key must be a string or number
  }
  target "http" "neither" { # ERROR: set exactly one of path
    connection      = connection.http.tms
    idempotency_key = "record.number"
  }
}
