# Every language feature at least once, linting clean.
variable "min_weight" {
  type    = number
  default = 0.5
}

variable "warehouses" {
  type    = list(string)
  default = ["AMS", "RTM"]
}

locals {
  label_prefix = upper("ship-")
  api          = format("http://127.0.0.1:%d", 9200)
}

lookup "carriers" {
  values = {
    DHL = { name = "DHL Express", scac = "DHLX" }
    UPS = { name = "United Parcel Service", scac = "UPSN" }
  }
}

lookup "zones" {
  file = "zones.csv"
  key  = "zip"
}

connection "http" "wms" {
  base_url       = local.api
  api_key        = secret("WMS_KEY")
  api_key_header = "X-Api-Token"
  timeout        = "10s"
  rate_limit     = 20
}

connection "sftp" "partner" {
  host        = "127.0.0.1"
  port        = 2222
  username    = "acme"
  private_key = secret("PARTNER_KEY")
  host_key    = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
}

schema "address" {
  city    = string
  zip     = string
  country = string
}

schema "shipment" {
  id        = string
  carrier   = string
  warehouse = string
  weight_kg = number
  shipped   = time
  to        = schema.address
  parcels   = list(object({ sscc = string, weight_kg = number }))
  notes     = optional(string)
}

flow "shipments" {
  description = "WMS shipment confirmations become ASN files and parcel events"
  key         = "record.id"
  milestone   = "dispatched"

  source "webhook" {
    path        = "/hooks/shipments"
    schema      = schema.shipment
    hmac_secret = secret("WMS_HOOK_KEY")
  }

  validate "known_warehouse" {
    check   = "record.warehouse in var.warehouses"
    message = "'unknown warehouse ' + record.warehouse"
  }

  validate "heavy_enough" {
    when    = "record.carrier != 'LOCAL'"
    check   = <<-EXPR
      record.weight_kg >= var.min_weight
        && all(record.parcels, .weight_kg > 0)
    EXPR
    message = "'weight too low: ' + string(record.weight_kg)"
    on_fail = "warn"
  }

  map "asn" {
    ref      = "local.label_prefix + record.id"
    carrier  = "lookup('carriers', record.carrier)"
    zone     = "lookup('zones', record.to.zip)"
    shipped  = "record.shipped.Format('2006-01-02')"
    received = "meta.received_at"
    count    = "len(record.parcels)"
    active   = true
    to {
      city    = "upper(record.to.city)"
      country = "record.to.country"
    }
  }

  split "parcel" {
    each = "record.parcels"
  }

  map "event" {
    sscc     = "parcel.sscc"
    shipment = "asn.ref"
    kg       = "parcel.weight_kg"
  }

  route {
    when    = "asn.count > 1"
    targets = [target.asn_file, target.events]
  }

  route {
    target = target.events
  }

  target "sftp" "asn_file" {
    connection = connection.sftp.partner
    dir        = "/inbound"
    filename   = "'ASN_' + asn.ref + '.json'"
    format     = "json"
    body       = "asn"
  }

  target "http" "events" {
    connection      = connection.http.wms
    method          = "PUT"
    path_expr       = "'/v1/parcels/' + event.sscc"
    idempotency_key = "event.sscc"
  }
}

flow "partners" {
  source "file" {
    path   = "partners.csv"
    format = "csv"
  }
  target "odoo" "partners" {
    connection   = connection.odoo.erp
    model        = "res.partner"
    operation    = "upsert"
    unique_field = "ref"
    body         = "{name: record.name, ref: record.code}"
  }
}

connection "odoo" "erp" {
  url      = "http://127.0.0.1:8069"
  database = "demo"
  protocol = "json2"
  api_key  = secret("ODOO_KEY")
}
