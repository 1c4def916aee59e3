# A confirmed sale order as Odoo's search_read returns it: many2one fields
# are [id, "display name"] pairs, datetimes are UTC.
schema "sale_order" {
  id                  = int
  name                = string
  state               = string
  partner_id          = list(any)           # [id, "name"]
  partner_shipping_id = optional(list(any)) # delivery address, [id, "name"]
  client_order_ref    = optional(string)    # the customer's own PO number
  commitment_date     = optional(time)      # promised delivery date
  shipping_weight     = optional(number)    # kg (delivery module)
  amount_total        = number
  note                = optional(string)
}

schema "site" {
  code    = string
  name    = string
  country = string
}

# A transport job as the dispatch platform's POST /v1/jobs expects it.
schema "transport_job" {
  ref          = string
  customer     = string
  customer_ref = string
  pickup       = schema.site
  consignee    = object({ odoo_partner_id = int, name = string })
  window_start = time
  window_end   = time
  weight_kg    = number
  pallets      = int
  service      = string # FTL or LTL
  notes        = optional(string)
}
