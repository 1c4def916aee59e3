// Package http is the HTTP connector: a client target, a polling source and
// the webhook source served on flowctl's listener.
package http

import (
	"fmt"
	"strings"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/zclconf/go-cty/cty"
)

var retrySpec = &engine.Spec{Fields: []engine.Field{
	{Name: "attempts", Type: cty.Number, Default: cty.NumberIntVal(5), Check: engine.CheckPositive, Doc: "Tries per write, the first included.", Example: `8`},
	{Name: "initial", Type: cty.String, Default: cty.StringVal("500ms"), Check: engine.CheckDuration, Doc: "First backoff; doubles each retry, with jitter.", Example: `"1s"`},
	{Name: "max", Type: cty.String, Default: cty.StringVal("1m"), Check: engine.CheckDuration, Doc: "Longest backoff.", Example: `"2m"`},
}}

func init() {
	engine.Register(&engine.Connector{
		Kind: "http",
		Doc:  "HTTP/JSON APIs such as a dispatch (TMS) or warehouse (WMS) platform.",
		Connection: &engine.Spec{
			Fields: []engine.Field{
				{Name: "base_url", Type: cty.String, Required: true, Check: checkBaseURL, Doc: "Base URL every path is joined to.", Example: `"https://tms.example.com/api"`},
				{Name: "bearer", Type: cty.String, Secret: true, Doc: "Bearer token (Authorization: Bearer …).", Example: `secret("TMS_TOKEN")`},
				{Name: "username", Type: cty.String, Doc: "Basic auth user.", Example: `"flowctl"`},
				{Name: "password", Type: cty.String, Secret: true, Doc: "Basic auth password.", Example: `secret("TMS_PASSWORD")`},
				{Name: "api_key", Type: cty.String, Secret: true, Doc: "API key sent in api_key_header.", Example: `secret("WMS_KEY")`},
				{Name: "api_key_header", Type: cty.String, Default: cty.StringVal("X-API-Key"), Doc: "Header carrying api_key.", Example: `"X-Api-Token"`},
				{Name: "headers", Type: cty.Map(cty.String), Doc: "Extra headers on every request.", Example: `{ "Accept-Language" = "en" }`},
				{Name: "timeout", Type: cty.String, Default: cty.StringVal("30s"), Check: engine.CheckDuration, Doc: "Per-request timeout.", Example: `"10s"`},
				{Name: "rate_limit", Type: cty.Number, Check: engine.CheckPositive, Doc: "Most requests per second.", Example: `20`},
			},
			Blocks: []engine.Block{{Name: "retry", Doc: "Retry policy for retryable failures (network, 429, 5xx).", Spec: retrySpec}},
			Check: func(v *engine.Values) []string {
				var msgs []string
				if v.Has("username") != v.Has("password") {
					msgs = append(msgs, "basic auth needs both username and password")
				}
				if v.Has("bearer") && v.Has("username") {
					msgs = append(msgs, "set either bearer or username/password: both go in the Authorization header")
				}
				return msgs
			},
		},
		Source: &engine.SourceSpec{
			Doc: "Polls a JSON endpoint, following pagination.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "path", Type: cty.String, Required: true, Doc: "Path under base_url.", Example: `"/v1/jobs"`},
				{Name: "query", Type: cty.Map(cty.String), Doc: "Query parameters.", Example: `{ status = "delivered" }`},
				{Name: "items", Type: cty.String, Doc: "Dot path of the record array in the response body; empty when the body is the array.", Example: `"data.items"`},
				{Name: "pagination", Type: cty.String, Default: cty.StringVal("none"), OneOf: []string{"none", "page", "offset", "cursor", "link"}, Doc: "How further pages are requested.", Example: `"cursor"`},
				{Name: "page_size", Type: cty.Number, Default: cty.NumberIntVal(100), Check: engine.CheckPositive, Doc: "Records per page.", Example: `200`},
				{Name: "cursor_field", Type: cty.String, Doc: "Dot path of the next cursor in the response (pagination = cursor).", Example: `"meta.next"`},
				{Name: "every", Type: cty.String, Default: cty.StringVal("1m"), Check: engine.CheckDuration, Doc: "Poll interval under serve.", Example: `"30s"`},
			}, Check: func(v *engine.Values) []string {
				cursor := v.String("pagination") == "cursor"
				if cursor && !v.Has("cursor_field") {
					return []string{"pagination = \"cursor\" needs cursor_field, the dot path of the next cursor in the response"}
				}
				if !cursor && v.Has("cursor_field") {
					return []string{"cursor_field is only used with pagination = \"cursor\""}
				}
				return nil
			}},
			Open:  openPoll,
			Watch: watchPoll,
		},
		Target: &engine.TargetSpec{
			Doc: "Sends each record as a JSON request.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "method", Type: cty.String, Default: cty.StringVal("POST"), OneOf: []string{"POST", "PUT", "PATCH", "DELETE"}, Doc: "HTTP method.", Example: `"PUT"`},
				{Name: "path", Type: cty.String, Doc: "Path under base_url (static).", Example: `"/v1/jobs"`},
				{Name: "path_expr", Expr: dsl.StringType, Doc: "Path computed per record, instead of path.", Example: `"'/v1/jobs/' + job.ref"`},
				{Name: "headers", Type: cty.Map(cty.String), Doc: "Extra headers.", Example: `{ "X-Source" = "flowctl" }`},
				{Name: "idempotency_header", Type: cty.String, Default: cty.StringVal("Idempotency-Key"), Doc: "Header that carries the idempotency key.", Example: `"X-Request-Id"`},
			}, Check: func(v *engine.Values) []string {
				if v.Has("path") == v.Has("path_expr") {
					return []string{"set exactly one of path (static) and path_expr (per record)"}
				}
				return nil
			}},
			Operation: func(v *engine.Values) string {
				if v.Has("path_expr") {
					return v.String("method") + " " + v.Attrs["path_expr"].Expr.Source
				}
				return v.String("method") + " " + v.String("path")
			},
			Open: openTarget,
		},
	})
	engine.Register(&engine.Connector{
		Kind: "webhook",
		Doc:  "Inbound HTTP: partners and platforms POST events to flowctl's listener.",
		Source: &engine.SourceSpec{
			Doc: "Receives JSON POSTs on a path of the serve listener; answers 2xx only once the message is journaled.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "path", Type: cty.String, Required: true, Doc: "Path on the listener.", Example: `"/hooks/pod"`},
				{Name: "hmac_secret", Type: cty.String, Secret: true, Doc: "Shared key for the HMAC-SHA256 signature over timestamp and body.", Example: `secret("POD_HOOK_KEY")`},
				{Name: "signature_header", Type: cty.String, Default: cty.StringVal("X-Signature"), Doc: "Header with the hex signature.", Example: `"X-Hub-Signature-256"`},
				{Name: "timestamp_header", Type: cty.String, Default: cty.StringVal("X-Timestamp"), Doc: "Header with the Unix timestamp that is signed.", Example: `"X-Request-Timestamp"`},
				{Name: "tolerance", Type: cty.String, Default: cty.StringVal("5m"), Check: engine.CheckDuration, Doc: "Largest accepted clock difference.", Example: `"2m"`},
				{Name: "id_header", Type: cty.String, Default: cty.StringVal("Idempotency-Key"), Doc: "Header carrying the sender's delivery id, the message's id under serve (a redelivery is journaled once); with an array body the element index is appended (`<id>:0`, `<id>:1`, …).", Example: `"X-Delivery-Id"`},
			}, Check: func(v *engine.Values) []string {
				if p := v.String("path"); p != "" && !strings.HasPrefix(p, "/") {
					return []string{fmt.Sprintf("the webhook path %q must start with /", p)}
				}
				return nil
			}},
			Webhook: mountWebhook,
		},
	})
}
