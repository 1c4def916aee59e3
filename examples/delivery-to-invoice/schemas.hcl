# A proof-of-delivery event from the dispatch platform.

schema "pod_line" {
  product_id    = int # Odoo product.product id
  sku           = string
  description   = string
  qty_ordered   = number
  qty_delivered = number
  unit_price    = number
}

schema "pod_event" {
  event_id     = string
  job_ref      = string # dispatch job reference
  order_ref    = string # Odoo sale order, e.g. SO0101
  customer_id  = int    # Odoo res.partner id of the invoiced customer
  delivered_at = time
  pod_status   = string # pending, validated or disputed
  signed_by    = optional(string)
  photo_count  = int
  exceptions   = list(string) # damaged, short, refused, late ...
  currency     = string
  lines        = list(schema.pod_line)
}

# Values of an Odoo customer invoice (account.move); invoice lines are x2many
# create commands [0, 0, {...}].
schema "customer_invoice" {
  move_type        = string
  journal_id       = int
  partner_id       = int
  currency_id      = int
  invoice_origin   = string
  ref              = string
  invoice_date     = string # YYYY-MM-DD
  narration        = optional(string)
  invoice_line_ids = list(any)
}
