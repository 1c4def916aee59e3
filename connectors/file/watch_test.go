package file_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine"
)

// pump reads a watch reader on its own goroutine, as serve does.
func pump(r engine.RecordReader) <-chan *engine.Message {
	ch := make(chan *engine.Message, 64)
	go func() {
		defer close(ch)
		for {
			m, ok, err := r.Next()
			if err != nil || !ok {
				return
			}
			ch <- m
		}
	}()
	return ch
}

// receive waits for n messages.
func receive(t *testing.T, ch <-chan *engine.Message, n int) []*engine.Message {
	t.Helper()
	var out []*engine.Message
	deadline := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("reader ended after %d of %d messages", len(out), n)
			}
			out = append(out, m)
		case <-deadline:
			t.Fatalf("got %d of %d messages", len(out), n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// quiet checks that nothing arrives for d.
func quiet(t *testing.T, ch <-chan *engine.Message, d time.Duration) {
	t.Helper()
	select {
	case m := <-ch:
		t.Fatalf("unexpected message %s line %d", m.Source, m.Line)
	case <-time.After(d):
	}
}

func ids(ms []*engine.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func openWatch(t *testing.T, ctx context.Context, plan *engine.Plan) engine.RecordReader {
	t.Helper()
	k, _ := engine.DefaultRegistry.Get("file")
	r, err := k.Source.Watch(ctx, plan.Flows[0].Source, &engine.WatchContext{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{16}:[0-9]+$`)

// TestWatchAckNackAndIDs: acknowledged files are archived; a refused
// message leaves its file in the inbox, not taken again while in flight
// and offered again (same ids) by a later poll; a reader closed before the
// acknowledgements leaves the file to the next reader, with the same ids.
func TestWatchAckNackAndIDs(t *testing.T) {
	root := t.TempDir()
	inbox, archive := filepath.Join(root, "inbox"), filepath.Join(root, "archive")
	put(t, filepath.Join(inbox, "a.ndjson"), "{\"n\":1}\n{\"n\":2}\n", time.Hour)
	put(t, filepath.Join(inbox, "b.ndjson"), "{\"n\":3}\n", time.Hour)
	plan := compile(t, fmt.Sprintf(`
flow "inbox" {
  source "file" {
    path        = %q
    every       = "20ms"
    archive_dir = %q
  }
  target "stdout" "out" {}
}
`, inbox, archive))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := openWatch(t, ctx, plan)
	ch := pump(r)
	first := receive(t, ch, 3) // a:1, a:2, b:1
	for _, m := range first {
		if !idPattern.MatchString(m.ID) || m.Receipt == nil {
			t.Fatalf("message %s:%d: id %q, receipt %v", m.Source, m.Line, m.ID, m.Receipt)
		}
	}
	if first[0].ID == first[1].ID || first[0].ID[:16] != first[1].ID[:16] || first[0].ID[:16] == first[2].ID[:16] {
		t.Fatalf("ids %v", ids(first))
	}
	// In flight: later polls pass the files over.
	quiet(t, ch, 150*time.Millisecond)

	first[0].Receipt.Ack(ctx)
	first[2].Receipt.Ack(ctx)
	first[1].Receipt.Nack(ctx, errors.New("journal unavailable"))
	wantFiles(t, root, "archive/.flowctl.sha256", "archive/b.ndjson", "inbox/a.ndjson")

	again := receive(t, ch, 2)
	if fmt.Sprint(ids(again)) != fmt.Sprint(ids(first[:2])) {
		t.Fatalf("offered again with ids %v, first %v", ids(again), ids(first[:2]))
	}
	for _, m := range again {
		m.Receipt.Ack(ctx)
	}
	wantFiles(t, root, "archive/.flowctl.sha256", "archive/a.ndjson", "archive/b.ndjson")

	// Restart: a file whose messages were not all acknowledged when the
	// reader closed is taken again by the next reader, with the same ids.
	put(t, filepath.Join(inbox, "c.ndjson"), "{\"n\":4}\n{\"n\":5}\n", time.Hour)
	before := receive(t, ch, 2)
	before[0].Receipt.Ack(ctx)
	cancel()
	for range ch {
	}
	r.Close()
	before[1].Receipt.Ack(context.Background()) // too late: the reader is gone
	wantFiles(t, root, "archive/.flowctl.sha256", "archive/a.ndjson", "archive/b.ndjson", "inbox/c.ndjson")

	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel2()
	r2 := openWatch(t, ctx2, plan)
	defer r2.Close()
	ch2 := pump(r2)
	after := receive(t, ch2, 2)
	if fmt.Sprint(ids(after)) != fmt.Sprint(ids(before)) {
		t.Fatalf("ids after restart %v, before %v", ids(after), ids(before))
	}
	for _, m := range after {
		m.Receipt.Ack(ctx2)
	}
	wantFiles(t, root, "archive/.flowctl.sha256", "archive/a.ndjson", "archive/b.ndjson", "archive/c.ndjson")
}

// TestWatchNeedsFolder: a plain file cannot be watched.
func TestWatchNeedsFolder(t *testing.T) {
	dir := t.TempDir()
	put(t, filepath.Join(dir, "x.ndjson"), "{}\n", 0)
	plan, _ := folderFlow(t, filepath.Join(dir, "x.ndjson"), "")
	k, _ := engine.DefaultRegistry.Get("file")
	if _, err := k.Source.Watch(context.Background(), plan.Flows[0].Source, &engine.WatchContext{}); err == nil {
		t.Fatal("watching a plain file: no error")
	}
}
