# Flow tests for this scenario; run them with
#
#   flowctl test examples/order-to-dispatch
#
# The live flow order_to_dispatch reads Odoo; the tests give it records
# shaped like Odoo's search_read output (see schemas.hcl) instead, inline or
# from testdata/sale_orders.ndjson, and check what it would send to the
# dispatch platform. Nothing is contacted.

test "a confirmed order becomes a transport job" {
  flow = "order_to_dispatch"
  input = [
    {
      id                  = 101
      name                = "SO0101"
      state               = "sale"
      partner_id          = [7, "Van Dijk Bouwmaterialen B.V."]
      partner_shipping_id = [31, "Van Dijk Bouwmaterialen B.V., Depot Utrecht"]
      client_order_ref    = "PO-88231"
      commitment_date     = "2025-03-10T09:00:00Z"
      shipping_weight     = 1840.5
      amount_total        = 12450.00
      note                = "Call 30 minutes before arrival"
    },
  ]

  expect "dispatch" {
    keys = ["so-SO0101"]
    body = [
      {
        ref          = "SO0101"
        customer     = "Van Dijk Bouwmaterialen B.V."
        customer_ref = "PO-88231"
        window_start = "2025-03-10T07:00:00Z" # two hours either side of the promised time
        window_end   = "2025-03-10T11:00:00Z"
        weight_kg    = 1840.5
        pallets      = 5 # 1840.5 kg / 400 kg per pallet, rounded up
        service      = "LTL"
        notes        = "Call 30 minutes before arrival"
        pickup       = { code = "NL-RTM-01", name = "Rotterdam Waalhaven DC", country = "NL" }
        consignee    = { odoo_partner_id = 31, name = "Van Dijk Bouwmaterialen B.V., Depot Utrecht" }
      },
    ]
  }
  expect_no_output = ["review"]
  expect_warnings  = []
}

test "without a customer reference the order name is used" {
  flow = "order_to_dispatch"
  input = [
    { id = 102, name = "SO0102", state = "sale", partner_id = [12, "Brouwer Horeca Groothandel"], partner_shipping_id = [12, "Brouwer Horeca Groothandel"], client_order_ref = null, commitment_date = "2025-03-10T13:30:00Z", shipping_weight = 620, amount_total = 3180.40, note = null },
  ]

  expect "dispatch" {
    partial = true # only the fields below are compared
    body    = [{ ref = "SO0102", customer_ref = "SO0102", notes = null, pallets = 2, service = "LTL" }]
  }
  expect_no_output = true
}

test "orders above one truck go to the planners' review inbox" {
  flow = "order_to_dispatch"
  input = [
    { id = 103, name = "SO0103", state = "sale", partner_id = [9, "Schmidt Logistik GmbH"], partner_shipping_id = [44, "Schmidt Logistik GmbH, Lager Duisburg"], client_order_ref = "4500019921", commitment_date = "2025-03-11T07:00:00Z", shipping_weight = 21500, amount_total = 48900.00, note = "Tail-lift required" },
  ]

  expect "review" {
    keys    = ["so-SO0103"]
    partial = true
    body = [
      {
        reason = "54 pallets, more than one truck"
        job    = { ref = "SO0103", weight_kg = 21500, pallets = 54, service = "FTL" }
      },
    ]
  }
  expect_no_output = true
}

test "orders without a shipping weight go to review with a warning" {
  flow = "order_to_dispatch"
  input = [
    { id = 106, name = "SO0106", state = "sale", partner_id = [21, "Bakkerij Peeters"], partner_shipping_id = [52, "Bakkerij Peeters, Filiaal Eindhoven"], commitment_date = "2025-03-12T05:30:00Z", shipping_weight = null, amount_total = 860.00 },
  ]

  expect "review" {
    partial = true
    body    = [{ reason = "shipping weight unknown", job = { ref = "SO0106", weight_kg = 0, pallets = 0 } }]
  }
  expect_no_output = true
  expect_warnings  = [{ record = 1, rule = "has_weight", message = "SO0106 has no shipping weight" }]
}

test "a bigger truck limit sends the heavy order to dispatch" {
  flow = "order_to_dispatch"
  vars = { max_auto_pallets = 60 }
  input = [
    { id = 103, name = "SO0103", state = "sale", partner_id = [9, "Schmidt Logistik GmbH"], partner_shipping_id = [44, "Schmidt Logistik GmbH, Lager Duisburg"], commitment_date = "2025-03-11T07:00:00Z", shipping_weight = 21500, amount_total = 48900.00 },
  ]

  expect "dispatch" {
    count = 1
  }
  expect_no_output = ["review"]
}

test "orders without address or date are rejected, cancelled ones skipped" {
  flow = "order_to_dispatch"
  input = [
    { id = 104, name = "SO0104", state = "sale", partner_id = [15, "De Groot Tuincentra"], partner_shipping_id = null, commitment_date = "2025-03-11T10:00:00Z", shipping_weight = 950, amount_total = 5120.00 },
    { id = 105, name = "SO0105", state = "sale", partner_id = [18, "Janssen Elektro"], partner_shipping_id = [18, "Janssen Elektro"], commitment_date = null, shipping_weight = 310, amount_total = 1975.25 },
    { id = 107, name = "SO0107", state = "cancel", partner_id = [7, "Van Dijk Bouwmaterialen B.V."], partner_shipping_id = [31, "Van Dijk Bouwmaterialen B.V., Depot Utrecht"], commitment_date = "2025-03-12T09:00:00Z", shipping_weight = 400, amount_total = 2100.00 },
    { id = 108, name = "SO0108", state = "sale", partner_id = [9, "Schmidt Logistik GmbH"], partner_shipping_id = [45, "Schmidt Logistik GmbH, Lager Köln"] },
  ]

  expect_rejected = [
    { record = 1, rule = "has_delivery_address", message = "SO0104 has no delivery address" },
    { record = 2, rule = "has_window", message = "SO0105 has no delivery date" },
    { record = 4, rule = "schema", message = "amount_total is required" },
  ]
  expect_skipped   = [{ record = 3, rule = "confirmed", reason = "in state cancel" }]
  expect_no_output = true
}

test "the sample orders in testdata/sale_orders.ndjson" {
  flow       = "order_to_dispatch"
  input_file = "testdata/sale_orders.ndjson"

  expect "dispatch" {
    keys = ["so-SO0101", "so-SO0102", "so-SO0108", "so-SO0109", "so-SO0110"]
  }
  expect "review" {
    keys    = ["so-SO0103", "so-SO0106"]
    partial = true
    body = [
      { reason = "54 pallets, more than one truck" },
      { reason = "shipping weight unknown" },
    ]
  }
  expect_rejected = [
    { record = 4, rule = "has_delivery_address" },
    { record = 5, rule = "has_window" },
  ]
  expect_skipped  = [7]
  expect_warnings = [{ record = 6, rule = "has_weight" }]
}
