package serve_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
)

// TestWebhookJournalFailurePausesIntake: when the journal refuses a
// webhook's message, the sender gets 503 with Retry-After, the flow's intake
// pauses (/readyz says why), and once the journal is back webhooks are
// accepted again and delivered.
func TestWebhookJournalFailurePausesIntake(t *testing.T) {
	tg := &target{applied: map[string]int{}}
	hs := httptest.NewServer(tg)
	defer hs.Close()
	plan := compile(t, fmt.Sprintf(webhookSrc, hs.URL))
	st := openStore(t, t.TempDir())
	defer st.Close()
	r := start(t, st, plan, serve.Options{Workers: 2})
	waitFor(t, "listener", 10*time.Second, func() bool { return r.srv.Addr() != "" })
	base := "http://" + r.srv.Addr()
	post := func(ref string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/hooks/orders", bytes.NewReader([]byte(`{"ref":"`+ref+`","qty":1}`)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	if code, _ := post("W-1"); code != http.StatusAccepted {
		t.Fatalf("first webhook: %d", code)
	}

	restore := refuseJournal(t, st)
	code, retry := post("W-2")
	if code != http.StatusServiceUnavailable || retry == "" {
		t.Fatalf("webhook while the journal refuses: %d, Retry-After %q", code, retry)
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	why, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(why), "flow hooked: intake paused (journal write failed") {
		t.Errorf("/readyz %d %q, want 503 naming the journal", resp.StatusCode, why)
	}

	restore()
	waitFor(t, "webhooks accepted again", 15*time.Second, func() bool { c, _ := post("W-2"); return c == http.StatusAccepted })
	waitFor(t, "delivery", 15*time.Second, func() bool { k, _ := tg.count(); return k == 2 })
	r.stop(t)
}

// refuseJournal makes the journal refuse writes (its subjects move
// elsewhere: a write finds no stream) until the returned func restores it.
func refuseJournal(t *testing.T, st *durable.Store) (restore func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := st.Journal.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Config
	subjects := cfg.Subjects
	cfg.Subjects = []string{"elsewhere.>"}
	if _, err := st.JS.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cfg.Subjects = subjects
		if _, err := st.JS.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
}
