package http

import (
	"strings"
	"testing"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
)

// TestSpecChecks: settings that cannot work are lint errors.
func TestSpecChecks(t *testing.T) {
	tests := []struct {
		conn, source, want string
	}{
		{`base_url = "tms.example.com"`, `path = "/v1/x"`, `base_url "tms.example.com" is not an absolute http(s) URL`},
		{"base_url = \"http://h\"\n  bearer = \"t\"\n  username = \"u\"\n  password = \"p\"", `path = "/v1/x"`, "set either bearer or username/password"},
		{`base_url = "http://h"`, "path = \"/v1/x\"\n    pagination = \"cursor\"", "needs cursor_field"},
		{`base_url = "http://h"`, "path = \"/v1/x\"\n    cursor_field = \"next\"", `only used with pagination = "cursor"`},
	}
	for _, tt := range tests {
		src := `
connection "http" "a" {
  ` + tt.conn + `
}
flow "f" {
  source "http" {
    connection = connection.http.a
    ` + tt.source + `
  }
  target "http" "t" {
    connection      = connection.http.a
    path            = "/x"
    idempotency_key = "record.id"
  }
}`
		cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		_, diags = engine.Compile(cfg, engine.Options{Mode: engine.ModeLint})
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
			t.Errorf("diagnostics %v, want %q", diags, tt.want)
		}
	}
	cfg, _ := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(`
connection "http" "a" { base_url = "http://h" }
flow "f" {
  source "webhook" { path = "hooks/x" }
  target "http" "t" {
    connection      = connection.http.a
    path            = "/x"
    idempotency_key = "record.id"
  }
}`)})
	_, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeLint})
	if !strings.Contains(diags.Error(), `the webhook path "hooks/x" must start with /`) {
		t.Errorf("diagnostics %v", diags)
	}
}

func TestLimiterShared(t *testing.T) {
	cp := &engine.ConnectionPlan{}
	a, relA := acquireLimiter(cp, 10)
	b, relB := acquireLimiter(cp, 10)
	if a != b {
		t.Fatal("two users of a connection got different limiters")
	}
	relA()
	relA() // idempotent
	if c, relC := acquireLimiter(cp, 10); c != a {
		t.Error("the limiter was dropped while in use")
	} else {
		relC()
	}
	relB()
	limiters.Lock()
	_, left := limiters.m[cp]
	limiters.Unlock()
	if left {
		t.Error("the limiter is kept after every user closed")
	}
	if l, rel := acquireLimiter(cp, 0); l != nil || rel != nil {
		t.Error("no rate_limit should mean no limiter")
	}
}
