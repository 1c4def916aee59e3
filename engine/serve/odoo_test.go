package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/serve"
	"github.com/flowctl/flowctl/internal/odootest"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestOdooCursorAcrossRestarts: an Odoo source under serve saves its
// position in the durable store only over journaled records; after a
// restart it reads on from there — the records already taken are not read
// (or journaled) again, and the new ones are.
func TestOdooCursorAcrossRestarts(t *testing.T) {
	erp := odootest.NewServer(odootest.Options{})
	if err := erp.Start(""); err != nil {
		t.Fatal(err)
	}
	defer erp.Close()
	for i := 1; i <= 5; i++ {
		erp.MustCreate("res.partner", map[string]any{"name": fmt.Sprintf("Customer %d", i), "ref": fmt.Sprintf("C%d", i)})
	}
	tg := &target{applied: map[string]int{}}
	hs := httptest.NewServer(tg)
	defer hs.Close()
	src := fmt.Sprintf(`
connection "odoo" "erp" {
  url      = %q
  database = %q
  username = "admin"
  api_key  = secret("ODOO_KEY")
  timeout  = "5s"
}
connection "http" "crm" {
  base_url = %q
}
flow "partners" {
  key = "record.ref"
  source "odoo" {
    connection = connection.odoo.erp
    model      = "res.partner"
    fields     = ["name", "ref"]
    domain     = [["ref", "!=", false]]
    page_size  = 2
    every      = "100ms"
  }
  target "http" "contacts" {
    connection      = connection.http.crm
    path            = "/contacts"
    idempotency_key = "'contact-' + record.ref"
    body            = "{ref: record.ref, name: record.name}"
  }
}
`, erp.URL(), erp.Database(), hs.URL)
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	lookup := func(k string) (string, bool) { return odootest.DefaultAPIKey, k == "ODOO_KEY" }
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun, LookupEnv: lookup, LookupSecret: lookup})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dir := t.TempDir()
	st := openStore(t, dir)
	m1 := serve.NewMetrics()
	r := start(t, st, plan, serve.Options{Workers: 4, Metrics: m1})
	waitFor(t, "the first five", 20*time.Second, func() bool { k, _ := tg.count(); return k == 5 })
	time.Sleep(300 * time.Millisecond) // a few more polls: nothing new
	r.stop(t)
	pos, err := st.SourceState("partners").Load(context.Background())
	if err != nil || pos == nil {
		t.Fatalf("no saved position: %v", err)
	}
	var cur struct{ ID int }
	if err := json.Unmarshal(pos, &cur); err != nil || cur.ID == 0 {
		t.Fatalf("saved position %s: %v", pos, err)
	}
	in, again := testutil.ToFloat64(m1.In.WithLabelValues("partners")), testutil.ToFloat64(m1.Deduped.WithLabelValues("partners"))
	if in != 5 || again != 0 {
		t.Errorf("first run journaled %v messages and was offered %v again, want 5 and 0 (later polls read on from the position)", in, again)
	}
	st.Close()

	erp.MustCreate("res.partner", map[string]any{"name": "Customer 6", "ref": "C6"})
	erp.MustCreate("res.partner", map[string]any{"name": "Customer 7", "ref": "C7"})
	st = openStore(t, dir)
	defer st.Close()
	m2 := serve.NewMetrics()
	r = start(t, st, plan, serve.Options{Workers: 4, Metrics: m2})
	waitFor(t, "the two new ones", 20*time.Second, func() bool { k, _ := tg.count(); return k == 7 })
	time.Sleep(300 * time.Millisecond)
	r.stop(t)
	in, again = testutil.ToFloat64(m2.In.WithLabelValues("partners")), testutil.ToFloat64(m2.Deduped.WithLabelValues("partners"))
	if in != 2 || again != 0 {
		t.Errorf("after the restart %v messages journaled and %v offered again, want the 2 new ones and 0", in, again)
	}
	if keys, reqs := tg.count(); keys != 7 || reqs != 7 {
		t.Errorf("target: %d keys, %d requests; want 7 and 7", keys, reqs)
	}
}
