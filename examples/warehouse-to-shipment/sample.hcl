# The same flow fed from testdata/shipment_confirmations.ndjson, writing what
# would go to Odoo and to the partner as NDJSON files under out/.

flow "warehouse_to_shipment_sample" {
  description = "warehouse_to_shipment on sample files: testdata/shipment_confirmations.ndjson to out/"
  key         = "record.order_ref"
  milestone   = "dispatched"

  source "file" {
    path   = "${var.data_dir}/shipment_confirmations.ndjson"
    schema = schema.shipment_confirmation
  }

  validate "has_picking" {
    check   = "record.picking_id > 0"
    message = "'shipment ' + record.shipment_id + ' names no Odoo picking'"
  }

  validate "has_packages" {
    check   = "len(record.packages) > 0 && all(record.packages, len(.lines) > 0)"
    message = "'shipment ' + record.shipment_id + ' has an empty package or no packages'"
  }

  validate "positive_quantities" {
    check   = "all(record.packages, all(.lines, .qty > 0))"
    message = "'shipment ' + record.shipment_id + ' has a line with quantity 0 or less'"
  }

  validate "valid_sscc" {
    check   = "all(record.packages, .sscc matches '^[0-9]{18}$')"
    message = "'shipment ' + record.shipment_id + ': SSCCs must have 18 digits, got ' + join(map(record.packages, .sscc), ', ')"
  }

  validate "known_carrier" {
    check   = "lookup('carriers', record.carrier_scac) != nil"
    message = "'carrier ' + record.carrier_scac + ' is not in the carriers table'"
    on_fail = "warn"
  }

  # Done quantities per Odoo move: a move may be spread over packages.
  map "picking" {
    schema               = schema.picking_update
    move_ids             = <<-EOT
      let lines = flatten(map(record.packages, .lines));
      map(uniq(map(lines, .move_id)), let id = #; [1, id, {quantity: sum(filter(lines, .move_id == id), .qty), picked: true}])
    EOT
    carrier_tracking_ref = "record.pro_number ?? record.bol_number"
  }

  # 856 ship notice, pick-and-pack structure: shipment, order, packs, items.
  map "asn" {
    schema   = schema.x12_transaction
    partner  = "record.edi_partner ?? ''"
    set      = "'856'"
    segments = <<-EOT
      let d = record.shipped_at;
      let to = record.ship_to;
      let lines = flatten(map(record.packages, .lines));
      let hl_count = 2 + len(record.packages) + len(lines);
      concat(
        [
          ['BSN', '00', record.shipment_id, d.Format('20060102'), d.Format('1504'), '0001'],
          ['HL', '1', '', 'S'],
          ['TD1', 'CTN25', string(len(record.packages)), '', '', '', 'G', string(sum(record.packages, .weight_kg)), 'KG'],
          ['TD5', '', '2', record.carrier_scac],
          ['REF', 'BM', record.bol_number]
        ],
        record.pro_number != nil ? [['REF', 'CN', record.pro_number]] : [],
        [
          ['DTM', '011', d.Format('20060102'), d.Format('1504')],
          ['N1', 'ST', to.name, to.location_code != nil ? '92' : '', to.location_code ?? ''],
          ['N3', to.street],
          ['N4', to.city, '', to.postal_code, to.country],
          ['HL', '2', '1', 'O'],
          ['PRF', record.customer_po],
          ['REF', 'VN', record.order_ref]
        ],
        reduce(record.packages, let p = #; let hl = 3 + #index + sum(record.packages[:#index], len(.lines)); concat(
          #acc,
          [['HL', string(hl), '2', 'P'], ['MAN', 'GM', p.sscc]],
          reduce(p.lines, concat(#acc, [
            ['HL', string(hl + 1 + #index), string(hl), 'I'],
            ['LIN', '', 'SK', .sku],
            ['SN1', '', string(.qty), .uom]
          ]), [])
        ), []),
        [['CTT', string(hl_count)]]
      )
    EOT
  }

  route {
    when    = "record.edi_partner != nil"
    targets = [target.picking_quantities, target.picking_validate, target.partner_asn]
  }

  route {
    targets = [target.picking_quantities, target.picking_validate]
  }

  target "file" "picking_quantities" {
    path            = "${var.out_dir}/odoo_picking_writes.ndjson"
    body            = "{model: 'stock.picking', id: record.picking_id, values: picking}"
    idempotency_key = "'ship-' + record.shipment_id + '-qty'"
  }

  target "file" "picking_validate" {
    path            = "${var.out_dir}/odoo_picking_validations.ndjson"
    body            = "{model: 'stock.picking', id: record.picking_id, method: 'button_validate', picking: record.picking_name}"
    idempotency_key = "'ship-' + record.shipment_id + '-validate'"
  }

  target "file" "partner_asn" {
    path            = "${var.out_dir}/asn_856.ndjson"
    body            = "asn"
    idempotency_key = "'asn-' + record.shipment_id"
  }
}
