variable "region" { default = "eu" }
variable "region" { default = "us" } # ERROR: Duplicate variable "region"

schema "job" { ref = string }
schema "job" { ref = string } # ERROR: Duplicate schema "job"

flow "orders" {
  key = "record.ref + var.region"
  source "file" {
    path   = "orders.ndjson"
    schema = schema.job
  }
  source "file" { # ERROR: Duplicate source
    path = "more.ndjson"
  }
  validate "has_ref" { check = "record.ref != ''" }
  validate "has_ref" { check = "len(record.ref) > 2" } # ERROR: Duplicate step "has_ref"
  map "out" {
    ref = "record.ref"
    ref = "upper(record.ref)" # ERROR: Attribute redefined
  }
  target "stdout" "out" {}
  target "stdout" "out" {} # ERROR: Duplicate target "out"
}

flow "orders" { # ERROR: Duplicate flow "orders"
  source "file" { path = "x.ndjson" }
  target "stdout" "out" {}
}
