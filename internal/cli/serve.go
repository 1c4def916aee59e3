package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/flowctl/flowctl/dsl"
	"github.com/flowctl/flowctl/engine"
	"github.com/flowctl/flowctl/engine/durable"
	"github.com/flowctl/flowctl/engine/serve"
	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/hashicorp/hcl/v2"
	"github.com/urfave/cli/v2"
)

// storeFlags locate the durable layer; serve, replay and dlq share them.
var storeFlags = []cli.Flag{
	&cli.StringFlag{Name: "data", Value: ".flowctl", Usage: "`DIR` of the embedded NATS server's data (when --nats is not given)", EnvVars: []string{"FLOWCTL_DATA"}},
	&cli.StringFlag{Name: "nats", Usage: "`URL` of an external NATS server or cluster (default: embedded)", EnvVars: []string{"FLOWCTL_NATS"}},
}

func init() {
	register(&cli.Command{
		Name:      "serve",
		Usage:     "run flows continuously: journal, idempotent writes, retries, dead-letter",
		ArgsUsage: "FLOWDIR",
		Description: `Starts every flow of FLOWDIR (or those named with --flow) and runs until
SIGTERM or SIGINT. Sources are watched (folders, SFTP, Odoo and HTTP polls,
cron schedules) or mounted on the listener (webhooks). Every inbound
message is journaled in NATS JetStream before its source lets go of it
(before a file is archived, a cursor advances or a webhook gets its 202).
Workers then run the flow and write each operation once per idempotency
key; retryable failures are retried with backoff, a circuit breaker per
target stops hammering a target that is down, and what cannot be
processed goes to the dead-letter store (flowctl dlq) with its reason.

The durable layer is a NATS server embedded in this process, its data in
--data; or an external server/cluster with --nats (several serve processes
on one NATS share the work). The listener (default 127.0.0.1:8080) serves
/healthz, /readyz, /metrics (Prometheus) and the webhook paths. Logs are
JSON lines on stderr. On SIGTERM intake stops at once, in-flight messages
get --drain-timeout to finish, and the rest stay journaled for the next
start. A configuration with errors is refused with its diagnostics.

Examples:
  flowctl serve examples/serve-quickstart        # needs no service; see its README
  flowctl serve --data /var/lib/flowctl --listen 127.0.0.1:9090 flows/
  flowctl serve --nats nats://nats-1:4222,nats://nats-2:4222 flows/`,
		Flags: append(append([]cli.Flag{
			&cli.StringSliceFlag{Name: "flow", Usage: "run only this flow (repeatable)"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "`ADDR` for health, metrics and webhooks"},
			&cli.IntFlag{Name: "workers", Value: 32, Usage: "writes in flight per flow"},
			&cli.IntFlag{Name: "backlog-limit", Value: 100000, Usage: "unsettled messages per flow at which intake pauses"},
			&cli.DurationFlag{Name: "drain-timeout", Value: 30 * time.Second, Usage: "time in-flight messages get to finish on shutdown"},
			&cli.DurationFlag{Name: "ack-wait", Value: 30 * time.Second, Usage: "how long a message stays with a silent worker before another takes it"},
			&cli.IntFlag{Name: "max-deliver", Value: 10, Usage: "deliveries without an outcome after which a message is dead-lettered"},
			&cli.StringFlag{Name: "nats-listen", Usage: "`ADDR` the embedded NATS server listens on (token in DIR/nats.json; default 127.0.0.1, free port)"},
			&cli.Int64Flag{Name: "max-store", Usage: "cap the embedded server's disk use at `BYTES`"},
			&cli.BoolFlag{Name: "sync-always", Usage: "fsync every journal write (survives power loss; slower)"},
			&cli.IntFlag{Name: "replicas", Value: 1, Usage: "replicas of the streams and buckets on a NATS cluster (--nats)"},
			&cli.DurationFlag{Name: "journal-max-age", Value: 7 * 24 * time.Hour, Usage: "how long journal records are kept (for replay)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
		}, storeFlags...), varFlag),
		Action: runServe,
	})
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func runServe(c *cli.Context) error {
	if c.NArg() != 1 {
		return exitf(ExitUsage, "serve takes one flow directory, got %d arguments", c.NArg())
	}
	dir := c.Args().First()
	log, err := newLogger(c.App.ErrWriter, c.String("log-level"))
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	vars, err := parseVars(c)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	cfg, plan, err := loadPlan(c, dir, engine.Options{Mode: engine.ModeRun, Vars: vars, SecretsOptional: true})
	if err != nil {
		return exitf(ExitUsage, "%v; serve does not start", err)
	}
	flows, err := selectFlows(plan, c.StringSlice("flow"))
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	var missing hcl.Diagnostics
	for _, fp := range flows {
		missing = append(missing, engine.CheckRunnable(fp, true, true)...)
	}
	if len(missing) > 0 {
		diagfmt.Text(c.App.ErrWriter, missing, cfg.Sources, diagfmt.Options{Color: wantColor(c.App.ErrWriter)})
		return exitf(ExitUsage, "settings needed by the flows are not set; serve does not start")
	}
	files, err := planFiles(dir, cfg)
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	hash := durable.HashFiles(files)

	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	st, err := durable.Open(ctx, durable.Options{
		URL: c.String("nats"), DataDir: c.String("data"), ListenAddr: c.String("nats-listen"),
		MaxStore: c.Int64("max-store"), SyncAlways: c.Bool("sync-always"), Logger: log, Name: "flowctl-serve",
		Replicas: c.Int("replicas"), JournalMaxAge: c.Duration("journal-max-age"), Configure: true,
	})
	if err != nil {
		if ctx.Err() != nil {
			// Stopped by the operator while still reaching NATS: a stop,
			// not a failure.
			log.Info("stopped before NATS was reached", "error", err)
			return nil
		}
		return exitf(ExitUsage, "%v", err)
	}
	defer st.Close()
	if st.Attached() {
		return exitf(ExitUsage, "%s is in use by another flowctl serve; give this one its own --data, or share one NATS server with --nats", c.String("data"))
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = st.RecordPlan(rctx, &durable.PlanFiles{Hash: hash, Files: files, At: time.Now().UTC()})
	cancel()
	if err != nil {
		return exitf(ExitUsage, "recording the flow version: %v", err)
	}
	srv, err := serve.New(serve.Options{
		Store: st, Plan: plan, Flows: flows, PlanHash: hash,
		Listen: c.String("listen"), Workers: c.Int("workers"), BacklogLimit: c.Int("backlog-limit"),
		AckWait: c.Duration("ack-wait"), MaxDeliver: c.Int("max-deliver"), DrainTimeout: c.Duration("drain-timeout"),
		Logger:  log,
		Context: &engine.RunContext{Stdin: c.App.Reader, Stdout: c.App.Writer},
	})
	if err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	if err := srv.Run(ctx); err != nil {
		return exitf(ExitUsage, "%v", err)
	}
	return nil
}

// planFiles collects a configuration's files (flow files and the lookup
// tables they read) by path relative to dir: what is recorded as the flow
// version, so replay can run a message through the version that took it in.
func planFiles(dir string, cfg *dsl.Config) (map[string][]byte, error) {
	base := dir
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		base = filepath.Dir(dir)
	}
	out := map[string][]byte{}
	rel := func(p string) string {
		r, err := filepath.Rel(base, p)
		if err != nil || strings.HasPrefix(r, "..") {
			return filepath.Base(p)
		}
		return filepath.ToSlash(r)
	}
	for name, data := range cfg.Sources {
		out[rel(name)] = data
	}
	for _, l := range cfg.Lookups {
		if l.File == "" {
			continue
		}
		p := l.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(l.Dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("lookup %s: %w", l.Name, err)
		}
		out[rel(p)] = data
	}
	return out, nil
}
