# Flow tests for the serve quickstart; run them with
#
#   flowctl test examples/serve-quickstart

test "the sample orders: seven jobs, one skip, two rejections" {
  flow       = "orders_to_jobs"
  input_file = "testdata/sale_orders.ndjson"

  expect "jobs" {
    count = 7
    keys  = ["job-SO0101", "job-SO0102", "job-SO0103", "job-SO0106", "job-SO0108", "job-SO0109", "job-SO0110"]
  }
  expect_rejected = [
    { record = 4, rule = "has_delivery_address" },
    { record = 5, rule = "has_window" },
  ]
  expect_skipped = [7]
}

test "a job carries the customer, address, window and weight" {
  flow = "orders_to_jobs"
  input = [
    {
      id                  = 101
      name                = "SO0101"
      state               = "sale"
      partner_id          = [7, "Van Dijk Bouwmaterialen B.V."]
      partner_shipping_id = [31, "Van Dijk Bouwmaterialen B.V., Depot Utrecht"]
      commitment_date     = "2025-03-10T09:00:00Z"
      shipping_weight     = 1840.5
      amount_total        = 12450.00
    },
  ]

  expect "jobs" {
    body = [
      {
        ref          = "JOB-SO0101"
        customer     = "Van Dijk Bouwmaterialen B.V."
        deliver_to   = "Van Dijk Bouwmaterialen B.V., Depot Utrecht"
        window_start = "2025-03-10T09:00:00Z"
        weight_kg    = 1840.5
      },
    ]
  }
}
