# Systems this scenario talks to. Credentials come from the environment at
# run time (secret() values are never printed); lint needs none of them.

variable "dispatch_url" {
  description = "Base URL of the dispatch (TMS) platform API."
  default     = "http://127.0.0.1:9102"
}

variable "max_auto_pallets" {
  type        = number
  description = "Jobs with more pallets than this go to the planners' review queue."
  default     = 26
}

variable "kg_per_pallet" {
  type        = number
  description = "Average pallet weight used to estimate the pallet count."
  default     = 400
}

locals {
  # The depot every job is picked up from.
  depot = {
    code    = "NL-RTM-01"
    name    = "Rotterdam Waalhaven DC"
    country = "NL"
  }
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
  timeout  = "15s"
  headers = {
    "X-Client" = "flowctl"
  }

  retry {
    attempts = 8
    initial  = "500ms"
    max      = "2m"
  }
}
