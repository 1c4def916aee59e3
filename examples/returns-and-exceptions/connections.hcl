# Systems: the WMS (returns received) and the dispatch platform (delivery
# exceptions) post events to flowctl's webhook listener; Odoo gets credit
# notes and scrap orders; customers are told through the notification
# service; large credits wait for approval in the finance platform.

variable "notify_url" {
  description = "Base URL of the customer notification service."
  default     = "http://127.0.0.1:9106"
}

variable "finance_url" {
  description = "Base URL of the finance platform API (credit approvals)."
  default     = "http://127.0.0.1:9104"
}

variable "auto_credit_limit" {
  type        = number
  description = "Credits above this amount wait for approval instead of being created directly."
  default     = 500
}

variable "restocking_fee_pct" {
  type        = number
  description = "Percentage kept back on goods returned because the customer did not need them."
  default     = 15
}

variable "returns_location_id" {
  type        = number
  description = "Odoo stock.location id of the returns area damaged goods are scrapped from."
  default     = 18
}

variable "customer_service_email" {
  description = "Where notifications go when the customer has no email or phone on file."
  default     = "customer.service@example-logistics.com"
}

connection "odoo" "main" {
  url      = env("ODOO_URL", "http://127.0.0.1:8069")
  database = env("ODOO_DB", "logistics")
  username = env("ODOO_USER", "integration@example.com")
  api_key  = secret("ODOO_API_KEY")
}

connection "http" "notify" {
  base_url   = var.notify_url
  bearer     = secret("NOTIFY_TOKEN")
  rate_limit = 20
}

connection "http" "finance" {
  base_url       = var.finance_url
  api_key        = secret("FINANCE_API_KEY")
  api_key_header = "X-Api-Key"
}
