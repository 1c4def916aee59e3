// Package odoo is the Odoo ERP connector (JSON-RPC, JSON-2 and XML-RPC).
package odoo

import (
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/zclconf/go-cty/cty"
)

func init() {
	engine.Register(&engine.Connector{
		Kind: "odoo",
		Doc:  "Odoo ERP: sale orders, pickings, invoices and partners.",
		Connection: &engine.Spec{Fields: []engine.Field{
			{Name: "url", Type: cty.String, Required: true, Doc: "Server URL.", Example: `"https://erp.example.com"`},
			{Name: "database", Type: cty.String, Required: true, Doc: "Database name.", Example: `"prod"`},
			{Name: "username", Type: cty.String, Doc: "Login (JSON-RPC and XML-RPC).", Example: `"integration@example.com"`},
			{Name: "api_key", Type: cty.String, Secret: true, Required: true, Doc: "API key (or password).", Example: `secret("ODOO_API_KEY")`},
			{Name: "protocol", Type: cty.String, Default: cty.StringVal("jsonrpc"), OneOf: []string{"jsonrpc", "json2", "xmlrpc"}, Doc: "Wire protocol: /jsonrpc, the JSON-2 API (/json/2, Odoo 19+) or XML-RPC.", Example: `"json2"`},
			{Name: "timeout", Type: cty.String, Default: cty.StringVal("60s"), Check: engine.CheckDuration, Doc: "Per-call timeout.", Example: `"30s"`},
		}, Check: func(v *engine.Values) []string {
			if v.String("protocol") != "json2" && !v.Has("username") {
				return []string{"the jsonrpc and xmlrpc protocols authenticate with username and api_key; set username"}
			}
			return nil
		}},
		Source: &engine.SourceSpec{
			Doc: "Polls a model with a domain, oldest changes first, by a write_date (or id) cursor.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "model", Type: cty.String, Required: true, Doc: "Model name.", Example: `"sale.order"`},
				{Name: "domain", Type: cty.DynamicPseudoType, Doc: "Search domain as in Odoo: a list of [field, operator, value] and \"&\", \"|\", \"!\".", Example: `[["state", "=", "sale"]]`},
				{Name: "fields", Type: cty.List(cty.String), Doc: "Fields to read; records then have exactly these fields plus id.", Example: `["name", "partner_id"]`},
				{Name: "cursor", Type: cty.String, Default: cty.StringVal("write_date"), OneOf: []string{"write_date", "id"}, Doc: "Field that marks progress.", Example: `"id"`},
				{Name: "page_size", Type: cty.Number, Default: cty.NumberIntVal(200), Check: engine.CheckPositive, Doc: "Records per search_read call.", Example: `500`},
				{Name: "every", Type: cty.String, Default: cty.StringVal("1m"), Check: engine.CheckDuration, Doc: "Poll interval under serve.", Example: `"30s"`},
			}, Check: checkSource},
			RecordType: func(v *engine.Values) *dsl.Type {
				fields := v.Cty("fields")
				if fields == cty.NilVal || fields.IsNull() || !fields.IsWhollyKnown() {
					return dsl.AnyType
				}
				t := dsl.ObjectOf(&dsl.Field{Name: "id", Type: dsl.IntType})
				for _, f := range fields.AsValueSlice() {
					if f.AsString() != "id" {
						// Types come from fields_get at run time; a
						// declared schema gives them at lint time.
						t.Fields = append(t.Fields, &dsl.Field{Name: f.AsString(), Type: dsl.AnyType})
					}
				}
				return t
			},
			Open:  openSource,
			Watch: watch,
		},
		Target: &engine.TargetSpec{
			Doc: "Creates, updates, upserts or calls methods on records.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "model", Type: cty.String, Required: true, Doc: "Model name.", Example: `"account.move"`},
				{Name: "operation", Type: cty.String, Default: cty.StringVal("create"), OneOf: []string{"create", "write", "upsert", "call"}, Doc: "What to do with each record.", Example: `"upsert"`},
				{Name: "unique_field", Type: cty.String, Doc: "Field that identifies a record for upsert (e.g. ref); or use external_id.", Example: `"ref"`},
				{Name: "external_id", Expr: dsl.StringType, Doc: "External id (ir.model.data, module.name) that identifies the record for upsert.", Example: `"'flowctl.pod_' + record.ref"`},
				{Name: "record_id", Expr: dsl.IntType, Doc: "Id of the record to write or call a method on.", Example: `"record.picking_id"`},
				{Name: "method", Type: cty.String, Doc: "Method for operation = call, e.g. action_confirm, button_validate, action_post.", Example: `"action_post"`},
				{Name: "batch_size", Type: cty.Number, Default: cty.NumberIntVal(50), Check: engine.CheckPositive, Doc: "Records per create call.", Example: `100`},
			}, Check: func(v *engine.Values) []string {
				switch v.String("operation") {
				case "upsert":
					// Without either, the idempotency key names the external id.
					if !v.Has("unique_field") && !v.Has("external_id") && !v.Has("idempotency_key") {
						return []string{"operation = \"upsert\" needs unique_field, external_id or idempotency_key (the external id's name) to find an existing record"}
					}
					if v.Has("unique_field") && v.Has("external_id") {
						return []string{"set either unique_field or external_id: an upsert finds the existing record by one of them"}
					}
				case "call":
					if !v.Has("method") || !v.Has("record_id") {
						return []string{"operation = \"call\" needs method and record_id"}
					}
				case "write":
					if !v.Has("record_id") {
						return []string{"operation = \"write\" needs record_id"}
					}
				}
				return nil
			}},
			// An upsert finds the existing record first, so a repeated write
			// updates instead of duplicating.
			Dedupes: func(v *engine.Values) bool { return v.String("operation") == "upsert" },
			Operation: func(v *engine.Values) string {
				model := v.String("model")
				switch v.String("operation") {
				case "upsert":
					if v.Has("external_id") || !v.Has("unique_field") {
						return "upsert " + model + " by external id"
					}
					return "upsert " + model + " by " + v.String("unique_field")
				case "call":
					return "call " + model + "." + v.String("method")
				}
				return v.String("operation") + " " + model
			},
			Open: openTarget,
		},
	})
}
