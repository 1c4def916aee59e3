# A carrier freight invoice (X12 210) in record form: one record per 210
# transaction set, charges from its L1 segments.

schema "freight_charge" {
  line        = int    # LX-01
  code        = string # L1-08 special charge code: 400 freight, FUE fuel, DET detention ...
  description = string # L1-12
  amount      = number # L1-04
}

schema "freight_invoice" {
  scac           = string           # B3-11
  invoice_number = string           # B3-02
  pro_number     = string           # B3-03
  bol_number     = optional(string) # N9*BM
  shipment_ref   = string           # N9*PO: our order / transport job
  invoice_date   = time             # B3-06
  currency       = string           # C3-01
  total_amount   = number           # B3-07 net amount due
  weight_kg      = number           # L3-01 (L3-02 = K)
  origin         = string           # shipper N4, UN/LOCODE
  destination    = string           # consignee N4, UN/LOCODE
  charges        = list(schema.freight_charge)
}

# Values of an Odoo vendor bill (account.move, in_invoice).
schema "vendor_bill" {
  move_type        = string
  journal_id       = int
  partner_id       = int
  ref              = string
  invoice_date     = string # YYYY-MM-DD
  invoice_origin   = string
  narration        = optional(string)
  invoice_line_ids = list(any) # x2many create commands [0, 0, {...}]
}
