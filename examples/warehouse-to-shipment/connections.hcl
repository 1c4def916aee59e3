# Systems: the WMS posts shipment confirmations to flowctl's webhook
# listener; Odoo gets the picking quantities and validation; the customer's
# EDI partner receives an 856 ship notice over SFTP.

variable "asn_dir" {
  description = "Remote folder on the partner's SFTP server that receives ship notices."
  default     = "/inbound/856"
}

connection "odoo" "main" {
  url      = env("ODOO_URL", "http://127.0.0.1:8069")
  database = env("ODOO_DB", "logistics")
  username = env("ODOO_USER", "integration@example.com")
  api_key  = secret("ODOO_API_KEY")
}

connection "sftp" "edi_partner" {
  host        = env("EDI_SFTP_HOST", "sftp.partner.example")
  port        = 22
  username    = env("EDI_SFTP_USER", "acme-logistics")
  private_key = secret("EDI_SFTP_KEY")
  known_hosts = env("FLOWCTL_KNOWN_HOSTS", "/etc/flowctl/known_hosts")
  timeout     = "20s"
}

# Carriers we ship with, by SCAC.
lookup "carriers" {
  values = {
    DHLF = { name = "DHL Freight" }
    DSVR = { name = "DSV Road" }
    RHNS = { name = "Rhenus Freight Logistics" }
    DACH = { name = "DACHSER" }
  }
}
