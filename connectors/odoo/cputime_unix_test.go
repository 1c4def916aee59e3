//go:build unix

package odoo

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used: the
// client and the test server together, a cost that does not depend on
// other load on the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
