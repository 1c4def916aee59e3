package cli

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/flowctl/flowctl/internal/odootest"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "dev",
		Usage: "local test systems for trying flows without real ones",
		Subcommands: []*cli.Command{{
			Name:  "odoo",
			Usage: "run the in-process Odoo test server (JSON-RPC, JSON-2, XML-RPC)",
			Description: `Starts the Odoo test server flowctl's own tests use: Odoo 17/18/19 wire
format, errors and workflow rules on an in-memory database (see
docs/odootest.md for what it models). It listens on loopback only and
runs until interrupted.

Examples:
  flowctl dev odoo --seed
  ODOO_URL=http://127.0.0.1:8069 ODOO_DB=odoo ODOO_USER=admin ODOO_API_KEY=... \
    flowctl run --dry-run examples/order-to-dispatch`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8069", Usage: "loopback address to listen on"},
				&cli.IntFlag{Name: "version", Value: 19, Usage: "Odoo major version to imitate: 17, 18 or 19"},
				&cli.BoolFlag{Name: "seed", Usage: "create demo partners, products, orders and a carrier"},
			},
			Action: runDevOdoo,
		}},
	})
}

func runDevOdoo(c *cli.Context) error {
	v := c.Int("version")
	if v < 17 || v > 19 {
		return exitf(ExitUsage, "dev odoo: --version must be 17, 18 or 19")
	}
	srv := odootest.NewServer(odootest.Options{Version: v})
	if c.Bool("seed") {
		if _, err := srv.SeedDemo(); err != nil {
			return exitf(ExitUsage, "dev odoo: seeding: %v", err)
		}
	}
	if err := srv.Start(c.String("listen")); err != nil {
		return exitf(ExitUsage, "dev odoo: %v", err)
	}
	defer srv.Close()
	fmt.Fprintf(c.App.Writer, "Odoo %d test server on %s (database %q, login admin, API key %s)\n",
		v, srv.URL(), "odoo", odootest.DefaultAPIKey)
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
