package serve_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/serve"
	"github.com/flowctl/flowctl/internal/sftptest"
)

// TestSFTPFileArchivedOnlyOnceJournaled: a partner file on SFTP stays in
// the inbox while the journal refuses its records (not archived, not moved
// to error/), and is archived once every record is journaled; then each
// record is delivered once or dead-lettered with its reason.
func TestSFTPFileArchivedOnlyOnceJournaled(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	tg := &target{applied: map[string]int{}}
	hs := httptest.NewServer(tg)
	defer hs.Close()
	src := fmt.Sprintf(`
connection "sftp" "partner" {
  host        = %q
  port        = %d
  username    = %q
  password    = secret("SFTP_PASSWORD")
  known_hosts = %q
  timeout     = "5s"
}
connection "http" "tms" {
  base_url = %q
}
schema "order" {
  ref = string
  qty = number
}
flow "partner_orders" {
  key = "record.ref"
  source "sftp" {
    connection = connection.sftp.partner
    dir        = "/out"
    glob       = "*.ndjson"
    every      = "200ms"
    schema     = schema.order
  }
  validate "positive" {
    check = "record.qty > 0"
  }
  target "http" "jobs" {
    connection      = connection.http.tms
    path            = "/jobs"
    idempotency_key = "'job-' + record.ref"
    body            = "{ref: record.ref, qty: record.qty}"
  }
}
`, s.Host, s.Port, s.User, s.WriteKnownHosts(t), hs.URL)
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun, LookupEnv: func(k string) (string, bool) {
		return s.Password, k == "SFTP_PASSWORD"
	}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st := openStore(t, t.TempDir())
	defer st.Close()

	restore := refuseJournal(t, st)
	inbox := s.Path("/out/orders.ndjson")
	os.MkdirAll(filepath.Dir(inbox), 0o755)
	if err := os.WriteFile(inbox, []byte("{\"ref\":\"P-1\",\"qty\":2}\n{\"ref\":\"P-2\",\"qty\":0}\n{\"ref\":\"P-3\",\"qty\":5}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(inbox, old, old)
	r := start(t, st, plan, serve.Options{Workers: 2})
	time.Sleep(1500 * time.Millisecond) // several polls, every write refused
	if _, err := os.Stat(inbox); err != nil {
		t.Fatalf("the file left the inbox while the journal refused its records: %v", err)
	}
	if m, _ := filepath.Glob(s.Path("/out/error/*")); len(m) > 0 {
		t.Fatalf("the file went to error/ for a journal failure: %v", m)
	}

	restore()
	archived := s.Path("/out/archive/orders.ndjson")
	waitFor(t, "the file archived", 20*time.Second, func() bool { _, err := os.Stat(archived); return err == nil })
	waitFor(t, "deliveries", 20*time.Second, func() bool { k, _ := tg.count(); return k == 2 })
	waitFor(t, "the dead letter", 20*time.Second, func() bool { return len(deadLetters(t, st, "partner_orders")) == 1 })
	r.stop(t)
	if _, err := os.Stat(inbox); err == nil {
		t.Errorf("the file is still in the inbox after it was archived")
	}
	d := deadLetters(t, st, "partner_orders")[0]
	if d.Step != "positive" || d.Entry.Key != "P-2" || d.Entry.Line != 2 {
		t.Errorf("dead letter %+v (entry %+v)", d, d.Entry)
	}
	keys, reqs := tg.count()
	if keys != 2 || reqs != 2 {
		t.Errorf("target: %d keys, %d requests; want 2 and 2", keys, reqs)
	}
}
