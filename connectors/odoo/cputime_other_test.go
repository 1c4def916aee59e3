//go:build !unix

package odoo

import "time"

func processCPU() time.Duration { return 0 }
