# Shipment confirmation as the WMS sends it once a truck has left.

schema "address" {
  name          = string
  street        = string
  city          = string
  postal_code   = string
  country       = string
  location_code = optional(string) # GLN of the delivery location
}

schema "shipped_line" {
  move_id = int # Odoo stock.move id, handed to the WMS with the pick release
  sku     = string
  qty     = number
  uom     = string # X12 unit code: EA, CA, PL, KG
  lot     = optional(string)
}

schema "package" {
  sscc      = string # 18-digit serial shipping container code
  weight_kg = number
  lines     = list(schema.shipped_line)
}

schema "shipment_confirmation" {
  shipment_id  = string
  order_ref    = string # Odoo sale order, e.g. SO0101
  customer_po  = string
  picking_id   = int    # Odoo stock.picking id
  picking_name = string # e.g. WH/OUT/00042
  shipped_at   = time
  carrier_scac = string
  bol_number   = string
  pro_number   = optional(string)
  edi_partner  = optional(string) # set when the customer wants an 856 ASN
  ship_to      = schema.address
  packages     = list(schema.package)
}

# Values written to stock.picking: x2many update commands on its moves
# ([1, move_id, {quantity, picked}]) and the tracking reference.
schema "picking_update" {
  move_ids             = list(any)
  carrier_tracking_ref = string
}

# An X12 transaction set in segment form; the SFTP target's edi codec adds
# the ISA/GS/ST envelope with the partner's control numbers.
schema "x12_transaction" {
  partner  = string
  set      = string
  segments = list(list(string))
}
