//go:build unix

package odootest

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used, so
// benchmarks can report a cost that does not depend on other load.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
