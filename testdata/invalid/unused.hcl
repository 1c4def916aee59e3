variable "unused_var" { default = 1 } # WARNING: var.unused_var is declared but nothing uses it

locals {
  spare = "x" # WARNING: local.spare is declared but nothing uses it
}

schema "unused_schema" { ref = string } # WARNING: schema.unused_schema is declared but nothing uses it

connection "http" "spare" { # WARNING: connection.http.spare is declared but no source or target uses it
  base_url = "http://127.0.0.1:1"
}

lookup "carriers" { # WARNING: Unused lookup table
  values = { DHL = { name = "DHL" } }
}

flow "f" {
  source "file" { path = "in.ndjson" }
  target "stdout" "out" {}
}
