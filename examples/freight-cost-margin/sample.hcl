# The same flow fed from testdata/freight_invoices.ndjson (210s in record
# form), writing bills, alerts and reviews as NDJSON files under out/.

flow "freight_cost_margin_sample" {
  description = "freight_cost_margin on sample files: testdata/freight_invoices.ndjson to out/"
  key         = "record.shipment_ref"
  milestone   = "settled"

  source "file" {
    path   = "${var.data_dir}/freight_invoices.ndjson"
    schema = schema.freight_invoice
  }

  validate "known_carrier" {
    check   = "lookup('carriers', record.scac) != nil"
    message = "'carrier ' + record.scac + ' (invoice ' + record.invoice_number + ') is not in lookups/carriers.csv'"
  }

  validate "euro_only" {
    check   = "record.currency == 'EUR'"
    message = "'invoice ' + record.invoice_number + ' is in ' + record.currency + '; only EUR invoices are booked automatically'"
  }

  validate "has_weight" {
    check   = "record.weight_kg > 0"
    message = "'invoice ' + record.invoice_number + ' has no shipment weight'"
  }

  validate "charges_add_up" {
    check   = "abs(sum(record.charges, .amount) - record.total_amount) < 0.01"
    message = "'invoice ' + record.invoice_number + ': charges add up to ' + string(sum(record.charges, .amount)) + ', the invoice total is ' + string(record.total_amount)"
  }

  validate "known_charge_codes" {
    check   = "all(record.charges, lookup('charge_codes', .code) != nil)"
    message = "'invoice ' + record.invoice_number + ' has unknown charge codes: ' + join(map(filter(record.charges, lookup('charge_codes', .code) == nil), .code), ', ')"
  }

  validate "known_lane" {
    check   = "lookup('lanes', record.origin + '-' + record.destination) != nil"
    message = "'lane ' + record.origin + '-' + record.destination + ' is not in lookups/lanes.csv; the invoice goes to review'"
    on_fail = "warn"
  }

  # The lane's customer tariff; CSV columns are strings.
  map "lane" {
    id                = "record.origin + '-' + record.destination"
    known             = "lookup('lanes', record.origin + '-' + record.destination) != nil"
    rate_per_kg       = "float(lookup('lanes', record.origin + '-' + record.destination)?.customer_rate_per_kg ?? '0')"
    min_charge        = "float(lookup('lanes', record.origin + '-' + record.destination)?.min_charge_eur ?? '0')"
    target_margin_pct = "float(lookup('lanes', record.origin + '-' + record.destination)?.target_margin_pct ?? '0')"
  }

  # What we billed the customer for this shipment against what the carrier
  # bills us.
  map "margin" {
    revenue = "max(lane.min_charge, record.weight_kg * lane.rate_per_kg)"
    cost    = "record.total_amount"
    pct     = "let revenue = max(lane.min_charge, record.weight_kg * lane.rate_per_kg); revenue > 0 ? round((revenue - record.total_amount) / revenue * 1000) / 10 : -100.0"
  }

  map "bill" {
    schema           = schema.vendor_bill
    move_type        = "'in_invoice'"
    journal_id       = "var.purchase_journal_id"
    partner_id       = "int(lookup('carriers', record.scac).odoo_partner_id)"
    ref              = "record.invoice_number"
    invoice_date     = "record.invoice_date.Format('2006-01-02')"
    invoice_origin   = "record.shipment_ref"
    narration        = "'PRO ' + record.pro_number + ', lane ' + lane.id + (lane.known ? ', margin ' + string(margin.pct) + '%' : ', no tariff')"
    invoice_line_ids = <<-EOT
      map(record.charges, [0, 0, {
        product_id: int(lookup('charge_codes', .code).product_id),
        name: lookup('charge_codes', .code).label + ' - ' + .description,
        quantity: 1,
        price_unit: .amount
      }])
    EOT
  }

  # Without a tariff the margin cannot be judged: a person decides.
  route {
    when   = "!lane.known"
    target = target.freight_review
  }

  # Below target: book the bill (the carrier is owed it) and alert finance.
  route {
    when    = "margin.pct < lane.target_margin_pct"
    targets = [target.vendor_bill, target.margin_alert]
  }

  route {
    target = target.vendor_bill
  }

  target "file" "vendor_bill" {
    path            = "${var.out_dir}/vendor_bills.ndjson"
    body            = "{model: 'account.move', external_id: 'flowctl.fbill_' + record.scac + '_' + record.invoice_number, values: bill}"
    idempotency_key = "'fbill-' + record.scac + '-' + record.invoice_number"
  }

  target "file" "margin_alert" {
    path            = "${var.out_dir}/margin_alerts.ndjson"
    body            = "{shipment_ref: record.shipment_ref, carrier: record.scac, invoice: record.invoice_number, lane: lane.id, revenue: margin.revenue, cost: margin.cost, margin_pct: margin.pct, target_pct: lane.target_margin_pct}"
    idempotency_key = "'margin-' + record.scac + '-' + record.invoice_number"
  }

  target "file" "freight_review" {
    path            = "${var.out_dir}/freight_review.ndjson"
    body            = "{reason: 'no tariff for lane ' + lane.id, invoice: record, draft_bill: bill}"
    idempotency_key = "'review-' + record.scac + '-' + record.invoice_number"
  }
}
