# Flow tests for this scenario; run them with
#
#   flowctl test examples/freight-cost-margin
#
# The live flow freight_cost_margin reads X12 210 invoices from the carriers'
# SFTP server; the tests give it invoices in record form, inline or from
# testdata/freight_invoices.ndjson, and check the Odoo vendor bills and
# finance messages it would send. Nothing is contacted. The lane and carrier
# tables in lookups/ are the real ones. The flow has no skip rule: every
# invoice is booked, reviewed or rejected.

test "an invoice within the lane's margin becomes a vendor bill" {
  flow = "freight_cost_margin"
  input = [
    {
      scac           = "DHLF"
      invoice_number = "DHLF-INV-2025-04411"
      pro_number     = "PRO55012931"
      bol_number     = "BOL7781001"
      shipment_ref   = "SO0101"
      invoice_date   = "2025-03-14T00:00:00Z"
      currency       = "EUR"
      total_amount   = 157.32
      weight_kg      = 1840.5
      origin         = "NLRTM"
      destination    = "NLUTC"
      charges = [
        { line = 1, code = "400", description = "Groupage Rotterdam-Utrecht", amount = 138.0 },
        { line = 2, code = "FUE", description = "Fuel surcharge 14%", amount = 19.32 },
      ]
    },
  ]

  # Revenue 1840.5 kg x 0.11 = 202.46 against a cost of 157.32: 22.3%,
  # above the lane's 15% target.
  expect "vendor_bill" {
    keys = ["fbill-DHLF-DHLF-INV-2025-04411"]
    body = [
      {
        move_type      = "in_invoice"
        journal_id     = 2
        partner_id     = 301
        ref            = "DHLF-INV-2025-04411"
        invoice_date   = "2025-03-14"
        invoice_origin = "SO0101"
        narration      = "PRO PRO55012931, lane NLRTM-NLUTC, margin 22.3%"
        invoice_line_ids = [
          [0, 0, { product_id = 801, name = "Freight - Groupage Rotterdam-Utrecht", quantity = 1, price_unit = 138 }],
          [0, 0, { product_id = 802, name = "Fuel surcharge - Fuel surcharge 14%", quantity = 1, price_unit = 19.32 }],
        ]
      },
    ]
  }
  expect_no_output = true
  expect_warnings  = []
}

test "a margin below target books the bill and alerts finance" {
  flow = "freight_cost_margin"
  input = [
    { scac = "DSVR", invoice_number = "DSV-9920187", pro_number = "DSV0012877", shipment_ref = "SO0102", invoice_date = "2025-03-14T00:00:00Z", currency = "EUR", total_amount = 143.3, weight_kg = 615.2, origin = "NLRTM", destination = "NLAMF", charges = [{ line = 1, code = "400", description = "Part load", amount = 95.0 }, { line = 2, code = "FUE", description = "Fuel surcharge", amount = 13.3 }, { line = 3, code = "LFT", description = "Tail-lift delivery", amount = 35.0 }] },
  ]

  expect "vendor_bill" {
    partial = true
    body    = [{ partner_id = 302, narration = "PRO DSV0012877, lane NLRTM-NLAMF, margin -19.4%" }]
  }
  # 615.2 kg x 0.14 is below the lane's minimum charge: revenue is 120.
  expect "margin_alert" {
    keys = ["margin-DSVR-DSV-9920187"]
    body = [
      { shipment_ref = "SO0102", carrier = "DSVR", invoice = "DSV-9920187", lane = "NLRTM-NLAMF", revenue = 120, cost = 143.3, margin_pct = -19.4, target_pct = 15 },
    ]
  }
  expect_no_output = true
}

test "the purchase journal comes from a variable" {
  flow = "freight_cost_margin"
  vars = { purchase_journal_id = 9 }
  input = [
    { scac = "RHNS", invoice_number = "RH-25-031177", pro_number = "RH0098812", shipment_ref = "SO0103", invoice_date = "2025-03-15T00:00:00Z", currency = "EUR", total_amount = 353.4, weight_kg = 3015.5, origin = "NLRTM", destination = "DEDUI", charges = [{ line = 1, code = "400", description = "FTL Rotterdam-Duisburg", amount = 310.0 }, { line = 2, code = "FUE", description = "Fuel surcharge", amount = 43.4 }] },
  ]

  expect "vendor_bill" {
    partial = true
    body    = [{ journal_id = 9, partner_id = 303 }]
  }
  expect_no_output = true
}

test "a lane without a tariff goes to review with a warning" {
  flow = "freight_cost_margin"
  input = [
    { scac = "DACH", invoice_number = "DACH-77121007", pro_number = "DA4471288", bol_number = "BOL7781012", shipment_ref = "SO0117", invoice_date = "2025-03-18T00:00:00Z", currency = "EUR", total_amount = 145.92, weight_kg = 950, origin = "NLRTM", destination = "BEANR", charges = [{ line = 1, code = "400", description = "Groupage Rotterdam-Antwerpen", amount = 128.0 }, { line = 2, code = "FUE", description = "Fuel surcharge", amount = 17.92 }] },
  ]

  expect "freight_review" {
    keys    = ["review-DACH-DACH-77121007"]
    partial = true
    body = [
      {
        reason     = "no tariff for lane NLRTM-BEANR"
        invoice    = { invoice_number = "DACH-77121007", invoice_date = "2025-03-18T00:00:00Z" }
        draft_bill = { partner_id = 304, narration = "PRO DA4471288, lane NLRTM-BEANR, no tariff" }
      },
    ]
  }
  expect_no_output = true
  expect_warnings  = [{ record = 1, rule = "known_lane", message = "lane NLRTM-BEANR is not in lookups/lanes.csv" }]
}

test "invoices that cannot be booked are rejected with the reason" {
  flow = "freight_cost_margin"
  input = [
    { scac = "XPOL", invoice_number = "XPO-5521-0091", pro_number = "XP7781200", shipment_ref = "SO0114", invoice_date = "2025-03-17T00:00:00Z", currency = "EUR", total_amount = 120.0, weight_kg = 900, origin = "NLRTM", destination = "NLEIN", charges = [{ line = 1, code = "400", description = "Part load", amount = 120.0 }] },
    { scac = "DSVR", invoice_number = "DSV-US-118820", pro_number = "DSV0012950", shipment_ref = "SO0118", invoice_date = "2025-03-18T00:00:00Z", currency = "USD", total_amount = 88.0, weight_kg = 700, origin = "NLRTM", destination = "NLUTC", charges = [{ line = 1, code = "400", description = "Part load", amount = 88.0 }] },
    { scac = "DSVR", invoice_number = "DSV-0", pro_number = "DSV0", shipment_ref = "SO0119", invoice_date = "2025-03-18T00:00:00Z", currency = "EUR", total_amount = 88.0, weight_kg = 0, origin = "NLRTM", destination = "NLUTC", charges = [{ line = 1, code = "400", description = "Part load", amount = 88.0 }] },
    { scac = "DHLF", invoice_number = "DHLF-INV-2025-04420", pro_number = "PRO55013002", shipment_ref = "SO0115", invoice_date = "2025-03-17T00:00:00Z", currency = "EUR", total_amount = 135.4, weight_kg = 1200, origin = "NLRTM", destination = "NLEIN", charges = [{ line = 1, code = "400", description = "Groupage", amount = 110.0 }, { line = 2, code = "FUE", description = "Fuel surcharge 14%", amount = 15.4 }] },
    { scac = "DSVR", invoice_number = "DSV-9920212", pro_number = "DSV0012901", shipment_ref = "SO0116", invoice_date = "2025-03-18T00:00:00Z", currency = "EUR", total_amount = 102.0, weight_kg = 480, origin = "NLRTM", destination = "NLUTC", charges = [{ line = 1, code = "400", description = "Part load", amount = 62.0 }, { line = 2, code = "WTG", description = "Weekend delivery", amount = 40.0 }] },
  ]

  expect_rejected = [
    { record = 1, rule = "known_carrier", message = "carrier XPOL" },
    { record = 2, rule = "euro_only", message = "is in USD" },
    { record = 3, rule = "has_weight", message = "DSV-0 has no shipment weight" },
    { record = 4, rule = "charges_add_up", message = "charges add up to 125.4, the invoice total is 135.4" },
    { record = 5, rule = "known_charge_codes", message = "unknown charge codes: WTG" },
  ]
  expect_no_output = true
}

test "the sample invoices in testdata/freight_invoices.ndjson" {
  flow       = "freight_cost_margin"
  input_file = "testdata/freight_invoices.ndjson"

  expect "vendor_bill" {
    keys = [
      "fbill-DHLF-DHLF-INV-2025-04411",
      "fbill-DSVR-DSV-9920187",
      "fbill-RHNS-RH-25-031177",
      "fbill-RHNS-RH-25-031178",
      "fbill-DACH-DACH-77120934",
      "fbill-RHNS-RH-25-031201",
    ]
  }
  expect "margin_alert" {
    partial = true
    body    = [{ shipment_ref = "SO0102", margin_pct = -19.4 }, { shipment_ref = "SO0108", margin_pct = 2.1 }]
  }
  expect "freight_review" {
    keys = ["review-DACH-DACH-77121007"]
  }
  expect_rejected = [
    { record = 6, rule = "known_carrier" },
    { record = 7, rule = "charges_add_up" },
    { record = 8, rule = "known_charge_codes" },
    { record = 11, rule = "euro_only" },
  ]
  expect_skipped  = []
  expect_warnings = [{ record = 9, rule = "known_lane" }]
}
