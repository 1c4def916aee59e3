# Flow tests for this scenario; run them with
#
#   flowctl test examples/warehouse-to-shipment
#
# The live flow warehouse_to_shipment listens for WMS webhooks; the tests
# give it shipment confirmations, inline or from
# testdata/shipment_confirmations.ndjson, and check the Odoo writes and the
# 856 ship notice it would send. Nothing is contacted. The flow has no skip
# rule: every confirmation is processed or rejected.

test "an EDI customer's shipment validates the picking and sends an 856" {
  flow = "warehouse_to_shipment"
  input = [
    {
      shipment_id  = "SHP-T-001"
      order_ref    = "SO0201"
      customer_po  = "PO-1"
      picking_id   = 4201
      picking_name = "WH/OUT/00201"
      shipped_at   = "2025-03-10T06:42:00Z"
      carrier_scac = "DHLF"
      bol_number   = "BOL1"
      pro_number   = "PRO1"
      edi_partner  = "VANDIJK"
      ship_to = {
        name          = "Depot Utrecht"
        street        = "Atoomweg 50"
        city          = "Utrecht"
        postal_code   = "3542AB"
        country       = "NL"
        location_code = "8712345000017"
      }
      packages = [
        {
          sscc      = "387123450000000017"
          weight_kg = 612.5
          lines = [
            { move_id = 9001, sku = "CEM-25KG", qty = 20, uom = "CA" },
            { move_id = 9002, sku = "TILE-ADH-20", qty = 10, uom = "CA" },
          ]
        },
        {
          sscc      = "387123450000000024"
          weight_kg = 598
          lines     = [{ move_id = 9001, sku = "CEM-25KG", qty = 22, uom = "CA" }]
        },
      ]
    },
  ]

  # Move 9001 is spread over both packages: one command with the total.
  expect "picking_quantities" {
    keys = ["ship-SHP-T-001-qty"]
    body = [
      {
        carrier_tracking_ref = "PRO1"
        move_ids = [
          [1, 9001, { quantity = 42, picked = true }],
          [1, 9002, { quantity = 10, picked = true }],
        ]
      },
    ]
  }
  expect "picking_validate" {
    keys = ["ship-SHP-T-001-validate"]
    body = [{}]
  }
  # Shipment, order, two packs with their items, and the HL count.
  expect "partner_asn" {
    keys = ["asn-SHP-T-001"]
    body = [
      {
        partner = "VANDIJK"
        set     = "856"
        segments = [
          ["BSN", "00", "SHP-T-001", "20250310", "0642", "0001"],
          ["HL", "1", "", "S"],
          ["TD1", "CTN25", "2", "", "", "", "G", "1210.5", "KG"],
          ["TD5", "", "2", "DHLF"],
          ["REF", "BM", "BOL1"],
          ["REF", "CN", "PRO1"],
          ["DTM", "011", "20250310", "0642"],
          ["N1", "ST", "Depot Utrecht", "92", "8712345000017"],
          ["N3", "Atoomweg 50"],
          ["N4", "Utrecht", "", "3542AB", "NL"],
          ["HL", "2", "1", "O"],
          ["PRF", "PO-1"],
          ["REF", "VN", "SO0201"],
          ["HL", "3", "2", "P"],
          ["MAN", "GM", "387123450000000017"],
          ["HL", "4", "3", "I"],
          ["LIN", "", "SK", "CEM-25KG"],
          ["SN1", "", "20", "CA"],
          ["HL", "5", "3", "I"],
          ["LIN", "", "SK", "TILE-ADH-20"],
          ["SN1", "", "10", "CA"],
          ["HL", "6", "2", "P"],
          ["MAN", "GM", "387123450000000024"],
          ["HL", "7", "6", "I"],
          ["LIN", "", "SK", "CEM-25KG"],
          ["SN1", "", "22", "CA"],
          ["CTT", "7"],
        ]
      },
    ]
  }
  expect_warnings = []
}

test "without an EDI partner no ship notice is sent" {
  flow = "warehouse_to_shipment"
  input = [
    {
      shipment_id  = "SHP-T-002"
      order_ref    = "SO0202"
      customer_po  = "SO0202"
      picking_id   = 4202
      picking_name = "WH/OUT/00202"
      shipped_at   = "2025-03-10T11:05:00Z"
      carrier_scac = "DSVR"
      bol_number   = "BOL2"
      ship_to      = { name = "Brouwer Horeca", street = "Industrieweg 12", city = "Amersfoort", postal_code = "3812PX", country = "NL" }
      packages = [
        { sscc = "387123450000000048", weight_kg = 310, lines = [{ move_id = 9010, sku = "NAPKIN-WH-500", qty = 40, uom = "CA" }] },
      ]
    },
  ]

  # Without a PRO number the bill of lading is the tracking reference.
  expect "picking_quantities" {
    body = [{ carrier_tracking_ref = "BOL2", move_ids = [[1, 9010, { quantity = 40, picked = true }]] }]
  }
  expect "picking_validate" {
    count = 1
  }
  expect_no_output = ["partner_asn"]
}

test "an unknown carrier is a warning, not a rejection" {
  flow = "warehouse_to_shipment"
  input = [
    {
      shipment_id  = "SHP-T-003"
      order_ref    = "SO0203"
      customer_po  = "HA-0413"
      picking_id   = 4203
      picking_name = "WH/OUT/00203"
      shipped_at   = "2025-03-13T08:20:00Z"
      carrier_scac = "VDBT"
      bol_number   = "BOL3"
      ship_to      = { name = "Hoekstra Agri", street = "Dijkweg 4", city = "Dokkum", postal_code = "9101LM", country = "NL" }
      packages = [
        { sscc = "387123450000000123", weight_kg = 5100, lines = [{ move_id = 9050, sku = "FEED-PELLET-1T", qty = 5, uom = "PL" }] },
      ]
    },
  ]

  expect "picking_quantities" {
    keys = ["ship-SHP-T-003-qty"]
  }
  expect "picking_validate" {
    keys = ["ship-SHP-T-003-validate"]
  }
  expect_no_output = true
  expect_warnings  = [{ record = 1, rule = "known_carrier", message = "carrier VDBT is not in the carriers table" }]
}

test "confirmations without a picking, packages, quantities or valid SSCCs are rejected" {
  flow = "warehouse_to_shipment"
  input = [
    { shipment_id = "SHP-T-010", order_ref = "SO0210", customer_po = "X", picking_id = 0, picking_name = "?", shipped_at = "2025-03-13T15:00:00Z", carrier_scac = "DHLF", bol_number = "B10", ship_to = { name = "A", street = "B", city = "C", postal_code = "D", country = "NL" }, packages = [{ sscc = "387123450000000017", weight_kg = 1, lines = [{ move_id = 1, sku = "S", qty = 1, uom = "EA" }] }] },
    { shipment_id = "SHP-T-011", order_ref = "SO0211", customer_po = "X", picking_id = 4211, picking_name = "WH/OUT/00211", shipped_at = "2025-03-13T15:00:00Z", carrier_scac = "DHLF", bol_number = "B11", ship_to = { name = "A", street = "B", city = "C", postal_code = "D", country = "NL" }, packages = [] },
    { shipment_id = "SHP-T-012", order_ref = "SO0212", customer_po = "X", picking_id = 4212, picking_name = "WH/OUT/00212", shipped_at = "2025-03-13T15:00:00Z", carrier_scac = "DHLF", bol_number = "B12", ship_to = { name = "A", street = "B", city = "C", postal_code = "D", country = "NL" }, packages = [{ sscc = "387123450000000017", weight_kg = 1, lines = [{ move_id = 1, sku = "S", qty = 0, uom = "EA" }] }] },
    { shipment_id = "SHP-T-013", order_ref = "SO0213", customer_po = "X", picking_id = 4213, picking_name = "WH/OUT/00213", shipped_at = "2025-03-13T15:00:00Z", carrier_scac = "DHLF", bol_number = "B13", ship_to = { name = "A", street = "B", city = "C", postal_code = "D", country = "NL" }, packages = [{ sscc = "38712345000000009", weight_kg = 1, lines = [{ move_id = 1, sku = "S", qty = 1, uom = "EA" }] }] },
  ]

  expect_rejected = [
    { record = 1, rule = "has_picking", message = "SHP-T-010 names no Odoo picking" },
    { record = 2, rule = "has_packages" },
    { record = 3, rule = "positive_quantities" },
    { record = 4, rule = "valid_sscc", message = "SSCCs must have 18 digits, got 38712345000000009" },
  ]
  expect_no_output = true
}

test "the sample confirmations in testdata/shipment_confirmations.ndjson" {
  flow       = "warehouse_to_shipment"
  input_file = "testdata/shipment_confirmations.ndjson"

  expect "picking_quantities" {
    keys = ["ship-SHP-250310-001-qty", "ship-SHP-250310-002-qty", "ship-SHP-250311-001-qty", "ship-SHP-250313-001-qty", "ship-SHP-250313-002-qty"]
  }
  # button_validate on pickings 4101, 4102, 4103, 4109 and 4110 (the record
  # id is not part of the body): no values, one call per picking.
  expect "picking_validate" {
    keys = ["ship-SHP-250310-001-validate", "ship-SHP-250310-002-validate", "ship-SHP-250311-001-validate", "ship-SHP-250313-001-validate", "ship-SHP-250313-002-validate"]
    body = [{}, {}, {}, {}, {}]
  }
  expect "partner_asn" {
    keys = ["asn-SHP-250310-001", "asn-SHP-250311-001"]
  }
  expect_rejected = [
    { record = 4, rule = "valid_sscc" },
    { record = 5, rule = "positive_quantities" },
    { record = 8, rule = "has_packages" },
  ]
  expect_skipped  = []
  expect_warnings = [{ record = 6, rule = "known_carrier" }]
}
