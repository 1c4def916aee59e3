# Systems: carriers drop X12 210 freight invoices on our SFTP server; the
# vendor bills go to Odoo; margin alerts and invoices that cannot be judged go
# to the finance platform.

variable "finance_url" {
  description = "Base URL of the finance platform API."
  default     = "http://127.0.0.1:9104"
}

variable "purchase_journal_id" {
  type        = number
  description = "Odoo account.journal id of the vendor bills journal."
  default     = 2
}

connection "sftp" "carrier_edi" {
  host     = env("CARRIER_SFTP_HOST", "edi.example-logistics.com")
  username = env("CARRIER_SFTP_USER", "carriers")
  password = secret("CARRIER_SFTP_PASSWORD")
  host_key = env("CARRIER_SFTP_HOST_KEY", "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")
}

connection "odoo" "main" {
  url      = env("ODOO_URL", "http://127.0.0.1:8069")
  database = env("ODOO_DB", "logistics")
  username = env("ODOO_USER", "integration@example.com")
  api_key  = secret("ODOO_API_KEY")
}

connection "http" "finance" {
  base_url       = var.finance_url
  api_key        = secret("FINANCE_API_KEY")
  api_key_header = "X-Api-Key"
}

# Carriers by SCAC, with their vendor (res.partner) id in Odoo.
lookup "carriers" {
  file = "lookups/carriers.csv"
  key  = "scac"
}

# What we charge customers per lane (origin-destination UN/LOCODEs) and the
# margin we aim for.
lookup "lanes" {
  file = "lookups/lanes.csv"
  key  = "lane"
}

# X12 L1 special charge codes and the Odoo product (product.product id) each
# is booked on.
lookup "charge_codes" {
  values = {
    "400" = { product_id = 801, label = "Freight" }
    FUE   = { product_id = 802, label = "Fuel surcharge" }
    DET   = { product_id = 803, label = "Detention" }
    LFT   = { product_id = 804, label = "Liftgate" }
    RES   = { product_id = 805, label = "Residential delivery" }
  }
}
