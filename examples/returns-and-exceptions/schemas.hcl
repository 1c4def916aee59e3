# A return received by the WMS or a delivery exception reported by the
# dispatch platform; both name the order and the lines concerned.

schema "returned_line" {
  line_no    = int
  product_id = int # Odoo product.product id
  sku        = string
  qty        = number
  unit_price = number # price on the customer's invoice
  condition  = string # resaleable, damaged or missing
  reason     = string # wrong_item, damaged_in_transit, refused, short, not_needed, customer_damage
}

schema "contact" {
  name     = string
  email    = optional(string)
  phone    = optional(string)
  language = string # en, nl, de ...
}

schema "return_event" {
  event_id    = string
  kind        = string # return_received (WMS) or delivery_exception (dispatch)
  occurred_at = time
  order_ref   = string # Odoo sale order
  invoice_ref = string # the customer invoice the credit note refers to
  customer_id = int    # Odoo res.partner id
  rma         = optional(string)
  job_ref     = optional(string)
  exception   = optional(string) # refused, damaged, short, address_not_found
  currency    = string
  contact     = schema.contact
  lines       = list(schema.returned_line)
}

# Values of an Odoo credit note (account.move, out_refund).
schema "credit_note" {
  move_type        = string
  partner_id       = int
  ref              = string
  invoice_origin   = string
  invoice_date     = string # YYYY-MM-DD
  narration        = optional(string)
  invoice_line_ids = list(any) # x2many create commands [0, 0, {...}]
}

# A message for the notification service.
schema "customer_message" {
  channel   = string # email or sms
  to        = string
  language  = string
  template  = string
  variables = map(string)
}

# Values of an Odoo scrap order (stock.scrap).
schema "scrap_order" {
  product_id  = int
  scrap_qty   = number
  location_id = int
  origin      = string
}
