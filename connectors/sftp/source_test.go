package sftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/flowctl/flowctl/connectors/file"
	connsftp "github.com/flowctl/flowctl/connectors/sftp"
	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/sftptest"
)

// compile builds a plan; secret("SFTP_PASSWORD") and secret("SFTP_KEY")
// come from secrets.
func compile(t *testing.T, src string, secrets map[string]string) *engine.Plan {
	t.Helper()
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun,
		LookupSecret: func(k string) (string, bool) { v, ok := secrets[k]; return v, ok }})
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	return plan
}

func connBlock(s *sftptest.Server, knownHosts string) string {
	return fmt.Sprintf(`
connection "sftp" "partner" {
  host        = %q
  port        = %d
  username    = %q
  password    = secret("SFTP_PASSWORD")
  known_hosts = %q
  timeout     = "5s"
}
`, s.Host, s.Port, s.User, knownHosts)
}

// sourceFlow reads the server's /out into a local NDJSON file.
func sourceFlow(t *testing.T, s *sftptest.Server, extra string) (*engine.Plan, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "got.ndjson")
	src := connBlock(s, s.WriteKnownHosts(t)) + fmt.Sprintf(`
flow "inbound" {
  source "sftp" {
    connection = connection.sftp.partner
    dir        = "/out"
    glob       = "*.ndjson"
    every      = "300ms"
%s
  }
  validate "positive" {
    check = "record.n > 0"
  }
  target "file" "got" {
    path            = %q
    idempotency_key = "string(record.n)"
  }
}
`, extra, out)
	return compile(t, src, map[string]string{"SFTP_PASSWORD": s.Password}), out
}

func run(t *testing.T, plan *engine.Plan) (*engine.Summary, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rejects bytes.Buffer
	sum, err := engine.Run(ctx, plan, plan.Flows[0], engine.RunOptions{Rejects: &rejects, Workers: 2})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return sum, rejects.String()
}

// serverFiles lists every file under the server root, sorted.
func serverFiles(t *testing.T, s *sftptest.Server) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(s.Root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(s.Root, p)
			out = append(out, "/"+filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func wantFiles(t *testing.T, s *sftptest.Server, want ...string) {
	t.Helper()
	got := serverFiles(t, s)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("server files:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func put(t *testing.T, s *sftptest.Server, name, content string, age time.Duration) {
	t.Helper()
	p := s.Path(name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
	}
}

// noRemovals checks that the connector never deleted a file on the server.
func noRemovals(t *testing.T, s *sftptest.Server) {
	t.Helper()
	for _, op := range s.Ops() {
		if op.Method == "Remove" || op.Method == "Rmdir" {
			t.Errorf("the source deleted something: %s", op)
		}
	}
}

func TestSourceArchivesAfterAllAcks(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	put(t, s, "/out/a.ndjson", "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	put(t, s, "/out/b.ndjson", "{\"n\":3}\n", time.Hour)
	put(t, s, "/out/other.csv", "n\n4\n", time.Hour) // not matched by the glob
	plan, out := sourceFlow(t, s, "")
	sum, _ := run(t, plan)
	if sum.Records != 3 || sum.Delivered != 3 {
		t.Fatalf("summary %+v", sum)
	}
	got, _ := os.ReadFile(out)
	if string(got) != "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n" {
		t.Fatalf("delivered:\n%s", got)
	}
	wantFiles(t, s, "/out/archive/.flowctl.sha256", "/out/archive/a.ndjson", "/out/archive/b.ndjson", "/out/other.csv")
	noRemovals(t, s)

	// A restart takes nothing again; the same file sent again is archived
	// without being processed twice.
	put(t, s, "/out/a.ndjson", "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	sum, _ = run(t, plan)
	if sum.Records != 0 {
		t.Fatalf("restart reprocessed: %+v", sum)
	}
	files := serverFiles(t, s)
	if len(files) != 5 || !strings.HasPrefix(files[1], "/out/archive/a-") {
		t.Fatalf("server files: %v", files)
	}
	noRemovals(t, s)
}

func TestSourceTakesOnlyStableFiles(t *testing.T) {
	// The file grows every time the directory is listed, so it is still
	// being written between the two listings of the poll — deterministically.
	var growing atomic.Bool
	growing.Store(true)
	var s *sftptest.Server
	s = sftptest.New(t, sftptest.Options{Fail: func(method, p string) error {
		if method == "List" && p == "/out" && growing.Load() {
			f, err := os.OpenFile(s.Path("/out/growing.ndjson"), os.O_WRONLY|os.O_APPEND, 0)
			if err == nil {
				f.WriteString("{\"n\":1}\n")
				f.Close()
			}
		}
		return nil
	}})
	put(t, s, "/out/growing.ndjson", "{\"n\":1}\n", 0)
	put(t, s, "/out/done.ndjson", "{\"n\":2}\n", 0)
	plan, out := sourceFlow(t, s, "")
	sum, _ := run(t, plan)
	growing.Store(false)
	if sum.Records != 1 {
		t.Fatalf("took %d records, want done.ndjson's only", sum.Records)
	}
	if got, _ := os.ReadFile(out); string(got) != "{\"n\":2}\n" {
		t.Fatalf("delivered %q", got)
	}
	wantFiles(t, s, "/out/archive/.flowctl.sha256", "/out/archive/done.ndjson", "/out/growing.ndjson")

	// Once complete, the next run takes it.
	sum, _ = run(t, plan)
	if sum.Records < 2 {
		t.Fatalf("second run: %+v", sum)
	}
	wantFiles(t, s, "/out/archive/.flowctl.sha256", "/out/archive/done.ndjson", "/out/archive/growing.ndjson")
}

func TestSourceMarker(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	put(t, s, "/out/a.ndjson", "{\"n\":1}\n", 0)
	put(t, s, "/out/b.ndjson", "{\"n\":2}\n", 0)
	put(t, s, "/out/b.ndjson.done", "", 0)
	plan, _ := sourceFlow(t, s, `stable = "marker"`)
	sum, _ := run(t, plan)
	if sum.Records != 1 {
		t.Fatalf("summary %+v", sum)
	}
	wantFiles(t, s, "/out/a.ndjson", "/out/archive/.flowctl.sha256", "/out/archive/b.ndjson", "/out/archive/b.ndjson.done")
}

func TestSourceDecodeFailureGoesToError(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	put(t, s, "/out/bad.ndjson", "{\"n\":1}\n{\"n\":\n{\"n\":0}\n", time.Hour)
	plan, _ := sourceFlow(t, s, `error_dir = "/failed"`)
	sum, rejects := run(t, plan)
	// The bad line and the record failing validation are rejected; the
	// file goes to error/ for the decode failure.
	if sum.Records != 3 || sum.Rejected != 2 || !strings.Contains(rejects, `"rule":"decode"`) {
		t.Fatalf("summary %+v, rejects %s", sum, rejects)
	}
	wantFiles(t, s, "/failed/bad.ndjson", "/failed/bad.ndjson.reason")
	reason, _ := os.ReadFile(s.Path("/failed/bad.ndjson.reason"))
	if !strings.Contains(string(reason), "1 of 3 records could not be decoded") || !strings.Contains(string(reason), "line 2") {
		t.Fatalf("reason:\n%s", reason)
	}
	noRemovals(t, s)
}

// TestSourceNack drives the reader directly: a refused message sends its
// file to error/ with the reason.
func TestSourceNack(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	put(t, s, "/out/a.ndjson", "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	put(t, s, "/out/b.ndjson", "{\"n\":3}\n", time.Hour)
	plan, _ := sourceFlow(t, s, "")
	k, _ := engine.DefaultRegistry.Get("sftp")
	r, err := k.Source.Open(plan.Flows[0].Source, &engine.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*engine.Message
	for {
		m, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		msgs = append(msgs, m)
	}
	if len(msgs) != 3 {
		t.Fatalf("%d messages", len(msgs))
	}
	ctx := context.Background()
	msgs[0].Receipt.Ack(ctx)
	if err := msgs[1].Receipt.Nack(ctx, errors.New("odoo is down")); err != nil {
		t.Fatal(err)
	}
	// b.ndjson's message is never settled: b stays where it is.
	r.Close()
	wantFiles(t, s, "/out/b.ndjson", "/out/error/a.ndjson", "/out/error/a.ndjson.reason")
	reason, _ := os.ReadFile(s.Path("/out/error/a.ndjson.reason"))
	if !strings.Contains(string(reason), "line 2: odoo is down") {
		t.Fatalf("reason:\n%s", reason)
	}
	noRemovals(t, s)
}

func TestSourceEDIRaw(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	doc := "ISA*00*          *00*          *ZZ*CARRIER~GS*IM~ST*210*0001~SE*2*0001~"
	put(t, s, "/in/210_1.edi", doc, time.Hour)
	out := filepath.Join(t.TempDir(), "got.ndjson")
	src := connBlock(s, s.WriteKnownHosts(t)) + fmt.Sprintf(`
flow "edi" {
  source "sftp" {
    connection = connection.sftp.partner
    dir        = "/in"
    format     = "edi"
    every      = "200ms"
  }
  target "file" "got" {
    path            = %q
    body            = "{file: record.file, content: record.content}"
    idempotency_key = "record.sha256"
  }
}
`, out)
	plan := compile(t, src, map[string]string{"SFTP_PASSWORD": s.Password})
	sum, _ := run(t, plan)
	got, _ := os.ReadFile(out)
	if sum.Delivered != 1 || !strings.Contains(string(got), `"content":"`+doc+`"`) {
		t.Fatalf("summary %+v, got %s", sum, got)
	}
	wantFiles(t, s, "/in/archive/.flowctl.sha256", "/in/archive/210_1.edi")
}

// TestSourceWrongHostKey: the run fails before reading anything.
func TestSourceWrongHostKey(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	other := sftptest.New(t, sftptest.Options{})
	put(t, s, "/out/a.ndjson", "{\"n\":1}\n", time.Hour)
	src := connBlock(s, other.WriteKnownHosts(t)) + `
flow "f" {
  source "sftp" {
    connection = connection.sftp.partner
    dir        = "/out"
  }
  target "stdout" "out" {}
}
`
	plan := compile(t, src, map[string]string{"SFTP_PASSWORD": s.Password})
	_, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), s.Fingerprint()) {
		t.Fatalf("run: %v", err)
	}
	wantFiles(t, s, "/out/a.ndjson")
}

// TestSourceWatch: watching, a file dropped later is taken once stable and
// archived once acknowledged.
func TestSourceWatch(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	os.MkdirAll(s.Path("/out"), 0o755)
	plan, _ := sourceFlow(t, s, "")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r, err := connsftp.OpenWatch(ctx, plan.Flows[0].Source)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		time.Sleep(200 * time.Millisecond)
		put(t, s, "/out/late.ndjson", "{\"n\":7}\n", 0)
	}()
	m, ok, err := r.Next()
	if err != nil || !ok || m.Record["n"] == nil {
		t.Fatalf("Next: %v %v %v", m, ok, err)
	}
	if err := m.Receipt.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, s, "/out/archive/.flowctl.sha256", "/out/archive/late.ndjson")
	cancel()
	if _, ok, _ := r.Next(); ok {
		t.Fatal("a message after cancel")
	}
}

// TestSourceConnectionDroppedMidDownload: the server drops the connection
// while a file is being read; the run fails, the file stays where it was
// (nothing archived, nothing deleted), and the next run takes it whole.
func TestSourceConnectionDroppedMidDownload(t *testing.T) {
	var drop atomic.Bool
	drop.Store(true)
	var s *sftptest.Server
	s = sftptest.New(t, sftptest.Options{Fail: func(method, p string) error {
		if (method == "Get" || method == "Open") && strings.HasSuffix(p, "big.ndjson") && drop.CompareAndSwap(true, false) {
			go s.DropConnections()
			time.Sleep(50 * time.Millisecond) // let the drop land while the read is in flight
		}
		return nil
	}})
	var b strings.Builder
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&b, "{\"n\":%d}\n", i)
	}
	put(t, s, "/out/big.ndjson", b.String(), time.Hour)
	plan, _ := sourceFlow(t, s, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := engine.Run(ctx, plan, plan.Flows[0], engine.RunOptions{Workers: 2})
	if err == nil {
		t.Fatal("a run whose download was cut off succeeded")
	}
	wantFiles(t, s, "/out/big.ndjson")
	sum, _ := run(t, plan)
	if sum.Records != 20000 || sum.Delivered != 20000 {
		t.Fatalf("second run: %+v", sum)
	}
	wantFiles(t, s, "/out/archive/.flowctl.sha256", "/out/archive/big.ndjson")
}

// TestSourceWatchNack: under serve (SourceSpec.Watch), messages carry the
// file's checksum and line as ids; a refused message leaves the file in
// the directory and a later poll offers it again with the same ids.
func TestSourceWatchNack(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	put(t, s, "/out/a.ndjson", "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	plan, _ := sourceFlow(t, s, "")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	k, _ := engine.DefaultRegistry.Get("sftp")
	r, err := k.Source.Watch(ctx, plan.Flows[0].Source, &engine.WatchContext{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	next := func() *engine.Message {
		t.Helper()
		m, ok, err := r.Next()
		if err != nil || !ok {
			t.Fatalf("Next: %v %v", ok, err)
		}
		return m
	}
	m1, m2 := next(), next()
	if m1.ID == "" || m1.ID == m2.ID || !strings.HasSuffix(m2.ID, ":2") {
		t.Fatalf("ids %q %q", m1.ID, m2.ID)
	}
	m1.Receipt.Ack(ctx)
	m2.Receipt.Nack(ctx, errors.New("journal unavailable"))
	wantFiles(t, s, "/out/a.ndjson")
	a1, a2 := next(), next()
	if a1.ID != m1.ID || a2.ID != m2.ID {
		t.Fatalf("offered again as %q %q, first %q %q", a1.ID, a2.ID, m1.ID, m2.ID)
	}
	a1.Receipt.Ack(ctx)
	a2.Receipt.Ack(ctx)
	wantFiles(t, s, "/out/archive/.flowctl.sha256", "/out/archive/a.ndjson")
	noRemovals(t, s)
}
