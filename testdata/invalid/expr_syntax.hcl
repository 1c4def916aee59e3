flow "orders" {
  key = "record.name +" # ERROR: Expression syntax error
  source "file" { path = "orders.ndjson" }
  validate "v" {
    check = "record.total >> 3" # ERROR: Expression syntax error
  }
  validate "w" {
    check = "'unterminated" # ERROR: literal not terminated
  }
  validate "interp" {
    check = "record.total > ${var.x}" # ERROR: Interpolation in a runtime expression
  }
  validate "bare" {
    check = record.ok # ERROR: Runtime expression must be a string
  }
  map "m" {
    a = "" # ERROR: Empty expression
  }
  target "stdout" "out" {}
}
