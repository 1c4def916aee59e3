package durable

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestUnreachableClusterURLKeepsItsSecrets: --nats takes a comma-separated
// list of servers; the credentials of every one of them stay out of the log
// lines and the error of an unreachable cluster.
func TestUnreachableClusterURLKeepsItsSecrets(t *testing.T) {
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	url := "nats://alice:s3cret-one@127.0.0.1:1,nats://bob:s3cret-two@127.0.0.1:2, tls://carol:s3cret-three@127.0.0.1:3,dave:s3cret-four@127.0.0.1:4"
	_, err := Open(ctx, Options{URL: url, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err == nil {
		t.Fatal("connected to nothing")
	}
	out := buf.String() + "\n" + err.Error()
	if strings.Contains(out, "s3cret") {
		t.Errorf("credentials leaked:\n%s", out)
	}
	if !strings.Contains(out, "127.0.0.1:2") {
		t.Errorf("the servers are not named any more:\n%s", out)
	}
}
