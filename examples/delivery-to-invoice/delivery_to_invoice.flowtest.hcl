# Flow tests for this scenario; run them with
#
#   flowctl test examples/delivery-to-invoice
#
# The live flow delivery_to_invoice polls the dispatch platform for proof-of-
# delivery events; the tests give it events, inline or from
# testdata/pod_events.ndjson, and check the Odoo invoices and billing holds
# it would create. Nothing is contacted.

test "a validated POD becomes a draft invoice for what was delivered" {
  flow = "delivery_to_invoice"
  input = [
    {
      event_id     = "evt_T1"
      job_ref      = "JOB-250310-0102"
      order_ref    = "SO0102"
      customer_id  = 12
      delivered_at = "2025-03-10T13:10:00Z"
      pod_status   = "validated"
      signed_by    = "J. Brouwer"
      photo_count  = 0
      exceptions   = []
      currency     = "EUR"
      lines = [
        { product_id = 510, sku = "NAPKIN-WH-500", description = "Napkins white 500 pcs", qty_ordered = 40, qty_delivered = 40, unit_price = 12.9 },
        { product_id = 511, sku = "CUP-PAP-250", description = "Paper cups 250 ml", qty_ordered = 25, qty_delivered = 23, unit_price = 21.4 },
        { product_id = 513, sku = "LID-PAP-250", description = "Lids for 250 ml cups", qty_ordered = 25, qty_delivered = 0, unit_price = 8.3 },
      ]
    },
  ]

  # 23 of 25 cups were delivered and no lids: the invoice says so.
  expect "invoice" {
    keys = ["inv-JOB-250310-0102"]
    body = [
      {
        move_type      = "out_invoice"
        journal_id     = 1
        partner_id     = 12
        currency_id    = 1
        invoice_origin = "SO0102"
        ref            = "JOB-250310-0102"
        invoice_date   = "2025-03-10"
        narration      = "Delivered 2025-03-10 13:10 UTC, signed by J. Brouwer"
        invoice_line_ids = [
          [0, 0, { product_id = 510, name = "NAPKIN-WH-500 Napkins white 500 pcs", quantity = 40, price_unit = 12.9 }],
          [0, 0, { product_id = 511, name = "CUP-PAP-250 Paper cups 250 ml", quantity = 23, price_unit = 21.4 }],
        ]
      },
    ]
  }
  expect_no_output = ["billing_hold"]
}

test "a photo POD without signature is invoiced in its currency" {
  flow = "delivery_to_invoice"
  vars = { sales_journal_id = 7 }
  input = [
    { event_id = "evt_T2", job_ref = "JOB-250314-0113", order_ref = "SO0113", customer_id = 31, delivered_at = "2025-03-14T15:45:00Z", pod_status = "validated", signed_by = null, photo_count = 2, exceptions = [], currency = "GBP", lines = [{ product_id = 570, sku = "PUMP-SUB-1KW", description = "Submersible pump 1 kW", qty_ordered = 3, qty_delivered = 3, unit_price = 265 }] },
  ]

  expect "invoice" {
    partial = true
    body    = [{ journal_id = 7, currency_id = 3, narration = "Delivered 2025-03-14 15:45 UTC, signed by nobody (photo POD)" }]
  }
  expect_no_output = true
}

# The driver's app may send an empty name instead of null when nobody signed.
test "a photo POD with an empty signature is invoiced as signed by nobody" {
  flow = "delivery_to_invoice"
  input = [
    { event_id = "evt_T2b", job_ref = "JOB-250314-0114", order_ref = "SO0114", customer_id = 31, delivered_at = "2025-03-14T16:20:00Z", pod_status = "validated", signed_by = "", photo_count = 1, exceptions = [], currency = "EUR", lines = [{ product_id = 571, sku = "HOSE-PVC-25M", description = "PVC hose 25 m", qty_ordered = 6, qty_delivered = 6, unit_price = 34.5 }] },
  ]

  expect "invoice" {
    keys    = ["inv-JOB-250314-0114"]
    partial = true
    body    = [{ ref = "JOB-250314-0114", narration = "Delivered 2025-03-14 16:20 UTC, signed by nobody (photo POD)" }]
  }
  expect_no_output = true
}

test "a POD with exceptions is held in finance, not invoiced" {
  flow = "delivery_to_invoice"
  input = [
    { event_id = "evt_T3", job_ref = "JOB-250312-0108", order_ref = "SO0108", customer_id = 9, delivered_at = "2025-03-12T09:15:00Z", pod_status = "validated", signed_by = "A. Weber", photo_count = 4, exceptions = ["damaged"], currency = "EUR", lines = [{ product_id = 530, sku = "PAL-EUR-PAINT-B", description = "Wall paint blue, pallet", qty_ordered = 2, qty_delivered = 2, unit_price = 1950.0 }] },
  ]

  expect "billing_hold" {
    keys    = ["hold-JOB-250312-0108"]
    partial = true
    body = [
      {
        job_ref       = "JOB-250312-0108"
        order_ref     = "SO0108"
        exceptions    = ["damaged"]
        draft_invoice = { partner_id = 9, invoice_line_ids = [[0, 0, { product_id = 530, quantity = 2, price_unit = 1950 }]] }
      },
    ]
  }
  expect_no_output = ["invoice"]
}

test "PODs not validated yet are skipped" {
  flow = "delivery_to_invoice"
  input = [
    { event_id = "evt_T4", job_ref = "JOB-250311-0103", order_ref = "SO0103", customer_id = 9, delivered_at = "2025-03-11T07:40:00Z", pod_status = "pending", photo_count = 1, exceptions = [], currency = "EUR", lines = [{ product_id = 521, sku = "PAL-EUR-PRIMER", description = "Primer, pallet", qty_ordered = 1, qty_delivered = 1, unit_price = 1320.0 }] },
    { event_id = "evt_T5", job_ref = "JOB-250313-0110", order_ref = "SO0110", customer_id = 12, delivered_at = "2025-03-13T14:35:00Z", pod_status = "disputed", signed_by = "T. Mulder", photo_count = 1, exceptions = ["short"], currency = "EUR", lines = [{ product_id = 511, sku = "CUP-PAP-250", description = "Paper cups 250 ml", qty_ordered = 12, qty_delivered = 10, unit_price = 21.4 }] },
  ]

  expect_skipped = [
    { record = 1, rule = "pod_validated", reason = "JOB-250311-0103 is pending" },
    { record = 2, rule = "pod_validated", reason = "is disputed" },
  ]
  expect_no_output = true
}

test "PODs that cannot be invoiced are rejected with the reason" {
  flow = "delivery_to_invoice"
  input = [
    { event_id = "evt_T6", job_ref = "JOB-T6", order_ref = "SO0106", customer_id = 21, delivered_at = "2025-03-12T05:20:00Z", pod_status = "validated", signed_by = "", photo_count = 0, exceptions = [], currency = "EUR", lines = [{ product_id = 540, sku = "FLOUR-T55-25", description = "Flour T55 25 kg", qty_ordered = 4, qty_delivered = 4, unit_price = 24.6 }] },
    { event_id = "evt_T7", job_ref = "JOB-T7", order_ref = "SO0120", customer_id = 21, delivered_at = "2025-03-12T05:20:00Z", pod_status = "validated", signed_by = "X", photo_count = 0, exceptions = [], currency = "EUR", lines = [{ product_id = 540, sku = "FLOUR-T55-25", description = "Flour T55 25 kg", qty_ordered = 4, qty_delivered = 0, unit_price = 24.6 }] },
    { event_id = "evt_T8", job_ref = "JOB-T8", order_ref = "SO0109", customer_id = 25, delivered_at = "2025-03-13T12:05:00Z", pod_status = "validated", signed_by = "R. Hoekstra", photo_count = 3, exceptions = [], currency = "EUR", lines = [{ product_id = 550, sku = "FEED-PELLET-1T", description = "Feed pellets 1 t bag", qty_ordered = 10, qty_delivered = 12, unit_price = 412.0 }] },
    { event_id = "evt_T9", job_ref = "JOB-T9", order_ref = "SO0112", customer_id = 30, delivered_at = "2025-03-14T10:00:00Z", pod_status = "validated", signed_by = "S. Clarke", photo_count = 1, exceptions = [], currency = "CHF", lines = [{ product_id = 560, sku = "VALVE-DN50", description = "Ball valve DN50", qty_ordered = 20, qty_delivered = 20, unit_price = 38.0 }] },
    { event_id = "evt_T10", job_ref = "JOB-T10", order_ref = "SO0121", customer_id = 30, delivered_at = "2099-01-01T10:00:00Z", pod_status = "validated", signed_by = "S. Clarke", photo_count = 1, exceptions = [], currency = "EUR", lines = [{ product_id = 560, sku = "VALVE-DN50", description = "Ball valve DN50", qty_ordered = 20, qty_delivered = 20, unit_price = 38.0 }] },
  ]

  expect_rejected = [
    { record = 1, rule = "signed_or_photographed", message = "neither a signature nor a photo" },
    { record = 2, rule = "delivered_something", message = "JOB-T7 reports nothing delivered" },
    { record = 3, rule = "not_over_delivered", message = "more than ordered for FEED-PELLET-1T" },
    { record = 4, rule = "known_currency", message = "currency CHF has no Odoo id" },
    { record = 5, rule = "delivered_in_the_past", message = "dated in the future: 2099-01-01 10:00" },
  ]
  expect_no_output = true
}

test "the sample events in testdata/pod_events.ndjson" {
  flow       = "delivery_to_invoice"
  input_file = "testdata/pod_events.ndjson"

  # Upserted by external id flowctl.pod_invoice_<job_ref>; the job is the
  # invoice's ref.
  expect "invoice" {
    keys    = ["inv-JOB-250310-0101", "inv-JOB-250310-0102", "inv-JOB-250311-0103", "inv-JOB-250314-0113"]
    partial = true
    body = [
      { move_type = "out_invoice", ref = "JOB-250310-0101", invoice_origin = "SO0101" },
      { ref = "JOB-250310-0102" },
      { ref = "JOB-250311-0103" },
      { ref = "JOB-250314-0113", currency_id = 3 },
    ]
  }
  expect "billing_hold" {
    keys = ["hold-JOB-250312-0108"]
  }
  expect_rejected = [
    { record = 6, rule = "signed_or_photographed" },
    { record = 7, rule = "not_over_delivered" },
    { record = 9, rule = "known_currency" },
  ]
  expect_skipped = [3, 8]
}
