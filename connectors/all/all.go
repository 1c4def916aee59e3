// Package all registers every built-in connector with the engine.
package all

import (
	_ "github.com/flowctl/flowctl/connectors/file" // file, stdout
	_ "github.com/flowctl/flowctl/connectors/http" // http, webhook
	_ "github.com/flowctl/flowctl/connectors/odoo"
	_ "github.com/flowctl/flowctl/connectors/schedule" // schedule (cron)
	_ "github.com/flowctl/flowctl/connectors/sftp"
)
