package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/hashicorp/hcl/v2"
)

const secretValue = "s3cr3t-v4lue"

func compileSrc(t *testing.T, src string, opts engine.Options) (*engine.Plan, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return engine.Compile(cfg, opts)
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const odooFlow = `
connection "odoo" "main" {
  url      = env("ODOO_URL")
  database = "prod"
  username = "bot"
  api_key  = secret("ODOO_KEY")
}
flow "f" {
  source "odoo" {
    connection = connection.odoo.main
    model      = "res.partner"
  }
  target "stdout" "out" {}
}
`

// TestSecretsNeverRender checks that a secret resolved at run time reaches
// the connector but prints as (secret) through every formatter.
func TestSecretsNeverRender(t *testing.T) {
	plan, diags := compileSrc(t, odooFlow, engine.Options{Mode: engine.ModeRun,
		LookupEnv: env(map[string]string{"ODOO_URL": "http://127.0.0.1:8069", "ODOO_KEY": secretValue})})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	vals := plan.Connections["odoo.main"].Values
	s := vals.Secret("api_key")
	if s.Reveal() != secretValue {
		t.Fatalf("Reveal() = %q", s.Reveal())
	}
	if !engine.IsSecret(vals.Attrs["api_key"].Val) {
		t.Error("api_key value lost its secret mark")
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "key", s)
	js, _ := json.Marshal(map[string]any{"k": s})
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%#v": fmt.Sprintf("%#v", s), "%q": fmt.Sprintf("%q", s),
		"json": string(js), "slog": logBuf.String(), "diags": fmt.Sprint(diags),
	}
	for name, out := range outputs {
		if strings.Contains(out, secretValue) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, engine.Redacted) && name != "diags" {
			t.Errorf("%s does not say %s: %s", name, engine.Redacted, out)
		}
	}
}

// TestRunModeNeedsValues checks that run mode reports unset env() values
// and secrets, naming them but never a value, while lint mode accepts them.
func TestRunModeNeedsValues(t *testing.T) {
	_, diags := compileSrc(t, odooFlow, engine.Options{Mode: engine.ModeRun, LookupEnv: env(nil)})
	var text string
	for _, d := range diags {
		text += d.Error() + "\n"
	}
	for _, want := range []string{"ODOO_URL is not set", "secret ODOO_KEY is not set"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in %s", want, text)
		}
	}
	_, diags = compileSrc(t, odooFlow, engine.Options{Mode: engine.ModeLint, LookupEnv: env(nil)})
	if len(diags) != 0 {
		t.Errorf("lint mode: %v", diags)
	}
}

// TestSecretInErrorMessage checks that a static error on a secret-bearing
// value does not print it.
func TestSecretInErrorMessage(t *testing.T) {
	src := `
connection "http" "x" {
  base_url = secret("TOKEN")
}
flow "f" {
  source "file" { path = "in.ndjson" }
  target "http" "out" {
    connection = connection.http.x
    path = "/"
    idempotency_key = "record.id"
  }
}`
	_, diags := compileSrc(t, src, engine.Options{Mode: engine.ModeRun, LookupEnv: env(map[string]string{"TOKEN": secretValue})})
	if !diags.HasErrors() || !strings.Contains(fmt.Sprint(diags), "Secret in a non-secret field") {
		t.Fatalf("want secret error, got %v", diags)
	}
	if strings.Contains(fmt.Sprintf("%#v", diags), secretValue) {
		t.Error("diagnostics leak the secret")
	}
}

// TestVariables covers --var overrides, FLOWCTL_VAR_ and type conversion.
func TestVariables(t *testing.T) {
	src := `
variable "limit" { type = number }
variable "name" { default = "x" }
flow "f" {
  source "file" { path = "in.ndjson" }
  validate "v" { check = "record.total < var.limit && var.name != ''" }
  target "stdout" "out" {}
}`
	plan, diags := compileSrc(t, src, engine.Options{Mode: engine.ModeRun, Vars: map[string]string{"limit": "42"},
		LookupEnv: env(map[string]string{"FLOWCTL_VAR_name": "from-env"})})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g := plan.Globals["var"].(map[string]any)
	if g["limit"] != float64(42) || g["name"] != "from-env" {
		t.Errorf("globals = %v", g)
	}
	_, diags = compileSrc(t, src, engine.Options{Mode: engine.ModeRun, Vars: map[string]string{"limit": "many"}, LookupEnv: env(nil)})
	if !strings.Contains(fmt.Sprint(diags), `Invalid value for variable "limit"`) {
		t.Errorf("bad --var: %v", diags)
	}
	_, diags = compileSrc(t, src, engine.Options{Mode: engine.ModeRun, LookupEnv: env(nil)})
	if !strings.Contains(fmt.Sprint(diags), `No value for variable "limit"`) {
		t.Errorf("missing var: %v", diags)
	}
	_, diags = compileSrc(t, src, engine.Options{Mode: engine.ModeRun, Vars: map[string]string{"limit": "1", "limt": "2"}, LookupEnv: env(nil)})
	if !strings.Contains(fmt.Sprint(diags), `Did you mean "limit"`) {
		t.Errorf("undeclared --var: %v", diags)
	}
}

// TestExprDiagnosticRange checks that an expr error underlines exactly the
// offending token inside the HCL string.
func TestExprDiagnosticRange(t *testing.T) {
	src := "schema \"o\" {\n  customer = string\n}\nflow \"f\" {\n  source \"file\" {\n    path = \"x\"\n    schema = schema.o\n  }\n  validate \"v\" {\n    check = \"record.custmer != ''\"\n  }\n  target \"stdout\" \"out\" {}\n}\n"
	_, diags := compileSrc(t, src, engine.Options{})
	if len(diags) != 1 {
		t.Fatalf("diags: %v", diags)
	}
	r := diags[0].Subject
	if got := string(r.SliceBytes([]byte(src))); got != "custmer" {
		t.Errorf("range covers %q (%s), want custmer", got, r)
	}
	if r.Start.Line != 10 || r.Start.Column != 21 {
		t.Errorf("start = %d:%d, want 10:21", r.Start.Line, r.Start.Column)
	}
}
