// Package sftp is the SFTP connector used for EDI and file exchange with
// trading partners. Host keys are always verified.
package sftp

import (
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/zclconf/go-cty/cty"
)

func init() {
	engine.Register(&engine.Connector{
		Kind: "sftp",
		Doc:  "SFTP servers of trading partners, carriers and 3PLs.",
		Connection: &engine.Spec{Fields: []engine.Field{
			{Name: "host", Type: cty.String, Required: true, Doc: "Server host name.", Example: `"sftp.partner.example"`},
			{Name: "port", Type: cty.Number, Default: cty.NumberIntVal(22), Doc: "Port.", Example: `2222`},
			{Name: "username", Type: cty.String, Required: true, Doc: "Login.", Example: `"acme"`},
			{Name: "password", Type: cty.String, Secret: true, Doc: "Password.", Example: `secret("PARTNER_SFTP_PASSWORD")`},
			{Name: "private_key", Type: cty.String, Secret: true, Doc: "PEM private key.", Example: `secret("PARTNER_SFTP_KEY")`},
			{Name: "known_hosts", Type: cty.String, Doc: "known_hosts file used to verify the server.", Example: `"/etc/flowctl/known_hosts"`},
			{Name: "host_key", Type: cty.String, Doc: "Pinned host key fingerprint (SHA256:…).", Example: `"SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"`},
			{Name: "timeout", Type: cty.String, Default: cty.StringVal("30s"), Check: engine.CheckDuration, Doc: "Connect timeout.", Example: `"10s"`},
		}, Check: func(v *engine.Values) []string {
			var errs []string
			if !v.Has("known_hosts") && !v.Has("host_key") {
				errs = append(errs, "SFTP host keys are always verified: set known_hosts or host_key")
			}
			if !v.Has("password") && !v.Has("private_key") {
				errs = append(errs, "set password or private_key")
			}
			return errs
		}},
		Source: &engine.SourceSpec{
			Doc: "Polls a remote directory; takes stable files, archives them after processing, moves failures to error/ with a .reason file.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "dir", Type: cty.String, Required: true, Doc: "Remote directory.", Example: `"/outbound"`},
				{Name: "glob", Type: cty.String, Default: cty.StringVal("*"), Doc: "File name pattern.", Example: `"*.edi"`},
				{Name: "format", Type: cty.String, Default: cty.StringVal("auto"), OneOf: []string{"auto", "ndjson", "json", "csv", "edi"}, Doc: "Codec.", Example: `"edi"`},
				{Name: "archive_dir", Type: cty.String, Default: cty.StringVal("archive"), Doc: "Where processed files go (relative to dir).", Example: `"done"`},
				{Name: "error_dir", Type: cty.String, Default: cty.StringVal("error"), Doc: "Where failed files go, with a .reason file.", Example: `"failed"`},
				{Name: "stable", Type: cty.String, Default: cty.StringVal("size"), OneOf: []string{"size", "marker"}, Doc: "A file is taken when its size is unchanged across two polls, or when a done-marker exists.", Example: `"marker"`},
				{Name: "every", Type: cty.String, Default: cty.StringVal("1m"), Check: engine.CheckDuration, Doc: "Poll interval.", Example: `"5m"`},
			}},
			Open:  openSource,
			Watch: watch,
		},
		Target: &engine.TargetSpec{
			Doc: "Uploads one file per record (or batch) under a temporary name, then renames it atomically.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "dir", Type: cty.String, Required: true, Doc: "Remote directory.", Example: `"/inbound"`},
				{Name: "filename", Expr: dsl.StringType, Required: true, Doc: "File name per record.", Example: `"'ASN_' + record.ref + '.edi'"`},
				{Name: "format", Type: cty.String, Default: cty.StringVal("ndjson"), OneOf: []string{"ndjson", "json", "csv", "edi"}, Doc: "Codec.", Example: `"edi"`},
			}},
			// The same record always lands under the same name: a rewrite
			// replaces the file instead of adding one.
			Dedupes: func(*engine.Values) bool { return true },
			Operation: func(v *engine.Values) string {
				return "upload " + v.String("dir") + "/(" + v.Attrs["filename"].Expr.Source + ")"
			},
			Open: openTarget,
		},
	})
}
