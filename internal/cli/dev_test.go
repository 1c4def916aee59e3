package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDevOdoo starts `flowctl dev odoo` on a free loopback port, asks it
// for its version over HTTP, and stops it by cancelling its context.
func TestDevOdoo(t *testing.T) {
	var out, errw syncBuffer
	app := NewApp(strings.NewReader(""), &out, &errw)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"flowctl", "dev", "odoo", "--listen", "127.0.0.1:0", "--seed", "--version", "18"})
	}()
	urlRE := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("no server line; stdout %q stderr %q", out.String(), errw.String())
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url + "/web/version")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"version": "18.0"`) && !strings.Contains(string(body), `"version":"18.0"`) {
		t.Errorf("version answer %s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}
