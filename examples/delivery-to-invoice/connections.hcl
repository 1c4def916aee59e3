# Systems: proof-of-delivery events are polled from the dispatch platform;
# invoices are created in Odoo; deliveries with exceptions are put on hold in
# the finance platform for a person to decide.

variable "dispatch_url" {
  description = "Base URL of the dispatch (TMS) platform API."
  default     = "http://127.0.0.1:9102"
}

variable "finance_url" {
  description = "Base URL of the finance platform API (billing holds)."
  default     = "http://127.0.0.1:9104"
}

variable "sales_journal_id" {
  type        = number
  description = "Odoo account.journal id of the customer invoices journal."
  default     = 1
}

connection "odoo" "main" {
  url      = env("ODOO_URL", "http://127.0.0.1:8069")
  database = env("ODOO_DB", "logistics")
  username = env("ODOO_USER", "integration@example.com")
  api_key  = secret("ODOO_API_KEY")
}

connection "http" "dispatch" {
  base_url = var.dispatch_url
  bearer   = secret("DISPATCH_TOKEN")
}

connection "http" "finance" {
  base_url       = var.finance_url
  api_key        = secret("FINANCE_API_KEY")
  api_key_header = "X-Api-Key"
  rate_limit     = 10

  retry {
    attempts = 5
    initial  = "1s"
    max      = "1m"
  }
}

# Odoo res.currency ids by ISO code.
lookup "currencies" {
  values = {
    EUR = 1
    USD = 2
    GBP = 3
  }
}
