# Flow tests for this scenario; run them with
#
#   flowctl test examples/returns-and-exceptions
#
# The live flows listen for webhooks; the tests give them return and
# delivery-exception events, inline or from testdata/return_events.ndjson,
# and check the credit notes, approvals, customer messages and scrap orders
# they would send. Nothing is contacted.

# returns_credit_and_notify

test "a return is credited, minus the restocking fee for unneeded goods" {
  flow = "returns_credit_and_notify"
  input = [
    {
      event_id    = "ret_T1"
      kind        = "return_received"
      occurred_at = "2025-03-18T10:12:00Z"
      order_ref   = "SO0101"
      invoice_ref = "INV/2025/00101"
      customer_id = 7
      rma         = "RMA-25-1001"
      currency    = "EUR"
      contact     = { name = "M. de Vries", language = "nl", email = "inkoop@vandijk-bouw.example" }
      lines = [
        { line_no = 1, product_id = 501, sku = "CEM-25KG", qty = 2, unit_price = 7.95, condition = "damaged", reason = "damaged_in_transit" },
        { line_no = 2, product_id = 502, sku = "TILE-ADH-20", qty = 3, unit_price = 18.5, condition = "resaleable", reason = "not_needed" },
      ]
    },
  ]

  # 2 x 7.95 in full, 3 x 18.50 minus 15%: 15.90 + 47.19 = 63.09.
  expect "credit_note" {
    keys = ["credit-ret_T1"]
    body = [
      {
        move_type      = "out_refund"
        partner_id     = 7
        ref            = "Credit for INV/2025/00101, RMA RMA-25-1001"
        invoice_origin = "SO0101"
        invoice_date   = "2025-03-18"
        narration      = "Return received 2025-03-18"
        invoice_line_ids = [
          [0, 0, { product_id = 501, name = "CEM-25KG (damaged in transit)", quantity = 2, price_unit = 7.95 }],
          [0, 0, { product_id = 502, name = "TILE-ADH-20 (not needed)", quantity = 3, price_unit = 15.73 }],
        ]
      },
    ]
  }
  expect "notify_customer" {
    keys = ["notify-ret_T1"]
    body = [
      {
        channel   = "email"
        to        = "inkoop@vandijk-bouw.example"
        language  = "nl"
        template  = "return_credited"
        variables = { name = "M. de Vries", order = "SO0101", reference = "RMA-25-1001", amount = "63.09 EUR" }
      },
    ]
  }
  expect_no_output = true
  expect_warnings  = []
}

test "credits above the limit wait for approval in finance" {
  flow = "returns_credit_and_notify"
  input = [
    { event_id = "exc_T2", kind = "delivery_exception", occurred_at = "2025-03-12T09:15:00Z", order_ref = "SO0108", invoice_ref = "INV/2025/00108", customer_id = 9, job_ref = "JOB-250312-0108", exception = "refused", currency = "EUR", contact = { name = "A. Weber", language = "de", email = "wareneingang@schmidt-logistik.example" }, lines = [{ line_no = 1, product_id = 530, sku = "PAL-EUR-PAINT-B", qty = 2, unit_price = 1950.0, condition = "resaleable", reason = "refused" }] },
  ]

  expect "credit_approval" {
    keys    = ["approval-exc_T2"]
    partial = true
    body = [
      {
        event_id    = "exc_T2"
        amount      = 3900
        currency    = "EUR"
        limit       = 500
        credit_note = { narration = "Delivery exception: refused", ref = "Credit for INV/2025/00108" }
      },
    ]
  }
  expect "notify_customer" {
    partial = true
    body    = [{ template = "delivery_exception_credit_under_review", variables = { reference = "JOB-250312-0108", amount = "3900 EUR" } }]
  }
  expect_no_output = true
}

test "with a higher limit the same exception is credited directly" {
  flow = "returns_credit_and_notify"
  vars = { auto_credit_limit = 5000 }
  input = [
    { event_id = "exc_T2", kind = "delivery_exception", occurred_at = "2025-03-12T09:15:00Z", order_ref = "SO0108", invoice_ref = "INV/2025/00108", customer_id = 9, job_ref = "JOB-250312-0108", exception = "refused", currency = "EUR", contact = { name = "A. Weber", language = "de", email = "wareneingang@schmidt-logistik.example" }, lines = [{ line_no = 1, product_id = 530, sku = "PAL-EUR-PAINT-B", qty = 2, unit_price = 1950.0, condition = "resaleable", reason = "refused" }] },
  ]

  expect "credit_note" {
    keys = ["credit-exc_T2"]
  }
  expect "notify_customer" {
    partial = true
    body    = [{ template = "delivery_exception_credited" }]
  }
  expect_no_output = true
}

test "customer damage earns no credit, only a notice" {
  flow = "returns_credit_and_notify"
  input = [
    { event_id = "ret_T3", kind = "return_received", occurred_at = "2025-03-19T14:30:00Z", order_ref = "SO0102", invoice_ref = "INV/2025/00102", customer_id = 12, rma = "RMA-25-1002", currency = "EUR", contact = { name = "J. Brouwer", language = "nl", email = "j.brouwer@brouwer-horeca.example" }, lines = [{ line_no = 1, product_id = 511, sku = "CUP-PAP-250", qty = 1, unit_price = 21.4, condition = "damaged", reason = "customer_damage" }] },
  ]

  expect "notify_customer" {
    partial = true
    body    = [{ channel = "email", template = "return_no_credit", variables = { amount = "0 EUR" } }]
  }
  expect_no_output = true
}

test "customers are told by SMS, or customer service is" {
  flow = "returns_credit_and_notify"
  input = [
    { event_id = "exc_T4", kind = "delivery_exception", occurred_at = "2025-03-13T14:35:00Z", order_ref = "SO0110", invoice_ref = "INV/2025/00110", customer_id = 12, job_ref = "JOB-250313-0110", exception = "short", currency = "EUR", contact = { name = "T. Mulder", language = "nl", phone = "+31612345678" }, lines = [{ line_no = 1, product_id = 511, sku = "CUP-PAP-250", qty = 2, unit_price = 21.4, condition = "missing", reason = "short" }] },
    { event_id = "ret_T5", kind = "return_received", occurred_at = "2025-03-20T08:05:00Z", order_ref = "SO0113", invoice_ref = "INV/2025/00113", customer_id = 31, rma = "RMA-25-1003", currency = "GBP", contact = { name = "S. Clarke", language = "en" }, lines = [{ line_no = 1, product_id = 570, sku = "PUMP-SUB-1KW", qty = 1, unit_price = 265.0, condition = "resaleable", reason = "wrong_item" }] },
  ]

  expect "credit_note" {
    keys = ["credit-exc_T4", "credit-ret_T5"]
  }
  expect "notify_customer" {
    partial = true
    body = [
      { channel = "sms", to = "+31612345678", template = "delivery_exception_credited", variables = { amount = "42.8 EUR" } },
      { channel = "email", to = "customer.service@example-logistics.com", template = "return_credited", variables = { amount = "265 GBP" } },
    ]
  }
  expect_no_output = true
  expect_warnings  = [{ record = 2, rule = "contactable", message = "customer service is notified instead" }]
}

test "events without lines, with empty lines or of unknown kinds are rejected" {
  flow = "returns_credit_and_notify"
  input = [
    { event_id = "ret_T6", kind = "return_received", occurred_at = "2025-03-20T09:40:00Z", order_ref = "SO0103", invoice_ref = "INV/2025/00103", customer_id = 9, currency = "EUR", contact = { name = "K. Schmidt", language = "de", email = "k@example.com" }, lines = [] },
    { event_id = "evt_T7", kind = "lost_in_transit", occurred_at = "2025-03-20T11:00:00Z", order_ref = "SO0109", invoice_ref = "INV/2025/00109", customer_id = 25, currency = "EUR", contact = { name = "R. Hoekstra", language = "nl", email = "r@example.com" }, lines = [{ line_no = 1, product_id = 550, sku = "FEED-PELLET-1T", qty = 1, unit_price = 412.0, condition = "missing", reason = "short" }] },
    { event_id = "ret_T8", kind = "return_received", occurred_at = "2025-03-21T13:20:00Z", order_ref = "SO0106", invoice_ref = "INV/2025/00106", customer_id = 21, currency = "EUR", contact = { name = "Bakkerij Peeters", language = "nl", email = "b@example.com" }, lines = [{ line_no = 1, product_id = 541, sku = "YEAST-DRY-500", qty = 0, unit_price = 3.1, condition = "damaged", reason = "damaged_in_transit" }] },
    { event_id = "ret_T9", kind = "return_received", occurred_at = "2025-03-21T13:20:00Z", order_ref = "SO0122", invoice_ref = "INV/2025/00122", customer_id = 21, currency = "EUR", contact = { name = "Bakkerij Peeters", language = "nl", email = "b@example.com" }, lines = [{ line_no = 1, product_id = 540, sku = "FLOUR-T55-25", qty = 1, unit_price = 24.6, condition = "resaleable", reason = "changed_mind" }] },
  ]

  expect_rejected = [
    { record = 1, rule = "has_lines", message = "ret_T6 names no lines" },
    { record = 2, rule = "known_kind", message = "unknown kind lost_in_transit" },
    { record = 3, rule = "has_lines" },
    { record = 4, rule = "known_reasons", message = "unknown return reason: changed_mind" },
  ]
  expect_no_output = true
}

test "credits for the sample events in testdata/return_events.ndjson" {
  flow       = "returns_credit_and_notify"
  input_file = "testdata/return_events.ndjson"

  expect "credit_note" {
    keys = ["credit-ret_0001", "credit-exc_0004", "credit-ret_0005", "credit-ret_0009"]
  }
  expect "credit_approval" {
    keys = ["approval-exc_0002", "approval-exc_0010"]
  }
  expect "notify_customer" {
    count = 7
  }
  expect_rejected = [
    { record = 6, rule = "has_lines" },
    { record = 7, rule = "known_kind" },
    { record = 8, rule = "has_lines" },
  ]
  expect_skipped  = []
  expect_warnings = [{ record = 5, rule = "contactable" }]
}

# returns_stock_adjustment

test "damaged returned lines become scrap orders, one per line" {
  flow = "returns_stock_adjustment"
  input = [
    {
      event_id    = "ret_T10"
      kind        = "return_received"
      occurred_at = "2025-03-21T15:00:00Z"
      order_ref   = "SO0112"
      invoice_ref = "INV/2025/00112"
      customer_id = 30
      rma         = "RMA-25-1006"
      currency    = "EUR"
      contact     = { name = "Hydro Parts Ltd", language = "en", email = "returns@hydroparts.example" }
      lines = [
        { line_no = 1, product_id = 560, sku = "VALVE-DN50", qty = 4, unit_price = 38.0, condition = "missing", reason = "short" },
        { line_no = 2, product_id = 560, sku = "VALVE-DN50", qty = 2, unit_price = 38.0, condition = "damaged", reason = "damaged_in_transit" },
        { line_no = 3, product_id = 561, sku = "GASKET-DN50", qty = 10, unit_price = 1.2, condition = "damaged", reason = "customer_damage" },
      ]
    },
  ]

  # The missing line is a claim, not stock: no scrap order for it.
  expect "scrap" {
    keys = ["scrap-ret_T10-2", "scrap-ret_T10-3"]
    body = [
      { product_id = 560, scrap_qty = 2, location_id = 18, origin = "RMA-25-1006 line 2: damaged_in_transit" },
      { product_id = 561, scrap_qty = 10, location_id = 18, origin = "RMA-25-1006 line 3: customer_damage" },
    ]
  }
}

test "exceptions, resaleable returns and empty returns adjust no stock" {
  flow = "returns_stock_adjustment"
  vars = { returns_location_id = 99 }
  input = [
    { event_id = "exc_T11", kind = "delivery_exception", occurred_at = "2025-03-12T09:15:00Z", order_ref = "SO0108", invoice_ref = "INV/2025/00108", customer_id = 9, job_ref = "JOB-250312-0108", exception = "damaged", currency = "EUR", contact = { name = "A. Weber", language = "de" }, lines = [{ line_no = 1, product_id = 530, sku = "PAL-EUR-PAINT-B", qty = 2, unit_price = 1950.0, condition = "damaged", reason = "damaged_in_transit" }] },
    { event_id = "ret_T12", kind = "return_received", occurred_at = "2025-03-20T08:05:00Z", order_ref = "SO0113", invoice_ref = "INV/2025/00113", customer_id = 31, currency = "GBP", contact = { name = "S. Clarke", language = "en" }, lines = [{ line_no = 1, product_id = 570, sku = "PUMP-SUB-1KW", qty = 1, unit_price = 265.0, condition = "resaleable", reason = "wrong_item" }] },
    { event_id = "ret_T13", kind = "return_received", occurred_at = "2025-03-20T09:40:00Z", order_ref = "SO0103", invoice_ref = "INV/2025/00103", customer_id = 9, currency = "EUR", contact = { name = "K. Schmidt", language = "de" }, lines = [] },
    { event_id = "ret_T14", kind = "return_received", occurred_at = "2025-03-18T10:12:00Z", order_ref = "SO0101", invoice_ref = "INV/2025/00101", customer_id = 7, currency = "EUR", contact = { name = "M. de Vries", language = "nl" }, lines = [{ line_no = 1, product_id = 501, sku = "CEM-25KG", qty = 2, unit_price = 7.95, condition = "damaged", reason = "damaged_in_transit" }] },
  ]

  expect "scrap" {
    body = [{ product_id = 501, scrap_qty = 2, location_id = 99, origin = "SO0101 line 1: damaged_in_transit" }]
  }
  expect_skipped = [
    { record = 1, rule = "received_return", reason = "is a delivery_exception" },
    { record = 2, rule = "damaged", reason = "line 1 of ret_T12 is resaleable" },
    { record = 3, rule = "line", reason = "nothing to split" },
  ]
}

test "a line with quantity 0 rejects the whole return" {
  flow = "returns_stock_adjustment"
  input = [
    { event_id = "ret_T15", kind = "return_received", occurred_at = "2025-03-21T13:20:00Z", order_ref = "SO0106", invoice_ref = "INV/2025/00106", customer_id = 21, rma = "RMA-25-1005", currency = "EUR", contact = { name = "Bakkerij Peeters", language = "nl" }, lines = [{ line_no = 1, product_id = 540, sku = "FLOUR-T55-25", qty = 1, unit_price = 24.6, condition = "damaged", reason = "damaged_in_transit" }, { line_no = 2, product_id = 541, sku = "YEAST-DRY-500", qty = 0, unit_price = 3.1, condition = "damaged", reason = "damaged_in_transit" }] },
  ]

  # Line 1 alone would be scrapped, but a message is rejected as a whole.
  expect_rejected  = [{ record = 1, rule = "positive_quantity", message = "line 2 of ret_T15 has quantity 0" }]
  expect_no_output = true
}

test "scrap orders for the sample events in testdata/return_events.ndjson" {
  flow       = "returns_stock_adjustment"
  input_file = "testdata/return_events.ndjson"

  # Three scrap orders, not four: ret_0008's damaged line 1 is not scrapped,
  # because its line 2 has quantity 0 and the return is rejected as a whole.
  expect "scrap" {
    keys = ["scrap-ret_0001-1", "scrap-ret_0003-1", "scrap-ret_0009-2"]
    body = [
      { product_id = 501, scrap_qty = 2, location_id = 18, origin = "RMA-25-1001 line 1: damaged_in_transit" },
      { product_id = 511, scrap_qty = 1, location_id = 18, origin = "RMA-25-1002 line 1: customer_damage" },
      { product_id = 560, scrap_qty = 2, location_id = 18, origin = "RMA-25-1006 line 2: damaged_in_transit" },
    ]
  }
  expect_rejected = [{ record = 8, rule = "positive_quantity", message = "line 2 of ret_0008 has quantity 0" }]
  expect_skipped  = [2, 4, 5, 6, 7, 10]
}
