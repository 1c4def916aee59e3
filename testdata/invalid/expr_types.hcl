schema "order" {
  name     = string
  customer = string
  total    = number
  placed   = time
  lines    = list(object({ sku = string, qty = int }))
}

schema "job" {
  ref      = string
  customer = optional(string)
  weight   = number
}

flow "orders" {
  source "file" {
    path   = "orders.ndjson"
    schema = schema.order
  }
  validate "typo" {
    check = "record.custmer != ''" # ERROR: unknown field "custmer". Did you mean "customer"?
  }
  validate "string_vs_number" {
    check = "record.name > 5" # ERROR: mismatched types string and int
  }
  validate "not_bool" {
    check = "record.total * 2" # ERROR: check must be a boolean expression
  }
  validate "nested" {
    check = "all(record.lines, .qty > 0) && record.lines[0].skuu != ''" # ERROR: Did you mean "sku"?
  }
  validate "unknown_name" {
    check = "recrod.total > 0" # ERROR: Did you mean "record"?
  }
  map "job" {
    schema   = schema.job
    ref      = "record.total" # ERROR: expected string, got number
    custmer  = "record.customer" # ERROR: Did you mean "customer"?
    weight   = "sum(record.lines, .qty)"
  }
  map "extra" { # ERROR: Missing field "weight"
    schema = schema.job
    ref    = "record.name"
  }
  route {
    when   = "job.ref" # ERROR: when must be a boolean expression
    target = target.out
  }
  target "stdout" "out" {
    body = "{ref: job.ref, placed: record.placed, w: job.weihgt}" # ERROR: Did you mean "weight"?
  }
}
