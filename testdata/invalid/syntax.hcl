flow "broken" {
  description = "two values" "on one line" # ERROR: Missing newline after argument
  source "file" { path = "x.ndjson" }
  target "stdout" "out" {}
}
