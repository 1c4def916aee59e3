lookup "zones" {
  file = "does-not-exist.csv" # ERROR: Cannot read lookup file
  key  = "zip"
}

lookup "nothing" {} # ERROR: Lookup has no rows # WARNING: Unused lookup table

connection "sftp" "partner" { # ERROR: SFTP host keys are always verified
  host     = "127.0.0.1"
  username = "acme"
  password = secret("SFTP_PASSWORD")
}

flow "f" {
  source "sftp" {
    connection = connection.sftp.partner
    dir        = "/out"
  }
  map "m" {
    zone = "lookup('zones', 1)"
    other = "lookup('zonez', 1)" # ERROR: No lookup "zonez" is declared. Did you mean "zones"?
  }
  target "stdout" "out" {}
}
