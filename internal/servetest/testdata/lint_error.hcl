schema "order" {
  ref = string
  qty = number
}

flow "orders" {
  key = "record.ref"

  source "webhook" {
    schema = schema.order
    path   = "/hooks/orders"
  }

  validate "positive" {
    check   = "record.qtty > 0"
    message = "'qty must be positive'"
  }

  target "stdout" "out" {}
}
