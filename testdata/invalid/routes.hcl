flow "f" {
  source "file" { path = "in.ndjson" }
  route {
    when   = "record.priority == 'high'"
    target = target.express
  }
  route {
    target = target.standard
  }
  route { # WARNING: Route can never match
    when   = "record.priority == 'low'"
    target = target.slow
  }
  route { # WARNING: Route can never match
    targets = [target.slow, target.express]
  }
  route { # ERROR: Route has no target # WARNING: Route can never match
    when = "true"
  }
  target "stdout" "express" {}
  target "stdout" "standard" {}
  target "stdout" "slow" {}
  target "stdout" "audit" {} # WARNING: none of them sends records to target "audit"
}
