package serve_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowctl/flowctl/engine/serve"
)

// TestScheduleUnderServe: a cron schedule drives a flow under serve; each
// tick is journaled once and written once.
func TestScheduleUnderServe(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ticks.ndjson")
	plan := compile(t, fmt.Sprintf(`
flow "nightly" {
  source "schedule" {
    cron     = "@every 1s"
    timezone = "Europe/Amsterdam"
    payload  = { report = "backlog" }
  }
  target "file" "ticks" {
    path            = %q
    append          = true
    idempotency_key = "string(record.scheduled_at.Unix())"
    body            = "{at: record.scheduled_at, zone: record.timezone, report: record.report}"
  }
}
`, out))
	st := openStore(t, t.TempDir())
	defer st.Close()
	r := start(t, st, plan, serve.Options{Workers: 2})
	lines := func() []string {
		data, _ := os.ReadFile(out)
		return strings.Split(strings.TrimSpace(string(data)), "\n")
	}
	waitFor(t, "two ticks", 15*time.Second, func() bool { l := lines(); return len(l) >= 2 && l[0] != "" })
	r.stop(t)
	l := lines()
	seen := map[string]bool{}
	for _, line := range l {
		if !strings.Contains(line, `"zone":"Europe/Amsterdam"`) || !strings.Contains(line, `"report":"backlog"`) {
			t.Errorf("tick %s", line)
		}
		if seen[line] {
			t.Errorf("tick written twice: %s", line)
		}
		seen[line] = true
	}
	t.Logf("%d ticks: %s", len(l), strings.Join(l, " | "))
}
