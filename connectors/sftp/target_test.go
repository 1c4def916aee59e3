package sftp_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	connsftp "github.com/flowctl/flowctl/connectors/sftp"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/sftptest"
	"github.com/pkg/sftp"
)

// targetPlan compiles a flow with an sftp target writing to dir.
func targetPlan(t *testing.T, s *sftptest.Server, in, dir, format, filename string) *engine.Plan {
	t.Helper()
	src := connBlock(s, s.WriteKnownHosts(t)) + fmt.Sprintf(`
flow "outbound" {
  source "file" {
    path = %q
  }
  target "sftp" "asn" {
    connection = connection.sftp.partner
    dir        = %q
    filename   = %q
    format     = %q
  }
}
`, in, dir, filename, format)
	return compile(t, src, map[string]string{"SFTP_PASSWORD": s.Password})
}

func openTarget(t *testing.T, plan *engine.Plan) engine.TargetWriter {
	t.Helper()
	tp := plan.Flows[0].Targets[0]
	k, _ := engine.DefaultRegistry.Get("sftp")
	w, err := k.Target.Open(tp, &engine.RunContext{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestTargetUploadsThroughATemporaryName(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	os.MkdirAll(s.Path("/inbound"), 0o755)
	in := writeFile(t, "asn.ndjson", "{\"id\":1,\"qty\":5}\n{\"id\":2,\"qty\":7}\n")
	plan := targetPlan(t, s, in, "/inbound", "json", "'ASN_' + string(record.id) + '.json'")
	sum, _ := run(t, plan)
	if sum.Delivered != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for id, qty := range map[int]int{1: 5, 2: 7} {
		got, err := os.ReadFile(s.Path(fmt.Sprintf("/inbound/ASN_%d.json", id)))
		if err != nil || string(got) != fmt.Sprintf("{\"id\":%d,\"qty\":%d}\n", id, qty) {
			t.Errorf("ASN_%d.json = %q, %v", id, got, err)
		}
	}
	wantFiles(t, s, "/inbound/ASN_1.json", "/inbound/ASN_2.json")
	// Written under .NAME.tmp only, then renamed into place.
	var writes, renames []string
	for _, op := range s.Ops() {
		switch op.Method {
		case "Put", "Open":
			writes = append(writes, op.Path)
		case "PosixRename", "Rename":
			renames = append(renames, op.String())
		}
	}
	if strings.Join(writes, " ") != "/inbound/.ASN_1.json.tmp /inbound/.ASN_2.json.tmp" {
		t.Errorf("writes: %v", writes)
	}
	if strings.Join(renames, ", ") != "PosixRename /inbound/.ASN_1.json.tmp -> /inbound/ASN_1.json, PosixRename /inbound/.ASN_2.json.tmp -> /inbound/ASN_2.json" {
		t.Errorf("renames: %v", renames)
	}
	if connsftp.TempName("ASN_1.json") != ".ASN_1.json.tmp" {
		t.Error("temp name")
	}
}

// TestTargetNoPartialFile watches the final name during a large upload: it
// must never exist with part of the content.
func TestTargetNoPartialFile(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	os.MkdirAll(s.Path("/in"), 0o755)
	plan := targetPlan(t, s, "unused.ndjson", "/in", "edi", "record.name")
	w := openTarget(t, plan)
	big := strings.Repeat("ST*856*0001~HL*1**S~", 400_000) // 8 MB
	final := s.Path("/in/BIG.edi")
	var partial, seenTemp atomic.Bool
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if fi, err := os.Stat(final); err == nil && fi.Size() != int64(len(big)) {
				partial.Store(true)
			}
			if _, err := os.Stat(s.Path("/in/.BIG.edi.tmp")); err == nil {
				seenTemp.Store(true)
			}
		}
	}()
	err := w.Write(context.Background(), &engine.Operation{Body: big, Fields: map[string]any{"filename": "BIG.edi"}})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if partial.Load() {
		t.Error("a partial file was visible under the final name")
	}
	if !seenTemp.Load() {
		t.Error("the upload was never seen under its temporary name")
	}
	got, _ := os.ReadFile(final)
	if string(got) != big {
		t.Errorf("content differs: %d bytes, want %d", len(got), len(big))
	}
	wantFiles(t, s, "/in/BIG.edi")
}

// TestTargetReplaceWithoutPosixRename: a server without posix-rename
// still gets the file replaced.
func TestTargetReplaceWithoutPosixRename(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{NoPosixRename: true})
	os.MkdirAll(s.Path("/in"), 0o755)
	w := openTarget(t, targetPlan(t, s, "unused.ndjson", "/in", "ndjson", "record.name"))
	for _, body := range []any{map[string]any{"v": 1}, []any{map[string]any{"v": 2}, map[string]any{"v": 3}}} {
		if err := w.Write(context.Background(), &engine.Operation{Body: body, Fields: map[string]any{"filename": "x.ndjson"}}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(s.Path("/in/x.ndjson"))
	if string(got) != "{\"v\":2}\n{\"v\":3}\n" {
		t.Fatalf("content %q", got)
	}
	wantFiles(t, s, "/in/x.ndjson")
}

func TestTargetCSVAndJSONBatch(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	os.MkdirAll(s.Path("/in"), 0o755)
	rows := []any{map[string]any{"sku": "A", "qty": 1}, map[string]any{"sku": "B", "qty": 2}}
	for format, want := range map[string]string{
		"csv":  "qty,sku\n1,A\n2,B\n",
		"json": "[\n{\"qty\":1,\"sku\":\"A\"},\n{\"qty\":2,\"sku\":\"B\"}\n]\n",
	} {
		w := openTarget(t, targetPlan(t, s, "unused.ndjson", "/in", format, "record.name"))
		if err := w.Write(context.Background(), &engine.Operation{Body: rows, Fields: map[string]any{"filename": "b." + format}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(s.Path("/in/b." + format)); string(got) != want {
			t.Errorf("%s: %q, want %q", format, got, want)
		}
	}
}

func TestTargetErrors(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{Fail: func(method, p string) error {
		if strings.HasPrefix(p, "/locked/") {
			return sftp.ErrSSHFxPermissionDenied
		}
		return nil
	}})
	os.MkdirAll(s.Path("/in"), 0o755)
	os.MkdirAll(s.Path("/locked"), 0o755)
	cases := []struct {
		dir, name string
		body      any
		want      string
		retry     bool
	}{
		{"/missing", "a.edi", "ISA~", "not exist", false},
		{"/locked", "a.edi", "ISA~", "permission denied", false},
		{"/in", "../a.edi", "ISA~", "plain file name", false},
		{"/in", "a.edi", map[string]any{"x": 1}, "needs the body to be the EDI document", false},
	}
	for _, c := range cases {
		w := openTarget(t, targetPlan(t, s, "unused.ndjson", c.dir, "edi", "record.name"))
		err := w.Write(context.Background(), &engine.Operation{Body: c.body, Fields: map[string]any{"filename": c.name}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s/%s: %v, want %q", c.dir, c.name, err, c.want)
			continue
		}
		if retry, _ := engine.IsRetryable(err); retry != c.retry {
			t.Errorf("%s/%s: retryable = %v: %v", c.dir, c.name, retry, err)
		}
	}
	for _, op := range s.Ops() {
		if op.Method == "PosixRename" || op.Method == "Rename" {
			t.Errorf("renamed after a failure: %s", op)
		}
	}
	if files := serverFiles(t, s); len(files) != 0 {
		t.Errorf("left files behind: %v", files)
	}
}

// TestTargetReconnects: a dropped connection is a retryable error, and the
// next write connects again.
func TestTargetReconnects(t *testing.T) {
	s := sftptest.New(t, sftptest.Options{})
	os.MkdirAll(s.Path("/in"), 0o755)
	w := openTarget(t, targetPlan(t, s, "unused.ndjson", "/in", "edi", "record.name"))
	write := func(name string) error {
		return w.Write(context.Background(), &engine.Operation{Body: "ISA~", Fields: map[string]any{"filename": name}})
	}
	if err := write("1.edi"); err != nil {
		t.Fatal(err)
	}
	s.DropConnections()
	time.Sleep(50 * time.Millisecond)
	err := write("2.edi")
	if err != nil {
		if retry, _ := engine.IsRetryable(err); !retry {
			t.Fatalf("a dropped connection is not retryable: %v", err)
		}
		if err := write("2.edi"); err != nil {
			t.Fatalf("no reconnect: %v", err)
		}
	}
	wantFiles(t, s, "/in/1.edi", "/in/2.edi")

	s.Close()
	err = write("3.edi")
	if retry, _ := engine.IsRetryable(err); err == nil || !retry {
		t.Fatalf("server gone: %v (want retryable)", err)
	}
}
