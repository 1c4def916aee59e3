connexion "odoo" "main" { # ERROR: Unsupported block type
  url = "x"
}

flow "orders" {
  descripton = "typo in an attribute" # ERROR: Did you mean "description"?

  source "file" {
    path   = "orders.ndjson"
    formt  = "ndjson" # ERROR: Unsupported argument
  }

  transform "x" { # ERROR: Unsupported block type
  }

  validate "v" {
    check  = "true"
    reason = "x" # ERROR: Unsupported argument
  }

  target "stdout" "out" {
    colour = "red" # ERROR: Unsupported argument
  }

  target "carrier_pigeon" "bird" { # ERROR: There is no target "carrier_pigeon"
  }
}

flow "no_source" { # ERROR: Flow has no source
  target "stdout" "out" {}
}

flow "no_target" { # ERROR: Flow has no target
  source "file" { path = "x.ndjson" }
}
