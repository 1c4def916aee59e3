// Package file is the local file connector: NDJSON, JSON, CSV and EDI files
// read from and written to local paths, plus the stdout target.
package file

import (
	"github.com/flowctl/flowctl/engine"
	"github.com/zclconf/go-cty/cty"
)

// Formats the file codecs understand.
var (
	readFormats  = []string{"auto", "ndjson", "json", "csv", "edi"}
	writeFormats = []string{"ndjson", "json", "csv"}
)

func init() {
	engine.Register(&engine.Connector{
		Kind: "file",
		Doc:  "Local files: read records from a file, a glob or a watched directory; write records to a file.",
		Source: &engine.SourceSpec{
			Doc: "Reads records from local files. `-` reads standard input.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "path", Type: cty.String, Required: true, Doc: "File, glob (`in/*.csv`) or directory to read; relative to the working directory; `-` is stdin.", Example: `"orders.ndjson"`},
				{Name: "format", Type: cty.String, Default: cty.StringVal("auto"), OneOf: readFormats, Doc: "Codec; `auto` picks by extension (.ndjson/.jsonl, .json, .csv, .edi/.x12/.edifact).", Example: `"csv"`},
				{Name: "delimiter", Type: cty.String, Default: cty.StringVal(","), Doc: "CSV field delimiter.", Example: `";"`},
				{Name: "every", Type: cty.String, Check: engine.CheckDuration, Doc: "Poll interval when watching a directory under `serve`.", Example: `"30s"`},
				{Name: "archive_dir", Type: cty.String, Doc: "Where processed files are moved (serve).", Example: `"archive"`},
				{Name: "error_dir", Type: cty.String, Doc: "Where files that failed are moved, with a .reason file (serve).", Example: `"error"`},
			}},
			Open:  openSource,
			Watch: watch,
		},
		Target: &engine.TargetSpec{
			Doc: "Writes records to a local file.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "path", Type: cty.String, Required: true, Doc: "Output file.", Example: `"out/jobs.ndjson"`},
				{Name: "format", Type: cty.String, Default: cty.StringVal("ndjson"), OneOf: writeFormats, Doc: "Codec.", Example: `"csv"`},
				{Name: "append", Type: cty.Bool, Default: cty.False, Doc: "Append to an existing file instead of replacing it.", Example: `true`},
			}},
			Operation: fileOperation,
			Open:      openFileTarget,
		},
	})
	engine.Register(&engine.Connector{
		Kind: "stdout",
		Doc:  "Standard output, for trials and pipes.",
		Target: &engine.TargetSpec{
			Doc: "Prints records on standard output.",
			Spec: engine.Spec{Fields: []engine.Field{
				{Name: "format", Type: cty.String, Default: cty.StringVal("ndjson"), OneOf: writeFormats, Doc: "Codec.", Example: `"json"`},
			}},
			// Nothing durable is written, so there is nothing to dedupe.
			Dedupes:   func(*engine.Values) bool { return true },
			Operation: func(*engine.Values) string { return "print" },
			Open:      openStdoutTarget,
		},
	})
}
