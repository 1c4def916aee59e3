package folderpoll_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/internal/folderpoll"
)

// setup makes an inbox with archive/ and error/ beside it (inside it, as
// the sftp connector does).
func setup(t *testing.T) (string, folderpoll.Options) {
	t.Helper()
	dir := t.TempDir()
	return dir, folderpoll.Options{
		Dir:          dir,
		ArchiveDir:   filepath.Join(dir, "archive"),
		ErrorDir:     filepath.Join(dir, "error"),
		Settle:       150 * time.Millisecond,
		ChecksumFile: filepath.Join(dir, "archive", ".flowctl.sha256"),
	}
}

func write(t *testing.T, name, content string, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		old := time.Now().Add(-age)
		if err := os.Chtimes(name, old, old); err != nil {
			t.Fatal(err)
		}
	}
}

// drain reads every message of a one-shot reader.
func drain(t *testing.T, r engine.RecordReader) []*engine.Message {
	t.Helper()
	var out []*engine.Message
	for {
		m, ok, err := r.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !ok {
			return out
		}
		out = append(out, m)
	}
}

func ackAll(t *testing.T, msgs []*engine.Message) {
	t.Helper()
	for _, m := range msgs {
		if err := m.Receipt.Ack(context.Background()); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
}

// tree lists every file under dir, relative, sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func wantTree(t *testing.T, dir string, want ...string) {
	t.Helper()
	got := tree(t, dir)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("files under %s:\n%s\nwant:\n%s", dir, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func newPoller(t *testing.T, opts folderpoll.Options) *folderpoll.Poller {
	t.Helper()
	p, err := folderpoll.New(folderpoll.OS{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArchiveAfterAllAcks(t *testing.T) {
	dir, opts := setup(t)
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	write(t, filepath.Join(dir, "b.csv"), "n,m\n3,x\n", time.Hour)
	opts.TrustModTime = true
	p := newPoller(t, opts)
	r := p.Once(context.Background())
	msgs := drain(t, r)
	if len(msgs) != 3 {
		t.Fatalf("got %d messages, want 3", len(msgs))
	}
	if msgs[0].Record["n"] == nil || msgs[2].Record["m"] != "x" || msgs[2].Source != filepath.Join(dir, "b.csv") {
		t.Fatalf("records: %v %v (%s)", msgs[0].Record, msgs[2].Record, msgs[2].Source)
	}
	// Not all acknowledged: nothing moves.
	ackAll(t, msgs[:1])
	wantTree(t, dir, "a.ndjson", "b.csv")
	ackAll(t, msgs[1:2])
	wantTree(t, dir, "archive/.flowctl.sha256", "archive/a.ndjson", "b.csv")
	ackAll(t, msgs[2:])
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	wantTree(t, dir, "archive/.flowctl.sha256", "archive/a.ndjson", "archive/b.csv")
	sums, _ := os.ReadFile(opts.ChecksumFile)
	if !strings.Contains(string(sums), "  a.ndjson\n") || !strings.Contains(string(sums), "  b.csv\n") {
		t.Fatalf("checksum file:\n%s", sums)
	}
}

// growingFS appends to one file after every listing of the directory, so
// the file is still growing between the two listings of a one-shot poll —
// deterministically, whatever the machine's load.
type growingFS struct {
	folderpoll.OS
	dir, file string
}

func (g growingFS) List(dir string) ([]folderpoll.FileInfo, error) {
	infos, err := g.OS.List(dir)
	if dir == g.dir {
		f, ferr := os.OpenFile(g.file, os.O_APPEND|os.O_WRONLY, 0)
		if ferr == nil {
			f.WriteString("{\"n\":1}\n")
			f.Close()
		}
	}
	return infos, err
}

func TestGrowingFileNotTaken(t *testing.T) {
	dir, opts := setup(t)
	grow := filepath.Join(dir, "growing.ndjson")
	write(t, grow, "{\"n\":1}\n", 0)
	write(t, filepath.Join(dir, "done.ndjson"), "{\"n\":2}\n", 0)
	p, err := folderpoll.New(growingFS{dir: dir, file: grow}, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Once(context.Background())
	msgs := drain(t, r)
	ackAll(t, msgs)
	r.Close()
	if len(msgs) != 1 || msgs[0].Source != filepath.Join(dir, "done.ndjson") {
		t.Fatalf("took %d messages, want only done.ndjson's", len(msgs))
	}
	wantTree(t, dir, "archive/.flowctl.sha256", "archive/done.ndjson", "growing.ndjson")

	// Once it stopped growing, the next run takes it.
	r = newPoller(t, opts).Once(context.Background())
	msgs = drain(t, r)
	ackAll(t, msgs)
	r.Close()
	if len(msgs) < 2 {
		t.Fatalf("second run: %d messages", len(msgs))
	}
	wantTree(t, dir, "archive/.flowctl.sha256", "archive/done.ndjson", "archive/growing.ndjson")
}

func TestDecodeFailureGoesToError(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	write(t, filepath.Join(dir, "bad.ndjson"), "{\"n\":1}\n{oops\n{\"n\":3}\n", time.Hour)
	r := newPoller(t, opts).Once(context.Background())
	msgs := drain(t, r)
	if len(msgs) != 3 || msgs[1].Err == nil {
		t.Fatalf("messages: %d, second err %v", len(msgs), msgs[1].Err)
	}
	ackAll(t, msgs) // the engine acks a decode rejection: it is kept in the rejects
	r.Close()
	wantTree(t, dir, "error/bad.ndjson", "error/bad.ndjson.reason")
	reason, _ := os.ReadFile(filepath.Join(dir, "error", "bad.ndjson.reason"))
	for _, want := range []string{"1 of 3 records could not be decoded", "line 2", "sha256: "} {
		if !strings.Contains(string(reason), want) {
			t.Errorf("reason lacks %q:\n%s", want, reason)
		}
	}
}

func TestFatalDecodeAndUnknownFormat(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	write(t, filepath.Join(dir, "broken.json"), "[{\"n\":1}, {\"n\": ]", time.Hour)
	write(t, filepath.Join(dir, "notes.txt"), "hello", time.Hour)
	r := newPoller(t, opts).Once(context.Background())
	msgs := drain(t, r)
	ackAll(t, msgs)
	r.Close()
	wantTree(t, dir, "error/broken.json", "error/broken.json.reason", "error/notes.txt", "error/notes.txt.reason")
	reason, _ := os.ReadFile(filepath.Join(dir, "error", "notes.txt.reason"))
	if !strings.Contains(string(reason), "cannot tell the format") {
		t.Errorf("reason:\n%s", reason)
	}
}

func TestNackGoesToError(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	r := newPoller(t, opts).Once(context.Background())
	msgs := drain(t, r)
	msgs[0].Receipt.Ack(context.Background())
	if err := msgs[1].Receipt.Nack(context.Background(), errors.New("target down")); err != nil {
		t.Fatal(err)
	}
	r.Close()
	wantTree(t, dir, "error/a.ndjson", "error/a.ndjson.reason")
	reason, _ := os.ReadFile(filepath.Join(dir, "error", "a.ndjson.reason"))
	if !strings.Contains(string(reason), "line 2: target down") {
		t.Errorf("reason:\n%s", reason)
	}
}

func TestUnsettledFileStays(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	p := newPoller(t, opts)
	r := p.Once(context.Background())
	msgs := drain(t, r)
	msgs[0].Receipt.Ack(context.Background())
	r.Close() // the run stopped before the second message was done
	msgs[1].Receipt.Ack(context.Background())
	wantTree(t, dir, "a.ndjson")
	// The next run takes it again, whole.
	r = p.Once(context.Background())
	msgs = drain(t, r)
	ackAll(t, msgs)
	r.Close()
	if len(msgs) != 2 {
		t.Fatalf("rerun: %d messages", len(msgs))
	}
	wantTree(t, dir, "archive/.flowctl.sha256", "archive/a.ndjson")
}

func TestRestartDoesNotReprocess(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":1}\n", time.Hour)
	r := newPoller(t, opts).Once(context.Background())
	ackAll(t, drain(t, r))
	r.Close()

	// A new process; the partner sends the same file again, and a new one
	// under the same name.
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":1}\n", time.Hour)
	write(t, filepath.Join(dir, "b.ndjson"), "{\"n\":1}\n", time.Hour) // same content, other name
	r = newPoller(t, opts).Once(context.Background())
	msgs := drain(t, r)
	r.Close()
	if len(msgs) != 0 {
		t.Fatalf("reprocessed %d messages", len(msgs))
	}
	got := tree(t, dir)
	if len(got) != 4 || got[2] != "archive/a.ndjson" || !strings.HasPrefix(got[1], "archive/a-") || got[3] != "archive/b.ndjson" {
		t.Fatalf("files: %v", got)
	}

	// A changed file under an archived name is new: processed, archived
	// with a checksum suffix.
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":2}\n", time.Hour)
	r = newPoller(t, opts).Once(context.Background())
	msgs = drain(t, r)
	ackAll(t, msgs)
	r.Close()
	if len(msgs) != 1 {
		t.Fatalf("changed file: %d messages", len(msgs))
	}
	if got := tree(t, dir); len(got) != 5 {
		t.Fatalf("files: %v", got)
	}
}

func TestCrashBetweenAckAndMove(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":1}\n", time.Hour)
	// The checksum was recorded, then the process died before the rename.
	os.MkdirAll(opts.ArchiveDir, 0o755)
	write(t, opts.ChecksumFile, "2bd2d6f5d0f5a4c9ce8e23eb6e0ff9e9b4bce4a76f8fa1f7d3b1cbb7ae8d3c71  other\n", 0)
	r := newPoller(t, opts).Once(context.Background())
	first := drain(t, r)
	ackAll(t, first)
	r.Close()
	sums, _ := os.ReadFile(opts.ChecksumFile)
	line := strings.Split(string(sums), "\n")[1]
	// Put the file back, as if the move had not happened.
	os.Rename(filepath.Join(dir, "archive", "a.ndjson"), filepath.Join(dir, "a.ndjson"))
	r = newPoller(t, opts).Once(context.Background())
	again := drain(t, r)
	r.Close()
	if len(first) != 1 || len(again) != 0 || line == "" {
		t.Fatalf("first %d, again %d (sums %q)", len(first), len(again), sums)
	}
	wantTree(t, dir, "archive/.flowctl.sha256", "archive/a.ndjson")
}

func TestMarkerStability(t *testing.T) {
	dir, opts := setup(t)
	opts.Stable = folderpoll.StableMarker
	write(t, filepath.Join(dir, "a.edi"), "ISA*00*~", 0)
	write(t, filepath.Join(dir, "b.edi"), "ISA*01*~", 0)
	write(t, filepath.Join(dir, "b.edi.ok"), "", 0)
	opts.Format = "edi"
	r := newPoller(t, opts).Once(context.Background())
	msgs := drain(t, r)
	if len(msgs) != 1 || msgs[0].Record["content"] != "ISA*01*~" || msgs[0].Record["file"] != "b.edi" {
		t.Fatalf("messages: %d %v", len(msgs), msgs)
	}
	ackAll(t, msgs)
	r.Close()
	wantTree(t, dir, "a.edi", "archive/.flowctl.sha256", "archive/b.edi", "archive/b.edi.ok")
}

func TestWatch(t *testing.T) {
	dir, opts := setup(t)
	opts.Every = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := newPoller(t, opts)
	r := p.Watch(ctx)
	got := make(chan *engine.Message, 10)
	go func() {
		defer close(got)
		for {
			m, ok, err := r.Next()
			if err != nil || !ok {
				return
			}
			got <- m
		}
	}()
	time.Sleep(120 * time.Millisecond)
	write(t, filepath.Join(dir, "late.ndjson"), "{\"n\":1}\n", 0)
	select {
	case m := <-got:
		if m.Record["n"] == nil {
			t.Fatalf("record %v", m.Record)
		}
		m.Receipt.Ack(ctx)
	case <-ctx.Done():
		t.Fatal("watch never took the file")
	}
	wantTree(t, dir, "archive/.flowctl.sha256", "archive/late.ndjson")
	cancel()
	for range got {
	}
	r.Close()
}

func TestSkippedNames(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	opts.Glob = "*.ndjson"
	for _, n := range []string{".hidden.ndjson", "x.ndjson.part", "x.ndjson.tmp", "x.csv", "x.ndjson.done"} {
		write(t, filepath.Join(dir, n), "{}\n", time.Hour)
	}
	r := newPoller(t, opts).Once(context.Background())
	if msgs := drain(t, r); len(msgs) != 0 {
		t.Fatalf("took %d messages", len(msgs))
	}
	r.Close()
}

// TestReadOnly: a dry run reads and settles, and moves nothing.
func TestReadOnly(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	opts.ReadOnly = true
	write(t, filepath.Join(dir, "a.ndjson"), "{\"n\":1}\n", time.Hour)
	write(t, filepath.Join(dir, "b.ndjson"), "oops\n", time.Hour)
	r := newPoller(t, opts).Once(context.Background())
	msgs := drain(t, r)
	ackAll(t, msgs)
	r.Close()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	wantTree(t, dir, "a.ndjson", "b.ndjson")
}

// TestMessageIDs: a message's id is its file's checksum (16 hex digits)
// and its line, whatever the file's name.
func TestMessageIDs(t *testing.T) {
	dir, opts := setup(t)
	opts.TrustModTime = true
	opts.ReadOnly = true
	content := "{\"n\":1}\n{\"n\":2}\n"
	write(t, filepath.Join(dir, "a.ndjson"), content, time.Hour)
	sum := sha256.Sum256([]byte(content))
	want := hex.EncodeToString(sum[:])[:16]
	msgs := drain(t, newPoller(t, opts).Once(context.Background()))
	if len(msgs) != 2 || msgs[0].ID != want+":1" || msgs[1].ID != want+":2" {
		t.Fatalf("ids: %v", msgs)
	}
	if got := folderpoll.MessageID(hex.EncodeToString(sum[:]), 7); got != want+":7" {
		t.Fatalf("MessageID: %s", got)
	}
}
