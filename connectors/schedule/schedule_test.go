package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"

	_ "github.com/flowctl/flowctl/connectors/file" // stdout target
)

func flow(source, steps string) string {
	return fmt.Sprintf(`
flow "tick" {
  source "schedule" {
%s
  }
%s
  target "stdout" "out" {}
}
`, source, steps)
}

// compile returns the plan, or nil and the diagnostics' text.
func compile(src string) (*engine.Plan, string) {
	cfg, diags := dsl.Load([]string{"t.hcl"}, map[string][]byte{"t.hcl": []byte(src)})
	if diags.HasErrors() {
		return nil, diags.Error()
	}
	plan, diags := engine.Compile(cfg, engine.Options{Mode: engine.ModeRun})
	if diags.HasErrors() {
		return nil, diags.Error()
	}
	return plan, ""
}

func mustCompile(t *testing.T, src string) *engine.Plan {
	t.Helper()
	plan, d := compile(src)
	if plan == nil {
		t.Fatalf("compile: %s\n%s", d, src)
	}
	return plan
}

// TestLint: settings are checked when the flow is linted, with the cron
// parser's own message.
func TestLint(t *testing.T) {
	for _, tc := range []struct {
		name, source, steps, want string
	}{
		{"ok fields", `cron = "*/15 6-18 * * 1-5"`, "", ""},
		{"ok descriptor", `cron = "@hourly"`, "", ""},
		{"ok every", `cron = "@every 5m"`, "", ""},
		{"ok zone and payload", "cron = \"0 2 * * *\"\n    timezone = \"Europe/Berlin\"\n    payload = { warehouse = \"WH1\", days = 3 }",
			`map "m" {
    wh  = "record.warehouse"
    at  = "record.scheduled_at"
    tz  = "record.timezone"
    day = "record.days"
  }`, ""},
		{"missing cron", ``, "", `"cron" is required`},
		{"too few fields", `cron = "* * *"`, "", "expected exactly 5 fields, found 3"},
		{"seconds field", `cron = "0 0 6 * * *"`, "", "expected exactly 5 fields, found 6"},
		{"bad range", `cron = "61 * * * *"`, "", "end of range (61) above maximum (59)"},
		{"bad descriptor", `cron = "@sometimes"`, "", "unrecognized descriptor"},
		{"bad every", `cron = "@every soon"`, "", "failed to parse duration"},
		{"bad zone", "cron = \"@daily\"\n    timezone = \"Mars/Olympus\"", "", `"Mars/Olympus" is not an IANA time zone`},
		{"payload not object", "cron = \"@daily\"\n    payload = [1, 2]", "", "payload must be an object"},
		{"payload sets scheduled_at", "cron = \"@daily\"\n    payload = { scheduled_at = \"x\" }", "", "payload cannot set scheduled_at"},
		{"unknown record field", `cron = "@daily"`, `map "m" {
    x = "record.nope"
  }`, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, d := compile(flow(tc.source, tc.steps))
			if tc.want == "" {
				if d != "" {
					t.Fatalf("diagnostics: %s", d)
				}
				return
			}
			if !strings.Contains(d, tc.want) {
				t.Fatalf("diagnostics %q do not contain %q", d, tc.want)
			}
		})
	}
}

// fakeClock: after(d) fires at once and moves now by d, as if the process
// had slept; the ticks are what the schedule gives, deterministically.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) clock() clock {
	return clock{
		now: func() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now },
		after: func(d time.Duration) <-chan time.Time {
			c.mu.Lock()
			c.now = c.now.Add(d)
			ch := make(chan time.Time, 1)
			ch <- c.now
			c.mu.Unlock()
			return ch
		},
	}
}

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func testTicker(t *testing.T, source string) *ticker {
	t.Helper()
	plan := mustCompile(t, flow(source, ""))
	tk, err := newTicker(plan.Flows[0].Source)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func utc(s string) time.Time {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return tm
}

// TestWatchTicks: ticks in the zone's wall-clock time across daylight-
// saving changes (Europe/Berlin: 2024-03-31 02:00 → 03:00, 2024-10-27
// 03:00 → 02:00), the @every descriptor, and ids.
func TestWatchTicks(t *testing.T) {
	for _, tc := range []struct {
		name, source, start string
		want                []string // scheduled_at, UTC
	}{
		{"daily across spring change", "cron = \"0 9 * * *\"\n    timezone = \"Europe/Berlin\"", "2024-03-29T12:00:00Z",
			[]string{"2024-03-30T08:00:00Z", "2024-03-31T07:00:00Z", "2024-04-01T07:00:00Z"}},
		{"skipped wall time", "cron = \"30 2 * * *\"\n    timezone = \"Europe/Berlin\"", "2024-03-29T12:00:00Z",
			[]string{"2024-03-30T01:30:00Z", "2024-04-01T00:30:00Z"}},
		{"repeated wall time", "cron = \"30 2 * * *\"\n    timezone = \"Europe/Berlin\"", "2024-10-25T12:00:00Z",
			[]string{"2024-10-26T00:30:00Z", "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z", "2024-10-28T01:30:00Z"}},
		{"hourly across spring change", "cron = \"0 * * * *\"\n    timezone = \"Europe/Berlin\"", "2024-03-30T23:30:00Z",
			[]string{"2024-03-31T00:00:00Z", "2024-03-31T01:00:00Z", "2024-03-31T02:00:00Z"}},
		{"utc default", `cron = "0 6 * * 1"`, "2024-03-29T12:00:00Z",
			[]string{"2024-04-01T06:00:00Z", "2024-04-08T06:00:00Z"}},
		{"every", `cron = "@every 90m"`, "2024-03-30T23:30:00Z",
			[]string{"2024-03-31T01:00:00Z", "2024-03-31T02:30:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := testTicker(t, tc.source)
			fc := &fakeClock{now: utc(tc.start)}
			w := newWatch(context.Background(), tk, fc.clock())
			for i, want := range tc.want {
				m, ok, err := w.Next()
				if err != nil || !ok {
					t.Fatalf("Next: %v %v", ok, err)
				}
				at := m.Record["scheduled_at"].(time.Time)
				if got := at.Format(time.RFC3339); got != want || at.Location() != time.UTC {
					t.Fatalf("tick %d at %s, want %s", i, got, want)
				}
				if m.ID != fmt.Sprintf("schedule:%d", utc(want).Unix()) || m.Line != i+1 || m.Receipt == nil {
					t.Fatalf("tick %d: id %q line %d", i, m.ID, m.Line)
				}
				if !fc.clock().now().Equal(at) {
					t.Fatalf("tick %d delivered at %s, before its time %s", i, fc.clock().now(), at)
				}
			}
		})
	}
}

// TestWatchCoalescesMissedTicks: times missed while Next was not called
// give one message, for the latest; the start time is not replayed.
func TestWatchCoalescesMissedTicks(t *testing.T) {
	tk := testTicker(t, `cron = "0 * * * *"`)
	fc := &fakeClock{now: utc("2024-05-01T10:00:00Z")} // exactly on a tick: not replayed
	w := newWatch(context.Background(), tk, fc.clock())
	m, _, _ := w.Next()
	if got := m.Record["scheduled_at"].(time.Time); !got.Equal(utc("2024-05-01T11:00:00Z")) {
		t.Fatalf("first tick %s", got)
	}
	fc.advance(3*time.Hour + 10*time.Minute) // 14:10: 12:00, 13:00 and 14:00 passed
	m, _, _ = w.Next()
	if got := m.Record["scheduled_at"].(time.Time); !got.Equal(utc("2024-05-01T14:00:00Z")) {
		t.Fatalf("late tick %s, want the latest missed, 14:00", got)
	}
	m, _, _ = w.Next()
	if got := m.Record["scheduled_at"].(time.Time); !got.Equal(utc("2024-05-01T15:00:00Z")) {
		t.Fatalf("next tick %s", got)
	}
}

// TestWatchEndsWithContext: Next returns the end once ctx is done, also
// while it waits for a tick.
func TestWatchEndsWithContext(t *testing.T) {
	tk := testTicker(t, `cron = "@yearly"`)
	ctx, cancel := context.WithCancel(context.Background())
	w := newWatch(ctx, tk, wallClock)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	done := make(chan bool)
	go func() { _, ok, err := w.Next(); done <- ok || err != nil }()
	select {
	case bad := <-done:
		if bad {
			t.Fatal("a message or an error after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return after cancel")
	}
}

// TestOneShot: a run (or dry run) gets exactly one message, for now, with
// the payload; the registered Watch works on the real clock.
func TestOneShot(t *testing.T) {
	plan := mustCompile(t, flow("cron = \"@daily\"\n    timezone = \"America/New_York\"\n    payload = { warehouse = \"WH1\", opts = { full = true }, n = 3 }", ""))
	k, _ := engine.DefaultRegistry.Get("schedule")
	before := time.Now().Add(-time.Second)
	r, err := k.Source.Open(plan.Flows[0].Source, &engine.RunContext{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, ok, err := r.Next()
	if err != nil || !ok {
		t.Fatalf("Next: %v %v", ok, err)
	}
	at, _ := m.Record["scheduled_at"].(time.Time)
	if at.Before(before) || at.After(time.Now()) || at.Location() != time.UTC {
		t.Fatalf("scheduled_at %v", m.Record["scheduled_at"])
	}
	rec, _ := json.Marshal(map[string]any{"warehouse": m.Record["warehouse"], "opts": m.Record["opts"], "n": m.Record["n"], "timezone": m.Record["timezone"]})
	if string(rec) != `{"n":3,"opts":{"full":true},"timezone":"America/New_York","warehouse":"WH1"}` {
		t.Fatalf("record %s", rec)
	}
	if m.ID != fmt.Sprintf("schedule:%d", at.Unix()) {
		t.Fatalf("id %q", m.ID)
	}
	if _, ok, err := r.Next(); ok || err != nil {
		t.Fatalf("a second message: %v %v", ok, err)
	}

	// Through the engine: one record, delivered to stdout.
	var out strings.Builder
	sum, err := engine.Run(context.Background(), plan, plan.Flows[0], engine.RunOptions{Context: &engine.RunContext{Stdout: &out}})
	if err != nil || sum.Records != 1 || sum.Delivered != 1 || !strings.Contains(out.String(), `"warehouse":"WH1"`) {
		t.Fatalf("run: %v %+v %s", err, sum, out.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w, err := k.Source.Watch(ctx, plan.Flows[0].Source, &engine.WatchContext{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := w.Next(); ok {
		t.Fatal("a tick after cancel")
	}
}
