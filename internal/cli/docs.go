package cli

import (
	"github.com/flowctl/flowctl/engine"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "docs",
		Usage: "print generated reference documentation",
		Subcommands: []*cli.Command{{
			Name:  "connectors",
			Usage: "every connector's connection, source and target fields, as Markdown",
			Description: `Prints the reference generated from the connector specs — the same specs
that lint checks flow files against — so it cannot drift from the code.
docs/connectors.md is this output, kept fresh by a test.

Example:
  flowctl docs connectors > docs/connectors.md`,
			Action: func(c *cli.Context) error {
				if err := engine.DefaultRegistry.WriteConnectorDocs(c.App.Writer); err != nil {
					return exitf(ExitUsage, "%v", err)
				}
				return nil
			},
		}},
	})
}
